// The whole snapshot against the tools people trust: /proc/meminfo for the host, and the
// behaviour when Docker is unreachable (status still works and says why; polling recovers).
import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Dockerode from 'dockerode';
import pino from 'pino';
import { afterAll, expect, it } from 'vitest';
import { collectHost } from '../../src/collect/host.js';
import { collectSnapshot } from '../../src/collect/collect-snapshot.js';
import { startPoller } from '../../src/collect/poller.js';
import type { Snapshot } from '../../src/model/snapshot.js';
import { describeWithEnv, useTestEnv, waitUntil } from './test-env.js';

const run = promisify(execFile);
const KiB = 1024;
const MiB = 1024 * KiB;

function meminfo(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of readFileSync('/proc/meminfo', 'utf8').split('\n')) {
    const match = /^(\w+\(?\w*\)?):\s+(\d+) kB$/.exec(line);
    if (match) out[match[1] as string] = Number(match[2]) * KiB;
  }
  return out;
}

/** `value` lies between two readings taken just before and just after (plus 1 MiB of slack). */
function expectBetween(value: number, a: number, b: number, what: string) {
  expect(value, what).toBeGreaterThanOrEqual(Math.min(a, b) - MiB);
  expect(value, what).toBeLessThanOrEqual(Math.max(a, b) + MiB);
}

const cli = (args: string[], env: Record<string, string>) =>
  run(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], { env: { ...process.env, ...env, NO_COLOR: '1' }, timeout: 60_000 });

describeWithEnv('snapshot against /proc and an unreachable Docker', () => {
  const servers: Server[] = [];
  afterAll(() => {
    for (const server of servers) server.close();
  });

  it('reports host figures equal to /proc/meminfo', async () => {
    const before = meminfo();
    const host = await collectHost('/proc');
    const after = meminfo();
    expect(host.totalBytes).toBe(before.MemTotal);
    expect(host.swapTotalBytes).toBe(before.SwapTotal);
    expectBetween(host.availableBytes, before.MemAvailable!, after.MemAvailable!, 'MemAvailable');
    expectBetween(host.freeBytes, before.MemFree!, after.MemFree!, 'MemFree');
    expectBetween(host.usedBytes, before.MemTotal! - before.MemAvailable!, after.MemTotal! - after.MemAvailable!, 'used = total - available');
    const buffCache = (m: Record<string, number>) => m.Buffers! + m.Cached! + m.SReclaimable!;
    expectBetween(host.buffCacheBytes, buffCache(before), buffCache(after), 'buff/cache');
    expectBetween(host.swapUsedBytes, before.SwapTotal! - before.SwapFree!, after.SwapTotal! - after.SwapFree!, 'swap used');
    expect(host.oomKillCount).toBe(Number(/^oom_kill (\d+)$/m.exec(readFileSync('/proc/vmstat', 'utf8'))?.[1]));
  });

  it('memwarden status still works with Docker unreachable and says why', async () => {
    const socket = join(tmpdir(), `mw-no-docker-${process.pid}.sock`);
    const json = await cli(['status', '--json'], { DOCKER_HOST: `unix://${socket}` });
    const parsed = JSON.parse(json.stdout) as Snapshot;
    expect(parsed.docker.reachable).toBe(false);
    expect(parsed.docker.error).toBe(`connect ENOENT ${socket}`);
    expect(parsed.containers).toEqual([]);
    expect(parsed.host.totalBytes).toBe(meminfo().MemTotal);
    expect(parsed.processGroups.length).toBeGreaterThan(0);

    const text = await cli(['status'], { DOCKER_HOST: `unix://${socket}` });
    expect(text.stdout).toContain(`docker: unreachable (connect ENOENT ${socket})`);
    expect(text.stdout).toContain('System overview');
  });

  it('keeps polling while Docker is away and recovers when it comes back', async () => {
    useTestEnv();
    // A unix socket we control in front of the real daemon: absent first, then forwarding.
    const socketPath = join(tmpdir(), `mw-docker-proxy-${process.pid}.sock`);
    rmSync(socketPath, { force: true });
    const docker = new Dockerode({ socketPath });
    const seen: Snapshot[] = [];
    const poller = startPoller({
      intervalMs: 50,
      logger: pino({ level: 'silent' }),
      collect: () => collectSnapshot({ docker, procRoot: '/proc', cgroupRoot: '/sys/fs/cgroup', withProcesses: false, timeoutMs: 5_000 }),
      onSnapshot: (snapshot) => {
        seen.push(snapshot);
      },
    });
    try {
      await waitUntil('a poll without Docker', () => (seen.length >= 2 ? true : undefined), { timeoutMs: 20_000 });
      expect(seen.every((s) => !s.docker.reachable && s.docker.error === `connect ENOENT ${socketPath}`)).toBe(true);
      expect(seen[0]!.host.totalBytes).toBeGreaterThan(0);

      const proxy = createServer((client) => {
        const upstream = createConnection('/var/run/docker.sock');
        client.pipe(upstream).pipe(client);
        client.on('error', () => upstream.destroy());
        upstream.on('error', () => client.destroy());
      });
      servers.push(proxy);
      await new Promise<void>((resolve) => proxy.listen(socketPath, resolve));

      const back = await waitUntil('Docker to be reachable again', () => seen.find((s) => s.docker.reachable), { timeoutMs: 20_000 });
      expect(back.containers.some((c) => c.name === useTestEnv().MW_TEST_CELERY_CONTAINER)).toBe(true);
    } finally {
      await poller.stop();
    }
  });
});
