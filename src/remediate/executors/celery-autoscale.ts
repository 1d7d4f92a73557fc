// celery.autoscale: change an autoscaling worker's range (`celery control autoscale MAX MIN`).
// Only for workers started with --autoscale: Celery answers "Autoscale not enabled" otherwise, so
// the plan refuses up front. The autoscaler moves the pool within the range by itself.
import { formatArgv, boundedOutput, runExec } from './run-exec.js';
import { celeryControlArgv, describeReply, parseControlReply, planArgv, planCelery, readPool, replyTimeoutSeconds } from './celery-control.js';
import type { ExecContext, ExecutionPlan, ExecutionResult, Executor, PlanDraft, PlanInput } from './types.js';

export const celeryAutoscaleExecutor: Executor = {
  kind: 'celery.autoscale',

  plan(input: PlanInput): PlanDraft {
    const max = Number(input.params.max);
    const min = Number(input.params.min);
    return planCelery(input, ({ worker, app, node }) => {
      if (min > max) {
        const refusal = `min (${min}) is above max (${max})`;
        return { action: null, refusal, summary: `refused: ${refusal}`, notes: [] };
      }
      if (worker.autoscale === null) {
        const refusal = `${node} was not started with --autoscale: Celery would answer "Autoscale not enabled"`;
        return { action: null, refusal, summary: `refused: ${refusal}`, notes: [] };
      }
      const argv = celeryControlArgv(app, node, 'autoscale', [String(max), String(min)], input.runbook.timeoutMs);
      return {
        action: { type: 'exec', containerId: input.container.id, argv },
        refusal: null,
        summary: `set ${node}'s autoscale range from ${worker.autoscale.max},${worker.autoscale.min} to ${max},${min}: ${formatArgv(argv)} (in ${input.container.name})`,
        notes: [
          `This range is live only: the worker's command line still says --autoscale=${worker.autoscale.max},${worker.autoscale.min}. To keep it, start the worker with --autoscale=${max},${min}.`,
        ],
      };
    });
  },

  async execute(plan: ExecutionPlan, ctx: ExecContext): Promise<ExecutionResult> {
    const started = ctx.now();
    const celery = plan.celery as NonNullable<ExecutionPlan['celery']>;
    const outcome = await runExec(ctx.docker, plan.target.id, planArgv(plan), ctx.signal);
    const reply = parseControlReply(outcome.exitCode, outcome.stdout, outcome.stderr, celery.node);
    const pool = await readPool(ctx, plan.target.id, celery.masterPid);
    const base = { output: boundedOutput(outcome), before: plan.before, after: pool ?? {}, action: plan.action, durationMs: ctx.now() - started };
    const said = describeReply(reply, celery.node, replyTimeoutSeconds(plan.timeoutMs));
    if (reply.type === 'ok') {
      return { ...base, ok: true, status: 'applied', summary: `${said} (pool now ${pool?.poolSize ?? 'unknown'}; the autoscaler moves it within the range)`, notes: plan.notes };
    }
    return { ...base, ok: false, status: 'failed', summary: `failed: ${said}`, notes: [] };
  },
};
