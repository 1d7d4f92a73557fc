// The Snapshot is the plain data that crosses from collect/ to diagnose/, alerts/, store/ and
// the renderers. Bytes are integers; a figure we could not measure is `null` (shown as
// "unknown"), never a guess.

export interface PressureFigures {
  avg10: number;
  avg60: number;
  avg300: number;
}

export interface HostMemory {
  totalBytes: number;
  /** total - available, as `free` and systeminformation compute "used". */
  usedBytes: number;
  freeBytes: number;
  availableBytes: number;
  /** Buffers + Cached + SReclaimable, as `free` shows buff/cache. */
  buffCacheBytes: number;
  swapTotalBytes: number;
  swapUsedBytes: number;
  /** PSI from /proc/pressure/memory; null when the kernel does not expose it. */
  pressure: { some: PressureFigures; full: PressureFigures } | null;
  /** Kernel OOM kill counter from /proc/vmstat; null when absent. */
  oomKillCount: number | null;
}

export interface DockerStatus {
  reachable: boolean;
  error?: string;
}

export interface ContainerMemory {
  id: string;
  name: string;
  image: string;
  imageId: string;
  imageSizeBytes: number | null;
  composeProject: string | null;
  composeService: string | null;
  labels: Record<string, string>;
  /** docker CLI's MEM USAGE: usage minus inactive file cache (docker/cli calculateMemUsageUnixNoCache). */
  memoryUsageBytes: number;
  /** Raw cgroup usage, cache included. */
  memoryRawUsageBytes: number;
  /** null when the container has no limit. */
  memoryLimitBytes: number | null;
  /** null when unlimited (or swap not limited). */
  memorySwapLimitBytes: number | null;
  /** usage / limit, or usage / host total when unlimited, as docker stats does. */
  memoryPercent: number;
  /** Times the limit was hit (cgroup v1 failcnt, v2 memory.events max); null if unknown. */
  limitHitCount: number | null;
  oomKillCount: number | null;
  restartCount: number;
  pids: number | null;
  /** Host pid of the container's init process. */
  initPid: number | null;
  startedAt: string | null;
  /** Where the memory figures came from. */
  source: 'cgroup' | 'api';
}

export type MemoryPrecision = 'smaps' | 'rss-only';

export interface MlLibrary {
  name: string;
  mappedBytes: number;
}

export interface ProcessMemory {
  pid: number;
  ppid: number;
  /** pid inside its pid namespace (NSpid), when it differs. */
  nsPid: number | null;
  comm: string;
  cmdline: string;
  rssBytes: number;
  /** null when smaps_rollup could not be read (precision 'rss-only'). */
  pssBytes: number | null;
  ussBytes: number | null;
  precision: MemoryPrecision;
  containerId: string | null;
  mlLibraries: MlLibrary[];
}

export type GroupKind = 'celery' | 'gunicorn' | 'uwsgi' | 'process';

export interface CeleryInfo {
  app: string | null;
  nodeName: string | null;
  /** The --concurrency given on the command line, if any. */
  configuredConcurrency: number | null;
  /** Live pool size: the number of children of the master. */
  poolSize: number;
}

export interface ProcessGroup {
  name: string;
  kind: GroupKind;
  masterPid: number;
  pids: number[];
  children: number;
  containerId: string | null;
  containerName: string | null;
  /** PSS sum over the group (RSS used for members whose smaps was unreadable). */
  pssBytes: number;
  rssBytes: number;
  ussBytes: number;
  /** True when every member's PSS/USS was measured. */
  exact: boolean;
  celery: CeleryInfo | null;
  mlLibraries: MlLibrary[];
}

/** A Python distribution installed in a container: one `*.dist-info` or `*.egg-info` entry. */
export interface PythonDistribution {
  /** Normalized as pip compares names (PEP 503): lower case, runs of `-_.` as one `-`. */
  name: string;
  version: string | null;
  /** The dist-info / egg-info path inside the container. */
  path: string;
  /**
   * Mapped size (virtual, not resident) of the distribution's own bundled libraries
   * (`<name>.libs/`, as auditwheel lays them out) in the container's Python process that maps
   * most of them; null when not measured. Only measured for distributions worth it (OpenCV).
   */
  libsMappedBytes?: number | null;
}

export interface ContainerPythonDistributions {
  containerId: string;
  distributions: PythonDistribution[];
}

export interface BotMemory {
  rssBytes: number;
  heapUsedBytes: number;
}

export interface Snapshot {
  takenAt: string;
  hostname: string;
  host: HostMemory;
  docker: DockerStatus;
  containers: ContainerMemory[];
  processGroups: ProcessGroup[];
  processes: ProcessMemory[];
  bot: BotMemory;
  /** Per-source errors: a failing source does not stop the others. */
  errors: { source: string; message: string }[];
  durationMs: number;
  /** Python distributions per container (collect/python-packages.ts); absent when not collected. */
  pythonDistributions?: ContainerPythonDistributions[];
  /** Docker `oom` events seen since the previous snapshot (collect/docker-events.ts); absent when not watched. */
  oomEvents?: OomEvent[];
}

/** A docker `oom` event: the kernel OOM killer killed a process in this container. */
export interface OomEvent {
  /** Full container id (Actor.ID). */
  containerId: string;
  /** Actor.Attributes.name; null when the event did not carry it. */
  containerName: string | null;
  /** Epoch milliseconds (timeNano, else time). */
  at: number;
}

/**
 * The `n` largest groups by PSS (ties by name, so the choice is stable from poll to poll): what
 * history keeps and /metrics exports. A host has hundreds of small processes; their long tail is
 * noise that bloats the database and Prometheus' series count.
 */
export function largestGroups(groups: readonly ProcessGroup[], n: number): ProcessGroup[] {
  return [...groups].sort((a, b) => b.pssBytes - a.pssBytes || a.name.localeCompare(b.name)).slice(0, n);
}
