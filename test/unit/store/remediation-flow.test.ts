// The Slack side of remediation in SQLite: recommendation ids are opaque, stable per button and
// read back whole; a verification is claimed by one caller only, finished once, and one left
// running by a stopped process is due again after a restart.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  claimDueVerifications,
  finishVerification,
  getFollowup,
  getRecommendation,
  insertFollowup,
  isRecommendationId,
  nextVerificationAt,
  pruneRecommendations,
  recommendationId,
  releaseRunningVerifications,
  scheduleVerification,
  setFollowupBefore,
} from '../../../src/store/remediation-flow.js';
import { createRequest } from '../../../src/store/remediation.js';
import { makeTempDb, T0, type TempDb, WORKER } from '../remediate/helpers.js';

let t: TempDb;
beforeEach(() => {
  t = makeTempDb();
});
afterEach(() => t.close());

const rec = {
  dedupeKey: 'fp:1|0|lower-celery-concurrency|w|{"concurrency":2}',
  fingerprint: '0123456789abcdef',
  alertMessageKey: '0123456789abcdef:1',
  runbookId: 'lower-celery-concurrency',
  targetContainerId: null,
  targetName: 'w',
  params: { concurrency: 2 },
  title: 'Lower it',
  estimatedSavingsBytes: 1234,
};

function request(): string {
  return createRequest(t.db, { runbookId: 'r', runbookSha256: 's', target: WORKER, params: {}, requestedBy: 'U1', origin: 'command', dryRun: false, requiredApprovals: 1 }, T0).id;
}

describe('recommendations', () => {
  it('an opaque id per dedupe key, the same on a second call, read back whole; pruned by age', () => {
    const id = recommendationId(t.db, rec, T0);
    expect(isRecommendationId(id)).toBe(true);
    expect(recommendationId(t.db, rec, T0 + 1)).toBe(id);
    expect(recommendationId(t.db, { ...rec, dedupeKey: 'other' }, T0)).not.toBe(id);
    expect(getRecommendation(t.db, id)).toEqual({ ...rec, id, createdAt: T0 });
    for (const bad of ['', id.toUpperCase(), `${id}0`, "' OR 1=1 --"]) expect(getRecommendation(t.db, bad)).toBeNull();
    expect(pruneRecommendations(t.db, T0 + 1)).toBe(2);
    expect(getRecommendation(t.db, id)).toBeNull();
  });
});

describe('verifications', () => {
  it('due at a time, claimed once, finished once; released after a restart', () => {
    const id = request();
    insertFollowup(t.db, { requestId: id, channel: 'C1', view: { a: 1 } }, T0);
    expect(getFollowup(t.db, id)).toMatchObject({ verifyState: 'none', view: { a: 1 } });
    setFollowupBefore(t.db, id, { poolSize: 4 }, T0);
    expect(scheduleVerification(t.db, id, T0 + 30_000, T0)).toBe(true);
    expect(scheduleVerification(t.db, id, T0 + 60_000, T0)).toBe(false);
    expect(nextVerificationAt(t.db)).toBe(T0 + 30_000);
    expect(claimDueVerifications(t.db, T0 + 29_999)).toEqual([]);
    expect(claimDueVerifications(t.db, T0 + 30_000).map((f) => [f.requestId, f.verifyState, f.before])).toEqual([[id, 'running', { poolSize: 4 }]]);
    expect(claimDueVerifications(t.db, T0 + 30_000)).toEqual([]);
    // A restart while it ran: due again.
    expect(releaseRunningVerifications(t.db, T0 + 31_000)).toBe(1);
    expect(claimDueVerifications(t.db, T0 + 31_000)).toHaveLength(1);
    expect(finishVerification(t.db, id, { goalMet: true }, T0 + 32_000)).toBe(true);
    expect(finishVerification(t.db, id, { goalMet: false }, T0 + 33_000)).toBe(false);
    expect(getFollowup(t.db, id)).toMatchObject({ verifyState: 'done', verification: { goalMet: true } });
    expect(nextVerificationAt(t.db)).toBeNull();
  });
});
