// What people are shown about a remediation, built from the runbook and the stored rows. Pure, so
// the approval message, the result, the verification and the ephemeral answers all word a value
// the same way (sizes in binary units, durations in seconds), and a view stored with a follow-up
// renders the same after a restart as it did when it was built.
import { formatBytes } from '../format/units.js';
import type { Notice } from '../model/notice.js';
import { remediationRefusedNotice } from './remediation-notices.js';
import type { ApprovalView, ResultView } from './remediation-views.js';
import type { RemediationRequest } from '../model/remediation.js';
import type { Refusal } from './approval-service.js';
import { describeAction, type ExecutionPlan } from './executors/index.js';
import type { RefusalCode } from './policy.js';
import type { RemediationAnswer, RunbookSummary } from './remediation.js';
import type { ParamValues } from './runbook-params.js';
import type { Runbook } from './runbook-schema.js';
import { describeGoal, type Measurement, verifySpecFor } from './verification.js';

export function answer(ok: boolean, notice: Notice, requestId: string | null, code: RefusalCode | null = null): RemediationAnswer {
  return { ok, code, notice, requestId };
}

export function refused(refusal: Refusal): RemediationAnswer {
  return answer(false, remediationRefusedNotice(refusal.reason), refusal.request?.id ?? null, refusal.code);
}

/**
 * What the approval message shows; stored with the follow-up, so later messages (result,
 * verification, alert thread) describe the request as it was approved, not as the runbook is now.
 */
export function approvalView(
  request: RemediationRequest,
  runbook: Runbook,
  plan: ExecutionPlan,
  params: ParamValues,
  expected: ApprovalView['expected'],
  verifyAfterDefault: number,
): ApprovalView {
  const spec = verifySpecFor(runbook, verifyAfterDefault);
  const worker = plan.before.poolSize;
  return {
    requestId: request.id,
    runbook: { id: runbook.id, title: runbook.title, description: runbook.description, file: runbook.file, sha256: runbook.sha256, risk: runbook.risk },
    target: { name: request.target.name, containerId: request.target.containerId },
    params: displayParams(runbook, params),
    requestedBy: request.requestedBy,
    requestedAt: request.requestedAt,
    expiresAt: request.expiresAt,
    approvers: { users: [...runbook.approval.approvers.users], groups: [...runbook.approval.approvers.groups] },
    required: runbook.approval.required,
    allowSelfApproval: runbook.approval.allowSelfApproval,
    dryRun: request.dryRun,
    plan: { action: describeAction(plan.action, plan.target.name), summary: plan.summary, notes: [...plan.notes] },
    current: {
      memoryUsageBytes: plan.before.memoryUsageBytes ?? null,
      memoryLimitBytes: plan.before.memoryLimit ?? null,
      poolSize: worker ?? null,
    },
    expected,
    verify: { afterMs: spec.afterMs, metric: spec.metric, goal: describeGoal(spec, params) },
    timeoutMs: runbook.timeoutMs,
  };
}

/** A result that ran nothing (refused, dry run, interrupted): no output, no measurements. */
export function resultView(status: ResultView['status'], summary: string, action: string | null, before: Measurement | null, after: Measurement | null, durationMs: number): ResultView {
  return { status, summary, output: '', notes: [], action, before, after, durationMs, verifyAt: null };
}

export function approversOf(request: RemediationRequest): string[] {
  return request.approvals.filter((a) => a.decision === 'approve').map((a) => a.user);
}

export function reportSummary(result: unknown): string | null {
  const summary = (result as { summary?: unknown } | null)?.summary;
  return typeof summary === 'string' && summary !== '' ? summary : null;
}

/** Validated values as people read them: sizes in binary units, durations in seconds. */
export function displayParams(runbook: Runbook, params: ParamValues): { name: string; value: string }[] {
  return Object.entries(runbook.params)
    .filter(([name]) => params[name] !== undefined)
    .map(([name, spec]) => {
      const value = params[name] as number | string;
      if (typeof value === 'number' && spec.type === 'size') return { name, value: formatBytes(value) };
      if (typeof value === 'number' && spec.type === 'duration') return { name, value: value % 1000 === 0 ? `${value / 1000}s` : `${value}ms` };
      return { name, value: String(value) };
    });
}

/** A runbook as `/mem runbooks` lists it. */
export function runbookSummary(rb: Runbook): RunbookSummary {
  return {
    id: rb.id,
    title: rb.title,
    kind: rb.kind,
    risk: rb.risk,
    enabled: rb.enabled,
    approvers: { users: [...rb.approval.approvers.users], groups: [...rb.approval.approvers.groups] },
    required: rb.approval.required,
    allowSelfApproval: rb.approval.allowSelfApproval,
    params: Object.entries(rb.params).map(([name, spec]) => ({ name, describe: describeParamSpec(spec) })),
    file: rb.file,
    sha256: rb.sha256,
  };
}

function describeParamSpec(spec: Runbook['params'][string]): string {
  const fmt = (n: number): string => (spec.type === 'size' ? formatBytes(n) : spec.type === 'duration' ? `${n / 1000}s` : String(n));
  switch (spec.type) {
    case 'integer':
    case 'size':
    case 'duration': {
      const range = spec.min !== undefined && spec.max !== undefined ? ` ${fmt(spec.min)}–${fmt(spec.max)}` : spec.min !== undefined ? ` ≥ ${fmt(spec.min)}` : spec.max !== undefined ? ` ≤ ${fmt(spec.max)}` : '';
      return `${spec.type}${range}${spec.default !== undefined ? ` (default ${fmt(spec.default)})` : ''}`;
    }
    case 'enum':
      return `one of ${spec.values.join(', ')}`;
    case 'string':
      return 'text';
  }
}
