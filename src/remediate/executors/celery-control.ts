// What the celery.* executors share: which worker a runbook addresses, the argv of a `celery
// control` command run inside the worker's container, reading its JSON reply, and watching the
// pool (the master's children) settle afterwards.
//
// Celery facts this relies on (platform-facts.md, celery/worker/control.py, billiard/pool.py):
// - `celery -A APP control CMD ARGS -d NODE -j -t SECONDS` prints [{"NODE": {"ok": "..."}}] or
//   [{"NODE": {"error": "..."}}]; with no reply it exits 69 "No nodes replied within time constraint".
// - The live pool size is the number of the master's children; `inspect stats` max-concurrency is
//   fixed at start. pool_shrink stops idle children at once; pool_grow only raises the target and
//   the pool's maintenance starts the children a moment later.
// - A live shrink/grow is lost when the worker restarts: its command line still has --concurrency.
import { CELERY_APP, CELERY_NODE } from '../runbook-schema.js';
import { describeTarget } from '../runbook-target.js';
import { readTop } from './target.js';
import type { CeleryWorkerState, ExecContext, ExecutionPlan, Observation, PlanDraft, PlanInput } from './types.js';

export type ResolvedWorker = { worker: CeleryWorkerState; app: string; node: string } | { refusal: string };

/** The worker the runbook addresses in this container, with the app and node to name in the command. */
export function resolveCeleryWorker(input: PlanInput): ResolvedWorker {
  const { runbook, container, state } = input;
  const settings = runbook.celery ?? { app: 'auto', node: 'auto' };
  const workers = state.celeryWorkers;
  if (workers.length === 0) return { refusal: `no Celery worker runs in ${container.name}` };
  let worker: CeleryWorkerState | undefined;
  if (settings.node !== 'auto') {
    worker = workers.find((w) => w.nodeName === settings.node) ?? (workers.length === 1 && workers[0]?.nodeName === null ? workers[0] : undefined);
    if (!worker) {
      return { refusal: `no Celery worker named ${settings.node} runs in ${container.name} (found ${workers.map((w) => w.nodeName ?? `pid ${w.masterPid}`).join(', ')})` };
    }
  } else if (workers.length > 1) {
    return { refusal: `${workers.length} Celery workers run in ${container.name} (${workers.map((w) => w.nodeName ?? `pid ${w.masterPid}`).join(', ')}): set celery.node in ${runbook.file}` };
  } else {
    worker = workers[0];
  }
  if (!worker) return { refusal: `no Celery worker runs in ${container.name}` };
  const app = settings.app !== 'auto' ? settings.app : worker.app;
  if (app === null) {
    return { refusal: `the worker's command line names no Celery app (-A): set celery.app in ${runbook.file}` };
  }
  if (!CELERY_APP.test(app)) return { refusal: `the worker's Celery app ${JSON.stringify(app)} is not a module path memwarden will pass to -A` };
  const node = settings.node !== 'auto' ? settings.node : worker.nodeName;
  if (node === null) return { refusal: `could not tell the worker's node name from its command line: set celery.node in ${runbook.file}` };
  if (!CELERY_NODE.test(node)) return { refusal: `the worker's node name ${JSON.stringify(node)} is not one memwarden will pass to -d` };
  return { worker, app, node };
}

/** Seconds `celery control` waits for the reply: a fraction of the runbook's timeout, 1 to 10 s. */
export function replyTimeoutSeconds(timeoutMs: number): number {
  return Math.max(1, Math.min(10, Math.floor(timeoutMs / 4000)));
}

/** celery -A APP control COMMAND ARGS... -d NODE -j -t SECONDS */
export function celeryControlArgv(app: string, node: string, command: string, args: readonly string[], timeoutMs: number): string[] {
  return ['celery', '-A', app, 'control', command, ...args, '-d', node, '-j', '-t', String(replyTimeoutSeconds(timeoutMs))];
}

export type ControlReply =
  | { type: 'ok'; message: string }
  | { type: 'error'; message: string }
  | { type: 'no-reply' }
  | { type: 'unreadable'; detail: string };

/**
 * Reads what `celery control -j` printed for `node`. Celery wraps a raised error as its repr:
 * `ValueError("Can't shrink pool. All processes busy!")` becomes that message.
 */
export function parseControlReply(exitCode: number | null, stdout: string, stderr: string, node: string): ControlReply {
  const line = stdout
    .split('\n')
    .map((l) => l.trim())
    .reverse()
    .find((l) => l.startsWith('['));
  if (line !== undefined) {
    try {
      const replies = JSON.parse(line) as unknown;
      if (Array.isArray(replies)) {
        for (const reply of replies) {
          if (typeof reply !== 'object' || reply === null || !Object.hasOwn(reply, node)) continue;
          const body = (reply as Record<string, unknown>)[node] as { ok?: unknown; error?: unknown } | null;
          if (typeof body?.ok === 'string') return { type: 'ok', message: body.ok };
          if (typeof body?.error === 'string') return { type: 'error', message: unwrapPythonError(body.error) };
        }
      }
    } catch {
      // fall through: not the JSON we expected
    }
  }
  if (exitCode === 69 || /No nodes replied/i.test(stderr)) return { type: 'no-reply' };
  const detail = (stderr.trim() || stdout.trim()).split('\n').slice(-3).join(' ').slice(0, 300);
  return { type: 'unreadable', detail: `exit ${exitCode ?? 'unknown'}${detail ? `: ${detail}` : ''}` };
}

function unwrapPythonError(text: string): string {
  const m = /^\w+(?:Error|Exception)\((['"])(.*)\1\)$/s.exec(text.trim());
  return m?.[2] ?? text;
}

/** The reply as one clause of a summary. */
export function describeReply(reply: ControlReply, node: string, replySeconds: number): string {
  switch (reply.type) {
    case 'ok':
      return `Celery answered "${reply.message}"`;
    case 'error':
      return `Celery answered "${reply.message}"`;
    case 'no-reply':
      return `${node} did not answer within ${replySeconds}s (is it running and is the node name right?)`;
    case 'unreadable':
      return `celery control failed (${reply.detail})`;
  }
}

/** The live pool of one master: its children now, from `docker top`. */
export async function readPool(ctx: ExecContext, containerId: string, masterPid: number): Promise<{ poolSize: number; childPids: number[] } | null> {
  const processes = await readTop(ctx.docker, containerId, ctx.signal);
  if (!processes.some((p) => p.pid === masterPid)) return null; // the master is gone (restarted)
  const childPids = processes
    .filter((p) => p.ppid === masterPid)
    .map((p) => p.pid)
    .sort((a, b) => a - b);
  return { poolSize: childPids.length, childPids };
}

/**
 * Watches the pool until `done` says so or `maxMs` (within the deadline) passes; returns the
 * last look. Bounded polling: shrinking is immediate, growing waits for the pool's maintenance.
 */
export async function watchPool(
  ctx: ExecContext,
  containerId: string,
  masterPid: number,
  done: (pool: { poolSize: number; childPids: number[] }) => boolean,
  maxMs: number,
): Promise<{ poolSize: number; childPids: number[] } | null> {
  const until = Math.min(ctx.deadline - 500, ctx.now() + maxMs);
  for (;;) {
    const pool = await readPool(ctx, containerId, masterPid);
    if (pool === null || done(pool) || ctx.now() + ctx.pollIntervalMs > until) return pool;
    await ctx.sleep(ctx.pollIntervalMs);
  }
}

/** The worker's command line with --concurrency=N, the fix that survives a restart. */
export function persistentConcurrencyCommand(cmdline: string, concurrency: number): string {
  const tokens = cmdline.replace(/^\[celeryd: [^\]]*\][^(]*\((.*)\)$/, '$1').split(/\s+/).filter((t) => t !== '');
  const out: string[] = [];
  let replaced = false;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] ?? '';
    if (token === '-c' || token === '--concurrency') {
      out.push(`--concurrency=${concurrency}`);
      i++;
      replaced = true;
    } else if (token.startsWith('--concurrency=') || (/^-c\d+$/.test(token))) {
      out.push(`--concurrency=${concurrency}`);
      replaced = true;
    } else {
      out.push(token);
    }
  }
  if (!replaced) {
    const at = out.indexOf('worker');
    out.splice(at < 0 ? out.length : at + 1, 0, `--concurrency=${concurrency}`);
  }
  return out.join(' ');
}

/** The note every live pool change carries: it does not survive a restart, and how to make it. */
export function liveChangeNote(worker: CeleryWorkerState, concurrency: number, verb: string): string {
  const now = worker.configuredConcurrency === null ? 'names no --concurrency (Celery then starts one child per CPU)' : `still says --concurrency=${worker.configuredConcurrency}`;
  return (
    `This ${verb} is live only: it is lost when the worker restarts, because its command line ${now}. ` +
    `To keep ${concurrency}, start the worker with --concurrency=${concurrency} (docker-compose.yml \`command:\`): ${persistentConcurrencyCommand(worker.cmdline, concurrency)}`
  );
}

/** The common part of a celery plan: resolve the worker, then let `build` write the action. */
export function planCelery(
  input: PlanInput,
  build: (resolved: { worker: CeleryWorkerState; app: string; node: string }) => Omit<PlanDraft, 'celery' | 'before'>,
): PlanDraft {
  const resolved = resolveCeleryWorker(input);
  if ('refusal' in resolved) {
    return { action: null, refusal: resolved.refusal, summary: `refused: ${resolved.refusal}`, before: {}, notes: [`allowlist: ${describeTarget(input.runbook.target)}`], celery: null };
  }
  const before: Observation = { poolSize: resolved.worker.poolSize, childPids: resolved.worker.childPids };
  return {
    ...build(resolved),
    before,
    celery: { app: resolved.app, node: resolved.node, masterPid: resolved.worker.masterPid },
  };
}

/** The argv a celery plan runs (its action is always an exec). */
export function planArgv(plan: ExecutionPlan): string[] {
  if (plan.action?.type !== 'exec') throw new Error(`plan for ${plan.runbook.id} has no exec action`);
  return plan.action.argv;
}
