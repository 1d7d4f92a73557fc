// Helpers for integration tests that run against the environment of scripts/test-env.sh:
// a real Docker engine, Redis on 127.0.0.1:6391 and a Celery worker (app "mwtest").
// global-setup.ts runs `scripts/test-env.sh up` and provides the state under the key "testEnv".
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, inject, test } from 'vitest';

/** KEY=VALUE lines of .test-env/env, written by `scripts/test-env.sh up`. */
export interface TestEnvVars {
  MW_TEST_REDIS_URL: string;
  MW_TEST_CELERY_IMAGE: string;
  MW_TEST_BUSYBOX_IMAGE: string;
  MW_TEST_CELERY_CONTAINER: string;
  MW_TEST_BUSY_CONTAINER: string;
  MW_TEST_CELERY_APP: string;
  MW_TEST_CELERY_NODE: string;
  [key: string]: string;
}

export type TestEnvState = { ready: true; env: TestEnvVars } | { ready: false; reason: string };

declare module 'vitest' {
  export interface ProvidedContext {
    testEnv: TestEnvState;
  }
}

/** Label every container of the test environment carries (`down` removes ours by name). */
export const TEST_LABEL = 'com.memwarden.test=1';
/** Name prefix of throwaway containers; `scripts/test-env.sh down` removes leftovers. */
export const TMP_CONTAINER_PREFIX = 'mw-test-tmp-';

export function testEnvState(): TestEnvState {
  return inject('testEnv') ?? { ready: false, reason: 'the integration globalSetup did not run' };
}

/** The environment's variables; throws when the environment is not up (call it inside tests/hooks). */
export function useTestEnv(): TestEnvVars {
  const state = testEnvState();
  if (!state.ready) throw new Error(`integration test environment is not up: ${state.reason}`);
  return state.env;
}

/**
 * `describe` that only runs when the environment is up; otherwise the suite is reported as skipped
 * with the reason (and `fn` is not called, so it may call useTestEnv() at collection time).
 */
export function describeWithEnv(name: string, fn: () => void): void {
  const state = testEnvState();
  if (state.ready) {
    describe(name, fn);
  } else {
    // Only reachable outside CI (global-setup throws in CI): report the suite as skipped with why.
    describe.skipIf(true)(name, () => {
      test.skipIf(true)(`needs the integration environment: ${state.reason}`, () => {});
    });
  }
}

/** Run the docker CLI (argv array, no shell) and return its trimmed stdout. */
export function docker(args: string[], timeoutMs = 60_000): string {
  return execFileSync('docker', args, {
    encoding: 'utf8',
    timeout: timeoutMs,
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 16 * 1024 * 1024,
  }).trim();
}

function removeContainer(name: string): void {
  try {
    docker(['rm', '-f', name]);
  } catch {
    // already gone
  }
}

function containerRunning(name: string): boolean {
  try {
    return docker(['container', 'inspect', '-f', '{{.State.Running}}', name]) === 'true';
  } catch {
    return false;
  }
}

function tailLogs(name: string): string {
  try {
    return execFileSync('docker', ['logs', '--tail', '20', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
      .toString();
  } catch (err) {
    return String(err);
  }
}

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,40}$/;

function checkName(name: string): void {
  if (!NAME_RE.test(name)) throw new Error(`invalid test container name ${JSON.stringify(name)}`);
}

/** `celery -A mwtest inspect ping -d NODE` inside CONTAINER answers. */
export function celeryPing(container: string, node: string, app = 'mwtest'): boolean {
  try {
    docker(['exec', '-w', '/app', container, 'celery', '-A', app, 'inspect', 'ping', '-d', node, '-t', '2'], 20_000);
    return true;
  } catch {
    return false;
  }
}

export interface CeleryPoolStats {
  /** len(pool.processes): the live pool as the master sees it */
  processes: number;
  /** pool['max-concurrency']: what the worker was started with; pool_shrink/grow never change it */
  maxConcurrency: number;
}

/** `celery inspect stats` of one node: an independent count of its pool, from the master itself. */
export function celeryPoolStats(container: string, node: string, app = useTestEnv().MW_TEST_CELERY_APP): CeleryPoolStats {
  const out = docker(['exec', '-w', '/app', container, 'celery', '-A', app, 'inspect', 'stats', '-d', node, '-j', '-t', '5'], 30_000);
  const stats = JSON.parse(out.split('\n').filter((l) => l.startsWith('{')).pop() ?? '{}') as Record<string, { pool: { processes: number[]; 'max-concurrency': number } }>;
  const pool = stats[node]?.pool;
  if (!pool) throw new Error(`no stats from ${node}: ${out}`);
  return { processes: pool.processes.length, maxConcurrency: pool['max-concurrency'] };
}

/**
 * celeryPoolStats once it reports `size` children. It lags /proc: the master drops a stopped child
 * from its pool list on a later maintenance pass, after the process is gone (seen in CI: 1 child in
 * /proc, 3 in stats right after a shrink to 1).
 */
export async function waitForPoolStats(container: string, node: string, size: number): Promise<CeleryPoolStats> {
  let last: CeleryPoolStats | undefined;
  try {
    return await waitUntil(`${size} pool processes in inspect stats of ${node}`, () => {
      last = celeryPoolStats(container, node);
      return last.processes === size ? last : undefined;
    }, { timeoutMs: 30_000, intervalMs: 500 });
  } catch (error) {
    throw new Error(`${(error as Error).message}; last answer ${JSON.stringify(last)}`);
  }
}

export interface CeleryWorkerHandle {
  /** container name (mw-test-tmp-<name>) */
  container: string;
  /** Celery node name, worker@<name> */
  node: string;
  /** the only queue this worker consumes (so it does not take tasks meant for worker@mwtest) */
  queue: string;
  stop(): void;
}

/**
 * Start a throwaway Celery worker container (image MW_TEST_CELERY_IMAGE, --network host, same broker)
 * with node name worker@<name>, wait until it answers ping and return a handle with stop().
 * It consumes only the queue `opts.queue` (default: <name>): send it tasks with
 * `celery call --queue <queue>`. memoryLimit is in bytes (docker --memory, swap disabled).
 */
export async function startCeleryWorker(
  name: string,
  opts: { concurrency: number; memoryLimit?: number; queue?: string; labels?: Record<string, string>; readyTimeoutMs?: number },
): Promise<CeleryWorkerHandle> {
  checkName(name);
  const env = useTestEnv();
  const container = `${TMP_CONTAINER_PREFIX}${name}`;
  const node = `worker@${name}`;
  const queue = opts.queue ?? name;
  removeContainer(container); // leftover of an aborted run
  const args = ['run', '-d', '--name', container, '--network', 'host', '--label', TEST_LABEL];
  for (const [k, v] of Object.entries(opts.labels ?? {})) args.push('--label', `${k}=${v}`);
  if (opts.memoryLimit !== undefined) {
    args.push('--memory', `${opts.memoryLimit}b`, '--memory-swap', `${opts.memoryLimit}b`);
  }
  args.push('-w', '/app', '-e', 'PYTHONPATH=/app', env.MW_TEST_CELERY_IMAGE);
  args.push('celery', '-A', env.MW_TEST_CELERY_APP, 'worker', `--concurrency=${opts.concurrency}`, '--pool=prefork');
  args.push('-n', node, '-Q', queue, '--loglevel=INFO');
  docker(args);
  const stop = (): void => removeContainer(container);

  const deadline = Date.now() + (opts.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (celeryPing(container, node, env.MW_TEST_CELERY_APP)) break;
    if (!containerRunning(container)) {
      const logs = tailLogs(container);
      stop();
      throw new Error(`celery worker ${node} (${container}) exited:\n${logs}`);
    }
    if (Date.now() > deadline) {
      const logs = tailLogs(container);
      stop();
      throw new Error(`celery worker ${node} (${container}) did not answer ping in time:\n${logs}`);
    }
    await sleep(500);
  }
  return { container, node, queue, stop };
}

export interface ContainerHandle {
  container: string;
  id: string;
  stop(): void;
}

/** Start a throwaway busybox container (mw-test-tmp-<name>) running cmd; memoryLimit in bytes. */
export function startBusybox(name: string, cmd: string[], opts: { memoryLimit?: number } = {}): ContainerHandle {
  checkName(name);
  const env = useTestEnv();
  const container = `${TMP_CONTAINER_PREFIX}${name}`;
  removeContainer(container);
  const args = ['run', '-d', '--name', container, '--network', 'host', '--label', TEST_LABEL];
  if (opts.memoryLimit !== undefined) {
    args.push('--memory', `${opts.memoryLimit}b`, '--memory-swap', `${opts.memoryLimit}b`);
  }
  const id = docker([...args, env.MW_TEST_BUSYBOX_IMAGE, ...cmd]);
  return { container, id, stop: () => removeContainer(container) };
}

/** A unique suffix for names of throwaway containers / workers. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

/**
 * Send a task through the real broker with `celery call` inside the worker container;
 * returns the task id. args are JSON-encoded.
 */
export function celeryCall(task: string, args: unknown[] = [], opts: { container?: string; queue?: string } = {}): string {
  const env = useTestEnv();
  const argv = ['exec', '-w', '/app', opts.container ?? env.MW_TEST_CELERY_CONTAINER, 'celery', '-A', env.MW_TEST_CELERY_APP];
  argv.push('call', task, `--args=${JSON.stringify(args)}`);
  if (opts.queue) argv.push('--queue', opts.queue);
  const id = docker(argv).split('\n').pop() ?? '';
  if (!/^[0-9a-f-]{36}$/.test(id)) throw new Error(`celery call ${task}: unexpected output ${JSON.stringify(id)}`);
  return id;
}

function redisArgsFromUrl(url: string): string[] {
  const u = new URL(url);
  const db = u.pathname.replace(/^\//, '') || '0';
  return ['-h', u.hostname, '-p', u.port || '6379', '-n', db];
}

/**
 * Poll the Redis result backend (db 1, key celery-task-meta-<id>) until the task has finished;
 * returns its result, throws on FAILURE or timeout.
 */
export async function waitForTaskResult<T = unknown>(taskId: string, timeoutMs = 30_000): Promise<T> {
  const env = useTestEnv();
  const resultUrl = env.MW_TEST_REDIS_RESULT_URL ?? env.MW_TEST_REDIS_URL.replace(/\/\d*$/, '/1');
  const base = redisArgsFromUrl(resultUrl);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const raw = execFileSync('redis-cli', [...base, '--raw', 'GET', `celery-task-meta-${taskId}`], {
      encoding: 'utf8',
      timeout: 10_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
    if (raw) {
      const meta = JSON.parse(raw) as { status: string; result: unknown; traceback?: string | null };
      if (meta.status === 'SUCCESS') return meta.result as T;
      if (meta.status === 'FAILURE' || meta.status === 'REVOKED') {
        throw new Error(`task ${taskId} ${meta.status}: ${JSON.stringify(meta.result)}\n${meta.traceback ?? ''}`);
      }
    }
    if (Date.now() > deadline) throw new Error(`task ${taskId} did not finish within ${timeoutMs} ms`);
    await sleep(200);
  }
}

/** RSS in KiB of every process in a container (in-container pids), from `ps -e -o pid=,rss=`. */
export function containerRss(container: string): Map<number, number> {
  const out = docker(['exec', container, 'ps', '-e', '-o', 'pid=,rss=']);
  const rss = new Map<number, number>();
  for (const line of out.split('\n')) {
    const [pid, kib] = line.trim().split(/\s+/).map(Number);
    if (pid !== undefined && kib !== undefined && Number.isFinite(pid) && Number.isFinite(kib)) rss.set(pid, kib);
  }
  return rss;
}

/** RSS in KiB of one in-container pid, or undefined when it does not exist. */
export function processRss(container: string, pid: number): number | undefined {
  try {
    const out = docker(['exec', container, 'ps', '-o', 'rss=', '-p', String(pid)]);
    const kib = Number(out.trim());
    return Number.isFinite(kib) && out.trim() !== '' ? kib : undefined;
  } catch {
    return undefined;
  }
}

/** Poll `probe` until it returns a value other than undefined; bounded. */
export async function waitUntil<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  opts: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${opts.timeoutMs ?? 30_000} ms waiting for ${what}`);
    await sleep(opts.intervalMs ?? 250);
  }
}

/** A TCP port nobody listens on right now (on 127.0.0.1; containers here share the host network). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
