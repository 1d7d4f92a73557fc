// docker.exec: the runbook's fixed argv, run inside the container with exec (never a shell).
// A parameter can only be a whole argument ("{{name}}" in the runbook), substituted after
// validateParams: `a b; reboot` stays one argument, it is never split or interpreted.
import { renderArgv } from '../runbook-params.js';
import { boundedOutput, formatArgv, runExec } from './run-exec.js';
import type { ExecContext, ExecutionPlan, ExecutionResult, Executor, PlanDraft, PlanInput } from './types.js';

export const dockerExecExecutor: Executor = {
  kind: 'docker.exec',

  plan(input: PlanInput): PlanDraft {
    const argv = renderArgv(input.runbook.argv ?? [], input.params);
    return {
      action: { type: 'exec', containerId: input.container.id, argv },
      refusal: argv.length === 0 ? 'the runbook has no argv' : null,
      summary: `run ${formatArgv(argv)} in ${input.container.name}`,
      before: {},
      notes: [],
      celery: null,
    };
  },

  async execute(plan: ExecutionPlan, ctx: ExecContext): Promise<ExecutionResult> {
    const started = ctx.now();
    if (plan.action?.type !== 'exec') throw new Error('docker.exec plan without an exec action');
    const outcome = await runExec(ctx.docker, plan.target.id, plan.action.argv, ctx.signal);
    const ok = outcome.exitCode === 0;
    return {
      ok,
      status: ok ? 'applied' : 'failed',
      summary: `${ok ? 'ran' : 'failed:'} ${formatArgv(plan.action.argv)} in ${plan.target.name}: exit ${outcome.exitCode ?? 'unknown'}`,
      output: boundedOutput(outcome),
      notes: [],
      action: plan.action,
      durationMs: ctx.now() - started,
    };
  },
};
