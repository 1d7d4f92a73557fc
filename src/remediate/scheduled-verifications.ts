// The follow-up `verify.after` a run: measure again and say whether the runbook's goal was met, in
// the approval thread and the alert's. Due verifications are SQLite rows (store/remediation-flow.ts)
// claimed before they run, so a restart neither loses nor repeats one; the timers here only make
// them run on time, and tick() runs whatever a lost timer left due.
import { alertFollowupNotice, verificationNotice } from './remediation-notices.js';
import type { ApprovalView } from './remediation-views.js';
import { auditFor, getExecution, getRequest, SYSTEM_ACTOR } from '../store/remediation.js';
import { claimDueVerifications, type Followup, finishVerification, nextVerificationAt } from '../store/remediation-flow.js';
import { measureTarget } from './measure-target.js';
import { approversOf } from './message-views.js';
import type { RemediationDeps } from './remediation.js';
import { checkParamValues, type ParamValues } from './runbook-params.js';
import type { Runbook } from './runbook-schema.js';
import { resultFromStored } from './stored-result.js';
import type { ThreadMessages } from './thread-messages.js';
import { evaluateVerification, type Measurement, type Verification, verifySpecFor } from './verification.js';

export interface ScheduledVerificationsContext {
  deps: Pick<RemediationDeps, 'db' | 'docker' | 'config' | 'clock' | 'logger' | 'cgroupRoot' | 'procRoot' | 'schedule'>;
  byId: ReadonlyMap<string, Runbook>;
  threads: ThreadMessages;
  /** Counts a run among those stop() waits for. */
  track: <T>(promise: Promise<T>) => Promise<T>;
  /** True once stop() began: nothing is armed or run any more. */
  isStopping: () => boolean;
}

export interface ScheduledVerifications {
  /** Runs the verifications due at `at` then (tick() would too, at its next poll). One timer per time. */
  arm(at: number): void;
  /** Claims and runs every verification due at `now`, then arms the next. */
  runDue(now: number): Promise<void>;
  /** Cancels every armed timer (stop()); the rows stay due for the next start. */
  cancelTimers(): void;
}

export function createScheduledVerifications(ctx: ScheduledVerificationsContext): ScheduledVerifications {
  const { deps, byId, threads } = ctx;
  const { db, config, clock, logger } = deps;
  const schedule =
    deps.schedule ??
    ((fn: () => void, ms: number) => {
      const timer = setTimeout(fn, ms);
      timer.unref();
      return () => clearTimeout(timer);
    });
  const timers = new Set<() => void>();
  const armedAt = new Set<number>();

  function arm(at: number): void {
    if (ctx.isStopping() || armedAt.has(at)) return;
    armedAt.add(at);
    const cancel = schedule(() => {
      timers.delete(cancel);
      armedAt.delete(at);
      if (!ctx.isStopping()) void ctx.track(runDue(clock()));
    }, Math.max(0, at - clock()));
    timers.add(cancel);
  }

  async function runDue(now: number): Promise<void> {
    let due: Followup[];
    try {
      due = claimDueVerifications(db, now);
    } catch (err) {
      logger.error({ err }, 'Due verifications could not be read');
      return;
    }
    for (const followup of due) {
      try {
        await verify(followup);
      } catch (err) {
        logger.error({ err, requestId: followup.requestId }, 'Remediation verification failed');
        finishVerification(db, followup.requestId, { error: err instanceof Error ? err.message : String(err) }, clock());
      }
    }
    const next = nextVerificationAt(db);
    if (next !== null && next > now) arm(next);
  }

  async function verify(followup: Followup): Promise<void> {
    const request = getRequest(db, followup.requestId);
    const view = followup.view as ApprovalView;
    if (!request) {
      finishVerification(db, followup.requestId, { error: 'the request is gone' }, clock());
      return;
    }
    const runbook = byId.get(request.runbookId);
    // The runbook as it was approved (same file), else the metric alone, without a verdict.
    const spec =
      runbook && runbook.sha256 === request.runbookSha256
        ? verifySpecFor(runbook, config.remediation.verifyAfterDefault)
        : { afterMs: view.verify.afterMs, metric: view.verify.metric, expect: null };
    const before: Measurement = (followup.before as Measurement | null) ?? {
      at: request.decidedAt ?? request.requestedAt,
      running: null,
      containerUsageBytes: view.current.memoryUsageBytes,
      groupPssBytes: null,
      poolSize: view.current.poolSize,
    };
    const after = await measureTarget(deps, request.target.containerId);
    const params = checkParamValues(runbook ?? { id: request.runbookId, params: {} }, request.params as ParamValues);
    const verification: Verification = evaluateVerification(spec, params.ok ? params.params : (request.params as ParamValues), before, after);
    const now = clock();
    // The verdict is part of the record: audited with the figures it compared.
    const outcome = verification.goalMet === null ? 'no-verdict' : verification.goalMet ? 'goal-met' : 'goal-not-met';
    finishVerification(db, request.id, verification, now, auditFor(request, 'verified', SYSTEM_ACTOR, now, {
      outcome,
      beforeBytes: before.containerUsageBytes,
      afterBytes: after.containerUsageBytes,
      detail: verification.summary,
    }));
    logger.info({ requestId: request.id, runbookId: request.runbookId, goalMet: verification.goalMet, summary: verification.summary }, 'Remediation verified');
    threads.toThread(request.id, followup.channel, 'reply', verificationNotice(view, verification));
    const result = resultFromStored(getExecution(db, request.id)?.result, request);
    threads.toAlertThread(followup, alertFollowupNotice(view, approversOf(request), result, verification));
  }

  function cancelTimers(): void {
    for (const cancel of timers) cancel();
    timers.clear();
    armedAt.clear();
  }

  return { arm, runDue, cancelTimers };
}
