// inspectTarget: the live state a plan is made from, read just before planning and again just
// before executing. One inspect, one `docker top` (the container's processes as the daemon's ps
// sees them, so this works against a remote DOCKER_HOST too) and the container's memory usage
// (its cgroup files, or the Engine's one-shot stats when they are not readable here).
import type Dockerode from 'dockerode';
import { readCgroupMemory } from '../../collect/cgroup-memory.js';
import { memUsageNoCache, parseApiMemoryStats } from '../../collect/docker-memory.js';
import { detectPreforkKind, parseCeleryCmdline, tokenizeCmdline } from '../../collect/process-groups.js';
import type { CeleryWorkerState, LiveTarget, TargetContainer } from './types.js';

export class TargetNotFoundError extends Error {
  readonly code = 'target_not_found';
  constructor(readonly ref: string) {
    super(`container ${ref} does not exist (any more)`);
    this.name = 'TargetNotFoundError';
  }
}

export interface InspectTargetOptions {
  signal?: AbortSignal;
  cgroupRoot?: string;
}

/** One row of `docker top -o pid,ppid,args`. */
export interface TopProcess {
  pid: number;
  ppid: number;
  args: string;
}

/** ps options for `docker top`: the daemon runs ps on its host and keeps the container's rows. */
export const TOP_PS_ARGS = '-o pid,ppid,args';

export function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { statusCode?: unknown }).statusCode === 404;
}

/** Reads the container (by id or name) and what runs in it now. */
export async function inspectTarget(
  docker: Dockerode,
  ref: string,
  options: InspectTargetOptions = {},
): Promise<LiveTarget> {
  const handle = docker.getContainer(ref);
  const info = await handle.inspect({ abortSignal: options.signal }).catch((err: unknown) => {
    throw isNotFound(err) ? new TargetNotFoundError(ref) : err;
  });
  const container: TargetContainer = {
    id: info.Id,
    name: info.Name.replace(/^\//, ''),
    labels: { ...(info.Config.Labels ?? {}) },
  };
  const running = info.State.Running;
  const hostname = info.Config.Hostname || null;
  const [processes, memoryUsageBytes] = running
    ? await Promise.all([readTop(docker, info.Id, options.signal), readUsage(docker, info.Id, options)])
    : [[], null];
  return {
    container,
    state: {
      running,
      startedAt: info.State.StartedAt && !info.State.StartedAt.startsWith('0001-') ? info.State.StartedAt : null,
      hostname,
      memoryUsageBytes,
      memoryLimit: info.HostConfig.Memory ?? 0,
      memorySwap: info.HostConfig.MemorySwap ?? 0,
      celeryWorkers: findCeleryWorkers(processes, hostname),
    },
  };
}

/** The container's processes (host pids), from `docker top`. */
export async function readTop(docker: Dockerode, id: string, signal?: AbortSignal): Promise<TopProcess[]> {
  const options = { ps_args: TOP_PS_ARGS, abortSignal: signal };
  const top = (await docker.getContainer(id).top(options)) as { Titles?: unknown; Processes?: unknown };
  return parseTop(top);
}

/** Parses the top answer: { Titles: ["PID","PPID","COMMAND"], Processes: [["12","1","celery ..."], ...] }. */
export function parseTop(top: { Titles?: unknown; Processes?: unknown }): TopProcess[] {
  const titles = Array.isArray(top.Titles) ? top.Titles.map(String) : [];
  const pidAt = titles.indexOf('PID');
  const ppidAt = titles.indexOf('PPID');
  const argsAt = titles.length - 1;
  if (pidAt < 0 || ppidAt < 0 || argsAt <= Math.max(pidAt, ppidAt)) return [];
  const out: TopProcess[] = [];
  for (const row of Array.isArray(top.Processes) ? top.Processes : []) {
    if (!Array.isArray(row)) continue;
    const pid = Number(row[pidAt]);
    const ppid = Number(row[ppidAt]);
    if (!Number.isSafeInteger(pid) || !Number.isSafeInteger(ppid)) continue;
    out.push({ pid, ppid, args: row.slice(argsAt).map(String).join(' ') });
  }
  return out;
}

async function readUsage(docker: Dockerode, id: string, options: InspectTargetOptions): Promise<number | null> {
  const cgroup = readCgroupMemory(options.cgroupRoot ?? '/sys/fs/cgroup', id);
  if (cgroup !== null) return memUsageNoCache(cgroup.usageBytes, cgroup.stat);
  // Not on this host's cgroupfs (remote daemon, other mount): the Engine's one-shot stats.
  const statsOptions = { stream: false as const, 'one-shot': true, abortSignal: options.signal };
  try {
    const stats = await docker.getContainer(id).stats(statsOptions);
    const memory = parseApiMemoryStats(stats.memory_stats);
    return memory === null ? null : memUsageNoCache(memory.usage, memory.stats);
  } catch (err) {
    if (options.signal?.aborted) throw err;
    return null;
  }
}

/**
 * Celery masters among the container's processes: a Celery worker process whose parent is not
 * one (the same rule as collect/process-groups.ts), with its pool = its children.
 */
export function findCeleryWorkers(processes: readonly TopProcess[], hostname: string | null): CeleryWorkerState[] {
  const celeryPids = new Set(processes.filter((p) => detectPreforkKind('', p.args) === 'celery').map((p) => p.pid));
  const workers: CeleryWorkerState[] = [];
  for (const p of processes) {
    if (!celeryPids.has(p.pid) || celeryPids.has(p.ppid)) continue;
    const parsed = parseCeleryCmdline(p.args);
    const childPids = processes
      .filter((c) => c.ppid === p.pid)
      .map((c) => c.pid)
      .sort((a, b) => a - b);
    workers.push({
      masterPid: p.pid,
      cmdline: p.args,
      app: parsed.app,
      nodeName: expandNodeName(parsed.nodeName ?? 'celery@%h', hostname),
      configuredConcurrency: parsed.configuredConcurrency,
      autoscale: parseAutoscale(p.args),
      poolSize: childPids.length,
      childPids,
    });
  }
  return workers.sort((a, b) => a.masterPid - b.masterPid);
}

/**
 * Expands Celery's node name placeholders (celery/utils/nodenames.py): %h host name, %n its first
 * label, %d the rest, %% a percent sign. Null when a placeholder needs a host name we lack or is
 * one we do not know (%i, %I are per child).
 */
export function expandNodeName(name: string, hostname: string | null): string | null {
  let unknown = false;
  const expanded = name.replace(/%(.)/g, (_m, ch: string) => {
    if (ch === '%') return '%';
    if (hostname === null) {
      unknown = true;
      return '';
    }
    const dot = hostname.indexOf('.');
    if (ch === 'h') return hostname;
    if (ch === 'n') return dot < 0 ? hostname : hostname.slice(0, dot);
    if (ch === 'd') return dot < 0 ? '' : hostname.slice(dot + 1);
    unknown = true;
    return '';
  });
  return unknown ? null : expanded;
}

/** --autoscale=MAX,MIN (or "--autoscale MAX,MIN"; MIN defaults to 0) from a command line. */
export function parseAutoscale(cmdline: string): { max: number; min: number } | null {
  const tokens = tokenizeCmdline(cmdline.replace(/^\[celeryd: [^\]]*\][^(]*\((.*)\)$/, '$1'));
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] ?? '';
    const value = token === '--autoscale' ? tokens[i + 1] : token.startsWith('--autoscale=') ? token.slice('--autoscale='.length) : undefined;
    if (value === undefined) continue;
    const m = /^(\d+)(?:,(\d+))?$/.exec(value);
    if (m?.[1]) return { max: Number(m[1]), min: Number(m[2] ?? 0) };
  }
  return null;
}
