// collectContainers against a fake Docker daemon: an HTTP server on a unix socket, spoken to by a
// real Dockerode, so node's http client and docker-modem hang their abort listeners on the shared
// signal exactly as they do against the real daemon.
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import Dockerode from 'dockerode';
import { afterEach, describe, expect, it } from 'vitest';
import { collectContainers } from '../../../src/collect/containers.js';

const MiB = 1024 * 1024;
const HOST_TOTAL = 8 * 1024 * MiB;

/**
 * A daemon with `count` running containers. Every answer sends its headers at once and its body
 * `bodyDelayMs` later, as a busy daemon does: until a body has arrived, the request and its response
 * both hold an abort listener.
 */
function fakeDaemon(count: number, bodyDelayMs: number): { socketPath: string; cgroupRoot: string; server: Server; ids: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'mw-fake-docker-'));
  const ids = Array.from({ length: count }, (_, i) => (i + 1).toString(16).padStart(64, '0'));
  const answer = (url: string): { status: number; body: unknown } => {
    if (/\/containers\/json(\?|$)/.test(url)) {
      return { status: 200, body: ids.map((Id, i) => ({ Id, Names: [`/c${i}`], Image: 'img:1', ImageID: 'sha256:img', Labels: {} })) };
    }
    if (/\/images\/json(\?|$)/.test(url)) return { status: 200, body: [{ Id: 'sha256:img', Size: 123 }] };
    const inspect = /\/containers\/([0-9a-f]{64})\/json/.exec(url);
    if (inspect) {
      return {
        status: 200,
        body: {
          Id: inspect[1],
          Name: `/c${ids.indexOf(inspect[1] ?? '')}`,
          Image: 'sha256:img',
          RestartCount: 0,
          State: { Running: true, Pid: 0, StartedAt: '2025-10-27T08:00:00Z' },
          HostConfig: { Memory: 0, MemorySwap: 0 },
          Config: { Labels: {}, Image: 'img:1' },
        },
      };
    }
    if (/\/containers\/[0-9a-f]{64}\/stats/.test(url)) {
      return { status: 200, body: { memory_stats: { usage: 100 * MiB, limit: HOST_TOTAL, stats: { inactive_file: 0 } } } };
    }
    return { status: 404, body: { message: `no route for ${url}` } };
  };
  const server = createServer((req, res) => {
    const { status, body } = answer(req.url ?? '');
    res.writeHead(status, { 'content-type': 'application/json' });
    res.flushHeaders();
    setTimeout(() => res.end(JSON.stringify(body)), bodyDelayMs);
  });
  return { socketPath: join(dir, 'docker.sock'), cgroupRoot: dir, server, ids };
}

let server: Server | undefined;

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

describe('collectContainers', () => {
  it('collects many containers without a MaxListenersExceededWarning on its abort signal', async () => {
    const daemon = fakeDaemon(24, 20);
    server = daemon.server;
    await new Promise<void>((resolve) => daemon.server.listen(daemon.socketPath, resolve));
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => {
      warnings.push(warning);
    };
    process.on('warning', onWarning);
    try {
      const result = await collectContainers({
        docker: new Dockerode({ socketPath: daemon.socketPath }),
        // No cgroup files here: every container goes through inspect and the stats fallback.
        cgroupRoot: daemon.cgroupRoot,
        hostTotalBytes: HOST_TOTAL,
        timeoutMs: 10_000,
      });
      // process.emitWarning delivers on a later tick.
      await tick();
      await tick();
      expect(result.docker).toEqual({ reachable: true });
      expect(result.containers.map((c) => c.id)).toEqual(daemon.ids);
      expect(result.containers.every((c) => c.source === 'api' && c.memoryUsageBytes === 100 * MiB)).toBe(true);
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message)).toEqual([]);
  });
});
