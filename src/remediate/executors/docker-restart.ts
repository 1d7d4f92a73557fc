// docker.restart: POST /containers/{id}/restart?t=grace. Docker sends SIGTERM (for Celery a warm
// shutdown: running tasks finish), waits `grace`, then SIGKILLs (a busy worker loses its task,
// exit 137; platform-facts.md). Success is a new StartedAt on a running container; for a Celery
// worker the result also waits, within the timeout, until its pool is back.
import { formatBytes } from '../../format/units.js';
import { findCeleryWorkers, readTop } from './target.js';
import type { ExecContext, ExecutionPlan, ExecutionResult, Executor, Observation, PlanDraft, PlanInput } from './types.js';

/** Docker's default stop timeout, when the runbook declares no grace parameter. */
const DEFAULT_GRACE_MS = 10_000;

function graceSeconds(plan: { params: Record<string, number | string> }): number {
  const grace = plan.params.grace;
  return Math.ceil((typeof grace === 'number' ? grace : DEFAULT_GRACE_MS) / 1000);
}

export const dockerRestartExecutor: Executor = {
  kind: 'docker.restart',

  plan(input: PlanInput): PlanDraft {
    const { container, state, runbook } = input;
    const t = graceSeconds(input);
    const worker = state.celeryWorkers.length === 1 ? state.celeryWorkers[0] : undefined;
    const before: Observation = { running: state.running, startedAt: state.startedAt, memoryUsageBytes: state.memoryUsageBytes };
    if (worker) before.poolSize = worker.poolSize;
    if (t * 1000 + 5_000 > runbook.timeoutMs) {
      const refusal = `a grace period of ${t}s does not fit in the runbook's timeout of ${runbook.timeoutMs / 1000}s`;
      return { action: null, refusal, summary: `refused: ${refusal}`, before, notes: [], celery: null };
    }
    const path = `/containers/${container.id}/restart`;
    const notes = [`Tasks still running ${t}s after SIGTERM are killed and lost, unless they are acked late (task_acks_late).`];
    if (worker) {
      notes.push(
        `The worker comes back with its command line's pool size (${worker.configuredConcurrency === null ? 'one child per CPU' : `--concurrency=${worker.configuredConcurrency}`}): a live pool shrink or grow is undone.`,
      );
    }
    return {
      action: { type: 'api', method: 'POST', path, query: { t: String(t) }, body: null },
      refusal: null,
      summary: `restart ${container.name} (using ${formatBytes(state.memoryUsageBytes)}): POST ${path}?t=${t}`,
      before,
      notes,
      celery: null,
    };
  },

  async execute(plan: ExecutionPlan, ctx: ExecContext): Promise<ExecutionResult> {
    const started = ctx.now();
    const t = graceSeconds(plan);
    const handle = ctx.docker.getContainer(plan.target.id);
    await handle.restart({ t, abortSignal: ctx.signal });
    const info = await handle.inspect({ abortSignal: ctx.signal });
    const after: Observation = { running: info.State.Running, startedAt: info.State.StartedAt };
    const restarted = info.State.Running && info.State.StartedAt !== plan.before.startedAt;
    const notes = [...plan.notes];
    if (restarted && plan.before.poolSize !== undefined) {
      // Bounded: until the master's pool reaches its command line's --concurrency (the size it
      // had when that is not given), or the deadline; the children start one by one.
      for (;;) {
        const workers = findCeleryWorkers(await readTop(ctx.docker, plan.target.id, ctx.signal), info.Config.Hostname || null);
        const worker = workers.length === 1 ? workers[0] : undefined;
        const expected = worker?.configuredConcurrency ?? plan.before.poolSize;
        if (worker) after.poolSize = worker.poolSize;
        if (worker && worker.poolSize >= expected) break;
        if (ctx.now() + ctx.pollIntervalMs > ctx.deadline - 500) {
          notes.push(`The worker had ${worker ? `${worker.poolSize} of ${expected}` : 'not yet started its'} pool children when memwarden last looked.`);
          break;
        }
        await ctx.sleep(ctx.pollIntervalMs);
      }
    }
    const base = { output: '', before: plan.before, after, action: plan.action, durationMs: ctx.now() - started, notes };
    if (!restarted) {
      return {
        ...base,
        ok: false,
        status: 'failed',
        summary: `failed: ${plan.target.name} ${info.State.Running ? 'did not restart (same StartedAt)' : `is not running after the restart (${info.State.Status}, exit ${info.State.ExitCode})`}`,
      };
    }
    const pool = after.poolSize === undefined ? '' : ` with ${after.poolSize} pool children`;
    return { ...base, ok: true, status: 'applied', summary: `restarted ${plan.target.name} (grace ${t}s): running again since ${info.State.StartedAt}${pool}` };
  },
};
