// Property: whatever people click, in whatever order their Slack group lookups and the
// executor resolve (fast-check's scheduler picks the interleaving), a request runs at most once,
// only with enough eligible approvals, and always when enough eligible people approved and no
// one eligible said no.
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Decision } from '../../../src/model/remediation.js';
import { getRequest, listAudit } from '../../../src/store/remediation.js';
import type { RemediationRequest } from '../../../src/model/remediation.js';
import { executionRows, makeRunbook, makeService, makeTempDb, type TempDb } from './helpers.js';

const USERS = ['U_ALICE', 'U_BOB', 'U_CAROL', 'U_GRACE', 'U_MALLORY', 'U_REQ'] as const;
type User = (typeof USERS)[number];

let t: TempDb;
beforeEach(() => {
  t = makeTempDb();
});
afterEach(() => t.close());

describe('decide: exactly once, whatever the interleaving', () => {
  it('never runs twice, never without enough eligible approvals, and runs when it should', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.integer({ min: 1, max: 3 }),
        fc.constantFrom('low' as const, 'high' as const),
        fc.boolean(),
        fc.array(fc.record({ user: fc.constantFrom(...USERS), decision: fc.constantFrom<Decision>('approve', 'approve', 'reject') }), { minLength: 1, maxLength: 12 }),
        async (s, required, risk, allowSelfApproval, clicks) => {
          run++;
          // U_REQ is a listed approver too, so self-approval is decided by the policy, not by absence.
          const runbook = makeRunbook({
            risk,
            cooldownMs: 0,
            maxRunsPerHour: 1000,
            approval: { required, allowSelfApproval, approvers: { users: ['U_ALICE', 'U_BOB', 'U_CAROL', 'U_REQ'], groups: ['S_ONCALL'] } },
          });
          const executed: RemediationRequest[] = [];
          const h = makeService(t.db, [runbook], {
            groupsOf: s.scheduleFunction((user: string) => Promise.resolve(user === 'U_GRACE' ? ['S_ONCALL'] : [])),
            execute: s.scheduleFunction((request: RemediationRequest) => {
              executed.push(request);
              return Promise.resolve({ ok: true });
            }),
          });
          // A container of its own per run: an identical request still pending would be collapsed into.
          const target = { containerId: `${run}`.padStart(64, 'c'), name: `bizcard-worker-${run}` };
          const requested = h.service.request({ runbookId: runbook.id, target, targetAllowed: true, params: {}, requestedBy: 'U_REQ', origin: 'command' });
          if (!requested.ok) throw new Error(requested.reason);
          const id = requested.request.id;

          const outcomes = await s.waitFor(Promise.all(clicks.map((c) => h.service.decide(id, c.user, c.decision))));

          const canApproveUser = (u: User) => ['U_ALICE', 'U_BOB', 'U_CAROL', 'U_GRACE'].includes(u) || (u === 'U_REQ' && risk === 'low' && allowSelfApproval);
          const canRejectUser = (u: User) => u !== 'U_MALLORY';
          const stored = getRequest(t.db, id);
          const approvers = stored?.approvals.filter((a) => a.decision === 'approve').map((a) => a.user as User) ?? [];

          expect(executed.length).toBeLessThanOrEqual(1);
          expect(executionRows(t.db, id)).toBe(executed.length);
          expect(outcomes.filter((o) => o.ok && o.state === 'executed')).toHaveLength(executed.length);
          expect(listAudit(t.db, { requestId: id, limit: 1000 }).filter((e) => e.action === 'executing')).toHaveLength(executed.length);
          for (const o of outcomes) if (!o.ok) expect(o.reason.length).toBeGreaterThan(10);
          expect(approvers.every(canApproveUser)).toBe(true);
          expect(new Set(approvers).size).toBe(approvers.length);
          if (executed.length === 1) {
            expect(approvers).toHaveLength(required);
            expect(stored?.status).toBe('succeeded');
          }
          const eligibleApprovers = new Set(clicks.filter((c) => c.decision === 'approve' && canApproveUser(c.user)).map((c) => c.user));
          const eligibleRejection = clicks.some((c) => c.decision === 'reject' && canRejectUser(c.user));
          if (!eligibleRejection && eligibleApprovers.size >= required) expect(executed).toHaveLength(1);
          if (eligibleApprovers.size < required) expect(executed).toHaveLength(0);
        },
      ),
      { numRuns: 150 },
    );
  });
});
