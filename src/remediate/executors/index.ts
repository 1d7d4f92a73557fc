// planExecution and executePlan: the two entry points of the executors. A plan says exactly what
// would run (the exec's argv, or the API call with its body) and is what a human approves and the
// dry run shows. Executing re-reads the target live and re-plans first: the allowlist, the
// runbook's enabled flag and the parameters are checked again, and numbers derived from the live
// state (how many children to stop, the MemorySwap to send) come from that moment, not from when
// the plan was made. Everything runs under the runbook's timeout.
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
import { inspectTarget, TargetNotFoundError } from './target.js';
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

class ExecutionTimeoutError extends Error {
  readonly code = 'execution_timeout';
  constructor(readonly timeoutMs: number) {
    super(`timed out after ${timeoutMs / 1000}s`);
    this.name = 'ExecutionTimeoutError';
  }
}

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
 * Runs a plan: re-reads the target, re-plans, runs the action under the runbook's timeout and
 * reports what happened. Never throws: Docker errors, refusals and timeouts are results.
 */
export async function executePlan(plan: ExecutionPlan, deps: ExecutorDeps): Promise<ExecutionResult> {
  const now = deps.clock ?? Date.now;
  const started = now();
  const elapsed = (): number => now() - started;
  if (plan.refusal !== null) {
    return { ok: false, status: 'refused', summary: plan.summary.startsWith('refused') ? plan.summary : `refused: ${plan.refusal}`, output: '', notes: plan.notes, action: null, durationMs: 0 };
  }
  const controller = new AbortController();
  const timeoutMs = plan.runbook.timeoutMs;
  const timer = setTimeout(() => controller.abort(new ExecutionTimeoutError(timeoutMs)), timeoutMs);
  const ctx: ExecContext = {
    docker: deps.docker,
    cgroupRoot: deps.cgroupRoot ?? '/sys/fs/cgroup',
    signal: controller.signal,
    deadline: started + timeoutMs,
    now,
    sleep: (ms) => sleep(ms, undefined, { signal: controller.signal }),
    pollIntervalMs: deps.pollIntervalMs ?? 250,
  };
  let phase = 'reading the target';
  let fresh: ExecutionPlan | null = null;
  try {
    const live = await inspectTarget(deps.docker, plan.target.id, { signal: ctx.signal, cgroupRoot: ctx.cgroupRoot });
    fresh = planExecution(plan.runbook, live.container, plan.params, live.state);
    const notes: string[] = [];
    if (JSON.stringify(fresh.action) !== JSON.stringify(plan.action) && fresh.action !== null) {
      notes.push(`The target changed since the plan (${describeAction(plan.action, plan.target.name)}); ran what its live state calls for: ${describeAction(fresh.action, fresh.target.name)}.`);
    }
    if (fresh.refusal !== null) {
      return { ok: false, status: 'refused', summary: fresh.summary.startsWith('refused') ? fresh.summary : `refused: ${fresh.refusal}`, output: '', before: fresh.before, notes: [...notes, ...fresh.notes], action: null, durationMs: elapsed() };
    }
    if (fresh.action === null) {
      return { ok: true, status: 'nothing-to-do', summary: fresh.summary, output: '', before: fresh.before, after: fresh.before, notes: [...notes, ...fresh.notes], action: null, durationMs: elapsed() };
    }
    phase = describeAction(fresh.action, fresh.target.name);
    const result = await EXECUTORS[fresh.runbook.kind].execute(fresh, ctx);
    return { ...result, notes: [...notes, ...result.notes], durationMs: elapsed() };
  } catch (err) {
    const timedOut = controller.signal.aborted && controller.signal.reason instanceof ExecutionTimeoutError;
    if (timedOut) {
      const notes = fresh?.action?.type === 'exec' ? ['Docker cannot stop an exec: the command may still be running in the container.'] : [];
      return { ok: false, status: 'timed-out', summary: `timed out after ${timeoutMs / 1000}s while ${phase}`, output: '', before: fresh?.before ?? plan.before, notes, action: fresh?.action ?? null, durationMs: elapsed() };
    }
    if (err instanceof TargetNotFoundError) {
      return { ok: false, status: 'refused', summary: `refused: ${plan.target.name} does not exist any more`, output: '', notes: [], action: null, durationMs: elapsed() };
    }
    return { ok: false, status: 'failed', summary: `failed while ${phase}: ${describeDockerError(err)}`, output: '', before: fresh?.before ?? plan.before, notes: [], action: fresh?.action ?? null, durationMs: elapsed() };
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

export { inspectTarget, TargetNotFoundError } from './target.js';
export type * from './types.js';
