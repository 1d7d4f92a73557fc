// One poll: host, then containers (their names label the processes), then processes. Each
// source has its own timeout and a failing source is reported in `errors` while the others
// still produce data. Only the host is indispensable: without /proc/meminfo there is nothing.
import { hostname } from 'node:os';
import type Dockerode from 'dockerode';
import { collectContainers } from './containers.js';
import { collectHost } from './host.js';
import { collectProcesses } from './processes.js';
import { collectPythonDistributions } from './python-packages.js';
import type {
  ContainerMemory,
  ContainerPythonDistributions,
  DockerStatus,
  ProcessGroup,
  ProcessMemory,
  Snapshot,
} from '../model/snapshot.js';
import { withTimeout } from '../async/timeouts.js';

export interface SnapshotSources {
  docker: Dockerode;
  procRoot: string;
  cgroupRoot: string;
  /** Read smaps_rollup of every process (PSS/USS); RSS only otherwise. */
  withProcesses: boolean;
  timeoutMs: number;
  now?: () => Date;
}

/** The configuration keys a snapshot depends on (a structural subset of Config). */
export interface SnapshotSettings {
  paths: { proc: string; cgroup: string };
  poll: { processes: boolean; sourceTimeout: number };
}

/** One snapshot as configured: what `memwarden run` polls and every CLI command shows. */
export function takeConfiguredSnapshot(docker: Dockerode, settings: SnapshotSettings): Promise<Snapshot> {
  return collectSnapshot({
    docker,
    procRoot: settings.paths.proc,
    cgroupRoot: settings.paths.cgroup,
    withProcesses: settings.poll.processes,
    timeoutMs: settings.poll.sourceTimeout,
  });
}

export async function collectSnapshot(sources: SnapshotSources): Promise<Snapshot> {
  const started = performance.now();
  const now = sources.now ?? (() => new Date());
  const takenAt = now().toISOString();
  const errors: Snapshot['errors'] = [];
  const timed = <T>(promise: Promise<T>, what: string): Promise<T> =>
    withTimeout(promise, sources.timeoutMs, () => new Error(`${what} timed out after ${sources.timeoutMs} ms`));

  const host = await timed(collectHost(sources.procRoot), 'host memory');

  let docker: DockerStatus = { reachable: false, error: 'not polled' };
  let containers: ContainerMemory[] = [];
  try {
    ({ docker, containers } = await collectContainers({
      docker: sources.docker,
      cgroupRoot: sources.cgroupRoot,
      hostTotalBytes: host.totalBytes,
      timeoutMs: sources.timeoutMs,
    }));
  } catch (err) {
    docker = { reachable: false, error: (err as Error).message };
    errors.push({ source: 'containers', message: (err as Error).message });
  }

  let processes: ProcessMemory[] = [];
  let processGroups: ProcessGroup[] = [];
  try {
    const containerNames = new Map(containers.map((c) => [c.id, c.name]));
    ({ processes, groups: processGroups } = await timed(
      collectProcesses({ procRoot: sources.procRoot, withSmaps: sources.withProcesses, containerNames, selfPid: process.pid }),
      'process scan',
    ));
  } catch (err) {
    errors.push({ source: 'processes', message: (err as Error).message });
  }

  // Installed Python distributions per container (cached per container lifetime: cheap after the first poll).
  let pythonDistributions: ContainerPythonDistributions[] | undefined;
  if (processes.some((p) => p.containerId !== null)) {
    try {
      const found = await timed(collectPythonDistributions(sources.procRoot, processes), 'python packages');
      pythonDistributions = [...found].map(([containerId, distributions]) => ({ containerId, distributions }));
    } catch (err) {
      errors.push({ source: 'python-packages', message: (err as Error).message });
    }
  }

  const usage = process.memoryUsage();
  return {
    takenAt,
    hostname: hostname(),
    host,
    docker,
    containers,
    processGroups,
    processes,
    bot: { rssBytes: usage.rss, heapUsedBytes: usage.heapUsed },
    errors,
    durationMs: Math.round((performance.now() - started) * 10) / 10,
    ...(pythonDistributions === undefined ? {} : { pythonDistributions }),
  };
}
