// celery.pool-restart: replace a worker's pool children without stopping the worker, returning
// what they accumulated (leaks, per-child caches and models).
//
// What Celery really does (celery/concurrency/prefork.py TaskPool.restart, billiard Pool.restart):
// it flags every child to exit and sends one no-op task. A child sees the flag only when it takes
// a task, so the one that gets the no-op is replaced at once and each idle child when it next
// takes a task; a busy child finishes its task first. The result says how many were replaced by
// the time it looked, and never claims more. Needs worker_pool_restarts=True, else Celery answers
// "Pool restarts not enabled" and nothing changes.
import { formatArgv, boundedOutput, runExec } from './run-exec.js';
import { celeryControlArgv, describeReply, parseControlReply, planArgv, planCelery, replyTimeoutSeconds, watchPool } from './celery-control.js';
import type { ExecContext, ExecutionPlan, ExecutionResult, Executor, PlanDraft, PlanInput } from './types.js';

/** How long to watch for replaced children after "reload started". */
const SETTLE_MS = 5_000;

export const celeryPoolRestartExecutor: Executor = {
  kind: 'celery.pool-restart',

  plan(input: PlanInput): PlanDraft {
    return planCelery(input, ({ worker, app, node }) => {
      const argv = celeryControlArgv(app, node, 'pool_restart', [], input.runbook.timeoutMs);
      return {
        action: { type: 'exec', containerId: input.container.id, argv },
        refusal: null,
        summary: `replace ${node}'s ${worker.poolSize} pool children: ${formatArgv(argv)} (in ${input.container.name})`,
        notes: [
          'Celery replaces one child at once and every other child when it next takes a task; a busy child finishes its task first.',
          'Needs worker_pool_restarts=True in the Celery config; without it nothing changes.',
        ],
      };
    });
  },

  async execute(plan: ExecutionPlan, ctx: ExecContext): Promise<ExecutionResult> {
    const started = ctx.now();
    const argv = planArgv(plan);
    const celery = plan.celery as NonNullable<ExecutionPlan['celery']>;
    const old = new Set(plan.before.childPids ?? []);
    const size = plan.before.poolSize ?? old.size;
    const outcome = await runExec(ctx.docker, plan.target.id, argv, ctx.signal);
    const reply = parseControlReply(outcome.exitCode, outcome.stdout, outcome.stderr, celery.node);
    const replaced = (pids: readonly number[]): number => size - pids.filter((pid) => old.has(pid)).length;
    // Done when at least one child was replaced and the pool is back to its size.
    const pool = await watchPool(
      ctx,
      plan.target.id,
      celery.masterPid,
      (p) => p.poolSize >= size && replaced(p.childPids) >= 1,
      reply.type === 'ok' ? SETTLE_MS : 500,
    );
    const base = { output: boundedOutput(outcome), before: plan.before, after: pool ?? {}, action: plan.action, durationMs: ctx.now() - started };
    const said = describeReply(reply, celery.node, replyTimeoutSeconds(plan.timeoutMs));

    if (reply.type === 'error' && /not enabled/i.test(reply.message)) {
      return {
        ...base,
        ok: false,
        status: 'failed',
        summary: `failed: ${said}: pool restarts are off for ${celery.node}, nothing changed`,
        notes: ['Set worker_pool_restarts=True in the Celery config (it takes effect after one worker restart), or use a runbook that restarts the container.'],
      };
    }
    if (pool === null) {
      return { ...base, ok: false, status: 'failed', summary: `failed: ${celery.node}'s master process is gone (the worker restarted or stopped); ${said}`, notes: [] };
    }
    if (reply.type !== 'ok') {
      return { ...base, ok: false, status: 'failed', summary: `failed: ${said}`, notes: [] };
    }
    const count = replaced(pool.childPids);
    const rest = size - count;
    return {
      ...base,
      ok: true,
      status: 'applied',
      summary:
        `${said}: ${count} of ${size} children of ${celery.node} replaced so far (pool ${pool.poolSize})` +
        (rest > 0 ? `; the other ${rest} are replaced as each takes its next task` : ''),
      notes: rest > 0 ? ['Idle children keep their memory until they take a task: the memory drop shows once the queue has sent each one a task.'] : [],
    };
  },
};
