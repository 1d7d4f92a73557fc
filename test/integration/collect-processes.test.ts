// collectProcesses against the real /proc: the Celery worker container of scripts/test-env.sh
// (concurrency 4) must come out as one group whose PSS matches smem's, and whose RSS sum shows
// the copy-on-write over-count that PSS avoids.
import { execFileSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { collectProcesses, type ProcessCollection } from '../../src/collect/processes.js';
import type { ProcessGroup } from '../../src/model/snapshot.js';
import { describeWithEnv, docker, useTestEnv, waitUntil } from './test-env.js';

const MIB = 1024 * 1024;
const CONCURRENCY = 4;

/** Host pids of the container's processes, from `docker top` (PID column). */
function containerPids(container: string): number[] {
  return docker(['top', container, '-eo', 'pid'])
    .split('\n')
    .slice(1)
    .map((line) => Number(line.trim()))
    .filter((pid) => Number.isInteger(pid) && pid > 0);
}

/** pid -> PSS in bytes for every process, from Debian's smem (which reports KiB). */
function smemPss(): Map<number, number> {
  const out = execFileSync('smem', ['-H', '-c', 'pid pss'], { encoding: 'utf8', timeout: 30_000 });
  const pss = new Map<number, number>();
  for (const line of out.split('\n')) {
    const [pid, kib] = line.trim().split(/\s+/).map(Number);
    if (pid === undefined || kib === undefined || !Number.isInteger(pid) || !Number.isFinite(kib)) continue;
    pss.set(pid, kib * 1024);
  }
  return pss;
}

const mib = (bytes: number): string => `${(bytes / MIB).toFixed(1)} MiB`;

describeWithEnv('collectProcesses on the real /proc', () => {
  it('sees the Celery worker container as one group whose PSS matches smem', async () => {
    const env = useTestEnv();
    const container = env.MW_TEST_CELERY_CONTAINER;
    const id = docker(['inspect', '-f', '{{.Id}}', container]);
    const containerNames = new Map([[id, container]]);

    // A worker restarted by an earlier test takes a moment to fork its pool: wait for master + 4.
    const poolUp = (): true | undefined => (containerPids(container).length === CONCURRENCY + 1 ? true : undefined);
    await waitUntil('the celery pool to be up', poolUp, { timeoutMs: 30_000 });
    const pidsInContainer = containerPids(container);

    const started = performance.now();
    const result: ProcessCollection = await collectProcesses({
      procRoot: '/proc',
      withSmaps: true,
      containerNames,
      selfPid: process.pid,
    });
    const elapsedMs = performance.now() - started;
    const smem = smemPss();

    const celeryGroups = result.groups.filter((g) => g.kind === 'celery' && g.containerId === id);
    expect(celeryGroups).toHaveLength(1);
    const group = celeryGroups[0] as ProcessGroup;
    expect(group).toMatchObject({
      name: `celery ${env.MW_TEST_CELERY_NODE} (${env.MW_TEST_CELERY_APP})`,
      children: CONCURRENCY,
      containerName: container,
      exact: true,
      celery: {
        app: env.MW_TEST_CELERY_APP,
        nodeName: env.MW_TEST_CELERY_NODE,
        configuredConcurrency: CONCURRENCY,
        poolSize: CONCURRENCY,
      },
    });
    expect([...group.pids].sort((a, b) => a - b)).toEqual([...pidsInContainer].sort((a, b) => a - b));
    const master = result.processes.find((p) => p.pid === group.masterPid);
    expect(master?.nsPid).toBe(1);

    // smem sums Pss over /proc/<pid>/smaps; we read smaps_rollup a moment earlier: within 5%.
    const missing = group.pids.filter((pid) => !smem.has(pid));
    expect(missing).toEqual([]);
    const smemSum = group.pids.reduce((sum, pid) => sum + (smem.get(pid) ?? 0), 0);
    expect(Math.abs(group.pssBytes - smemSum) / smemSum).toBeLessThan(0.05);

    // Children share the master's copy-on-write pages: the RSS sum counts them once per child.
    expect(group.rssBytes).toBeGreaterThan(group.pssBytes);
    expect(group.ussBytes).toBeLessThan(group.pssBytes);

    const self = result.processes.find((p) => p.pid === process.pid);
    expect(self).toMatchObject({ precision: 'smaps', containerId: null });
    expect(self?.pssBytes).toBeGreaterThan(0);
    expect(result.groups.find((g) => g.masterPid === process.pid)?.name).toBe('memwarden');

    console.info(
      `celery group ${group.name}: PSS ${mib(group.pssBytes)} (smem ${mib(smemSum)}), ` +
        `RSS sum ${mib(group.rssBytes)} (${(group.rssBytes / group.pssBytes).toFixed(2)}x PSS), ` +
        `USS ${mib(group.ussBytes)}; collectProcesses: ${result.processes.length} processes, ` +
        `${result.groups.length} groups in ${elapsedMs.toFixed(0)} ms`,
    );
  });
});
