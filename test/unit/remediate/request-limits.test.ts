// Requests cannot flood the approvers: a person and a runbook each get a number of requests per
// window (remediation.requestLimits), an identical request is collapsed into the one still
// waiting, and a group membership change reaches the cache of approver groups at once.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listAudit } from '../../../src/store/remediation.js';
import { makeTempDb, type TempDb } from './helpers.js';
import { slackText, CELERY_NAME, CHANNEL, type Harness, makeRemediation, remediationConfig, REQUESTER, SECOND, T0 } from './remediation-harness.js';

let t: TempDb;
beforeEach(() => {
  t = makeTempDb();
});
afterEach(() => t.close());

const MINUTE = 60_000;

/** A memory limit of (256 + n) MiB: a runnable request, different for every n. */
function ask(h: Harness, user: string, n: number) {
  return h.remediation.request({ user, runbookId: 'set-memory-limit', target: CELERY_NAME, rawParams: { limit: `${256 + n}MiB` }, channel: CHANNEL });
}

const approvalPosts = (h: Harness) => h.ops.filter((op) => op.op === 'post').length;

describe('request limits', () => {
  it('defect: requests were not rate-limited (20 /mem run pinged every approver 20 times): the sixth request of one person within the hour is refused and says when they may ask again', async () => {
    const h = makeRemediation(t.db, { config: remediationConfig({ requestLimits: { perUser: 5, perRunbook: 100, window: '1h' } }) });
    for (let i = 1; i <= 5; i++) {
      h.clock.now = T0 + i * MINUTE;
      expect(await ask(h, REQUESTER, i)).toMatchObject({ ok: true });
    }
    for (let i = 6; i <= 20; i++) expect(await ask(h, REQUESTER, i)).toMatchObject({ ok: false, code: 'request-limit' });
    expect(approvalPosts(h)).toBe(5);
    const refused = await ask(h, REQUESTER, 21);
    expect(slackText(refused)).toContain('You made 5 remediation requests in the last 1h (at most 5): you may request again at 2025-10-27T10:01:00.000Z');
    expect(listAudit(t.db, { limit: 1 })).toMatchObject([{ action: 'refused', outcome: 'request-limit', actor: REQUESTER }]);
    // Someone else may still ask, and so may the first person once the hour has moved on.
    expect(await ask(h, SECOND, 30)).toMatchObject({ ok: true });
    h.clock.now = T0 + 61 * MINUTE;
    expect(await ask(h, REQUESTER, 31)).toMatchObject({ ok: true });
  });

  it('per runbook: requests of one runbook by everyone together are limited too', async () => {
    const h = makeRemediation(t.db, { config: remediationConfig({ requestLimits: { perUser: 100, perRunbook: 3, window: '10m' } }) });
    for (const [i, user] of ['U0ONE0001', 'U0TWO0001', 'U0THREE01'].entries()) expect(await ask(h, user, i + 1)).toMatchObject({ ok: true });
    const refused = await ask(h, 'U0FOUR001', 4);
    expect(refused).toMatchObject({ ok: false, code: 'request-limit' });
    expect(slackText(refused)).toContain('Runbook "set-memory-limit" was requested 3 times in the last 10m (at most 3)');
  });

  it('defect: a repeated identical request asked the approvers again: it is collapsed into the one still waiting, whoever asks', async () => {
    const h = makeRemediation(t.db);
    const first = await ask(h, REQUESTER, 2);
    expect(first).toMatchObject({ ok: true });
    for (const user of [REQUESTER, SECOND]) {
      const again = await ask(h, user, 2);
      expect(again).toMatchObject({ ok: false, code: 'already-pending' });
      expect(slackText(again)).toContain('is already waiting for approval');
    }
    expect(approvalPosts(h)).toBe(1);
    // Different parameters are a different request; once the first is closed, the same may be asked again.
    expect(await ask(h, SECOND, 3)).toMatchObject({ ok: true });
    expect(await h.remediation.decide({ requestId: first.requestId ?? '', user: REQUESTER, decision: 'reject' })).toMatchObject({ ok: true });
    expect(await ask(h, SECOND, 2)).toMatchObject({ ok: true });
  });
});

describe('approver groups', () => {
  it('defect: cached group memberships were never invalidated: forgetGroups (a subteam_members_changed event) makes the next click ask Slack again', async () => {
    let member = true;
    const lookups: string[] = [];
    const h = makeRemediation(t.db, {
      groupsOf: (user) => {
        lookups.push(user);
        return Promise.resolve(member ? ['S0ONCALL'] : []);
      },
    });
    const grace = 'U0GRACE01';
    const one = await ask(h, REQUESTER, 1);
    const two = await ask(h, REQUESTER, 2);
    // A rejection by a group member needs the lookup; it is cached for the next click.
    expect(await h.remediation.decide({ requestId: one.requestId ?? '', user: grace, decision: 'reject' })).toMatchObject({ ok: true });
    expect(lookups).toEqual([grace]);
    // Grace leaves the on-call group; Slack says so.
    member = false;
    h.remediation.forgetGroups([grace]);
    h.clock.now = T0 + 1_000;
    expect(await h.remediation.decide({ requestId: two.requestId ?? '', user: grace, decision: 'approve' })).toMatchObject({ ok: false, code: 'not-approver' });
    expect(lookups).toEqual([grace, grace]);
    expect(h.fake.actions).toEqual([]);
  });
});
