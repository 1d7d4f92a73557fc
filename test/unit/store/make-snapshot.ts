// Builders for the plain-data Snapshot the store records, with only the fields a test cares
// about given; everything else gets a plausible constant.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContainerMemory, HostMemory, ProcessGroup, ProcessMemory, Snapshot } from '../../../src/model/snapshot.js';

export const GiB = 1024 ** 3;
export const MiB = 1024 ** 2;

export function makeHost(overrides: Partial<HostMemory> = {}): HostMemory {
  return {
    totalBytes: 16 * GiB,
    usedBytes: 6 * GiB,
    freeBytes: 2 * GiB,
    availableBytes: 10 * GiB,
    buffCacheBytes: 8 * GiB,
    swapTotalBytes: 2 * GiB,
    swapUsedBytes: 0,
    pressure: {
      some: { avg10: 0.5, avg60: 0.25, avg300: 0.1 },
      full: { avg10: 0.1, avg60: 0.05, avg300: 0 },
    },
    oomKillCount: 0,
    ...overrides,
  };
}

export function makeContainer(overrides: Partial<ContainerMemory> & { name: string }): ContainerMemory {
  return {
    id: `${overrides.name.padEnd(12, '0')}`.repeat(2),
    image: `acme/${overrides.name}:1.0`,
    imageId: `sha256:${'a'.repeat(64)}`,
    imageSizeBytes: 300 * MiB,
    composeProject: 'acme',
    composeService: overrides.name,
    labels: {},
    memoryUsageBytes: 200 * MiB,
    memoryRawUsageBytes: 260 * MiB,
    memoryLimitBytes: 1 * GiB,
    memorySwapLimitBytes: null,
    memoryPercent: 19.53,
    limitHitCount: 0,
    oomKillCount: 0,
    restartCount: 0,
    pids: 4,
    initPid: 1234,
    startedAt: '2025-01-01T00:00:00.000Z',
    source: 'cgroup',
    ...overrides,
  };
}

export function makeGroup(overrides: Partial<ProcessGroup> & { name: string }): ProcessGroup {
  return {
    kind: 'process',
    masterPid: 100,
    pids: [100, 101, 102],
    children: 2,
    containerId: null,
    containerName: null,
    pssBytes: 100 * MiB,
    rssBytes: 150 * MiB,
    ussBytes: 80 * MiB,
    exact: true,
    celery: null,
    mlLibraries: [],
    ...overrides,
  };
}

export function makeProcess(overrides: Partial<ProcessMemory> & { pid: number }): ProcessMemory {
  return {
    ppid: 1,
    nsPid: null,
    comm: 'python3',
    cmdline: 'python3 app.py',
    rssBytes: 100 * MiB,
    pssBytes: 80 * MiB,
    ussBytes: 60 * MiB,
    precision: 'smaps',
    containerId: null,
    mlLibraries: [],
    ...overrides,
  };
}

export function makeSnapshot(t: number, overrides: Partial<Snapshot> = {}): Snapshot {
  return {
    takenAt: new Date(t).toISOString(),
    hostname: 'box',
    host: makeHost(),
    docker: { reachable: true },
    containers: [],
    processGroups: [],
    processes: [],
    bot: { rssBytes: 80 * MiB, heapUsedBytes: 30 * MiB },
    errors: [],
    durationMs: 120,
    ...overrides,
  };
}

/** A fresh directory under the OS temp dir, and a function that removes it. */
export function makeTempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'memwarden-store-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
