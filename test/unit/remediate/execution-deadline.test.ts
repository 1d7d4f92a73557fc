// One deadline and one abort signal cover a whole approved execution (reading the target, measuring,
// the action, measuring again): once the runbook's timeout passed nothing starts, what was sent is
// named, and stop() waits for a running execution only as long as it may. Real timers with a 1 s
// runbook timeout; the fake Docker answers late or never on purpose.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getRequest, listAudit } from '../../../src/store/remediation.js';
import { CELERY_ID, fakeDocker, type FakeDockerOptions } from './fake-docker.js';
import { makeTempDb, type TempDb } from './helpers.js';
import { slackText, APPROVER, CELERY_NAME, CHANNEL, enabledRunbook, makeRemediation, REQUESTER } from './remediation-harness.js';

let t: TempDb;
beforeEach(() => {
  t = makeTempDb();
});
afterEach(() => t.close());

/** The shrink runbook with a 1 s timeout, a request for it, and the fake Docker's knobs. */
async function requested(options: FakeDockerOptions) {
  const fake = fakeDocker(options);
  const h = makeRemediation(t.db, { fake, runbooks: [enabledRunbook('lower-celery-concurrency', { timeoutMs: 1_000 })] });
  const asked = await h.remediation.request({ user: REQUESTER, runbookId: 'lower-celery-concurrency', target: CELERY_NAME, rawParams: { concurrency: '1' }, channel: CHANNEL });
  expect(asked).toMatchObject({ ok: true });
  return { h, id: asked.requestId ?? '' };
}

describe('one deadline for the whole execution', () => {
  it('defect: an execution went on after the timeout when reading the target was slow: now a target read delayed past the deadline runs nothing, ever', async () => {
    const options: FakeDockerOptions = {};
    const { h, id } = await requested(options);
    // Docker now answers 1.5 s late, past the runbook's 1 s timeout, and ignores the abort.
    options.inspectDelayMs = 1_500;
    const answer = await h.remediation.decide({ requestId: id, user: APPROVER, decision: 'approve' });
    expect(answer).toMatchObject({ ok: false, code: 'target-unreadable' });
    expect(slackText(answer)).toContain('nothing was run');
    // Well past the delay: the late answer started nothing.
    await sleep(3_000);
    expect(h.fake.actions).toEqual([]);
    expect(getRequest(t.db, id)).toMatchObject({ status: 'pending', approvals: [] });
    expect(listAudit(t.db, { requestId: id, limit: 1 })).toMatchObject([{ action: 'refused', outcome: 'target-unreadable' }]);
  }, 15_000);

  it('defect: a timed-out execution was stored without saying what was sent: an exec that hangs past the deadline is reported as "may have taken effect: <the argv>"', async () => {
    const { h, id } = await requested({ hangExec: true });
    const answer = await h.remediation.decide({ requestId: id, user: APPROVER, decision: 'approve' });
    expect(answer).toMatchObject({ ok: true });
    const request = getRequest(t.db, id);
    expect(request?.status).toBe('failed');
    expect(request?.statusDetail).toBe(
      `timed out after 1s: may have taken effect: exec in ${CELERY_NAME}: celery -A mwtest control pool_shrink 3 -d worker@mwtest -j -t 1 — verify before retrying`,
    );
    expect(h.fake.actions).toHaveLength(1);
    const audit = listAudit(t.db, { requestId: id, limit: 1 })[0];
    expect(audit).toMatchObject({ action: 'failed', detail: request?.statusDetail });
    // Its thread says so, and a verification is due: it may have changed something.
    const result = h.ops.find((op) => op.op === 'reply' && op.message.text.includes('timed-out'));
    expect(result?.message.text).toContain('may have taken effect');
    expect(h.scheduled).toHaveLength(1);
  }, 15_000);

  it('defect: stop() did not wait for an execution the approval service had given up on: stop waits (bounded), then aborts it, and it is recorded, not left running', async () => {
    const { h, id } = await requested({ hangExec: true });
    const running = h.remediation.decide({ requestId: id, user: APPROVER, decision: 'approve' });
    // The exec has been sent and hangs.
    for (let i = 0; i < 100 && h.fake.actions.length === 0; i++) await sleep(10);
    expect(h.fake.actions).toHaveLength(1);
    const t0 = Date.now();
    await h.remediation.stop(300);
    expect(Date.now() - t0).toBeLessThan(1_000);
    await running;
    expect(getRequest(t.db, id)).toMatchObject({
      status: 'failed',
      statusDetail: `memwarden is shutting down: may have taken effect: exec in ${CELERY_NAME}: celery -A mwtest control pool_shrink 3 -d worker@mwtest -j -t 1 — verify before retrying`,
    });
    expect(h.fake.actions).toHaveLength(1);
  }, 15_000);
});

describe('who may decide is checked before Docker is asked', () => {
  it('defect: a click by a non-approver cost three Docker calls before it was refused: now none', async () => {
    const { h, id } = await requested({});
    const before = [...h.fake.calls];
    const answer = await h.remediation.decide({ requestId: id, user: 'U0MALLORY', decision: 'approve' });
    expect(answer).toMatchObject({ ok: false, code: 'not-approver' });
    expect(h.fake.calls).toEqual(before);
  });

  it('the approval that completes a request reads the target once before the action and once after it', async () => {
    const { h, id } = await requested({});
    const before = h.fake.calls.length;
    await h.remediation.decide({ requestId: id, user: APPROVER, decision: 'approve' });
    const during = h.fake.calls.slice(before).filter((call) => call.startsWith('inspect'));
    // The approval's read (the plan and the figures before), then the measurement after the run.
    expect(during).toEqual([`inspect ${CELERY_ID}`, `inspect ${CELERY_ID}`]);
  });
});
