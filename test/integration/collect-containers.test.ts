// collectContainers against the real Docker engine of the test environment: our MEM USAGE,
// LIMIT and MEM % must be what `docker stats` prints, from the cgroup files and from the API
// fallback alike. Plus the ways Docker fails: no socket, nobody listening, a daemon that never
// answers, HTTP errors, and a container removed between list and inspect.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { collectContainers, type ContainersResult } from '../../src/collect/containers.js';
import type { ContainerMemory } from '../../src/model/snapshot.js';
import {
  type ContainerHandle,
  describeWithEnv,
  docker,
  startBusybox,
  TEST_LABEL,
  TMP_CONTAINER_PREFIX,
  uniqueName,
  useTestEnv,
  waitUntil,
} from './test-env.js';

const MiB = 1024 * 1024;
/** What the daemon reports as the limit of an unlimited container: MemTotal. */
const HOST_TOTAL = Number(/^MemTotal:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1]) * 1024;
const CGROUP_ROOT = '/sys/fs/cgroup';

// busybox awk keeps a 64 MiB string: anonymous memory that stays resident (sprintf writes every byte).
const HOLD_64_MIB = ['awk', `BEGIN { s = sprintf("%${64 * MiB}s", "x"); system("exec sleep 100000") }`];
// Writes 64 MiB to the container's own filesystem (vfs on ext4): page cache on the inactive file
// list, which docker stats leaves out of MEM USAGE.
const WRITE_64_MIB_FILE = ['sh', '-c', 'dd if=/dev/zero of=/tmp/cache.bin bs=1M count=64 2>/dev/null; exec sleep 100000'];

const SIZE_UNITS: Record<string, number> = { B: 1, KiB: 1024, MiB: MiB, GiB: 1024 * MiB, TiB: 1024 * 1024 * MiB };

/** Parses docker/go-units BytesSize output ("64.55MiB", "212KiB", "23.54GiB"). */
function parseDockerSize(text: string): number {
  const match = /^([\d.]+)\s*(B|KiB|MiB|GiB|TiB)$/.exec(text.trim());
  if (!match) throw new Error(`unexpected docker size ${JSON.stringify(text)}`);
  return Number(match[1]) * (SIZE_UNITS[match[2] as string] as number);
}

interface DockerStatsLine {
  name: string;
  usedBytes: number;
  limitBytes: number;
  percent: number;
  pids: number;
}

/** `docker stats --no-stream --format '{{json .}}'` for the named containers. */
function dockerStats(names: string[]): Map<string, DockerStatsLine> {
  const lines = docker(['stats', '--no-stream', '--format', '{{json .}}', ...names]).split('\n');
  const result = new Map<string, DockerStatsLine>();
  for (const line of lines) {
    const raw = JSON.parse(line) as { Name: string; MemUsage: string; MemPerc: string; PIDs: string };
    const [used, limit] = raw.MemUsage.split(' / ') as [string, string];
    result.set(raw.Name, {
      name: raw.Name,
      usedBytes: parseDockerSize(used),
      limitBytes: parseDockerSize(limit),
      percent: Number(raw.MemPerc.replace('%', '')),
      pids: Number(raw.PIDs),
    });
  }
  return result;
}

function byName(result: ContainersResult, name: string): ContainerMemory {
  const found = result.containers.find((c) => c.name === name);
  if (!found) throw new Error(`${name} not collected; got ${result.containers.map((c) => c.name).join(', ')}`);
  return found;
}

/** docker stats prints 4 significant digits; 2% is the agreement we promise. */
function expectWithin2Percent(ours: number, theirs: number, what: string): void {
  expect(Math.abs(ours - theirs), `${what}: ours ${ours}, docker stats ${theirs}`).toBeLessThanOrEqual(0.02 * theirs);
}

/**
 * The page-cache container's MEM USAGE moves while the kernel ages its file pages between the
 * active and inactive lists, so reads seconds apart legitimately differ by a few MiB. docker
 * stats' figure must lie between our readings taken just before and just after it.
 */
function expectBracketed(theirs: number, snapshots: ContainersResult[], name: string): void {
  const values = snapshots.map((snapshot) => byName(snapshot, name).memoryUsageBytes);
  expect(theirs, `${name}: docker stats ${theirs}, ours ${values.join(' / ')}`).toBeGreaterThanOrEqual(Math.min(...values) - MiB);
  expect(theirs, `${name}: docker stats ${theirs}, ours ${values.join(' / ')}`).toBeLessThanOrEqual(Math.max(...values) + MiB);
}

/** MEM % is printed with two decimals, so allow the rounding on small percentages. */
function expectPercentClose(ours: number, theirs: number, what: string): void {
  expect(Math.abs(ours - theirs), `${what}: ours ${ours}%, docker stats ${theirs}%`).toBeLessThanOrEqual(Math.max(0.02 * theirs, 0.01));
}

function collect(docker: Dockerode, cgroupRoot = CGROUP_ROOT, timeoutMs = 5_000): Promise<ContainersResult> {
  return collectContainers({ docker, cgroupRoot, hostTotalBytes: HOST_TOTAL, timeoutMs });
}

describeWithEnv('collectContainers against the real Docker engine', () => {
  const api = new Dockerode();
  const handles: ContainerHandle[] = [];
  let unlimited: ContainerHandle; // 64 MiB anonymous, no limit, compose labels
  let limited: ContainerHandle; // 64 MiB anonymous, --memory 128m
  let cached: ContainerHandle; // 64 MiB inactive page cache

  beforeAll(async () => {
    const env = useTestEnv();
    // Started with the CLI directly for the compose labels startBusybox does not set.
    const name = `${TMP_CONTAINER_PREFIX}${uniqueName('hold')}`;
    const id = docker([
      'run', '-d', '--name', name, '--network', 'host', '--label', TEST_LABEL,
      '--label', 'com.docker.compose.project=mwproj', '--label', 'com.docker.compose.service=holder',
      env.MW_TEST_BUSYBOX_IMAGE, ...HOLD_64_MIB,
    ]);
    unlimited = { container: name, id, stop: () => docker(['rm', '-f', name]) };
    handles.push(unlimited);
    limited = startBusybox(uniqueName('hold-128m'), HOLD_64_MIB, { memoryLimit: 128 * MiB });
    handles.push(limited);
    cached = startBusybox(uniqueName('cache'), WRITE_64_MIB_FILE);
    handles.push(cached);

    // Wait until the memory is there and has settled (awk briefly holds a second copy while it
    // builds the string): two polls in a row within 1%. A poll with a deadline, not a sleep.
    let previous: number[] = [];
    await waitUntil('the test containers to hold their memory steadily', async () => {
      const result = await collect(api);
      if (!result.docker.reachable) return undefined;
      const current = [unlimited, limited, cached].map((h) => byName(result, h.container).memoryRawUsageBytes);
      const settled = current.every((bytes, i) => bytes >= 64 * MiB && Math.abs(bytes - (previous[i] ?? 0)) <= 0.01 * bytes);
      previous = current;
      return settled ? true : undefined;
    }, { timeoutMs: 30_000 });
  });

  afterAll(() => {
    for (const handle of handles) {
      try {
        handle.stop();
      } catch {
        // already gone
      }
    }
  });

  it('reads MEM USAGE / LIMIT / % from the cgroup files exactly as docker stats shows them', async () => {
    const names = [unlimited.container, limited.container, cached.container];
    const ours = await collect(api);
    const theirs = dockerStats(names);
    const oursAfter = await collect(api);
    expect(ours.docker).toEqual({ reachable: true });

    for (const name of names) {
      const stats = theirs.get(name)!;
      if (name === cached.container) expectBracketed(stats.usedBytes, [ours, oursAfter], name);
      for (const snapshot of [ours, oursAfter]) {
        const container = byName(snapshot, name);
        expect(container.source).toBe('cgroup');
        if (name !== cached.container) {
          expectWithin2Percent(container.memoryUsageBytes, stats.usedBytes, `${name} MEM USAGE`);
          expectPercentClose(container.memoryPercent, stats.percent, `${name} MEM %`);
        }
        expect(container.pids).toBe(stats.pids);
      }
      const container = byName(ours, name);
      console.info(
        `${name}: ours ${(container.memoryUsageBytes / MiB).toFixed(2)} MiB ${container.memoryPercent.toFixed(2)}% ` +
          `(raw ${(container.memoryRawUsageBytes / MiB).toFixed(2)} MiB), docker stats ${(stats.usedBytes / MiB).toFixed(2)} MiB ${stats.percent}%`,
      );
    }

    // The limited container: LIMIT equal to docker stats' and to the configured 128 MiB.
    const limitedOurs = byName(ours, limited.container);
    expect(limitedOurs.memoryLimitBytes).toBe(128 * MiB);
    expect(limitedOurs.memoryLimitBytes).toBe(theirs.get(limited.container)!.limitBytes);
    expect(limitedOurs.memorySwapLimitBytes).toBe(128 * MiB); // startBusybox sets --memory-swap = --memory
    expect(limitedOurs.memoryPercent).toBeGreaterThan(50); // 64 MiB of 128 MiB plus busybox itself
    expect(limitedOurs.limitHitCount).toBe(0); // memory.failcnt: never at the limit
    expect(limitedOurs.oomKillCount).toBe(0);

    // Unlimited: no limit in the Snapshot, docker stats divides by host RAM (printed rounded).
    const unlimitedOurs = byName(ours, unlimited.container);
    expect(unlimitedOurs.memoryLimitBytes).toBeNull();
    expect(unlimitedOurs.memorySwapLimitBytes).toBeNull();
    expect(Math.abs(theirs.get(unlimited.container)!.limitBytes - HOST_TOTAL)).toBeLessThanOrEqual(0.001 * HOST_TOTAL);
    expect(unlimitedOurs.memoryPercent).toBeCloseTo((unlimitedOurs.memoryUsageBytes / HOST_TOTAL) * 100, 10);

    // Page cache: in the raw usage, not in MEM USAGE (docker/cli subtracts total_inactive_file).
    const cachedOurs = byName(ours, cached.container);
    expect(cachedOurs.memoryRawUsageBytes - cachedOurs.memoryUsageBytes).toBeGreaterThanOrEqual(48 * MiB);
    expect(cachedOurs.memoryUsageBytes).toBeLessThan(16 * MiB);
  });

  it('fills in the metadata from inspect, the image list and the labels', async () => {
    const result = await collect(api);
    const container = byName(result, unlimited.container);
    const [pid, startedAt, restartCount, imageId] = docker([
      'inspect', '-f', '{{.State.Pid}} {{.State.StartedAt}} {{.RestartCount}} {{.Image}}', unlimited.container,
    ]).split(' ');
    expect(container).toMatchObject({
      id: unlimited.id,
      image: useTestEnv().MW_TEST_BUSYBOX_IMAGE,
      imageId,
      composeProject: 'mwproj',
      composeService: 'holder',
      restartCount: Number(restartCount),
      initPid: Number(pid),
      startedAt,
      source: 'cgroup',
    });
    expect(container.labels['com.memwarden.test']).toBe('1');
    expect(container.imageSizeBytes).toBe(Number(docker(['image', 'inspect', '-f', '{{.Size}}', imageId!])));
  });

  it('falls back to the Engine API (one-shot stats) when the cgroup files are not readable, with the same figures', async () => {
    const noCgroups = mkdtempSync(join(tmpdir(), 'mw-no-cgroup-'));
    try {
      const names = [unlimited.container, limited.container, cached.container];
      // The daemon answers concurrent stats calls about one per second: allow for every container.
      const viaApi = await collect(api, noCgroups, 60_000);
      const theirs = dockerStats(names);
      const cgroupAfter = await collect(api);
      expect(viaApi.docker).toEqual({ reachable: true });
      for (const name of names) {
        const container = byName(viaApi, name);
        const stats = theirs.get(name)!;
        expect(container.source).toBe('api');
        if (name === cached.container) {
          expectBracketed(stats.usedBytes, [viaApi, cgroupAfter], name);
        } else {
          expectWithin2Percent(container.memoryUsageBytes, stats.usedBytes, `${name} MEM USAGE (api)`);
          expectPercentClose(container.memoryPercent, stats.percent, `${name} MEM % (api)`);
        }
        expect(container.oomKillCount).toBeNull(); // the API does not report OOM kills
        expect(container.limitHitCount).toBe(0); // cgroup v1: failcnt omitted while 0
      }
      expect(byName(viaApi, limited.container).memoryLimitBytes).toBe(128 * MiB);
      expect(byName(viaApi, limited.container).memorySwapLimitBytes).toBe(128 * MiB);
      expect(byName(viaApi, unlimited.container).memoryLimitBytes).toBeNull();
    } finally {
      rmSync(noCgroups, { recursive: true, force: true });
    }
  });

  it('skips a container removed between list and inspect', async () => {
    const doomed = startBusybox(uniqueName('vanish'), ['sleep', '100000']);
    handles.push(doomed);
    let listed = false;
    const realList = api.listContainers.bind(api);
    const racing = Object.assign(new Dockerode(), {
      listContainers: async (options?: Dockerode.ContainerListOptions) => {
        const list = await realList(options);
        listed = list.some((c) => c.Id === doomed.id);
        docker(['rm', '-f', doomed.container]); // gone before the collector inspects it
        return list;
      },
    });
    const result = await collect(racing);
    expect(listed).toBe(true);
    expect(result.docker).toEqual({ reachable: true });
    expect(result.containers.some((c) => c.id === doomed.id)).toBe(false);
    expect(result.containers.some((c) => c.name === limited.container)).toBe(true);
  });

  it('reports an HTTP error of the real engine as unreachable with the reason', async () => {
    // An API version the daemon refuses: HTTP 400 "client version 9.99 is too new".
    const result = await collect(new Dockerode({ version: 'v9.99' }));
    expect(result.containers).toEqual([]);
    expect(result.docker.reachable).toBe(false);
    expect(result.docker.error).toMatch(/^HTTP 400: client version 9\.99 is too new/);
  });
  // Speed is measured by bench/snapshot.bench.ts (docs/benchmarks.md), not asserted in tests.
});

describe('collectContainers when Docker is unreachable', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-docker-'));
  const servers: Server[] = [];
  const sockets = new Set<Socket>();

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    rmSync(dir, { recursive: true, force: true });
  });

  it('no socket: reachable false with "connect ENOENT <path>", no throw', async () => {
    const socketPath = join(dir, 'missing.sock');
    const result = await collect(new Dockerode({ socketPath }));
    expect(result).toEqual({ docker: { reachable: false, error: `connect ENOENT ${socketPath}` }, containers: [] });
  });

  it('nobody listening on TCP: reachable false with ECONNREFUSED', async () => {
    // Bind a port, then close it: connecting to it is refused.
    const server = createNetServer();
    const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
    await new Promise((resolve) => server.close(resolve));
    const result = await collect(new Dockerode({ host: '127.0.0.1', port, protocol: 'http' }));
    expect(result).toEqual({ docker: { reachable: false, error: `connect ECONNREFUSED 127.0.0.1:${port}` }, containers: [] });
  });

  it('a daemon that accepts but never answers: gives up after timeoutMs', async () => {
    // Stands in for a wedged dockerd; the real one cannot be made to hang on demand.
    const socketPath = join(dir, 'hung.sock');
    const server = createNetServer((socket) => sockets.add(socket));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    const started = performance.now();
    const result = await collect(new Dockerode({ socketPath }), CGROUP_ROOT, 300);
    const elapsed = performance.now() - started;
    expect(result).toEqual({ docker: { reachable: false, error: 'timed out after 300 ms (listing containers)' }, containers: [] });
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(2_000);
  });
});
