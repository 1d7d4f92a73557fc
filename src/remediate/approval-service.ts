// The approval flow without Slack: a request is checked against the policy and stored; each
// decision is checked, recorded, and the one that completes the approvals claims the execution
// and runs it, exactly once. Slack listeners call request() and decide() with the ids they got
// from Slack and render what comes back; the button value is only ever a request id, read back
// from the store (getRequest), never a target or parameters.
//
// Every refusal returns a message for the person who clicked, changes no request, approval or
// execution, and is written to the audit log as `refused` with its reason.
//
// Between the group lookup (the only await before execution) and the claim, decide() is
// synchronous: within one process no other click can interleave between the policy check, the
// recorded decision and the claim. Across processes the store's transactions keep decisions and
// the claim atomic; the cooldown re-check at the last approval is then best effort.
import { withTimeout } from '../async/timeouts.js';
import { plainMentions } from '../format/mentions.js';
import { printable } from '../format/text.js';
import type { Database } from '../store/database.js';
import {
  appendAudit,
  auditFor,
  claimExecution,
  createRequest,
  expireRequests,
  finishExecution,
  getRemediationSwitch,
  getRequest,
  recentRuns,
  recordDecision,
  recoverInterrupted,
  type RecoveredRequest,
  type RemediationRequest,
  type RemediationSwitchState,
  type RemediationTarget,
  setRemediationSwitch,
} from '../store/remediation.js';
import { createGroupCache, type GroupLookup } from './group-cache.js';
import {
  canApprove,
  canRequest,
  type Decision,
  formatDuration,
  HOUR_MS,
  isApprover,
  type PolicyRunbook,
  type RefusalCode,
  type RemediationSwitches,
} from './policy.js';

/**
 * What an executor reports; the whole object is stored (as JSON) as the execution's result, so
 * the executors' ExecutionResult fits as it is. Memory before/after is read from `beforeBytes` /
 * `afterBytes`, else from the executors' observations `before.memoryUsageBytes` / `after...`.
 */
export interface ExecutionReport {
  ok: boolean;
  /** One line for people: what was done, or why it failed. */
  summary?: string;
  beforeBytes?: number | null;
  afterBytes?: number | null;
  before?: { memoryUsageBytes?: number | null };
  after?: { memoryUsageBytes?: number | null };
}

/** The logging the service does: fixed messages with a metadata object (pino's Logger fits). */
export interface ServiceLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ApprovalServiceOptions<R extends PolicyRunbook> {
  db: Database;
  /** Epoch milliseconds; a fake in tests. */
  clock: () => number;
  /** The loaded runbook with this id, or undefined. */
  runbook: (id: string) => R | undefined;
  /** The runbook's target allowlist. */
  targetAllowed: (runbook: R, target: RemediationTarget) => boolean;
  /** Slack user-group ids of a user (usergroups lookup); cached here for 5 minutes. */
  groupsOf: GroupLookup;
  /** Runs the remediation. Called at most once per request, after the claim is stored. */
  execute: (request: RemediationRequest, runbook: R) => Promise<ExecutionReport>;
  logger: ServiceLogger;
  /** Every new request is a dry run, and no real one can be approved. */
  dryRunOnly?: boolean;
  /** Whether remediation is on while no admin has switched it (config remediation.enabled; default true). */
  defaultEnabled?: boolean;
  /** How long a request waits for its approvals (default 15 minutes). */
  requestTtlMs?: number;
  groupCacheTtlMs?: number;
}

export interface RemediationRequestInput {
  runbookId: string;
  target: RemediationTarget;
  params: Record<string, unknown>;
  requestedBy: string;
  /** The alert fingerprint it came from, or 'command'. */
  origin: string;
  dryRun?: boolean;
  /**
   * The caller's own last word (e.g. the live plan refuses, or the typed parameters are invalid),
   * asked only after the policy allowed the request and before it is stored; a refusal is
   * audited like the policy's own.
   */
  check?: () => { code: RefusalCode; reason: string } | null;
}

export interface Refusal {
  ok: false;
  code: RefusalCode;
  /** For the person who asked or clicked. */
  reason: string;
  request: RemediationRequest | null;
}

export type RequestOutcome = { ok: true; request: RemediationRequest } | Refusal;

export type DecideOutcome =
  | Refusal
  /** Recorded; more approvals are needed. */
  | { ok: true; state: 'waiting'; request: RemediationRequest; approvals: number; required: number }
  | { ok: true; state: 'rejected'; request: RemediationRequest }
  /** This decision completed the approvals and the remediation ran (request: as stored afterwards). */
  | { ok: true; state: 'executed'; request: RemediationRequest; outcome: 'succeeded' | 'failed'; report: ExecutionReport };

export interface ApprovalService {
  /** Call once at start, before handling clicks: settles what a crash left running or approved. */
  recover(): RecoveredRequest[];
  /** Expires pending requests past their time; returns them. */
  expire(): RemediationRequest[];
  request(input: RemediationRequestInput): RequestOutcome;
  decide(requestId: string, user: string, decision: Decision): Promise<DecideOutcome>;
  /** The admin switch; the caller checks that `by` is an admin. */
  setSwitch(on: boolean, by: string): RemediationSwitchState;
  switches(): RemediationSwitches;
  /** Audits a refusal the caller decided (not an admin, a forged button...) exactly as the service's own. */
  refuse(code: RefusalCode, reason: string, actor: string, request: RemediationRequest | null, extra?: RefusalExtra): Refusal;
}

/** What a refusal without a request is about, for its audit row. */
export interface RefusalExtra {
  runbookId?: string;
  target?: RemediationTarget;
  params?: Record<string, unknown>;
  /** Appended to the reason in the audit only (e.g. the forged value). */
  detail?: string;
}

/** How long after the runbook's own timeout the service stops waiting for the executor. */
export const EXECUTOR_GRACE_MS = 10_000;

export function createApprovalService<R extends PolicyRunbook>(options: ApprovalServiceOptions<R>): ApprovalService {
  const { db, clock, logger } = options;
  const groups = createGroupCache(options.groupsOf, { clock, ttlMs: options.groupCacheTtlMs });

  function switches(): RemediationSwitches {
    const stored = getRemediationSwitch(db);
    // Never switched by an admin: the configured default.
    const enabled = stored.changedBy === null ? options.defaultEnabled !== false : stored.enabled;
    return { enabled, dryRunOnly: options.dryRunOnly === true };
  }

  function runsOf(runbook: R, targetName: string, now: number): number[] {
    return recentRuns(db, runbook.id, targetName, now - Math.max(runbook.cooldownMs, HOUR_MS));
  }

  function refuse(
    code: RefusalCode,
    reason: string,
    actor: string,
    request: RemediationRequest | null,
    extra: RefusalExtra = {},
  ): Refusal {
    const now = clock();
    // The audit keeps plain text: a mention token (format/mentions.ts) reads as "@U0123ABCD".
    const said = plainMentions(reason);
    const entry = request
      ? auditFor(request, 'refused', actor, now, { outcome: code, detail: said })
      : {
          at: now,
          actor,
          action: 'refused' as const,
          runbookId: extra.runbookId ?? null,
          target: extra.target?.name ?? null,
          targetContainerId: extra.target?.containerId ?? null,
          params: extra.params ?? null,
          outcome: code,
          detail: extra.detail ? `${said} (${extra.detail})` : said,
        };
    appendAudit(db, entry);
    logger.info({ code, actor, requestId: request?.id ?? null, runbookId: request?.runbookId ?? extra.runbookId ?? null }, 'Remediation refused');
    return { ok: false, code, reason, request };
  }

  async function run(request: RemediationRequest, runbook: R): Promise<DecideOutcome> {
    logger.info({ requestId: request.id, runbookId: runbook.id, target: request.target.name, dryRun: request.dryRun }, 'Remediation executing');
    let report: ExecutionReport;
    try {
      report = await executorBound(options.execute(request, runbook), (runbook.timeoutMs ?? 0) > 0 ? (runbook.timeoutMs ?? 0) + EXECUTOR_GRACE_MS : null);
    } catch (err) {
      const timedOut = err instanceof ExecutorTimeout;
      logger.error({ err, requestId: request.id, runbookId: runbook.id }, timedOut ? 'Remediation executor timed out' : 'Remediation executor failed');
      report = {
        ok: false,
        summary: timedOut
          ? `no result within ${formatDuration(err.ms)}: it may or may not have taken effect — verify before retrying`
          : `the executor failed: ${err instanceof Error ? err.message : String(err)}`,
      };
    }
    const outcome = report.ok ? 'succeeded' : 'failed';
    const finished = finishExecution(
      db,
      request.id,
      {
        outcome,
        result: report,
        detail: report.summary ?? null,
        beforeBytes: finiteOrNull(report.beforeBytes ?? report.before?.memoryUsageBytes),
        afterBytes: finiteOrNull(report.afterBytes ?? report.after?.memoryUsageBytes),
      },
      clock(),
    );
    if (!finished) logger.warn({ requestId: request.id }, 'Remediation result arrived after the execution was closed');
    logger.info({ requestId: request.id, runbookId: runbook.id, outcome }, 'Remediation finished');
    return { ok: true, state: 'executed', request: getRequest(db, request.id) ?? request, outcome, report };
  }

  return {
    recover() {
      const recovered = recoverInterrupted(db, clock());
      for (const { request, previousStatus } of recovered) {
        logger.warn(
          { requestId: request.id, runbookId: request.runbookId, target: request.target.name, previousStatus, status: request.status },
          'Remediation interrupted by a restart',
        );
      }
      return recovered;
    },

    expire() {
      return expireRequests(db, clock());
    },

    switches,
    refuse,

    setSwitch(on, by) {
      const state = setRemediationSwitch(db, on, by, clock());
      logger.info({ enabled: on, by }, 'Remediation switch changed');
      return state;
    },

    request(input) {
      const now = clock();
      const runbook = options.runbook(input.runbookId);
      const about = { runbookId: input.runbookId, target: input.target, params: input.params };
      if (!runbook) return refuse('unknown-runbook', `There is no runbook "${input.runbookId}".`, input.requestedBy, null, about);
      const current = switches();
      // In dry-run-only mode every request is a dry run: it shows what would happen, and nothing real can be approved.
      const dryRun = input.dryRun === true || current.dryRunOnly;
      const verdict = canRequest({
        runbook,
        target: { name: input.target.name, allowed: options.targetAllowed(runbook, input.target) },
        recentRuns: runsOf(runbook, input.target.name, now),
        switches: current,
        dryRun,
        now,
      });
      if (!verdict.ok) return refuse(verdict.code, verdict.reason, input.requestedBy, null, about);
      const vetoed = input.check?.() ?? null;
      if (vetoed !== null) return refuse(vetoed.code, vetoed.reason, input.requestedBy, null, about);
      const request = createRequest(
        db,
        {
          runbookId: runbook.id,
          runbookSha256: runbook.sha256,
          target: input.target,
          params: input.params,
          requestedBy: input.requestedBy,
          origin: input.origin,
          dryRun,
          requiredApprovals: runbook.approval.required,
          ttlMs: options.requestTtlMs,
        },
        now,
      );
      logger.info({ requestId: request.id, runbookId: runbook.id, target: request.target.name, by: input.requestedBy, dryRun }, 'Remediation requested');
      return { ok: true, request };
    },

    async decide(requestId, user, decision) {
      const found = getRequest(db, requestId);
      if (!found) {
        return refuse('unknown-request', 'This remediation request does not exist (the button may be from another memwarden, or altered): nothing was run.', user, null, {
          detail: `request id ${JSON.stringify(printable(requestId, { max: 80 }))}`,
        });
      }
      const runbook = options.runbook(found.runbookId);
      if (!runbook) return refuse('unknown-runbook', `Runbook "${found.runbookId}" is no longer loaded: request it again.`, user, found);

      let userGroups: string[] = [];
      const withdrawing = decision === 'reject' && user === found.requestedBy;
      if (!withdrawing && !isApprover(runbook, user, []) && runbook.approval.approvers.groups.length > 0) {
        try {
          userGroups = await groups.groupsOf(user);
        } catch (err) {
          logger.warn({ err, user, requestId }, 'Slack user-group lookup failed');
          return refuse('groups-unavailable', 'Could not check your Slack user groups just now: try again in a minute.', user, found);
        }
      }

      // From here until execute() nothing awaits: policy, decision and claim see one state.
      const now = clock();
      const request = getRequest(db, requestId) ?? found;
      const current = switches();
      const verdict = canApprove({ runbook, request, approver: user, approverGroups: userGroups, decision, switches: current, now });
      if (!verdict.ok) return refuse(verdict.code, verdict.reason, user, request);

      const approvedSoFar = request.approvals.filter((a) => a.decision === 'approve').length;
      if (decision === 'approve' && approvedSoFar + 1 >= request.requiredApprovals) {
        // The last approval runs it now: the cooldown and hourly limit apply now, not at request time.
        const runnable = canRequest({
          runbook,
          target: { name: request.target.name, allowed: options.targetAllowed(runbook, request.target) },
          recentRuns: runsOf(runbook, request.target.name, now),
          switches: current,
          dryRun: request.dryRun,
          now,
        });
        if (!runnable.ok) return refuse(runnable.code, `${runnable.reason} Your approval was not recorded.`, user, request);
      }

      const record = recordDecision(db, requestId, user, decision, now);
      if (!record.recorded) {
        // Another memwarden on the same database got there first.
        const reasons = {
          unknown: ['unknown-request', 'This remediation request does not exist: nothing was run.'],
          duplicate: ['already-decided', 'You already decided on this request.'],
          'not-pending': ['not-pending', 'This request was decided in the meantime: nothing was changed.'],
          expired: ['expired', 'This request expired: request it again if it is still needed.'],
        } as const;
        const [code, reason] = reasons[record.reason];
        return refuse(code, reason, user, record.request ?? request);
      }
      logger.info({ requestId, user, decision, approvals: record.approvals, required: record.required }, 'Remediation decision recorded');
      if (decision === 'reject') return { ok: true, state: 'rejected', request: record.request };
      if (!record.reached) return { ok: true, state: 'waiting', request: record.request, approvals: record.approvals, required: record.required };

      if (!claimExecution(db, requestId, now)) {
        return refuse('already-claimed', 'This remediation has already been started: it runs only once.', user, getRequest(db, requestId) ?? record.request);
      }
      return run(getRequest(db, requestId) ?? record.request, runbook);
    },
  };
}

class ExecutorTimeout extends Error {
  readonly code = 'executor_timeout';
  constructor(readonly ms: number) {
    super(`the executor did not answer within ${ms} ms`);
  }
}

/** The executor's answer, or ExecutorTimeout after `ms`; no bound when `ms` is null. */
function executorBound<T>(promise: Promise<T>, ms: number | null): Promise<T> {
  return ms === null ? promise : withTimeout(promise, ms, () => new ExecutorTimeout(ms));
}

function finiteOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? Math.round(value) : null;
}
