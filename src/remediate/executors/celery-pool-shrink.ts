// celery.pool-shrink: lower a worker's pool to `concurrency` children, live. The number to stop is
// computed from the LIVE pool size (the master's children), never from inspect stats'
// max-concurrency, which keeps its start value after every shrink and grow.
//
// Celery stops idle children only: asked for more than are idle, it stops the idle ones and
// answers "Can't shrink pool. All processes busy!" (billiard Pool.shrink). That is reported as a
// partial result with the size reached, never as success.
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

/** How long a shrink may take to show in the process list. */
const SETTLE_MS = 10_000;

export const celeryPoolShrinkExecutor: Executor = {
  kind: 'celery.pool-shrink',

  plan(input: PlanInput): PlanDraft {
    const target = Number(input.params.concurrency);
    return planCelery(input, ({ worker, app, node }) => {
      if (worker.autoscale !== null) {
        const refusal = `${node} autoscales (--autoscale=${worker.autoscale.max},${worker.autoscale.min}): Celery refuses pool_shrink then; change the autoscale range instead`;
        return { action: null, refusal, summary: `refused: ${refusal}`, notes: [] };
      }
      if (worker.poolSize <= target) {
        return { action: null, refusal: null, summary: `nothing to do: ${node} runs ${worker.poolSize} pool children, not more than ${target}`, notes: [] };
      }
      const argv = celeryControlArgv(app, node, 'pool_shrink', [String(worker.poolSize - target)], input.runbook.timeoutMs);
      return {
        action: { type: 'exec', containerId: input.container.id, argv },
        refusal: null,
        summary: `shrink ${node}'s pool from ${worker.poolSize} to ${target} children: ${formatArgv(argv)} (in ${input.container.name})`,
        notes: [liveChangeNote(worker, target, 'shrink')],
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
    const pool = await watchPool(ctx, plan.target.id, celery.masterPid, (p) => p.poolSize <= target, reply.type === 'ok' ? SETTLE_MS : 1_000);
    const size = pool?.poolSize ?? null;
    const base = { output: boundedOutput(outcome), before: plan.before, after: pool ?? {}, action: plan.action, durationMs: ctx.now() - started };
    const said = describeReply(reply, celery.node, replyTimeoutSeconds(plan.timeoutMs));

    if (size === null) {
      return { ...base, ok: false, status: 'failed', summary: `failed: ${celery.node}'s master process is gone (the worker restarted or stopped); ${said}`, notes: [] };
    }
    if (reply.type === 'ok' && size === target) {
      return { ...base, ok: true, status: 'applied', summary: `shrank ${celery.node}'s pool from ${from} to ${size} children`, notes: plan.notes };
    }
    if (reply.type === 'error' && /busy/i.test(reply.message)) {
      const reached = size < from ? `shrank ${celery.node}'s pool from ${from} to ${size} children, not ${target}` : `${celery.node}'s pool is still ${size} children`;
      return {
        ...base,
        ok: false,
        status: size < from ? 'partial' : 'failed',
        summary: `${size < from ? 'partial' : 'failed'}: ${reached}: ${said}: the other children are running tasks. Run it again when they are idle.`,
        notes: size < from ? plan.notes : [],
      };
    }
    if (reply.type === 'ok') {
      return {
        ...base,
        ok: false,
        status: size < from ? 'partial' : 'failed',
        summary: `${size < from ? 'partial' : 'failed'}: ${said}, but ${celery.node}'s pool has ${size} children, not ${target}, after ${Math.round(SETTLE_MS / 1000)}s`,
        notes: plan.notes,
      };
    }
    return { ...base, ok: false, status: 'failed', summary: `failed: ${said}; the pool has ${size} children`, notes: [] };
  },
};
