// What celery.pool-grow and celery.pool-shrink share: plan a `celery control pool_grow|pool_shrink N`
// with N computed from the LIVE pool size (the master's children), run it, watch the pool settle
// and report the size reached. celery-pool-grow.ts and celery-pool-shrink.ts say what differs.
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

/** What an error reply is judged on: the sizes, and the result fields every outcome shares. */
export interface ResizeErrorContext {
  base: Pick<ExecutionResult, 'output' | 'before' | 'after' | 'action' | 'durationMs'>;
  node: string;
  from: number;
  size: number;
  target: number;
  /** describeReply's sentence for Celery's answer. */
  said: string;
  plan: ExecutionPlan;
}

/** What differs between growing and shrinking a pool. */
export interface PoolResize {
  kind: 'celery.pool-grow' | 'celery.pool-shrink';
  /** The word of the control command (pool_grow, pool_shrink), the plan summary and the live-change note. */
  verb: 'grow' | 'shrink';
  /** The applied summary's past tense. */
  did: 'grew' | 'shrank';
  /** How long the new size may take to show in the process list. */
  settleMs: number;
  /** Children to start or stop to take a pool of `size` to `target`; 0 or less: nothing to do. */
  change(size: number, target: number): number;
  /** Why a pool needs no change, as the nothing-to-do summary ends: "at least 4". */
  alreadyThere(target: number): string;
  /** The size the watch waits for. */
  settled(size: number, target: number): boolean;
  /** The size reported as applied. */
  reached(size: number, target: number): boolean;
  /** Whether the pool moved from `from` towards the target: partial rather than failed. */
  moved(from: number, size: number): boolean;
  /** The result for an error reply this direction explains itself; null: the plain failure. */
  explainError?(message: string, ctx: ResizeErrorContext): ExecutionResult | null;
}

/** The executor that takes a worker's pool to `concurrency` children, live, in `resize`'s direction. */
export function poolResizeExecutor(resize: PoolResize): Executor {
  const command = `pool_${resize.verb}`;
  return {
    kind: resize.kind,

    plan(input: PlanInput): PlanDraft {
      const target = Number(input.params.concurrency);
      return planCelery(input, ({ worker, app, node }) => {
        if (worker.autoscale !== null) {
          const refusal = `${node} autoscales (--autoscale=${worker.autoscale.max},${worker.autoscale.min}): Celery refuses ${command} then; change the autoscale range instead`;
          return { action: null, refusal, summary: `refused: ${refusal}`, notes: [] };
        }
        const change = resize.change(worker.poolSize, target);
        if (change <= 0) {
          return { action: null, refusal: null, summary: `nothing to do: ${node} runs ${worker.poolSize} pool children, ${resize.alreadyThere(target)}`, notes: [] };
        }
        const argv = celeryControlArgv(app, node, command, [String(change)], input.runbook.timeoutMs);
        return {
          action: { type: 'exec', containerId: input.container.id, argv },
          refusal: null,
          summary: `${resize.verb} ${node}'s pool from ${worker.poolSize} to ${target} children: ${formatArgv(argv)} (in ${input.container.name})`,
          notes: [liveChangeNote(worker, target, resize.verb)],
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
      const pool = await watchPool(ctx, plan.target.id, celery.masterPid, (p) => resize.settled(p.poolSize, target), reply.type === 'ok' ? resize.settleMs : 1_000);
      const size = pool?.poolSize ?? null;
      const base = { output: boundedOutput(outcome), before: plan.before, after: pool ?? {}, action: plan.action, durationMs: ctx.now() - started };
      const said = describeReply(reply, celery.node, replyTimeoutSeconds(plan.timeoutMs));

      if (size === null) {
        return { ...base, ok: false, status: 'failed', summary: `failed: ${celery.node}'s master process is gone (the worker restarted or stopped); ${said}`, notes: [] };
      }
      if (reply.type === 'ok' && resize.reached(size, target)) {
        return { ...base, ok: true, status: 'applied', summary: `${resize.did} ${celery.node}'s pool from ${from} to ${size} children`, notes: plan.notes };
      }
      if (reply.type === 'error') {
        const explained = resize.explainError?.(reply.message, { base, node: celery.node, from, size, target, said, plan }) ?? null;
        if (explained !== null) return explained;
      }
      if (reply.type === 'ok') {
        const status = resize.moved(from, size) ? 'partial' : 'failed';
        return {
          ...base,
          ok: false,
          status,
          summary: `${status}: ${said}, but ${celery.node}'s pool has ${size} children, not ${target}, after ${Math.round(resize.settleMs / 1000)}s`,
          notes: plan.notes,
        };
      }
      return { ...base, ok: false, status: 'failed', summary: `failed: ${said}; the pool has ${size} children`, notes: [] };
    },
  };
}
