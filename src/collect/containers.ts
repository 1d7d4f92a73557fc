// collectContainers: one ContainerMemory per running container, with MEM USAGE / LIMIT / % as
// `docker stats` prints them. Memory comes from the container's cgroup files (instant); the
// Engine's stats endpoint is only the fallback, because the daemon answers concurrent stats calls
// about one per second. Metadata (restart count, init pid, configured limits, image) comes from
// one list, one inspect per container (in parallel, bounded) and one image list.
//
// Never throws: Docker being down, slow or answering errors becomes `reachable: false` with a short
// reason, and the rest of the snapshot carries on.
import { setMaxListeners } from 'node:events';
import type Dockerode from 'dockerode';
import { withTimeout } from '../async/timeouts.js';

import { type CgroupMemory, readCgroupMemory } from './cgroup-memory.js';
import {
  apiLimitHitCount,
  hostConfigLimit,
  limitBytesOrNull,
  memPercent,
  memUsageNoCache,
  parseApiMemoryStats,
  statsLimit,
} from './docker-memory.js';
import type { ContainerMemory, DockerStatus } from '../model/snapshot.js';

export interface CollectContainersDeps {
  docker: Dockerode;
  /** Usually /sys/fs/cgroup; the host's tree when memwarden itself runs in a container. */
  cgroupRoot: string;
  /** MemTotal in bytes: what the daemon reports as the limit of an unlimited container. */
  hostTotalBytes: number;
  /** Deadline for the whole Docker part (list, inspects, images, stats fallbacks). */
  timeoutMs: number;
}

export interface ContainersResult {
  docker: DockerStatus;
  containers: ContainerMemory[];
}

/** Inspects in flight at once: enough to hide latency, few enough not to queue up the daemon. */
const INSPECT_CONCURRENCY = 8;

/**
 * Abort listeners the one signal of a collection may hold at once. Every Docker call in flight
 * holds two until its exchange closes (node's http client one on the request, docker-modem one on
 * the response), so the inspect phase holds up to 2 * INSPECT_CONCURRENCY: over node's default of
 * 10 (a MaxListenersExceededWarning) from 6 containers on. Twice that is headroom; listeners that
 * outlived their calls would still be reported.
 */
const ABORT_LISTENERS = 2 * 2 * INSPECT_CONCURRENCY;

const COMPOSE_PROJECT = 'com.docker.compose.project';
const COMPOSE_SERVICE = 'com.docker.compose.service';

/** What Docker prints for a container that never started. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

class DockerTimeoutError extends Error {
  readonly code = 'DOCKER_TIMEOUT';
  constructor(timeoutMs: number, phase: string) {
    super(`timed out after ${timeoutMs} ms (${phase})`);
    this.name = 'DockerTimeoutError';
  }
}

interface MemoryFigures {
  memoryUsageBytes: number;
  memoryRawUsageBytes: number;
  memoryLimitBytes: number | null;
  memorySwapLimitBytes: number | null;
  memoryPercent: number;
  limitHitCount: number | null;
  oomKillCount: number | null;
  pids: number | null;
  source: ContainerMemory['source'];
}

function figuresFromCgroup(cgroup: CgroupMemory, inspect: Dockerode.ContainerInspectInfo, hostTotalBytes: number): MemoryFigures {
  const used = memUsageNoCache(cgroup.usageBytes, cgroup.stat);
  // The cgroup file is the limit in force; inspect is only the fallback when it was unreadable.
  const limit = cgroup.limit ?? hostConfigLimit(inspect.HostConfig.Memory) ?? 'unlimited';
  return {
    memoryUsageBytes: used,
    memoryRawUsageBytes: cgroup.usageBytes,
    memoryLimitBytes: limitBytesOrNull(limit),
    memorySwapLimitBytes: limitBytesOrNull(cgroup.memorySwapLimit),
    memoryPercent: memPercent(used, statsLimit(limit, hostTotalBytes)),
    limitHitCount: cgroup.limitHitCount,
    oomKillCount: cgroup.oomKillCount,
    pids: cgroup.pids,
    source: 'cgroup',
  };
}

function figuresFromApi(
  stats: Dockerode.ContainerStats,
  inspect: Dockerode.ContainerInspectInfo,
  hostTotalBytes: number,
): MemoryFigures | null {
  const memory = parseApiMemoryStats(stats.memory_stats);
  if (memory === null) return null;
  const used = memUsageNoCache(memory.usage, memory.stats);
  // The API's limit is already clamped to MemTotal by the daemon, which is what docker stats
  // divides by; the configured limits come from inspect.
  const limit = hostConfigLimit(inspect.HostConfig.Memory) ?? 'unlimited';
  const divisor = memory.limit > 0 ? memory.limit : statsLimit(limit, hostTotalBytes);
  const pids = (stats.pids_stats as { current?: unknown } | undefined)?.current;
  return {
    memoryUsageBytes: used,
    memoryRawUsageBytes: memory.usage,
    memoryLimitBytes: limitBytesOrNull(limit),
    memorySwapLimitBytes: limitBytesOrNull(hostConfigLimit(inspect.HostConfig.MemorySwap)),
    memoryPercent: memPercent(used, divisor),
    limitHitCount: apiLimitHitCount(memory),
    oomKillCount: null,
    pids: typeof pids === 'number' && Number.isFinite(pids) ? pids : null,
    source: 'api',
  };
}

function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { statusCode?: unknown }).statusCode === 404;
}

/** A short, single-line reason for DockerStatus.error. */
function describeDockerError(err: unknown): string {
  if (typeof err !== 'object' || err === null) return String(err);
  const { statusCode, json, message } = err as { statusCode?: unknown; json?: unknown; message?: unknown };
  let reason = typeof message === 'string' && message !== '' ? message : String(err);
  if (typeof statusCode === 'number') {
    const apiMessage = (json as { message?: unknown } | null | undefined)?.message;
    reason = `HTTP ${statusCode}: ${typeof apiMessage === 'string' ? apiMessage : reason}`;
  }
  const line = reason.split('\n')[0]?.trim() ?? '';
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

/** Runs `fn` over `items`, at most `limit` at a time, keeping the order of `items`. */
async function mapBounded<T, R>(items: readonly T[], limit: number, signal: AbortSignal, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && !signal.aborted) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

async function collectOne(
  deps: CollectContainersDeps,
  info: Dockerode.ContainerInfo,
  imageSizes: ReadonlyMap<string, number> | null,
  signal: AbortSignal,
): Promise<ContainerMemory | null> {
  const container = deps.docker.getContainer(info.Id);
  const inspecting = container.inspect({ abortSignal: signal }).catch((err: unknown) => {
    if (isNotFound(err)) return null; // removed between list and inspect
    throw err;
  });
  // Read while the inspect is in flight (synchronous, microseconds per file).
  const cgroup = readCgroupMemory(deps.cgroupRoot, info.Id);
  const inspect = await inspecting;
  if (inspect === null || !inspect.State.Running) return null;

  let figures: MemoryFigures | null;
  if (cgroup !== null) {
    figures = figuresFromCgroup(cgroup, inspect, deps.hostTotalBytes);
  } else {
    // dockerode puts every option but abortSignal into the query string: this requests
    // GET /containers/{id}/stats?stream=false&one-shot=true on the daemon's own API version
    // (no `version` pinned), so one-shot is honoured (API >= 1.41). The options go through a
    // variable because @types/dockerode does not list abortSignal for stats.
    const options = { stream: false as const, 'one-shot': true, abortSignal: signal };
    const stats = await container.stats(options).catch((err: unknown) => {
      if (isNotFound(err)) return null;
      throw err;
    });
    figures = stats === null ? null : figuresFromApi(stats, inspect, deps.hostTotalBytes);
  }
  if (figures === null) return null; // stopped meanwhile: no memory to report

  const labels: Record<string, string> = { ...(info.Labels ?? inspect.Config.Labels ?? {}) };
  const imageId = inspect.Image || info.ImageID;
  return {
    id: info.Id,
    name: inspect.Name.replace(/^\//, '') || (info.Names[0] ?? '').replace(/^\//, ''),
    image: info.Image || inspect.Config.Image,
    imageId,
    imageSizeBytes: imageSizes?.get(imageId) ?? null,
    composeProject: labels[COMPOSE_PROJECT] ?? null,
    composeService: labels[COMPOSE_SERVICE] ?? null,
    labels,
    ...figures,
    restartCount: inspect.RestartCount,
    initPid: inspect.State.Pid > 0 ? inspect.State.Pid : null,
    startedAt: inspect.State.StartedAt && inspect.State.StartedAt !== ZERO_TIME ? inspect.State.StartedAt : null,
  };
}

async function collectAll(deps: CollectContainersDeps, signal: AbortSignal, setPhase: (phase: string) => void): Promise<ContainerMemory[]> {
  setPhase('listing containers');
  const [list, imageSizes] = await Promise.all([
    deps.docker.listContainers({ abortSignal: signal }), // running only, like `docker ps`
    deps.docker.listImages({ abortSignal: signal }).then(
      (images) => new Map(images.map((image) => [image.Id, image.Size] as const)),
      // Image sizes are decoration: without them the memory figures still stand.
      () => null,
    ),
  ]);
  setPhase('inspecting containers');
  const collected = await mapBounded(list, INSPECT_CONCURRENCY, signal, (info) => collectOne(deps, info, imageSizes, signal));
  return collected.filter((container): container is ContainerMemory => container !== null);
}

/**
 * Collects memory figures for every running container. Docker unreachable, slower than
 * `timeoutMs` or answering HTTP errors gives `{ docker: { reachable: false, error }, containers: [] }`.
 */
export async function collectContainers(deps: CollectContainersDeps): Promise<ContainersResult> {
  const controller = new AbortController();
  setMaxListeners(ABORT_LISTENERS, controller.signal);
  let phase = 'connecting';
  try {
    const containers = await withTimeout(
      collectAll(deps, controller.signal, (next) => {
        phase = next;
      }),
      deps.timeoutMs,
      // The phase it was in when time ran out says where Docker hung.
      () => new DockerTimeoutError(deps.timeoutMs, phase),
    );
    return { docker: { reachable: true }, containers };
  } catch (err) {
    return { docker: { reachable: false, error: describeDockerError(err) }, containers: [] };
  } finally {
    // Cancels whatever is still in flight after a timeout or a failed call.
    controller.abort();
  }
}
