// celery.pool-grow: raise a worker's pool to `concurrency` children, live (the undo of a shrink).
// pool_grow only raises the pool's target; billiard's maintenance starts the children a moment
// later, so the result waits (bounded) until they show in the process list.
import { formatArgv, boundedOutput, runExec } from './run-exec.js';
import {
  celeryControlArgv,
  describeReply,
  liveChangeNote,
  parseControlReply,
  planArgv,
  planCelery,
  replyTimeoutSeconds,
  watchPool,
} from './celery-control.js';
import type { ExecContext, ExecutionPlan, ExecutionResult, Executor, PlanDraft, PlanInput } from './types.js';

/** Measured here: the new children show 1 to 5 s after "pool will grow". */
const SETTLE_MS = 20_000;

export const celeryPoolGrowExecutor: Executor = {
  kind: 'celery.pool-grow',

  plan(input: PlanInput): PlanDraft {
    const target = Number(input.params.concurrency);
    return planCelery(input, ({ worker, app, node }) => {
      if (worker.autoscale !== null) {
        const refusal = `${node} autoscales (--autoscale=${worker.autoscale.max},${worker.autoscale.min}): Celery refuses pool_grow then; change the autoscale range instead`;
        return { action: null, refusal, summary: `refused: ${refusal}`, notes: [] };
      }
      if (worker.poolSize >= target) {
        return { action: null, refusal: null, summary: `nothing to do: ${node} runs ${worker.poolSize} pool children, at least ${target}`, notes: [] };
      }
      const argv = celeryControlArgv(app, node, 'pool_grow', [String(target - worker.poolSize)], input.runbook.timeoutMs);
      return {
        action: { type: 'exec', containerId: input.container.id, argv },
        refusal: null,
        summary: `grow ${node}'s pool from ${worker.poolSize} to ${target} children: ${formatArgv(argv)} (in ${input.container.name})`,
        notes: [liveChangeNote(worker, target, 'grow')],
      };
    });
  },

  async execute(plan: ExecutionPlan, ctx: ExecContext): Promise<ExecutionResult> {
    const started = ctx.now();
    const argv = planArgv(plan);
    const celery = plan.celery as NonNullable<ExecutionPlan['celery']>;
    const target = Number(plan.params.concurrency);
    const from = plan.before.poolSize ?? 0;
    const outcome = await runExec(ctx.docker, plan.target.id, argv, ctx.signal);
    const reply = parseControlReply(outcome.exitCode, outcome.stdout, outcome.stderr, celery.node);
    const pool = await watchPool(ctx, plan.target.id, celery.masterPid, (p) => p.poolSize >= target, reply.type === 'ok' ? SETTLE_MS : 1_000);
    const size = pool?.poolSize ?? null;
    const base = { output: boundedOutput(outcome), before: plan.before, after: pool ?? {}, action: plan.action, durationMs: ctx.now() - started };
    const said = describeReply(reply, celery.node, replyTimeoutSeconds(plan.timeoutMs));

    if (size === null) {
      return { ...base, ok: false, status: 'failed', summary: `failed: ${celery.node}'s master process is gone (the worker restarted or stopped); ${said}`, notes: [] };
    }
    if (reply.type === 'ok' && size >= target) {
      return { ...base, ok: true, status: 'applied', summary: `grew ${celery.node}'s pool from ${from} to ${size} children`, notes: plan.notes };
    }
    if (reply.type === 'ok') {
      return {
        ...base,
        ok: false,
        status: size > from ? 'partial' : 'failed',
        summary: `${size > from ? 'partial' : 'failed'}: ${said}, but ${celery.node}'s pool has ${size} children, not ${target}, after ${Math.round(SETTLE_MS / 1000)}s`,
        notes: plan.notes,
      };
    }
    return { ...base, ok: false, status: 'failed', summary: `failed: ${said}; the pool has ${size} children`, notes: [] };
  },
};
