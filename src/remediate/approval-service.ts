// The approval flow without Slack: a request is checked against the policy and stored; each
// decision is checked, recorded, and the one that completes the approvals claims the execution
// and runs it, exactly once. Slack listeners call request() and decide() with the ids they got
// from Slack and render what comes back; the button value is only ever a request id, read back
// from the store (getRequest), never a target or parameters.
//
// Every refusal returns a message for the person who clicked, changes no request, approval or
// execution, and is written to the audit log as `refused` with its reason.
//
// Who may decide is checked first, before Docker is asked anything: a click by someone who may
// not approve costs one store read. Only the approval that completes a request reads the target
// (inspect), under the execution's one budget (execution-budget.ts: the runbook's timeout, end to
// end). After that read, decide() is synchronous until the claim: the policy is checked again on
// the state as it is then, so no other click can interleave between the check, the recorded
// decision and the claim. Across processes the store's transactions keep decisions and the claim
// atomic; the data dir lock keeps a second `memwarden run` away.
import { plainMentions } from '../format/mentions.js';
import { printable } from '../format/text.js';
import type { Database } from '../store/database.js';
import { findPendingTwin, requestTimesSince } from '../store/remediation-intake.js';
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
  setRemediationSwitch,
} from '../store/remediation.js';
import type { RemediationRequest, RemediationSwitchState, RemediationTarget } from '../model/remediation.js';
import { abortReason, cutShortSummary, DeadlineExceeded, type ExecutionBudget, type RunningBudget, ShutdownAbort, startBudget } from './execution-budget.js';
import { createGroupCache, type GroupCache, type GroupLookup } from './group-cache.js';
import {
  canApprove,
  canRequest,
  checkRequestRate,
  describePending,
  formatDuration,
  HOUR_MS,
  isApprover,
  type PolicyRunbook,
  type RefusalCode,
  type RemediationSwitches,
  type RequestLimits,
} from './policy.js';
import type { Decision } from '../model/remediation.js';

/**
 * What an executor reports; the whole object is stored (as JSON) as the execution's result.
 * Memory before/after is read from `beforeBytes` / `afterBytes`, else from the executors'
 * observations `before.memoryUsageBytes` / `after...`.
 */
export interface ExecutionReport {
  ok: boolean;
  /** One line for people: what was done, or why it failed. */
  summary?: string;
  /** How it ended, in the result's words ('timed-out' when the service gave up waiting). */
  status?: string;
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

/** What reading the target just before the claim gave: the live target, or why nothing may run. */
export type Inspection<L> = { ok: true; live: L } | { ok: false; code: RefusalCode; reason: string };

export interface ApprovalServiceOptions<R extends PolicyRunbook, L> {
  db: Database;
  /** Epoch milliseconds; a fake in tests. */
  clock: () => number;
  /** The loaded runbook with this id, or undefined. */
  runbook: (id: string) => R | undefined;
  /**
   * Reads the target as it is now. Called only for the approval that completes a request, after
   * the policy allowed it, with the execution's signal; what it read is handed to execute.
   */
  inspect: (request: RemediationRequest, signal: AbortSignal) => Promise<Inspection<L>>;
  /** The runbook's target allowlist, against the target as just read. */
  targetAllowed: (runbook: R, live: L) => boolean;
  /** Slack user-group ids of a user (usergroups lookup); cached here (group-cache.ts). */
  groupsOf: GroupLookup;
  /**
   * Runs the remediation. Called at most once per request, after the claim is stored, with the
   * target as read for the claim and the execution's budget: nothing may start once its signal
   * aborted, and what was sent is marked on it first.
   */
  execute: (request: RemediationRequest, runbook: R, run: { live: L; budget: ExecutionBudget }) => Promise<ExecutionReport>;
  logger: ServiceLogger;
  /** Every new request is a dry run, and no real one can be approved. */
  dryRunOnly?: boolean;
  /**
   * config remediation.enabled (default true). false stops every remediation whatever an admin
   * switched in Slack (an emergency stop by editing the file); true leaves it to the admins.
   */
  configEnabled?: boolean;
  /** How long a request waits for its approvals (default 15 minutes). */
  requestTtlMs?: number;
  /** How many requests a person, and a runbook, may have made in a window; none: no limit. */
  requestLimits?: RequestLimits;
  groupCacheTtlMs?: number;
}

export interface RemediationRequestInput {
  runbookId: string;
  target: RemediationTarget;
  /**
   * Whether the runbook's allowlist admits the target as the caller just read it; null when it
   * could not be read (then the caller's check says why the request cannot be made).
   */
  targetAllowed: boolean | null;
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
  /** The admin switch; the caller checks that `by` is an admin. Refused while the configuration says off. */
  setSwitch(on: boolean, by: string): { ok: true; state: RemediationSwitchState } | Refusal;
  switches(): RemediationSwitches;
  /** Audits a refusal the caller decided (not an admin, a forged button...) exactly as the service's own. */
  refuse(code: RefusalCode, reason: string, actor: string, request: RemediationRequest | null, extra?: RefusalExtra): Refusal;
  /** Forgets cached group memberships: of these users, or of everyone (a membership changed in Slack). */
  forgetGroups(userIds?: readonly string[]): void;
  /**
   * Shutdown: aborts every running execution's budget, so nothing starts after this; each still
   * records how it ended (what may have taken effect). Returns how many were running.
   */
  abortRunning(): number;
}

/** What a refusal without a request is about, for its audit row. */
export interface RefusalExtra {
  runbookId?: string;
  target?: RemediationTarget;
  params?: Record<string, unknown>;
  /** Appended to the reason in the audit only (e.g. the forged value). */
  detail?: string;
}

/** How long after its budget aborted the service still waits for an execution to say how it ended. */
export const EXECUTOR_GRACE_MS = 10_000;
/** A runbook without a timeout of its own (tests' minimal runbooks) gets this one. */
const DEFAULT_TIMEOUT_MS = 60_000;

export function createApprovalService<R extends PolicyRunbook, L>(options: ApprovalServiceOptions<R, L>): ApprovalService {
  const { db, clock, logger } = options;
  const groups: GroupCache = createGroupCache(options.groupsOf, { clock, ttlMs: options.groupCacheTtlMs });
  const running = new Set<RunningBudget>();

  function switches(): RemediationSwitches {
    const dryRunOnly = options.dryRunOnly === true;
    // The file's false always wins: an admin's "on" in Slack cannot override an emergency stop.
    if (options.configEnabled === false) return { enabled: false, dryRunOnly, offInConfig: true };
    const stored = getRemediationSwitch(db);
    return { enabled: stored.changedBy === null ? true : stored.enabled, dryRunOnly, offInConfig: false };
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

  /** The intake's limits: an identical pending request, then how many were made lately. */
  function intakeProblem(runbook: R, input: RemediationRequestInput, dryRun: boolean, now: number): { code: RefusalCode; reason: string } | null {
    if (input.target.containerId !== '') {
      const twin = findPendingTwin(db, { runbookId: runbook.id, targetContainerId: input.target.containerId, params: input.params, dryRun }, now);
      if (twin) return { code: 'already-pending', reason: describePending(twin) };
    }
    const limits = options.requestLimits;
    if (!limits) return null;
    const since = now - limits.windowMs;
    const rate = checkRequestRate({
      runbookId: runbook.id,
      byUser: requestTimesSince(db, { requestedBy: input.requestedBy, since }),
      byRunbook: requestTimesSince(db, { runbookId: runbook.id, since }),
      limits,
      now,
    });
    return rate.ok ? null : rate;
  }

  /** Runs the claimed request under its budget; waits for it until the budget aborted plus a grace. */
  async function run(request: RemediationRequest, runbook: R, live: L, handle: RunningBudget): Promise<DecideOutcome> {
    const { budget } = handle;
    logger.info({ requestId: request.id, runbookId: runbook.id, target: request.target.name, dryRun: request.dryRun }, 'Remediation executing');
    let report: ExecutionReport;
    try {
      const execution = options.execute(request, runbook, { live, budget });
      const answered = await Promise.race([execution.then((value) => ({ value })), graceAfterAbort(budget.signal, EXECUTOR_GRACE_MS)]);
      if (answered === 'gave-up') {
        // The budget aborted, so nothing it has not started yet can start; what it started is named.
        const cut = abortReason(budget);
        const why = cut instanceof ShutdownAbort ? 'memwarden stopped' : `no result within ${formatDuration(budget.timeoutMs)}`;
        logger.error({ requestId: request.id, runbookId: runbook.id, sent: budget.sent }, 'Remediation executor timed out');
        report = { ok: false, status: 'timed-out', summary: cutShortSummary(budget, why) };
        void execution.then(
          (late) => logger.warn({ requestId: request.id, summary: late.summary ?? null }, 'Remediation result arrived after the execution was closed'),
          () => undefined,
        );
      } else {
        report = answered.value;
      }
    } catch (err) {
      logger.error({ err, requestId: request.id, runbookId: runbook.id }, 'Remediation executor failed');
      report = { ok: false, summary: `the executor failed: ${err instanceof Error ? err.message : String(err)}` };
    } finally {
      handle.dispose();
      running.delete(handle);
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

  /** The policy for `user` deciding on the request as stored now (after the group lookup or the target read). */
  function verdictNow(runbook: R, requestId: string, fallback: RemediationRequest, user: string, userGroups: string[], decision: Decision, now: number) {
    const request = getRequest(db, requestId) ?? fallback;
    return { request, verdict: canApprove({ runbook, request, approver: user, approverGroups: userGroups, decision, switches: switches(), now }) };
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

    forgetGroups(userIds) {
      if (userIds === undefined) groups.invalidate();
      else for (const user of userIds) groups.invalidate(user);
    },

    abortRunning() {
      const n = running.size;
      for (const handle of running) handle.abort(new ShutdownAbort());
      return n;
    },

    setSwitch(on, by) {
      if (on && options.configEnabled === false) {
        return refuse(
          'remediation-off',
          "Remediation is switched off in memwarden's configuration file (remediation.enabled: false), which always wins: change the file and restart memwarden to switch it on.",
          by,
          null,
        );
      }
      const state = setRemediationSwitch(db, on, by, clock());
      logger.info({ enabled: on, by }, 'Remediation switch changed');
      return { ok: true, state };
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
        target: { name: input.target.name, allowed: input.targetAllowed !== false },
        recentRuns: runsOf(runbook, input.target.name, now),
        switches: current,
        dryRun,
        now,
      });
      if (!verdict.ok) return refuse(verdict.code, verdict.reason, input.requestedBy, null, about);
      const vetoed = input.check?.() ?? null;
      if (vetoed !== null) return refuse(vetoed.code, vetoed.reason, input.requestedBy, null, about);
      const limited = intakeProblem(runbook, input, dryRun, now);
      if (limited !== null) return refuse(limited.code, limited.reason, input.requestedBy, null, about);
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

      // Who may decide, before anything else is asked: a refused click costs no Docker call.
      let now = clock();
      let { request, verdict } = verdictNow(runbook, requestId, found, user, userGroups, decision, now);
      if (!verdict.ok) return refuse(verdict.code, verdict.reason, user, request);

      const approvedSoFar = request.approvals.filter((a) => a.decision === 'approve').length;
      const completes = decision === 'approve' && approvedSoFar + 1 >= request.requiredApprovals;
      let handle: RunningBudget | null = null;
      let live: L | null = null;
      if (completes) {
        // The execution's one budget starts here: reading the target is part of it.
        handle = startBudget(runbook.timeoutMs ?? DEFAULT_TIMEOUT_MS, clock);
        running.add(handle);
        const release = () => {
          handle?.dispose();
          if (handle) running.delete(handle);
        };
        let read: Inspection<L>;
        try {
          read = await options.inspect(request, handle.budget.signal);
        } catch (err) {
          read = { ok: false, code: 'target-unreadable', reason: `memwarden could not read ${request.target.name} just now (${err instanceof Error ? err.message : String(err)}): nothing was run.` };
        }
        const cut = abortReason(handle.budget);
        if (cut !== null) {
          release();
          const why = cut instanceof DeadlineExceeded ? `Docker did not tell memwarden about ${request.target.name} within ${formatDuration(cut.ms)}` : 'memwarden is shutting down';
          return refuse('target-unreadable', `${why}: nothing was run. Your approval was not recorded; try again in a minute.`, user, request);
        }
        if (!read.ok) {
          release();
          return refuse(read.code, `${read.reason} Your approval was not recorded.`, user, request);
        }
        live = read.live;
        // From here until execute() nothing awaits: policy, decision and claim see one state.
        now = clock();
        ({ request, verdict } = verdictNow(runbook, requestId, request, user, userGroups, decision, now));
        if (!verdict.ok) {
          release();
          return refuse(verdict.code, verdict.reason, user, request);
        }
        // The last approval runs it now: the allowlist, cooldown and hourly limit apply now, not at request time.
        const runnable = canRequest({
          runbook,
          target: { name: request.target.name, allowed: options.targetAllowed(runbook, live) },
          recentRuns: runsOf(runbook, request.target.name, now),
          switches: switches(),
          dryRun: request.dryRun,
          now,
        });
        if (!runnable.ok) {
          release();
          return refuse(runnable.code, `${runnable.reason} Your approval was not recorded.`, user, request);
        }
      }

      const record = recordDecision(db, requestId, user, decision, now);
      if (!record.recorded || !record.reached || decision === 'reject') {
        if (handle) {
          handle.dispose();
          running.delete(handle);
        }
      }
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
      if (!record.reached || handle === null || live === null) {
        return { ok: true, state: 'waiting', request: record.request, approvals: record.approvals, required: record.required };
      }

      if (!claimExecution(db, requestId, now)) {
        handle.dispose();
        running.delete(handle);
        return refuse('already-claimed', 'This remediation has already been started: it runs only once.', user, getRequest(db, requestId) ?? record.request);
      }
      return run(getRequest(db, requestId) ?? record.request, runbook, live, handle);
    },
  };
}

/** Resolves 'gave-up' `ms` after `signal` aborts (never, while it does not). Unref'd. */
function graceAfterAbort(signal: AbortSignal, ms: number): Promise<'gave-up'> {
  return new Promise((resolve) => {
    const start = () => setTimeout(() => resolve('gave-up'), ms).unref();
    if (signal.aborted) start();
    else signal.addEventListener('abort', start, { once: true });
  });
}

function finiteOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? Math.round(value) : null;
}
