import { describe, expect, it } from 'vitest';
import { renderGroups, renderStatus } from '../../../src/cli/render-status.js';
import { toStatusJson } from '../../../src/cli/status-json.js';
import type { ProcessMemory } from '../../../src/model/snapshot.js';
import { configSchema } from '../../../src/config/schema.js';
import { statusThresholds } from '../../../src/diagnose/levels.js';
import { GiB, makeContainer, makeGroup, makeHost, makeSnapshot, MiB } from '../store/make-snapshot.js';

const thresholds = statusThresholds(configSchema.parse({}));

function proc(pid: number, ppid: number, rss: number, pss: number, uss: number): ProcessMemory {
  return { pid, ppid, nsPid: null, comm: 'celery', cmdline: 'celery worker', rssBytes: rss, pssBytes: pss, ussBytes: uss, precision: 'smaps', containerId: null, mlLibraries: [] };
}

const snapshot = makeSnapshot(Date.UTC(2025, 9, 27, 12), {
  host: makeHost({ totalBytes: 12 * GiB, usedBytes: 11 * GiB, availableBytes: 1 * GiB, swapTotalBytes: 0, swapUsedBytes: 0, pressure: null }),
  containers: [
    makeContainer({ name: 'small', memoryUsageBytes: 8 * MiB, memoryLimitBytes: null }),
    makeContainer({ name: 'worker', memoryUsageBytes: 2.57 * GiB, memoryLimitBytes: null }),
    makeContainer({ name: 'api', memoryUsageBytes: 900 * MiB, memoryLimitBytes: 1 * GiB }),
  ],
  processGroups: [
    makeGroup({ name: 'celery worker@x (app)', kind: 'celery', masterPid: 10, pids: [10, 11, 12], pssBytes: 300 * MiB, rssBytes: 500 * MiB, ussBytes: 250 * MiB, containerName: 'worker' }),
  ],
  processes: [proc(10, 1, 200 * MiB, 120 * MiB, 90 * MiB), proc(11, 10, 150 * MiB, 90 * MiB, 80 * MiB), proc(12, 10, 150 * MiB, 90 * MiB, 80 * MiB)],
});

describe('renderStatus', () => {
  const text = renderStatus(snapshot, { thresholds, color: false });

  it('shows the host overview and warns loudly without swap', () => {
    expect(text).toContain('Total RAM:     12 GiB');
    expect(text).toContain('Used:          11 GiB (91.7%)  HIGH');
    expect(text).toContain('Swap:          0 B (NOT CONFIGURED!)');
    expect(text).toContain('⚠ No swap configured');
    expect(text).toContain('Pressure:      unknown (no /proc/pressure/memory)');
  });

  it('sorts containers by memory with a status column from the thresholds', () => {
    const rows = text.split('\n').filter((line) => /^ {2}│ (worker|api|small) +│/.test(line));
    expect(rows.map((row) => /│ (\w+)/.exec(row)?.[1])).toEqual(['worker', 'api', 'small']);
    // worker: no limit, 2.57 GiB of 12 GiB = 21.4% of host >= 20 -> CRITICAL
    expect(rows[0]).toMatch(/unlimited .*21\.4% .*CRITICAL/);
    // api: 900 MiB of a 1 GiB limit = 87.9% >= 85 -> HIGH
    expect(rows[1]).toMatch(/1 GiB .*87\.9% .*HIGH/);
    expect(rows[2]).toMatch(/OK/);
    // 2.57 GiB + 900 MiB (0.879 GiB) + 8 MiB (0.008 GiB) = 3.457 GiB
    expect(text).toMatch(/TOTAL Docker .*3\.46 GiB/);
  });

  it('takes the status levels from the alert rules', () => {
    const tighter = statusThresholds(configSchema.parse({ alerts: { rules: { 'container-near-limit': { warning: 90 }, 'host-memory-used': { critical: 90 } } } }));
    const custom = renderStatus(snapshot, { thresholds: tighter, color: false });
    const api = custom.split('\n').find((line) => /^ {2}│ api +│/.test(line));
    expect(api).toMatch(/87\.9% .*OK/); // below the rule's warning of 90
    expect(custom).toContain('Used:          11 GiB (91.7%)  CRITICAL');
  });

  it('folds children under their master and shows the RSS over-count', () => {
    expect(text).toContain('├ master 10 celery');
    expect(text).toContain('└ child 12 celery');
    expect(text).toContain('would over-count shared pages by 200 MiB');
  });

  it('says why Docker figures are missing', () => {
    const away = renderStatus({ ...snapshot, docker: { reachable: false, error: 'connect ENOENT /var/run/docker.sock' }, containers: [] }, { thresholds, color: false });
    expect(away).toContain('docker: unreachable (connect ENOENT /var/run/docker.sock)');
  });

  it('marks groups measured from RSS only and shows their USS as unknown', () => {
    const rough = renderGroups({ ...snapshot, processGroups: [makeGroup({ name: 'secret', exact: false, pids: [99] })] }, 5, 'pss', false);
    expect(rough).toMatch(/secret .*100 MiB \* .*unknown/);
    expect(rough).toContain('* includes processes whose smaps could not be read');
  });
});

describe('toStatusJson', () => {
  it('keeps the documented contract', () => {
    const json = toStatusJson(snapshot, { processes: false });
    expect(Object.keys(json)).toEqual(['schemaVersion', 'takenAt', 'hostname', 'durationMs', 'host', 'docker', 'containers', 'processGroups', 'bot', 'errors']);
    expect(json.containers[0]).toMatchObject({ name: 'small', memoryLimitBytes: null });
    expect(Number.isInteger(json.host.totalBytes)).toBe(true);
    expect('processes' in toStatusJson(snapshot, { processes: true })).toBe(true);
  });
});
