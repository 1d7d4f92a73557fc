// docker.update-memory: POST /containers/{id}/update with Memory AND MemorySwap.
//
// Engine facts (platform-facts.md, verified on Engine 20.10 / cgroup v1):
// - Memory alone is refused with 409 "Memory limit should be smaller than already set memoryswap
//   limit" (even when swap is -1): MemorySwap is always sent, and it must be >= Memory.
// - MemorySwap is memory + swap; -1 is unlimited swap. The new value keeps what the container had:
//   swap disabled (MemorySwap == Memory, or no limit at all) stays disabled, -1 stays -1, and a
//   swap allowance (MemorySwap > Memory; Docker's default is twice the memory) keeps its size.
// - A limit below the current usage fails on cgroup v1 with HTTP 500 "unable to set memory limit to
//   N (current usage: M, peak usage: P)" and nothing changes; on cgroup v2 the kernel reclaims and
//   then OOM-kills inside the container. So memwarden refuses such a limit before calling Docker,
//   and maps the 500 (usage grew meanwhile, or cache the kernel could not reclaim) to the same words.
import { formatBytes } from '../../format/units.js';
import { dockerErrorMessage, dockerStatusCode } from './docker-errors.js';
import type { ExecContext, ExecutionPlan, ExecutionResult, Executor, Observation, PlanDraft, PlanInput, TargetState } from './types.js';

/** Less headroom than this above the current usage earns a warning in the plan. */
const TIGHT_HEADROOM = 0.1;

/** MemorySwap to send with a new limit, keeping the container's swap semantics. */
export function nextMemorySwap(state: Pick<TargetState, 'memoryLimit' | 'memorySwap'>, limit: number): number {
  if (state.memorySwap === -1) return -1;
  if (state.memoryLimit > 0 && state.memorySwap > state.memoryLimit) return limit + (state.memorySwap - state.memoryLimit);
  return limit;
}

export function describeSwap(memorySwap: number, limit: number): string {
  if (memorySwap === -1) return 'swap stays unlimited (MemorySwap -1)';
  if (memorySwap === limit) return 'no swap (MemorySwap = Memory)';
  return `swap allowance kept at ${formatBytes(memorySwap - limit)} (MemorySwap ${formatBytes(memorySwap)})`;
}

function belowUsage(runbookId: string, limit: number, container: string, usage: number): string {
  return `refused: ${runbookId} ${formatBytes(limit)} is below ${container}'s current usage of ${formatBytes(usage)}`;
}

export const dockerUpdateMemoryExecutor: Executor = {
  kind: 'docker.update-memory',

  plan(input: PlanInput): PlanDraft {
    const { container, state, runbook } = input;
    const limit = Number(input.params.limit);
    const usage = state.memoryUsageBytes;
    const before: Observation = { memoryUsageBytes: usage, memoryLimit: state.memoryLimit, memorySwap: state.memorySwap };
    if (usage !== null && limit < usage) {
      const refusal = belowUsage(runbook.id, limit, container.name, usage);
      return { action: null, refusal, summary: refusal, before, notes: [], celery: null };
    }
    const memorySwap = nextMemorySwap(state, limit);
    const body = { Memory: limit, MemorySwap: memorySwap };
    const path = `/containers/${container.id}/update`;
    const notes = [describeSwap(memorySwap, limit)];
    if (usage === null) notes.push(`${container.name}'s current usage could not be measured: Docker checks it when the limit is applied.`);
    else if (limit < usage * (1 + TIGHT_HEADROOM)) {
      notes.push(`Tight: ${formatBytes(limit)} leaves ${formatBytes(limit - usage)} above the current usage of ${formatBytes(usage)}; a burst gets a process OOM-killed.`);
    }
    notes.push('The limit is lost when the container is recreated: set it in docker-compose.yml (mem_limit, or deploy.resources.limits.memory) too.');
    const from = state.memoryLimit > 0 ? formatBytes(state.memoryLimit) : 'no limit';
    return {
      action: { type: 'api', method: 'POST', path, query: {}, body },
      refusal: null,
      summary: `set ${container.name}'s memory limit from ${from} to ${formatBytes(limit)} (using ${formatBytes(usage)}): POST ${path} ${JSON.stringify(body)}`,
      before,
      notes,
      celery: null,
    };
  },

  async execute(plan: ExecutionPlan, ctx: ExecContext): Promise<ExecutionResult> {
    const started = ctx.now();
    const body = plan.action?.type === 'api' ? plan.action.body : null;
    if (body === null || typeof body.Memory !== 'number' || typeof body.MemorySwap !== 'number') throw new Error('update-memory plan without a body');
    const handle = ctx.docker.getContainer(plan.target.id);
    let refusal: string | null = null;
    let failure: string | null = null;
    try {
      await handle.update({ Memory: body.Memory, MemorySwap: body.MemorySwap, abortSignal: ctx.signal });
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      const message = dockerErrorMessage(err);
      const kernel = /unable to set memory limit to \d+ \(current usage: (\d+)/.exec(message);
      if (dockerStatusCode(err) === 500 && kernel?.[1]) {
        refusal = `${belowUsage(plan.runbook.id, body.Memory, plan.target.name, Number(kernel[1]))} (the kernel could not reclaim enough; Docker: "${message.replace(/^.*?(unable to set memory limit)/, '$1')}")`;
      } else {
        failure = `failed: Docker answered HTTP ${dockerStatusCode(err) ?? '?'}: ${message}`;
      }
    }
    const info = await handle.inspect({ abortSignal: ctx.signal });
    const after: Observation = { memoryLimit: info.HostConfig.Memory ?? 0, memorySwap: info.HostConfig.MemorySwap ?? 0 };
    const base = { output: '', before: plan.before, after, action: plan.action, durationMs: ctx.now() - started };
    if (refusal !== null) return { ...base, ok: false, status: 'refused', summary: refusal, notes: ['Nothing changed: the limit is as before.'] };
    if (failure !== null) return { ...base, ok: false, status: 'failed', summary: failure, notes: [] };
    if (after.memoryLimit !== body.Memory || after.memorySwap !== body.MemorySwap) {
      return {
        ...base,
        ok: false,
        status: 'failed',
        summary: `failed: Docker accepted the update but ${plan.target.name} shows Memory ${after.memoryLimit}, MemorySwap ${after.memorySwap}`,
        notes: [],
      };
    }
    return {
      ...base,
      ok: true,
      status: 'applied',
      summary: `set ${plan.target.name}'s memory limit to ${formatBytes(body.Memory)}; ${describeSwap(body.MemorySwap, body.Memory)}`,
      notes: plan.notes.filter((n) => !n.startsWith('Tight') && !n.includes('could not be measured')),
    };
  },
};
