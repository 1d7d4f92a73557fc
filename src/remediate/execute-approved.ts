// Runs an approved request and tells the threads how it went. The approval service calls execute()
// exactly once per request (its claim guarantees that), with the target as it read it for the
// claim and the execution's one budget, and stores the report; only afterwards does
// announceResult() post, from the stored result, so no message ever shows a result the store does
// not have, and a start after a crash can finish an announcement the crash cut off.
//
// Docker is read once before the action (the approval's read, handed in) and once after it
// (measureTarget); everything runs under the budget, so once it aborted nothing more starts.
import { alertFollowupNotice, remediationResultNotice, remediationStartedNotice } from './remediation-notices.js';
import type { ApprovalView, ResultView } from './remediation-views.js';
import { getExecution, getRequest } from '../store/remediation.js';
import type { RemediationRequest } from '../model/remediation.js';
import { announceOnce, getFollowup, scheduleVerification, setFollowupBefore } from '../store/remediation-flow.js';
import type { ExecutionReport } from './approval-service.js';
import { abortReason, cutShortSummary, type ExecutionBudget } from './execution-budget.js';
import { describeAction, executePlan, type ExecutionResult, type LiveTarget, planExecution } from './executors/index.js';
import { measureTarget } from './measure-target.js';
import { approversOf, resultView } from './message-views.js';
import type { RemediationDeps } from './remediation.js';
import { checkParamValues, type ParamValues } from './runbook-params.js';
import type { Runbook } from './runbook-schema.js';
import { resultFromStored, storedReport } from './stored-result.js';
import type { ThreadMessages } from './thread-messages.js';
import { verifySpecFor } from './verification.js';

export interface ApprovedExecutionContext {
  deps: Pick<RemediationDeps, 'db' | 'docker' | 'config' | 'clock' | 'logger' | 'cgroupRoot' | 'procRoot'>;
  byId: ReadonlyMap<string, Runbook>;
  threads: ThreadMessages;
  /** Makes sure due verifications run at `at` (scheduled-verifications.ts). */
  arm: (at: number) => void;
}

export interface ApprovedExecution {
  /** Handed to the approval service as its executor. */
  execute(request: RemediationRequest, runbook: Runbook, run: { live: LiveTarget; budget: ExecutionBudget }): Promise<ExecutionReport>;
  /**
   * After the service stored the outcome, or at a start for one a crash left untold: the approval
   * message, the result in its thread, the verification. At most once per request; null when it
   * was told already (or there is nothing to tell).
   */
  announceResult(requestId: string): ResultView | null;
}

export function createApprovedExecution(ctx: ApprovedExecutionContext): ApprovedExecution {
  const { deps, threads } = ctx;
  const { db, docker, config, clock } = deps;

  async function execute(request: RemediationRequest, runbook: Runbook, { live, budget }: { live: LiveTarget; budget: ExecutionBudget }): Promise<ExecutionReport> {
    const followup = getFollowup(db, request.id);
    const view = (followup?.view ?? null) as ApprovalView | null;
    if (followup && view) {
      threads.refreshApproval(request.id);
      threads.toThread(request.id, followup.channel, 'reply', remediationStartedNotice(view, approversOf(request)));
    }
    const started = clock();
    const took = () => clock() - started;
    const validated = checkParamValues(runbook, request.params as ParamValues);
    if (!validated.ok) {
      return storedReport(resultView('refused', `refused: the stored parameters no longer fit the runbook: ${validated.problems.join('; ')}`, null, null, null, took()), false);
    }
    // Planned again from the target as the approval read it: it may have changed since the approval message.
    const plan = planExecution(runbook, live.container, validated.params, live.state);
    const action = describeAction(plan.action, plan.target.name);
    const changed = view !== null && plan.action !== null && view.plan.action !== action ? [`The target changed since the approval message (${view.plan.action}); ran what its live state calls for: ${action}.`] : [];
    if (request.dryRun) {
      return storedReport({ ...resultView('dry-run', `dry run: nothing was executed; it would run ${action}`, null, null, null, took()), action }, true);
    }

    // Stored before the run, so a verification after a restart still compares with it.
    const before = await measureTarget(deps, request.target.containerId, { live, signal: budget.signal });
    setFollowupBefore(db, request.id, before, clock());
    let result: ExecutionResult;
    const cut = abortReason(budget);
    if (cut !== null) {
      result = { ok: false, status: 'timed-out', summary: cutShortSummary(budget, cut.message), output: '', notes: [], action: null, durationMs: took() };
    } else {
      result = await executePlan(plan, { docker, cgroupRoot: deps.cgroupRoot, clock }, budget);
    }
    const after = await measureTarget(deps, request.target.containerId, { signal: budget.signal });
    return storedReport(
      {
        status: result.status,
        summary: result.summary,
        output: result.output,
        notes: [...changed, ...result.notes],
        action: result.action === null ? null : describeAction(result.action, request.target.name),
        before,
        after,
        durationMs: took(),
        verifyAt: null,
      },
      result.ok,
    );
  }

  function announceResult(requestId: string): ResultView | null {
    const request = getRequest(db, requestId);
    const followup = getFollowup(db, requestId);
    if (!request || !followup || followup.announcedAt !== null) return null;
    const result = resultFromStored(getExecution(db, requestId)?.result, request);
    const view = followup.view as ApprovalView;
    const runbook = ctx.byId.get(request.runbookId);
    const verifies = !request.dryRun && (result.status === 'applied' || result.status === 'partial' || result.status === 'timed-out');
    const afterMs = runbook && runbook.sha256 === request.runbookSha256 ? verifySpecFor(runbook, config.remediation.verifyAfterDefault).afterMs : view.verify.afterMs;
    const now = clock();
    const told = announceOnce(db, requestId, now, () => {
      if (verifies && scheduleVerification(db, requestId, now + afterMs, now)) result.verifyAt = now + afterMs;
      threads.refreshApproval(requestId);
      threads.toThread(requestId, followup.channel, 'reply', remediationResultNotice(view, result));
      // The alert hears once: with the verification when there is one, else now.
      if (result.verifyAt === null && !request.dryRun) threads.toAlertThread(followup, alertFollowupNotice(view, approversOf(request), result, null));
    });
    if (!told) return null;
    if (result.verifyAt !== null) ctx.arm(result.verifyAt);
    return result;
  }

  return { execute, announceResult };
}
