// diagnose() against a real Celery worker: a prefork pool of 4 whose children each hold
// HOLD_MIB, in a container whose memory limit is then set (from what the pool measurably
// needs) so that 4 children do not fit with the configured headroom but 3 do.
// prefork-concurrency must recommend 3 with a saving; shrinking the live pool to 3 must free
// what it estimated, within 15%, measured as the group's PSS (collectProcesses) and as the
// container's usage (collectContainers).
import Dockerode from 'dockerode';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { collectSnapshot } from '../../src/collect/collect-snapshot.js';
import { collectContainers } from '../../src/collect/containers.js';
import { collectProcesses } from '../../src/collect/processes.js';
import type { ContainerMemory, ProcessGroup, ProcessMemory, Snapshot } from '../../src/model/snapshot.js';
import { configSchema } from '../../src/config/schema.js';
import { diagnose } from '../../src/diagnose/diagnose.js';
import { diagnoseOptions } from '../../src/diagnose/options.js';
import { emptyDiagnosisHistory, type Finding } from '../../src/model/finding.js';
import {
  type CeleryWorkerHandle,
  describeWithEnv,
  docker,
  startCeleryWorker,
  uniqueName,
  useTestEnv,
  waitUntil,
} from './test-env.js';

const MiB = 1024 ** 2;
const CONCURRENCY = 4;
const HOLD_MIB = 128;
/** Room for all four children at first; the test lowers it once the pool is loaded. */
const INITIAL_LIMIT = 1024 * MiB;
const CGROUP_ROOT = '/sys/fs/cgroup';
const config = configSchema.parse({});
const options = diagnoseOptions(config);

interface Measurement {
  container: ContainerMemory;
  group: ProcessGroup;
  children: ProcessMemory[];
  master: ProcessMemory;
}

const mib = (bytes: number | null | undefined): string => (bytes == null ? 'unknown' : `${(bytes / MiB).toFixed(1)} MiB`);

describeWithEnv('prefork-concurrency on a real Celery worker', () => {
  const api = new Dockerode();
  let worker: CeleryWorkerHandle | undefined;
  let containerId = '';

  async function measure(): Promise<Measurement | undefined> {
    if (!worker) return undefined;
    const names = new Map([[containerId, worker.container]]);
    const [containers, processes] = await Promise.all([
      collectContainers({ docker: api, cgroupRoot: CGROUP_ROOT, hostTotalBytes: 1, timeoutMs: 10_000 }),
      collectProcesses({ procRoot: '/proc', withSmaps: true, containerNames: names, selfPid: process.pid }),
    ]);
    const container = containers.containers.find((c) => c.id === containerId);
    const group = processes.groups.find((g) => g.kind === 'celery' && g.containerId === containerId);
    const master = processes.processes.find((p) => p.pid === group?.masterPid);
    if (!container || !group || !master) return undefined;
    const children = processes.processes.filter((p) => p.ppid === group.masterPid);
    return { container, group, children, master };
  }

  function snapshot(): Promise<Snapshot> {
    return collectSnapshot({ docker: api, procRoot: '/proc', cgroupRoot: CGROUP_ROOT, withProcesses: true, timeoutMs: 10_000 });
  }

  function preforkFinding(findings: Finding[], group: ProcessGroup): Finding | undefined {
    return findings.find((f) => f.code === 'prefork-concurrency' && f.target.name === group.name);
  }

  /** Every child holding HOLD_MIB, and the group's PSS steady over two polls (within 1%). */
  async function waitForSteadyPool(children: number, holding: boolean): Promise<Measurement> {
    let previous = 0;
    return waitUntil(
      `a steady pool of ${children}${holding ? ` children holding ${HOLD_MIB} MiB` : ''}`,
      async () => {
        const m = await measure();
        if (!m || m.children.length !== children || !m.group.exact) return undefined;
        if (holding && !m.children.every((c) => (c.ussBytes ?? 0) >= HOLD_MIB * MiB)) return undefined;
        const steady = Math.abs(m.group.pssBytes - previous) <= 0.01 * m.group.pssBytes;
        previous = m.group.pssBytes;
        return steady ? m : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 300 },
    );
  }

  /**
   * Sends CONCURRENCY hold tasks in one burst from one client. hold() returns as soon as its
   * bytes are written, so a child may finish before the next task arrives and take two; the
   * returned pids say which children ran them.
   */
  function holdInEveryChild(handle: CeleryWorkerHandle): number[] {
    const script = [
      'import json, mwtest',
      `rs = [mwtest.hold.apply_async(args=[${HOLD_MIB}], queue=${JSON.stringify(handle.queue)}) for _ in range(${CONCURRENCY})]`,
      'print(json.dumps([r.get(timeout=60) for r in rs]))',
    ].join('\n');
    const out = docker(['exec', '-w', '/app', handle.container, 'python3', '-c', script], 90_000);
    return JSON.parse(out.split('\n').pop() ?? '[]') as number[];
  }

  beforeAll(async () => {
    // A burst usually lands on four different children (the fair scheduler hands each task to an
    // idle child); when one child took two, start over with a fresh worker: bounded attempts.
    for (let attempt = 1; attempt <= 3; attempt++) {
      worker = await startCeleryWorker(uniqueName('dgx'), { concurrency: CONCURRENCY, memoryLimit: INITIAL_LIMIT });
      containerId = docker(['inspect', '-f', '{{.Id}}', worker.container]);
      await waitForSteadyPool(CONCURRENCY, false);
      const pids = holdInEveryChild(worker);
      if (new Set(pids).size === CONCURRENCY) {
        await waitForSteadyPool(CONCURRENCY, true);
        return;
      }
      worker.stop();
      worker = undefined;
    }
    throw new Error(`could not make each of the ${CONCURRENCY} children hold ${HOLD_MIB} MiB in 3 attempts`);
  });

  afterAll(() => worker?.stop());

  it('finds no problem while the limit leaves room for all four children, and reads the container\'s Python packages', async () => {
    const m = await waitForSteadyPool(CONCURRENCY, true);
    const snap = await snapshot();
    expect(preforkFinding(diagnose(snap, emptyDiagnosisHistory(), options), m.group)).toBeUndefined();
    // The collector read dist-packages through /proc/<pid>/root: Debian's celery is there.
    const dists = snap.pythonDistributions?.find((e) => e.containerId === containerId)?.distributions ?? [];
    expect(dists.map((d) => d.name)).toContain('celery');
    expect(dists.find((d) => d.name === 'celery')?.path).toMatch(/^\/usr\/lib\/python3\/dist-packages\/celery-[\d.]+\.(egg|dist)-info$/);
  });

  it('recommends the concurrency that fits, and shrinking to it frees what it estimated (within 15%)', async () => {
    const handle = worker as CeleryWorkerHandle;
    const loaded = await waitForSteadyPool(CONCURRENCY, true);

    // A limit whose usable part (after the headroom) lies halfway between what 3 and 4 children
    // need, from the measured figures: 4 do not fit, 3 do.
    const childUss = loaded.children.reduce((sum, c) => sum + (c.ussBytes ?? 0), 0) / loaded.children.length;
    const masterPss = loaded.master.pssBytes ?? 0;
    const other = Math.max(0, loaded.container.memoryUsageBytes - loaded.group.pssBytes);
    const usable = ((CONCURRENCY - 1) * childUss + masterPss + CONCURRENCY * childUss + masterPss) / 2;
    const limit = Math.ceil((usable / (1 - config.diagnosis.headroomPercent / 100) + other) / MiB) * MiB;
    // The limit must still hold the loaded pool plus a docker exec client (~25 MiB) without an OOM kill.
    expect(limit - loaded.container.memoryRawUsageBytes, `limit ${mib(limit)} vs usage ${mib(loaded.container.memoryRawUsageBytes)}`).toBeGreaterThan(40 * MiB);
    docker(['update', '--memory', `${limit}b`, '--memory-swap', `${limit}b`, handle.container]);
    await waitUntil('the new limit to show in the cgroup', async () => ((await measure())?.container.memoryLimitBytes === limit ? true : undefined));

    const findings = diagnose(await snapshot(), emptyDiagnosisHistory(), options);
    const finding = preforkFinding(findings, loaded.group);
    expect(finding, JSON.stringify(findings.map((f) => [f.code, f.target.name]))).toBeDefined();
    const f = finding as Finding;
    expect(f.evidence).toMatchObject({ concurrency: CONCURRENCY, targetConcurrency: CONCURRENCY - 1, containerLimitBytes: limit });
    const rec = f.recommendations[0];
    expect(rec).toMatchObject({ runbook: 'lower-celery-concurrency', params: { concurrency: CONCURRENCY - 1 } });
    const estimate = rec?.estimatedSavingsBytes ?? 0;
    expect(estimate).toBeGreaterThan(HOLD_MIB * MiB);

    // Shrink the live pool as the runbook would, and measure what that freed.
    const before = await waitForSteadyPool(CONCURRENCY, true);
    const target = f.evidence.targetConcurrency as number;
    docker(['exec', '-w', '/app', handle.container, 'celery', '-A', useTestEnv().MW_TEST_CELERY_APP, 'control', 'pool_shrink', String(CONCURRENCY - target), '-d', handle.node, '-t', '5'], 60_000);
    const after = await waitForSteadyPool(target, true);
    const freedPss = before.group.pssBytes - after.group.pssBytes;
    const freedUsage = before.container.memoryUsageBytes - after.container.memoryUsageBytes;
    console.info(
      `prefork-concurrency: limit ${mib(limit)}, ${CONCURRENCY} -> ${target}; estimate ${mib(estimate)}; ` +
        `freed: group PSS ${mib(before.group.pssBytes)} -> ${mib(after.group.pssBytes)} = ${mib(freedPss)}, ` +
        `container usage ${mib(before.container.memoryUsageBytes)} -> ${mib(after.container.memoryUsageBytes)} = ${mib(freedUsage)}`,
    );
    expect(Math.abs(estimate - freedPss), `estimate ${mib(estimate)} vs group PSS freed ${mib(freedPss)}`).toBeLessThanOrEqual(0.15 * freedPss);
    expect(Math.abs(estimate - freedUsage), `estimate ${mib(estimate)} vs container usage freed ${mib(freedUsage)}`).toBeLessThanOrEqual(0.15 * freedUsage);

    // And with three children the pool fits: the finding is gone.
    expect(preforkFinding(diagnose(await snapshot(), emptyDiagnosisHistory(), options), after.group)).toBeUndefined();
  });
});
