// Builders for diagnose() inputs: only what a test cares about is given, the rest is plausible.
import type { ContainerMemory, HostMemory, ProcessGroup, ProcessMemory, Snapshot } from '../../../src/model/snapshot.js';
import { groupProcesses } from '../../../src/collect/process-groups.js';
import { configSchema } from '../../../src/config/schema.js';
import { diagnoseOptions } from '../../../src/diagnose/options.js';
import type { DiagnosisHistory } from '../../../src/model/finding.js';
import type { DiagnoseOptions } from '../../../src/diagnose/options.js';
import { emptyDiagnosisHistory } from '../../../src/model/finding.js';
import type { HistoryPoint } from '../../../src/model/history.js';

export const MiB = 1024 ** 2;
export const GiB = 1024 ** 3;
export const HOUR = 3_600_000;
export const NOW = Date.parse('2025-10-27T12:00:00.000Z');

export function options(input: Parameters<typeof configSchema.parse>[0] = {}): DiagnoseOptions {
  return diagnoseOptions(configSchema.parse(input));
}

export function host(overrides: Partial<HostMemory> = {}): HostMemory {
  return {
    totalBytes: 16 * GiB,
    usedBytes: 6 * GiB,
    freeBytes: 4 * GiB,
    availableBytes: 10 * GiB,
    buffCacheBytes: 6 * GiB,
    swapTotalBytes: 4 * GiB,
    swapUsedBytes: 0,
    pressure: null,
    oomKillCount: 0,
    ...overrides,
  };
}

export function container(name: string, overrides: Partial<ContainerMemory> = {}): ContainerMemory {
  return {
    id: name.padEnd(64, '0').slice(0, 64),
    name,
    image: `acme/${name}:1`,
    imageId: `sha256:${name.padEnd(64, 'a').slice(0, 64)}`,
    imageSizeBytes: 300 * MiB,
    composeProject: 'acme',
    composeService: name,
    labels: {},
    memoryUsageBytes: 200 * MiB,
    memoryRawUsageBytes: 220 * MiB,
    memoryLimitBytes: 1 * GiB,
    memorySwapLimitBytes: null,
    memoryPercent: 19.5,
    limitHitCount: 0,
    oomKillCount: 0,
    restartCount: 0,
    pids: 3,
    initPid: 1000,
    startedAt: '2025-10-20T00:00:00.000Z',
    source: 'cgroup',
    ...overrides,
  };
}

export function proc(pid: number, ppid: number, overrides: Partial<ProcessMemory> = {}): ProcessMemory {
  return {
    pid,
    ppid,
    nsPid: null,
    comm: 'python3',
    cmdline: 'python3 app.py',
    rssBytes: 100 * MiB,
    pssBytes: 60 * MiB,
    ussBytes: 40 * MiB,
    precision: 'smaps',
    containerId: null,
    mlLibraries: [],
    ...overrides,
  };
}

export interface PoolSpec {
  kind?: 'celery' | 'gunicorn' | 'uwsgi';
  masterPid?: number;
  children: number;
  masterPss: number | null;
  childUss: number | null;
  /** Shared pages each member maps (RSS = shared + USS; PSS = USS + shared / members). */
  shared?: number;
  containerId?: string | null;
  cmdline?: string;
  mlLibraries?: { name: string; mappedBytes: number }[];
  childMl?: { name: string; mappedBytes: number }[][];
}

/** A prefork pool's processes: master plus `children` children (PSS/USS null -> rss-only). */
export function pool(spec: PoolSpec): ProcessMemory[] {
  const master = spec.masterPid ?? 500;
  const shared = spec.shared ?? 30 * MiB;
  const members = spec.children + 1;
  const cmdline =
    spec.cmdline ??
    (spec.kind === 'gunicorn'
      ? 'gunicorn --workers 4 app:wsgi'
      : spec.kind === 'uwsgi'
        ? 'uwsgi --processes 4 --module app'
        : '/usr/bin/python3 /usr/bin/celery -A proj worker --concurrency=4 -n worker@box');
  const comm = spec.kind === 'gunicorn' ? 'gunicorn' : spec.kind === 'uwsgi' ? 'uwsgi' : 'celery';
  const measured = (uss: number | null, pss: number | null) =>
    uss === null || pss === null
      ? { pssBytes: null, ussBytes: null, precision: 'rss-only' as const, rssBytes: shared + (uss ?? 50 * MiB) }
      : { pssBytes: pss, ussBytes: uss, precision: 'smaps' as const, rssBytes: shared + uss };
  const list = [
    proc(master, 1, {
      comm,
      cmdline,
      containerId: spec.containerId ?? null,
      mlLibraries: spec.mlLibraries ?? [],
      ...measured(spec.masterPss === null ? null : spec.masterPss - shared / members, spec.masterPss),
    }),
  ];
  for (let i = 1; i <= spec.children; i++) {
    list.push(
      proc(master + i, master, {
        comm,
        cmdline,
        containerId: spec.containerId ?? null,
        mlLibraries: spec.childMl?.[i - 1] ?? spec.mlLibraries ?? [],
        ...measured(spec.childUss, spec.childUss === null ? null : spec.childUss + shared / members),
      }),
    );
  }
  return list;
}

/** A snapshot whose groups are built by the real grouping code from `processes`. */
export function snapshot(overrides: Partial<Snapshot> & { processes?: ProcessMemory[] } = {}): Snapshot {
  const containers = overrides.containers ?? [];
  const processes = overrides.processes ?? [];
  const names = new Map(containers.map((c) => [c.id, c.name]));
  const processGroups: ProcessGroup[] = overrides.processGroups ?? groupProcesses(processes, names);
  return {
    takenAt: new Date(NOW).toISOString(),
    hostname: 'box',
    host: host(),
    docker: { reachable: true },
    bot: { rssBytes: 80 * MiB, heapUsedBytes: 30 * MiB },
    errors: [],
    durationMs: 100,
    ...overrides,
    containers,
    processes,
    processGroups,
  };
}

export function history(overrides: Partial<DiagnosisHistory> = {}): DiagnosisHistory {
  return { ...emptyDiagnosisHistory(), source: 'database', ...overrides };
}

/** Raw-sample points (min = avg = max, count 1), one per `stepMs`, ending at NOW. */
export function series(values: readonly number[], stepMs = 5 * 60_000, end = NOW): HistoryPoint[] {
  return values.map((v, i) => ({ t: end - (values.length - 1 - i) * stepMs, min: v, avg: v, max: v, count: 1 }));
}
