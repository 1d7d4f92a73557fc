// Runs an approved request and tells the threads how it went. The approval service calls execute()
// exactly once per request (its claim guarantees that) and stores the report; only afterwards does
// announceResult() post, so no message ever shows a result the store does not have. What the
// messages need beyond the stored report (output, notes, measurements) waits in `results` between
// the two calls.
import { type ApprovalView, renderAlertFollowup, renderRemediationResult, renderRemediationStarted, type ResultView } from '../slack/render/remediation-message.js';
import type { RemediationRequest } from '../store/remediation.js';
import { getFollowup, scheduleVerification, setFollowupBefore } from '../store/remediation-flow.js';
import type { ExecutionReport } from './approval-service.js';
import { describeDockerError } from './executors/docker-errors.js';
import { describeAction, executePlan, type ExecutionResult, inspectTarget, planExecution, TargetNotFoundError } from './executors/index.js';
import { measureTarget } from './measure-target.js';
import { approversOf, resultView } from './message-views.js';
import type { RemediationDeps } from './remediation.js';
import { checkParamValues, type ParamValues } from './runbook-params.js';
import type { Runbook } from './runbook-schema.js';
import type { ThreadMessages } from './thread-messages.js';
import { verifySpecFor } from './verification.js';

export interface ApprovedExecutionContext {
  deps: Pick<RemediationDeps, 'db' | 'docker' | 'config' | 'clock' | 'logger' | 'cgroupRoot' | 'procRoot'>;
  threads: ThreadMessages;
  /** Makes sure due verifications run at `at` (scheduled-verifications.ts). */
  arm: (at: number) => void;
}

export interface ApprovedExecution {
  /** Handed to the approval service as its executor. */
  execute(request: RemediationRequest, runbook: Runbook): Promise<ExecutionReport>;
  /** After the service stored the outcome: the approval message, the result in its thread, the verification. */
  announceResult(request: RemediationRequest, runbook: Runbook, report: ExecutionReport): ResultView;
}

export function createApprovedExecution(ctx: ApprovedExecutionContext): ApprovedExecution {
  const { deps, threads } = ctx;
  const { db, docker, config, clock, logger } = deps;
  /** What each execution reported, for the messages built after the approval service stored it. */
  const results = new Map<string, ResultView>();

  async function execute(request: RemediationRequest, runbook: Runbook): Promise<ExecutionReport> {
    const followup = getFollowup(db, request.id);
    const view = (followup?.view ?? null) as ApprovalView | null;
    if (followup && view) {
      threads.refreshApproval(request.id);
      threads.toThread(request.id, followup.channel, 'reply', renderRemediationStarted(view, approversOf(request)), 'started');
    }
    const started = clock();
    const validated = checkParamValues(runbook, request.params as ParamValues);
    if (!validated.ok) {
      const summary = `refused: the stored parameters no longer fit the runbook: ${validated.problems.join('; ')}`;
      results.set(request.id, resultView('refused', summary, null, null, null, clock() - started));
      return { ok: false, summary };
    }
    if (request.dryRun) {
      let action = view?.plan.action ?? 'unknown';
      try {
        const live = await inspectTarget(docker, request.target.containerId, { cgroupRoot: deps.cgroupRoot });
        const plan = planExecution(runbook, live.container, validated.params, live.state);
        action = describeAction(plan.action, plan.target.name);
      } catch (err) {
        logger.debug({ err, requestId: request.id }, 'Dry run: the target could not be read again; showing the plan it was requested with');
      }
      const summary = `dry run: nothing was executed; it would run ${action}`;
      results.set(request.id, { ...resultView('dry-run', summary, null, null, null, clock() - started), action });
      return { ok: true, summary };
    }

    // Stored before the run, so a verification after a restart still compares with it.
    const before = await measureTarget(deps, request.target.containerId);
    setFollowupBefore(db, request.id, before, clock());
    let result: ExecutionResult;
    try {
      // Planned again from the target as it is now: it may have changed since the approval message.
      const live = await inspectTarget(docker, request.target.containerId, { cgroupRoot: deps.cgroupRoot });
      const plan = planExecution(runbook, live.container, validated.params, live.state);
      result = await executePlan(plan, { docker, cgroupRoot: deps.cgroupRoot, clock });
    } catch (err) {
      const gone = err instanceof TargetNotFoundError;
      result = {
        ok: false,
        status: gone ? 'refused' : 'failed',
        summary: gone ? `refused: ${request.target.name} does not exist any more` : `failed while reading the target: ${describeDockerError(err)}`,
        output: '',
        notes: [],
        action: null,
        durationMs: clock() - started,
      };
    }
    const after = await measureTarget(deps, request.target.containerId);
    results.set(request.id, {
      status: result.status,
      summary: result.summary,
      output: result.output,
      notes: result.notes,
      action: result.action === null ? null : describeAction(result.action, request.target.name),
      before,
      after,
      durationMs: result.durationMs,
      verifyAt: null,
    });
    return { ...result, beforeBytes: before.containerUsageBytes, afterBytes: after.containerUsageBytes };
  }

  function announceResult(request: RemediationRequest, runbook: Runbook, report: ExecutionReport): ResultView {
    const followup = getFollowup(db, request.id);
    const result: ResultView = results.get(request.id) ?? {
      status: report.ok ? 'applied' : 'failed',
      summary: report.summary ?? (report.ok ? 'done' : 'failed'),
      output: '',
      notes: [],
      action: null,
      before: null,
      after: null,
      durationMs: 0,
      verifyAt: null,
    };
    results.delete(request.id);
    if (!followup) return result;
    const view = followup.view as ApprovalView;
    const verifies = !request.dryRun && (result.status === 'applied' || result.status === 'partial' || result.status === 'timed-out');
    if (verifies) {
      const at = clock() + verifySpecFor(runbook, config.remediation.verifyAfterDefault).afterMs;
      if (scheduleVerification(db, request.id, at, clock())) {
        result.verifyAt = at;
        ctx.arm(at);
      }
    }
    threads.refreshApproval(request.id);
    threads.toThread(request.id, followup.channel, 'reply', renderRemediationResult(view, result), 'result');
    // The alert hears once: with the verification when there is one, else now.
    if (result.verifyAt === null && !request.dryRun) threads.toAlertThread(followup, renderAlertFollowup(view, approversOf(request), result, null));
    return result;
  }

  return { execute, announceResult };
}
