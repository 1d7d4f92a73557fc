// planExecution and executePlan: the two entry points of the executors. A plan says exactly what
// would run (the exec's argv, or the API call with its body) and is what a human approves and the
// dry run shows. The approval plans again from the target as it is at that moment (the allowlist,
// the runbook's enabled flag and the parameters are checked again, and numbers derived from the
// live state, such as how many children to stop or the MemorySwap to send, come from then) and
// executePlan runs that plan under the execution's one deadline.
import { setTimeout as sleep } from 'node:timers/promises';
import { checkParamValues, type ParamValues } from '../runbook-params.js';
import type { Runbook, RunbookKind } from '../runbook-schema.js';
import { describeTarget, matchesTarget } from '../runbook-target.js';
import { celeryAutoscaleExecutor } from './celery-autoscale.js';
import { celeryPoolGrowExecutor } from './celery-pool-grow.js';
import { celeryPoolRestartExecutor } from './celery-pool-restart.js';
import { celeryPoolShrinkExecutor } from './celery-pool-shrink.js';
import { describeDockerError } from './docker-errors.js';
import { dockerExecExecutor } from './docker-exec.js';
import { dockerRestartExecutor } from './docker-restart.js';
import { dockerUpdateMemoryExecutor } from './docker-update-memory.js';
import { formatArgv } from './run-exec.js';
import { TargetNotFoundError } from './target.js';
import { abortReason, cutShortSummary, DeadlineExceeded, type ExecutionBudget, type RunningBudget, startBudget } from '../execution-budget.js';
import type { ExecContext, ExecutionPlan, ExecutionResult, Executor, ExecutorDeps, PlannedAction, TargetContainer, TargetState } from './types.js';

export const EXECUTORS: Readonly<Record<RunbookKind, Executor>> = {
  'celery.pool-shrink': celeryPoolShrinkExecutor,
  'celery.pool-grow': celeryPoolGrowExecutor,
  'celery.pool-restart': celeryPoolRestartExecutor,
  'celery.autoscale': celeryAutoscaleExecutor,
  'docker.restart': dockerRestartExecutor,
  'docker.update-memory': dockerUpdateMemoryExecutor,
  'docker.exec': dockerExecExecutor,
};

function refusedPlan(runbook: Runbook, container: TargetContainer, params: ParamValues, refusal: string, notes: string[] = []): ExecutionPlan {
  return { runbook, target: container, params, action: null, refusal, summary: `refused: ${refusal}`, before: {}, timeoutMs: runbook.timeoutMs, notes, celery: null };
}

/**
 * What `runbook` would do to `container` with `params`, given the container's live `state`
 * (inspectTarget). Pure. A plan that must not run carries `refusal` and no action.
 */
export function planExecution(runbook: Runbook, container: TargetContainer, params: ParamValues, state: TargetState): ExecutionPlan {
  if (!matchesTarget(runbook.target, container)) {
    return refusedPlan(runbook, container, params, `${container.name} is outside ${runbook.id}'s allowlist (${describeTarget(runbook.target)})`);
  }
  const checked = checkParamValues(runbook, params);
  if (!checked.ok) return refusedPlan(runbook, container, params, `invalid parameters: ${checked.problems.join('; ')}`);
  if (!state.running) return refusedPlan(runbook, container, checked.params, `${container.name} is not running`);
  const draft = EXECUTORS[runbook.kind].plan({ runbook, container, params: checked.params, state });
  const plan: ExecutionPlan = { runbook, target: container, params: checked.params, timeoutMs: runbook.timeoutMs, ...draft };
  if (!runbook.enabled && plan.refusal === null && plan.action !== null) {
    // Still a full plan (the dry run shows it), but nothing runs until the runbook is enabled.
    plan.refusal = `${runbook.id} is disabled (enabled: false in ${runbook.file})`;
  }
  return plan;
}

/** The action as one line: the argv of the exec, or the API call with its body. */
export function describeAction(action: PlannedAction | null, containerName: string): string {
  if (action === null) return 'nothing';
  if (action.type === 'exec') return `exec in ${containerName}: ${formatArgv(action.argv)}`;
  const query = new URLSearchParams(action.query).toString();
  return `${action.method} ${action.path}${query ? `?${query}` : ''}${action.body === null ? '' : ` ${JSON.stringify(action.body)}`}`;
}

/**
 * Runs a plan made from the target's live state a moment ago (the caller inspected it just now):
 * the action under the budget's deadline, and a report of what happened. Never throws: Docker
 * errors, refusals and timeouts are results. Without a budget, one of the runbook's timeout.
 */
export async function executePlan(plan: ExecutionPlan, deps: ExecutorDeps, given?: ExecutionBudget): Promise<ExecutionResult> {
  const now = deps.clock ?? Date.now;
  const started = now();
  const elapsed = (): number => now() - started;
  if (plan.refusal !== null) {
    return { ok: false, status: 'refused', summary: plan.summary.startsWith('refused') ? plan.summary : `refused: ${plan.refusal}`, output: '', before: plan.before, notes: plan.notes, action: null, durationMs: 0 };
  }
  if (plan.action === null) {
    return { ok: true, status: 'nothing-to-do', summary: plan.summary, output: '', before: plan.before, after: plan.before, notes: plan.notes, action: null, durationMs: 0 };
  }
  const own = given ? null : startBudget(plan.runbook.timeoutMs, now);
  const budget = given ?? (own as RunningBudget).budget;
  const action = describeAction(plan.action, plan.target.name);
  const ctx: ExecContext = {
    docker: deps.docker,
    cgroupRoot: deps.cgroupRoot ?? '/sys/fs/cgroup',
    signal: budget.signal,
    deadline: budget.deadline,
    now,
    sleep: (ms) => sleep(ms, undefined, { signal: budget.signal }),
    pollIntervalMs: deps.pollIntervalMs ?? 250,
  };
  try {
    // Throws instead when the deadline has passed: then nothing is sent.
    budget.markSent(action);
    const result = await EXECUTORS[plan.runbook.kind].execute(plan, ctx);
    return { ...result, durationMs: elapsed() };
  } catch (err) {
    const cut = abortReason(budget);
    if (cut !== null) {
      const why = cut instanceof DeadlineExceeded ? `timed out after ${budget.timeoutMs / 1000}s` : cut.message;
      const notes = plan.action.type === 'exec' && budget.sent !== null ? ['Docker cannot stop an exec: the command may still be running in the container.'] : [];
      return { ok: false, status: 'timed-out', summary: cutShortSummary(budget, why), output: '', before: plan.before, notes, action: budget.sent === null ? null : plan.action, durationMs: elapsed() };
    }
    if (err instanceof TargetNotFoundError) {
      return { ok: false, status: 'refused', summary: `refused: ${plan.target.name} does not exist any more`, output: '', notes: [], action: null, durationMs: elapsed() };
    }
    return { ok: false, status: 'failed', summary: `failed while running ${action}: ${describeDockerError(err)}`, output: '', before: plan.before, notes: [], action: plan.action, durationMs: elapsed() };
  } finally {
    own?.dispose();
  }
}

export { inspectTarget, TargetNotFoundError } from './target.js';
export type * from './types.js';
