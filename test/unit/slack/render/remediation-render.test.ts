// The remediation renderers: golden files pin the approval request (low and high risk, pending and
// done), the thread replies, the alert follow-up, `/mem runbooks` and `/mem audit` (regenerate
// with UPDATE_GOLDEN=1 and review the diff); every message, also built from hostile input, passes
// checkBlockKitLimits and never lets outside text mention anyone.
import { describe, expect, it } from 'vitest';
import { mentionGroup, mentionUser } from '../../../../src/format/mentions.js';
import type { RunbookSummary } from '../../../../src/remediate/remediation.js';
import { evaluateVerification, type Measurement } from '../../../../src/remediate/verification.js';
import { ACTION, BLOCK } from '../../../../src/slack/ids.js';
import type { SlackMessage } from '../../../../src/slack/render/block-kit-limits.js';
import { renderAuditLog, renderRunbooks } from '../../../../src/slack/render/command-remediation.js';
import type { ApprovalState, ApprovalView, ResultView } from '../../../../src/remediate/remediation-views.js';
import { renderAlertFollowup, renderApprovalRequest, renderDecisionAnswer, renderRemediationRefused, renderRemediationResult, renderRemediationStarted, renderRequestAccepted, renderVerification } from './rendered-notices.js';
import type { AuditEntry } from '../../../../src/model/remediation.js';
import { expectConsoleGolden, expectGolden, expectWithinLimits } from './render-kit.js';
import { alertFollowupNotice, approvalRequestNotice, remediationResultNotice, remediationStartedNotice, verificationNotice } from '../../../../src/remediate/remediation-notices.js';

const T0 = Date.parse('2025-10-27T09:00:00.000Z');
const MiB = 1024 * 1024;
const ID = '3f2a9c0d1e4b5a6978877665544332211'.slice(0, 32);
const SHA = 'a3f1'.repeat(16);

function shrinkView(overrides: Partial<ApprovalView> = {}): ApprovalView {
  return {
    requestId: ID,
    runbook: {
      id: 'lower-celery-concurrency',
      title: "Lower a Celery worker's concurrency",
      description: 'Shrinks the worker\'s prefork pool to `concurrency` children without a restart.',
      file: 'commands/lower-celery-concurrency.yml',
      sha256: SHA,
      risk: 'low',
    },
    target: { name: 'bizcard-celery-worker', containerId: 'c0ffee'.repeat(10) + 'abcd' },
    params: [{ name: 'concurrency', value: '2' }],
    requestedBy: 'U0ALICE01',
    requestedAt: T0,
    expiresAt: T0 + 15 * 60_000,
    approvers: { users: ['U0BOB0001', 'U0CAROL01'], groups: ['S0ONCALL', '@platform'] },
    required: 1,
    allowSelfApproval: false,
    dryRun: false,
    plan: {
      action: 'exec in bizcard-celery-worker: celery -A proj control pool_shrink 6 -d celery@bizcard-worker-1 -j -t 10',
      summary: "shrink celery@bizcard-worker-1's pool from 8 to 2 children: celery -A proj control pool_shrink 6 -d celery@bizcard-worker-1 -j -t 10 (in bizcard-celery-worker)",
      notes: ['A live shrink is lost when the worker restarts: its command line says --concurrency=8. Make it persistent: celery -A proj worker --concurrency=2'],
    },
    current: { memoryUsageBytes: 2760 * MiB, memoryLimitBytes: 3072 * MiB, poolSize: 8 },
    expected: { title: 'Lower the Celery concurrency of celery@bizcard-worker-1 from 8 to 2', estimatedSavingsBytes: 1380 * MiB, fingerprint: '0123456789abcdef' },
    verify: { afterMs: 30_000, metric: 'pool-size', goal: 'pool size of 2 children' },
    timeoutMs: 60_000,
    ...overrides,
  };
}

function restartView(): ApprovalView {
  return shrinkView({
    runbook: { id: 'restart-celery-worker', title: 'Restart a Celery worker container', description: 'Restarts the container: Docker sends SIGTERM, waits `grace`, then SIGKILLs.', file: 'commands/restart-celery-worker.yml', sha256: SHA, risk: 'high' },
    params: [{ name: 'grace', value: '30s' }],
    plan: { action: 'POST /containers/c0ffee/restart?t=30', summary: 'restart bizcard-celery-worker (using 2.7 GiB): POST /containers/c0ffee/restart?t=30', notes: ['Tasks still running 30s after SIGTERM are killed and lost, unless they are acked late (task_acks_late).'] },
    expected: null,
    verify: { afterMs: 60_000, metric: 'group-pss', goal: 'process group PSS decreases' },
    timeoutMs: 180_000,
  });
}

const pending: ApprovalState = { status: 'pending', approvals: [], detail: null };

function measurement(at: number, usage: number, pss: number, pool: number): Measurement {
  return { at, running: true, containerUsageBytes: usage, groupPssBytes: pss, poolSize: pool };
}

const before = measurement(T0 + 60_000, 2760 * MiB, 2500 * MiB, 8);
const after = measurement(T0 + 95_000, 1400 * MiB, 1180 * MiB, 2);

const result: ResultView = {
  status: 'applied',
  summary: "shrank celery@bizcard-worker-1's pool from 8 to 2 children",
  output: '[{"celery@bizcard-worker-1": {"ok": "pool will shrink"}}]',
  notes: ['A live shrink is lost when the worker restarts.'],
  action: 'exec in bizcard-celery-worker: celery -A proj control pool_shrink 6 -d celery@bizcard-worker-1 -j -t 10',
  before,
  after: measurement(T0 + 64_000, 2100 * MiB, 1900 * MiB, 2),
  durationMs: 3_400,
  verifyAt: T0 + 94_000,
};

describe('golden remediation messages', () => {
  it('the approval request from an alert, pending: what, where, parameters, expected effect, risk, approvers, expiry, the dry run', () => {
    const message = renderApprovalRequest(shrinkView(), pending);
    expectWithinLimits(message);
    expectGolden('remediation-approval-pending', message);
    expectConsoleGolden('remediation-approval-pending', { approval: approvalRequestNotice(shrinkView(), pending) });
    const actions = message.blocks.find((b) => b.type === 'actions') as { block_id: string; elements: { action_id: string; value: string; confirm?: unknown }[] };
    expect(actions.block_id).toBe(BLOCK.approvalActions);
    expect(actions.elements.map((e) => [e.action_id, e.value])).toEqual([
      [ACTION.approveRemediation, ID],
      [ACTION.rejectRemediation, ID],
    ]);
    // Low risk: no confirm dialog.
    expect(actions.elements[0]?.confirm).toBeUndefined();
  });

  it('a high-risk request asks for confirmation on Approve', () => {
    const message = renderApprovalRequest(restartView(), pending);
    expectWithinLimits(message);
    expectGolden('remediation-approval-high-risk', message);
    expectConsoleGolden('remediation-approval-high-risk', { approval: approvalRequestNotice(restartView(), pending) });
  });

  it('the same message once done: no buttons, who approved, the result', () => {
    const message = renderApprovalRequest(shrinkView(), { status: 'succeeded', approvals: [{ user: 'U0BOB0001', decision: 'approve', at: T0 + 60_000 }], detail: result.summary });
    expectWithinLimits(message);
    expect(message.blocks.some((b) => b.type === 'actions')).toBe(false);
    expectGolden('remediation-approval-succeeded', message);
  });

  it('the thread: started, result, verification; and the alert follow-up', () => {
    const started = renderRemediationStarted(shrinkView(), ['U0BOB0001']);
    const done = renderRemediationResult(shrinkView(), result);
    const verification = evaluateVerification({ afterMs: 30_000, metric: 'pool-size', expect: { type: 'pool-size-equals-param', param: 'concurrency' } }, { concurrency: 2 }, before, after);
    const verified = renderVerification(shrinkView(), verification);
    const followup = renderAlertFollowup(shrinkView(), ['U0BOB0001'], result, verification);
    expectWithinLimits(started, done, verified, followup);
    expectGolden('remediation-thread', { started, done, verified, followup });
    expectConsoleGolden('remediation-thread', {
      started: remediationStartedNotice(shrinkView(), ['U0BOB0001']),
      done: remediationResultNotice(shrinkView(), result),
      verified: verificationNotice(shrinkView(), verification),
      followup: alertFollowupNotice(shrinkView(), ['U0BOB0001'], result, verification),
    });
    expect(verified.text).toBe("memwarden: verified Lower a Celery worker's concurrency on bizcard-celery-worker: pool size 8 children → 2 children: goal met (pool size of 2 children)");
  });

  it('/mem runbooks and /mem audit', () => {
    const runbooks: RunbookSummary[] = [
      { id: 'lower-celery-concurrency', title: "Lower a Celery worker's concurrency", kind: 'celery.pool-shrink', risk: 'low', enabled: true, approvers: { users: ['U0BOB0001'], groups: ['S0ONCALL'] }, required: 1, allowSelfApproval: false, params: [{ name: 'concurrency', describe: 'integer 1–64' }], file: 'commands/lower-celery-concurrency.yml', sha256: SHA },
      { id: 'restart-celery-worker', title: 'Restart a Celery worker container', kind: 'docker.restart', risk: 'high', enabled: false, approvers: { users: [], groups: [] }, required: 1, allowSelfApproval: false, params: [{ name: 'grace', describe: 'duration 1s–120s (default 30s)' }], file: 'commands/restart-celery-worker.yml', sha256: SHA },
    ];
    const entry = (id: number, action: AuditEntry['action'], actor: string, extra: Partial<AuditEntry> = {}): AuditEntry => ({
      id,
      at: T0 + id * 1000,
      actor,
      action,
      requestId: ID,
      runbookId: 'lower-celery-concurrency',
      runbookSha256: SHA,
      target: 'bizcard-celery-worker',
      targetContainerId: 'c0ffee',
      params: { concurrency: 2 },
      outcome: null,
      beforeBytes: null,
      afterBytes: null,
      detail: null,
      ...extra,
    });
    const audit = [
      entry(4, 'succeeded', 'memwarden', { outcome: 'succeeded', beforeBytes: 2760 * MiB, afterBytes: 2100 * MiB, detail: result.summary }),
      entry(3, 'executing', 'memwarden', { detail: 'started; approved by U0BOB0001' }),
      entry(2, 'approved', 'U0BOB0001', { detail: 'approval 1 of 1: approved' }),
      entry(1, 'requested', 'U0ALICE01', { detail: 'needs 1 approval' }),
    ];
    const listing = renderRunbooks(runbooks, { enabled: true, dryRunOnly: false, offInConfig: false });
    const log = renderAuditLog(audit, 10);
    expectWithinLimits(listing, log, renderAuditLog([], 10), renderRunbooks([], { enabled: false, dryRunOnly: false, offInConfig: false }));
    expectGolden('remediation-runbooks', listing);
    expectGolden('remediation-audit', log);
  });
});

describe('mentions in refusals', () => {
  it("renders memwarden's own mention tokens as mentions and keeps every outside <@…> escaped", () => {
    const reason = `You are not an approver of runbook "x" on <!channel> <@U0EVIL01>: ask one of ${mentionUser('U0ALICE01')}, ${mentionUser('W0BOB0001')}, ${mentionGroup('S0ONCALL')}, ${mentionGroup('@oncall')}.`;
    const message = renderRemediationRefused(reason);
    expectWithinLimits(message);
    expect(message.blocks).toEqual([
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: '⚠️ *Nothing was changed.* You are not an approver of runbook "x" on &lt;!channel&gt; &lt;@U0EVIL01&gt;: ask one of <@U0ALICE01>, <@W0BOB0001>, <!subteam^S0ONCALL>, @oncall.',
        },
      },
    ]);
    expect(message.text).toBe('memwarden: nothing was changed. You are not an approver of runbook "x" on &lt;!channel&gt; &lt;@U0EVIL01&gt;: ask one of @U0ALICE01, @W0BOB0001, @S0ONCALL, @oncall.');
    // A token around something that is not a Slack id stays text.
    expect(renderRemediationRefused(`ask ${mentionUser('<!here>')}`).blocks).toEqual([{ type: 'section', text: { type: 'mrkdwn', text: '⚠️ *Nothing was changed.* ask @&lt;!here&gt;' } }]);
  });
});

describe('hostile input', () => {
  const evil = '<!channel> *bold* `tick` ```fence``` &amp; <@U0BOB0001> ' + '😀'.repeat(3000);

  function mentionsNobody(message: SlackMessage, allowed: RegExp): void {
    const all = JSON.stringify(message);
    for (const match of all.matchAll(/<([!@#][^>|]*)/g)) expect(match[1], match[0]).toMatch(allowed);
  }

  it('every message stays within the limits and outside text notifies no one', () => {
    const view = shrinkView({
      runbook: { ...shrinkView().runbook, title: evil, description: evil, file: evil },
      target: { name: evil, containerId: evil },
      params: Array.from({ length: 40 }, (_, i) => ({ name: `p${i}${evil}`, value: evil })),
      requestedBy: '<!channel>',
      approvers: { users: Array.from({ length: 100 }, (_, i) => `U${String(i).padStart(8, '0')}`), groups: ['<!here>', '@x'.repeat(400)] },
      plan: { action: evil.repeat(3), summary: evil, notes: Array.from({ length: 20 }, () => evil) },
      expected: { title: evil, estimatedSavingsBytes: Number.MAX_SAFE_INTEGER, fingerprint: evil },
      verify: { afterMs: 30_000, metric: 'pool-size', goal: evil },
    });
    const hostileResult: ResultView = { ...result, summary: evil, output: `\`\`\`${evil}`.repeat(5), notes: Array.from({ length: 30 }, () => evil), action: evil };
    const verification = { ...evaluateVerification({ afterMs: 1, metric: 'group-pss', expect: null }, {}, before, after), summary: evil };
    const messages = [
      renderApprovalRequest(view, pending),
      renderApprovalRequest(view, { status: 'failed', approvals: Array.from({ length: 50 }, (_, i) => ({ user: `U${String(i).padStart(8, '0')}`, decision: 'approve' as const, at: T0 })), detail: evil }),
      renderApprovalRequest(view, { status: 'rejected', approvals: [{ user: '<!channel>', decision: 'reject', at: T0 }], detail: null }),
      renderRemediationStarted(view, ['<!channel>', evil]),
      renderRemediationResult(view, hostileResult),
      renderVerification(view, verification),
      renderAlertFollowup(view, [evil], hostileResult, verification),
      renderRemediationRefused(evil),
      renderRequestAccepted(view, '<!channel>'),
      renderDecisionAnswer(view, evil, { kind: 'executed', outcome: 'failed', summary: evil }),
      renderDecisionAnswer(null, evil, { kind: 'waiting', approvals: 1, required: 2 }),
    ];
    expectWithinLimits(...messages);
    // Only the mentions and dates memwarden makes itself: user ids, the approver group, the channel id shape, dates.
    for (const message of messages) mentionsNobody(message, /^(@U[0-9A-Z]+|!subteam\^S0ONCALL|!date\^\d+\^\{date_short_pretty\} \{time\}|#unknown)$/);
  });
});
