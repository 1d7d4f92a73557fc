import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import { describe, expect, it } from 'vitest';
import { collectSnapshot } from '../../../src/collect/collect-snapshot.js';

describe('collectSnapshot', () => {
  it('still reports the host when Docker and the process scan both fail', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'mw-noproc-'));
    const socketPath = join(empty, 'docker.sock');
    const snapshot = await collectSnapshot({
      docker: new Dockerode({ socketPath }),
      procRoot: join(empty, 'proc-that-does-not-exist'),
      cgroupRoot: empty,
      withProcesses: true,
      timeoutMs: 2_000,
      now: () => new Date('2025-10-27T12:00:00Z'),
    });
    expect(snapshot.takenAt).toBe('2025-10-27T12:00:00.000Z');
    expect(snapshot.host.totalBytes).toBeGreaterThan(0);
    // PSI and the OOM counter are read from procRoot: unknown there, never guessed.
    expect(snapshot.host.pressure).toBeNull();
    expect(snapshot.host.oomKillCount).toBeNull();
    expect(snapshot.docker).toEqual({ reachable: false, error: `connect ENOENT ${socketPath}` });
    expect(snapshot.containers).toEqual([]);
    expect(snapshot.errors.map((e) => e.source)).toEqual(['processes']);
    expect(snapshot.bot.rssBytes).toBeGreaterThan(0);
  });
});
