// The approval service over a real SQLite file: every refusal runs nothing and changes nothing,
// the last approval runs the remediation exactly once, and the audit log tells the whole story.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { plainMentions } from '../../../src/format/mentions.js';
import { type DecideOutcome, EXECUTOR_GRACE_MS, type RemediationRequestInput } from '../../../src/remediate/approval-service.js';
import { DeadlineExceeded, type ExecutionBudget } from '../../../src/remediate/execution-budget.js';
import type { PolicyRunbook } from '../../../src/remediate/policy.js';
import type { Database } from '../../../src/store/database.js';
import { getRequest, listAudit, recentRuns } from '../../../src/store/remediation.js';
import type { RemediationRequest } from '../../../src/model/remediation.js';
import { executionRows, type Harness, makeRunbook, makeService, makeTempDb, MINUTE, SHA, T0, type TempDb, WORKER } from './helpers.js';

let t: TempDb;
beforeEach(() => {
  t = makeTempDb();
});
afterEach(() => t.close());

function input(overrides: Partial<RemediationRequestInput> = {}): RemediationRequestInput {
  const target = overrides.target ?? WORKER;
  // The allowlist of these tests: containers named bizcard-*.
  return { runbookId: 'celery-lower-concurrency', target, targetAllowed: target.name.startsWith('bizcard-'), params: { concurrency: 4 }, requestedBy: 'U_REQ', origin: 'fp-0123', ...overrides };
}

function requestOk(h: Harness, overrides: Partial<RemediationRequestInput> = {}): RemediationRequest {
  const outcome = h.service.request(input(overrides));
  if (!outcome.ok) throw new Error(`request refused: ${outcome.reason}`);
  return outcome.request;
}

/** Runs `act`, then checks it was refused with `code`, that nothing ran and nothing changed, and that the refusal was audited. */
async function expectRefusal(db: Database, h: Harness, code: string, act: () => DecideOutcome | Promise<DecideOutcome> | ReturnType<Harness['service']['request']>, requestId?: string) {
  const before = requestId === undefined ? null : getRequest(db, requestId);
  const executionsBefore = executionRows(db);
  const ranBefore = h.executed.length;
  const outcome = await act();
  expect(outcome).toMatchObject({ ok: false, code });
  const reason = outcome.ok ? '' : outcome.reason;
  expect(reason.length).toBeGreaterThan(20);
  expect(h.executed).toHaveLength(ranBefore);
  expect(executionRows(db)).toBe(executionsBefore);
  if (requestId !== undefined) expect(getRequest(db, requestId)).toEqual(before);
  // The audit has the reason as plain text: mention tokens read "@U0123ABCD".
  expect(listAudit(db, { limit: 1 })).toMatchObject([{ action: 'refused', outcome: code, detail: expect.stringContaining(plainMentions(reason)) }]);
  return reason;
}

describe('approving a remediation', () => {
  it('runs it once on enough approvals and audits who, when, what, where and how it went', async () => {
    const h = makeService(t.db);
    const request = requestOk(h);
    h.clock.now = T0 + 2 * MINUTE;
    const outcome = await h.service.decide(request.id, 'U_ALICE', 'approve');
    expect(outcome).toMatchObject({ ok: true, state: 'executed', outcome: 'succeeded', request: { status: 'succeeded' }, report: { summary: 'pool lowered from 8 to 4' } });
    expect(h.executed).toHaveLength(1);
    // The executor gets the request as stored, not anything from the click.
    expect(h.executed[0]).toMatchObject({ id: request.id, target: WORKER, params: { concurrency: 4 }, runbookSha256: SHA, dryRun: false });

    const audit = listAudit(t.db).reverse();
    expect(audit.map((e) => [e.action, e.actor, e.at])).toEqual([
      ['requested', 'U_REQ', T0],
      ['approved', 'U_ALICE', T0 + 2 * MINUTE],
      ['executing', 'memwarden', T0 + 2 * MINUTE],
      ['succeeded', 'memwarden', T0 + 2 * MINUTE],
    ]);
    for (const entry of audit) {
      expect(entry).toMatchObject({ requestId: request.id, runbookId: 'celery-lower-concurrency', runbookSha256: SHA, target: WORKER.name, targetContainerId: WORKER.containerId, params: { concurrency: 4 } });
    }
    expect(audit[2]?.detail).toBe('started; approved by U_ALICE');
    expect(audit[3]).toMatchObject({ outcome: 'succeeded', beforeBytes: 2_760_000_000, afterBytes: 1_380_000_000, detail: 'pool lowered from 8 to 4' });
  });

  it('waits for the required number of distinct approvers, counting approver-group members', async () => {
    const h = makeService(t.db, [makeRunbook({ approval: { required: 2 } })]);
    const request = requestOk(h);
    expect(await h.service.decide(request.id, 'U_GRACE', 'approve')).toMatchObject({ ok: true, state: 'waiting', approvals: 1, required: 2 });
    expect(h.executed).toHaveLength(0);
    await expectRefusal(t.db, h, 'already-decided', () => h.service.decide(request.id, 'U_GRACE', 'approve'), request.id);
    expect(await h.service.decide(request.id, 'U_BOB', 'approve')).toMatchObject({ ok: true, state: 'executed', outcome: 'succeeded' });
    expect(h.executed).toHaveLength(1);
    // U_BOB is listed by id: no group lookup. U_GRACE's second click used the cache.
    expect(h.groupLookups).toEqual(['U_GRACE']);
  });

  it('caches group lookups for a minute (a membership change Slack tells about is forgotten at once)', async () => {
    const h = makeService(t.db, [makeRunbook({ cooldownMs: 0, maxRunsPerHour: 100 })]);
    await h.service.decide(requestOk(h).id, 'U_GRACE', 'approve');
    h.clock.now = T0 + MINUTE - 1;
    await h.service.decide(requestOk(h).id, 'U_GRACE', 'approve');
    expect(h.groupLookups).toEqual(['U_GRACE']);
    h.clock.now = T0 + MINUTE;
    await h.service.decide(requestOk(h).id, 'U_GRACE', 'approve');
    expect(h.groupLookups).toEqual(['U_GRACE', 'U_GRACE']);
    expect(h.executed).toHaveLength(3);
  });

  it('lets an approver reject and the requester withdraw; nothing runs after that', async () => {
    const h = makeService(t.db, [makeRunbook({ approval: { required: 2 } })]);
    const first = requestOk(h);
    await h.service.decide(first.id, 'U_ALICE', 'approve');
    expect(await h.service.decide(first.id, 'U_BOB', 'reject')).toMatchObject({ ok: true, state: 'rejected', request: { status: 'rejected' } });
    await expectRefusal(t.db, h, 'not-pending', () => h.service.decide(first.id, 'U_CAROL', 'approve'), first.id);

    const second = requestOk(h);
    expect(await h.service.decide(second.id, 'U_REQ', 'reject')).toMatchObject({ ok: true, state: 'rejected' });
    expect(h.executed).toHaveLength(0);
    expect(listAudit(t.db).filter((e) => e.action === 'rejected').map((e) => e.actor)).toEqual(['U_REQ', 'U_BOB']);
  });

  it('records a failed run, from an executor that throws or reports failure, and never retries it', async () => {
    const h = makeService(t.db, [makeRunbook({ cooldownMs: 0 })], { execute: () => Promise.reject(new Error('container bizcard-celery-worker is gone')) });
    const request = requestOk(h);
    const outcome = await h.service.decide(request.id, 'U_ALICE', 'approve');
    expect(outcome).toMatchObject({ ok: true, state: 'executed', outcome: 'failed', request: { status: 'failed' }, report: { ok: false, summary: 'the executor failed: container bizcard-celery-worker is gone' } });
    expect(listAudit(t.db, { limit: 1 })).toMatchObject([{ action: 'failed', outcome: 'failed', detail: 'the executor failed: container bizcard-celery-worker is gone' }]);
    expect(h.logger.lines.some((l) => l.level === 'error' && l.msg === 'Remediation executor failed')).toBe(true);
    await expectRefusal(t.db, h, 'not-pending', () => h.service.decide(request.id, 'U_BOB', 'approve'), request.id);
    expect(executionRows(t.db)).toBe(1);

    const reported = makeService(t.db, [makeRunbook({ id: 'restart-worker' })], { execute: () => Promise.resolve({ ok: false, summary: 'docker said no' }) });
    const other = requestOk(reported, { runbookId: 'restart-worker' });
    expect(await reported.service.decide(other.id, 'U_ALICE', 'approve')).toMatchObject({ outcome: 'failed', request: { status: 'failed', statusDetail: 'docker said no' } });
  });

  it('takes memory before and after from the executors\' observations when given no byte fields', async () => {
    const h = makeService(t.db, undefined, {
      execute: () => Promise.resolve({ ok: true, summary: 'restarted', before: { memoryUsageBytes: 3_000_000_000 }, after: { memoryUsageBytes: 900_000_000.4 } }),
    });
    await h.service.decide(requestOk(h).id, 'U_ALICE', 'approve');
    expect(listAudit(t.db, { limit: 1 })).toMatchObject([{ action: 'succeeded', beforeBytes: 3_000_000_000, afterBytes: 900_000_000, detail: 'restarted' }]);
  });

  it('stops waiting for an executor after its timeout and says what may have taken effect, or that nothing was run', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      // Sent, then no answer: what was sent may have taken effect.
      const h = makeService(t.db, [makeRunbook({ timeoutMs: 30_000 })], {
        execute: (_request, _runbook, { budget }) => {
          budget.markSent('POST /containers/c0ffee/restart?t=10');
          return new Promise(() => undefined);
        },
      });
      const request = requestOk(h);
      const pending = h.service.decide(request.id, 'U_ALICE', 'approve');
      await vi.advanceTimersByTimeAsync(30_000 + EXECUTOR_GRACE_MS);
      expect(await pending).toMatchObject({
        outcome: 'failed',
        report: { status: 'timed-out', summary: 'no result within 30s: may have taken effect: POST /containers/c0ffee/restart?t=10 — verify before retrying' },
      });
      expect(getRequest(t.db, request.id)?.status).toBe('failed');

      // Stuck before sending anything: nothing was run, and nothing can be sent any more.
      let budgetSeen: ExecutionBudget | null = null;
      const stuck = makeService(t.db, [makeRunbook({ id: 'restart-worker', timeoutMs: 30_000 })], {
        execute: (_request, _runbook, { budget }) => {
          budgetSeen = budget;
          return new Promise(() => undefined);
        },
      });
      const other = requestOk(stuck, { runbookId: 'restart-worker' });
      const cut = stuck.service.decide(other.id, 'U_ALICE', 'approve');
      await vi.advanceTimersByTimeAsync(30_000 + EXECUTOR_GRACE_MS);
      expect(await cut).toMatchObject({ outcome: 'failed', report: { summary: 'no result within 30s before anything was sent to the target: nothing was run' } });
      expect(() => (budgetSeen as ExecutionBudget | null)?.markSent('too late')).toThrow(DeadlineExceeded);
    } finally {
      vi.useRealTimers();
    }
  });

  it('runs a dry run without counting it towards the cooldown', async () => {
    const h = makeService(t.db);
    const request = requestOk(h, { dryRun: true });
    expect(await h.service.decide(request.id, 'U_ALICE', 'approve')).toMatchObject({ outcome: 'succeeded' });
    expect(h.executed[0]?.dryRun).toBe(true);
    expect(recentRuns(t.db, 'celery-lower-concurrency', WORKER.name, 0)).toEqual([]);
    expect(h.service.request(input())).toMatchObject({ ok: true });
  });
});

describe('every refusal runs nothing and changes nothing', () => {
  it('an approver who is not in the policy', async () => {
    const h = makeService(t.db);
    const request = requestOk(h);
    const reason = await expectRefusal(t.db, h, 'not-approver', () => h.service.decide(request.id, 'U_MALLORY', 'approve'), request.id);
    expect(reason).toContain('You are not an approver of runbook "celery-lower-concurrency"');
    expect(h.groupLookups).toEqual(['U_MALLORY']);
    await expectRefusal(t.db, h, 'not-approver', () => h.service.decide(request.id, 'U_MALLORY', 'reject'), request.id);
  });

  it('the requester approving their own high-risk request, even when self-approval is allowed', async () => {
    const h = makeService(t.db, [makeRunbook({ risk: 'high', approval: { allowSelfApproval: true } })]);
    const request = requestOk(h, { requestedBy: 'U_ALICE' });
    const reason = await expectRefusal(t.db, h, 'self-approval', () => h.service.decide(request.id, 'U_ALICE', 'approve'), request.id);
    expect(reason).toBe('You requested this high-risk remediation, so you cannot approve it yourself: another approver must.');
    // Someone else still can.
    expect(await h.service.decide(request.id, 'U_BOB', 'approve')).toMatchObject({ state: 'executed' });
  });

  it('the requester approving their own request when the runbook does not allow it', async () => {
    const h = makeService(t.db);
    const request = requestOk(h, { requestedBy: 'U_ALICE' });
    await expectRefusal(t.db, h, 'self-approval', () => h.service.decide(request.id, 'U_ALICE', 'approve'), request.id);
  });

  it('an expired request, before and after expire() closed it', async () => {
    const h = makeService(t.db);
    const request = requestOk(h);
    h.clock.now = T0 + 15 * MINUTE;
    const reason = await expectRefusal(t.db, h, 'expired', () => h.service.decide(request.id, 'U_ALICE', 'approve'), request.id);
    expect(reason).toBe('This request expired at 2025-10-27T09:15:00.000Z: request it again if it is still needed.');
    expect(h.service.expire().map((r) => r.id)).toEqual([request.id]);
    expect(await expectRefusal(t.db, h, 'not-pending', () => h.service.decide(request.id, 'U_ALICE', 'approve'), request.id)).toBe(
      'This request is already expired: nothing was changed.',
    );
  });

  it('a second click, by the same approver or another, after it ran', async () => {
    const h = makeService(t.db);
    const request = requestOk(h);
    await h.service.decide(request.id, 'U_ALICE', 'approve');
    expect(await expectRefusal(t.db, h, 'already-decided', () => h.service.decide(request.id, 'U_ALICE', 'approve'), request.id)).toBe('You already approved this request.');
    expect(await expectRefusal(t.db, h, 'not-pending', () => h.service.decide(request.id, 'U_BOB', 'approve'), request.id)).toBe(
      'This request is already done (it succeeded): nothing was changed.',
    );
    expect(h.executed).toHaveLength(1);
  });

  it('a forged request id, an altered one, and garbage', async () => {
    const h = makeService(t.db);
    const request = requestOk(h);
    const altered = `${request.id.slice(0, -1)}${request.id.endsWith('a') ? 'b' : 'a'}`;
    for (const id of ['0123456789abcdef0123456789abcdef', altered, request.id.toUpperCase(), `${request.id}|bizcard-web`, 'x\u0000\u001b[31m'.repeat(40)]) {
      const reason = await expectRefusal(t.db, h, 'unknown-request', () => h.service.decide(id, 'U_ALICE', 'approve'), request.id);
      expect(reason).toContain('This remediation request does not exist');
      const [entry] = listAudit(t.db, { limit: 1 });
      expect(entry).toMatchObject({ requestId: null, actor: 'U_ALICE' });
      // eslint-disable-next-line no-control-regex -- checking that none got through
      expect(entry?.detail).not.toMatch(/[\u0000-\u001f]/);
      expect(entry?.detail?.length).toBeLessThan(300);
    }
    expect(getRequest(t.db, request.id)?.status).toBe('pending');
  });

  it('remediation switched off: no request, no approval; a rejection still works', async () => {
    const h = makeService(t.db);
    const request = requestOk(h);
    h.service.setSwitch(false, 'U_ADMIN');
    await expectRefusal(t.db, h, 'remediation-off', () => h.service.request(input()));
    const reason = await expectRefusal(t.db, h, 'remediation-off', () => h.service.decide(request.id, 'U_ALICE', 'approve'), request.id);
    expect(reason).toContain('switched off');
    expect(await h.service.decide(request.id, 'U_BOB', 'reject')).toMatchObject({ state: 'rejected' });
    h.service.setSwitch(true, 'U_ADMIN');
    expect(h.service.request(input())).toMatchObject({ ok: true });
  });

  it('the cooldown, at request time and again at the last approval', async () => {
    const h = makeService(t.db);
    const early = requestOk(h);
    const second = requestOk(h, { params: { concurrency: 3 } }); // made before the first ran: the approval re-checks
    h.clock.now = T0 + MINUTE;
    await h.service.decide(early.id, 'U_ALICE', 'approve');
    h.clock.now = T0 + 11 * MINUTE;
    const reason = await expectRefusal(t.db, h, 'cooldown', () => h.service.request(input()));
    expect(reason).toContain('may run again at 2025-10-27T09:31:00.000Z (in 20m)');
    const atApproval = await expectRefusal(t.db, h, 'cooldown', () => h.service.decide(second.id, 'U_BOB', 'approve'), second.id);
    expect(atApproval).toContain('Your approval was not recorded.');
    h.clock.now = T0 + 31 * MINUTE;
    expect(h.service.request(input())).toMatchObject({ ok: true });
  });

  it('more than maxRunsPerHour', async () => {
    const h = makeService(t.db, [makeRunbook({ cooldownMs: 0, maxRunsPerHour: 2 })]);
    for (const minute of [0, 10]) {
      h.clock.now = T0 + minute * MINUTE;
      await h.service.decide(requestOk(h).id, 'U_ALICE', 'approve');
    }
    h.clock.now = T0 + 20 * MINUTE;
    const reason = await expectRefusal(t.db, h, 'rate-limit', () => h.service.request(input()));
    expect(reason).toContain('already ran 2 times on bizcard-celery-worker in the last hour (at most 2); it may run again at 2025-10-27T10:00:00.000Z');
    expect(h.executed).toHaveLength(2);
  });

  it('a target outside the allowlist, an unknown runbook, and a runbook unloaded since the request', async () => {
    const h = makeService(t.db);
    await expectRefusal(t.db, h, 'target-not-allowed', () => h.service.request(input({ target: { containerId: 'f'.repeat(64), name: 'postgres' } })));
    await expectRefusal(t.db, h, 'unknown-runbook', () => h.service.request(input({ runbookId: 'rm-rf' })));
    const request = requestOk(h);
    const later = makeService(t.db, []);
    await expectRefusal(t.db, later, 'unknown-runbook', () => later.service.decide(request.id, 'U_ALICE', 'approve'), request.id);
  });

  it('a runbook file that changed or was disabled since the request', async () => {
    const h = makeService(t.db);
    const request = requestOk(h);
    const changed = makeService(t.db, [makeRunbook({ sha256: 'b'.repeat(64) })]);
    await expectRefusal(t.db, changed, 'runbook-changed', () => changed.service.decide(request.id, 'U_ALICE', 'approve'), request.id);
    const disabled = makeService(t.db, [makeRunbook({ enabled: false })]);
    await expectRefusal(t.db, disabled, 'runbook-disabled', () => disabled.service.decide(request.id, 'U_ALICE', 'approve'), request.id);
  });

  it('dry-run-only mode: a real request cannot be approved, and new requests are dry runs', async () => {
    const real = requestOk(makeService(t.db));
    const h = makeService(t.db, undefined, { dryRunOnly: true });
    await expectRefusal(t.db, h, 'dry-run-only', () => h.service.decide(real.id, 'U_ALICE', 'approve'), real.id);
    const dry = requestOk(h);
    expect(dry.dryRun).toBe(true);
    expect(await h.service.decide(dry.id, 'U_ALICE', 'approve')).toMatchObject({ state: 'executed' });
    expect(h.executed.map((r) => r.dryRun)).toEqual([true]);
  });

  it('a Slack group lookup that fails', async () => {
    const h = makeService(t.db, undefined, { groupsOf: () => Promise.reject(new Error('ratelimited')) });
    const request = requestOk(h);
    await expectRefusal(t.db, h, 'groups-unavailable', () => h.service.decide(request.id, 'U_GRACE', 'approve'), request.id);
    expect(h.logger.lines).toContainEqual(expect.objectContaining({ level: 'warn', msg: 'Slack user-group lookup failed' }));
    // Listed approvers need no lookup.
    expect(await h.service.decide(request.id, 'U_ALICE', 'approve')).toMatchObject({ state: 'executed' });
  });
});

describe('exactly once under concurrency', () => {
  /** A service whose group lookups and executor yield to the event loop a varying number of
   *  times, so the clicks interleave at every await; `executed` still records each run. */
  function racingService(runbook: PolicyRunbook): Harness {
    let calls = 0;
    const h: Harness = makeService(t.db, [runbook], {
      groupsOf: async (user) => {
        for (let i = 0; i < (calls++ * 7) % 5; i++) await nextTurn();
        return user.startsWith('U_G') ? ['S_ONCALL'] : [];
      },
      execute: async (request) => {
        h.executed.push(request);
        for (let i = 0; i < 3; i++) await nextTurn();
        return { ok: true };
      },
    });
    return h;
  }

  for (const required of [1, 3]) {
    it(`runs once when 40 approvers click at the same time (${required} required)`, async () => {
      const h = racingService(makeRunbook({ approval: { required } }));
      const request = requestOk(h);
      const users = ['U_ALICE', 'U_BOB', 'U_CAROL', ...Array.from({ length: 37 }, (_, i) => `U_G${i}`)];
      const outcomes = await Promise.all(users.map((user) => h.service.decide(request.id, user, 'approve')));
      expect(outcomes.filter((o) => o.ok && o.state === 'executed')).toHaveLength(1);
      expect(outcomes.filter((o) => o.ok && o.state === 'waiting')).toHaveLength(required - 1);
      const refused = outcomes.filter((o) => !o.ok);
      expect(refused).toHaveLength(users.length - required);
      for (const o of refused) {
        expect(o).toMatchObject({ code: 'not-pending', reason: expect.stringMatching(/^This request is already (approved|running|done \(it succeeded\)): nothing was changed\.$/) });
      }
      expect(h.executed).toHaveLength(1);
      expect(executionRows(t.db, request.id)).toBe(1);
      expect(getRequest(t.db, request.id)?.approvals.filter((a) => a.decision === 'approve')).toHaveLength(required);
      expect(listAudit(t.db, { requestId: request.id, limit: 1000 }).filter((e) => e.action === 'executing')).toHaveLength(1);
    });
  }

  it('runs once when one approver double-clicks twenty times', async () => {
    const h = racingService(makeRunbook());
    const request = requestOk(h);
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => h.service.decide(request.id, 'U_GRACE', 'approve')));
    expect(outcomes.filter((o) => o.ok)).toHaveLength(1);
    expect(outcomes.filter((o) => !o.ok).map((o) => !o.ok && o.code)).toEqual(Array.from({ length: 19 }, () => 'already-decided'));
    expect(h.executed).toHaveLength(1);
  });
});
