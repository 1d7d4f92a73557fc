import { describe, expect, it } from 'vitest';
import { evaluateRules, isObservable } from '../../../src/alerts/evaluate.js';
import { step } from '../../../src/alerts/state-machine.js';
import type { HistoryReader, Observation } from '../../../src/model/alert.js';
import type { ContainerMemory, Snapshot } from '../../../src/model/snapshot.js';
import type { HistoryPoint } from '../../../src/model/history.js';
import { GiB, makeContainer, makeGroup, makeHost, makeProcess, makeSnapshot, MiB } from '../store/make-snapshot.js';
import { HOUR, MINUTE, ruleFrom, rulesFrom, T0 } from './helpers.js';

const noHistory: HistoryReader = () => [];

// The host of the reference report: 11.68 GiB, Celery worker 2.57 GiB and backend 1.45 GiB, no limits.
const WORKER_ID = 'a1'.repeat(32);
const BACKEND_ID = 'b2'.repeat(32);
function reportSnapshot(t = T0, overrides: Partial<Snapshot> = {}): Snapshot {
  return makeSnapshot(t, {
    host: makeHost({ totalBytes: 11.68 * GiB, usedBytes: 6.6 * GiB, availableBytes: 5.08 * GiB }),
    containers: [
      makeContainer({ name: 'bizcard-celery-worker', id: WORKER_ID, memoryUsageBytes: 2.57 * GiB, memoryLimitBytes: null, labels: { 'com.docker.compose.project': 'bizcard' } }),
      makeContainer({ name: 'bizcard-backend', id: BACKEND_ID, memoryUsageBytes: 1.45 * GiB, memoryLimitBytes: null }),
      makeContainer({ name: 'bizcard-grafana', id: 'c3'.repeat(32), memoryUsageBytes: 155 * MiB, memoryLimitBytes: null }),
      makeContainer({ name: 'bizcard-db', id: 'd4'.repeat(32), memoryUsageBytes: 900 * MiB, memoryLimitBytes: 1 * GiB }),
    ],
    processGroups: [
      makeGroup({
        name: 'celery celery@bizcard (app.celery_app)',
        kind: 'celery',
        masterPid: 4200,
        pids: [4200, 4242, 4243],
        containerId: WORKER_ID,
        containerName: 'bizcard-celery-worker',
        pssBytes: 4.5 * GiB,
        celery: { app: 'app.celery_app', nodeName: 'celery@bizcard', configuredConcurrency: 2, poolSize: 2 },
      }),
      makeGroup({ name: 'gunicorn app:api', kind: 'gunicorn', containerId: BACKEND_ID, containerName: 'bizcard-backend', pssBytes: 1.2 * GiB }),
    ],
    ...overrides,
  });
}

function only(observations: Observation[], ruleId: string): Observation[] {
  return observations.filter((o) => o.ruleId === ruleId);
}

function pick(observations: Observation[], ruleId: string, name: string): Observation {
  const found = observations.find((o) => o.ruleId === ruleId && o.target.name === name);
  if (!found) throw new Error(`no observation of ${ruleId} on ${name}`);
  return found;
}

describe('evaluateRules: one observation per rule and target', () => {
  const observations = evaluateRules(rulesFrom(), reportSnapshot(), null, noHistory, T0);

  it.each([
    // rule, target, value, level, threshold
    ['host-memory-used', 'box', (6.6 / 11.68) * 100, null, 85],
    ['host-available-low', 'box', 5.08 * GiB, null, 512 * MiB],
    ['memory-pressure-some', 'box', 0.25, null, 10],
    ['memory-pressure-full', 'box', 0.05, null, 5],
    ['container-no-limit-large', 'bizcard-celery-worker', (2.57 / 11.68) * 100, 'critical', 20],
    ['container-no-limit-large', 'bizcard-backend', (1.45 / 11.68) * 100, 'warning', 10],
    ['container-no-limit-large', 'bizcard-grafana', ((155 * MiB) / (11.68 * GiB)) * 100, null, 10],
    ['container-near-limit', 'bizcard-db', (900 / 1024) * 100, 'warning', 85],
    ['process-group-large', 'celery celery@bizcard (app.celery_app)', 4.5 * GiB, 'warning', 4 * GiB],
    ['process-group-large', 'gunicorn app:api', 1.2 * GiB, null, 4 * GiB],
  ] as const)('%s on %s', (ruleId, name, value, level, threshold) => {
    const o = pick(observations, ruleId, name);
    expect(o.value).toBeCloseTo(value, 6);
    expect(o.level).toBe(level);
    expect(o.threshold).toBe(threshold);
    expect(o.eligible).toBe(true);
  });

  it('judges containers with a limit against it and those without against host RAM, never both', () => {
    expect(only(observations, 'container-near-limit').map((o) => o.target.name)).toEqual(['bizcard-db']);
    expect(only(observations, 'container-no-limit-large').map((o) => o.target.name)).toEqual(['bizcard-celery-worker', 'bizcard-backend', 'bizcard-grafana']);
  });

  it('carries the target identity (kind, name, container id, labels) and the evidence numbers', () => {
    const o = pick(observations, 'container-no-limit-large', 'bizcard-celery-worker');
    expect(o.target).toEqual({
      kind: 'container',
      name: 'bizcard-celery-worker',
      containerId: WORKER_ID,
      containerName: 'bizcard-celery-worker',
      labels: { 'com.docker.compose.project': 'bizcard' },
    });
    expect(o.evidence).toEqual({ usageBytes: 2.57 * GiB, hostTotalBytes: 11.68 * GiB });
    const group = pick(observations, 'process-group-large', 'celery celery@bizcard (app.celery_app)');
    expect(group.target).toMatchObject({ kind: 'group', containerId: WORKER_ID, containerName: 'bizcard-celery-worker', labels: { 'com.docker.compose.project': 'bizcard' } });
    expect(new Set(observations.map((x) => x.fingerprint)).size).toBe(observations.length);
  });

  it('reads PSI only where the kernel exposes it', () => {
    const noPsi = reportSnapshot(T0, { host: makeHost({ pressure: null }) });
    const result = evaluateRules(rulesFrom(), noPsi, null, noHistory, T0);
    expect(result.filter((o) => o.kind.startsWith('psi-'))).toEqual([]);
    const stalled = makeSnapshot(T0, { host: makeHost({ pressure: { some: { avg10: 30, avg60: 12.5, avg300: 4 }, full: { avg10: 9, avg60: 6, avg300: 1 } } }) });
    const psi = evaluateRules(rulesFrom(), stalled, null, noHistory, T0);
    expect(pick(psi, 'memory-pressure-some', 'box')).toMatchObject({ value: 12.5, level: 'warning', evidence: { avg10: 30, avg60: 12.5, avg300: 4 } });
    expect(pick(psi, 'memory-pressure-full', 'box')).toMatchObject({ value: 6, level: 'critical', threshold: 5 });
  });

  it('fires host-available-low below its floors', () => {
    const low = (available: number) =>
      pick(evaluateRules(rulesFrom(), makeSnapshot(T0, { host: makeHost({ availableBytes: available }) }), null, noHistory, T0), 'host-available-low', 'box');
    expect(low(400 * MiB)).toMatchObject({ level: 'warning', threshold: 512 * MiB });
    expect(low(200 * MiB)).toMatchObject({ level: 'critical', threshold: 256 * MiB });
    expect(low(600 * MiB).level).toBeNull();
  });
});

describe('evaluateRules: the reference report\'s Prometheus rule', () => {
  it('`container_memory_usage_bytes > 2GB for 5m` as { kind: container-usage-bytes, warning: 2GB, for: 5m }', () => {
    const rules = rulesFrom({ rules: { 'high-memory-usage': { kind: 'container-usage-bytes', warning: '2GB', for: '5m' } } });
    const rule = rules.find((r) => r.id === 'high-memory-usage');
    expect(rule).toMatchObject({ forMs: 5 * MINUTE, thresholds: { direction: 'above', warning: 2 * GiB, critical: null } });
    let state = null;
    const seen: string[] = [];
    for (let minute = 0; minute <= 6; minute++) {
      const now = T0 + minute * MINUTE;
      const o = pick(evaluateRules(rules, reportSnapshot(now), null, noHistory, now), 'high-memory-usage', 'bizcard-celery-worker');
      const result = step(state, o, rule!, now, false);
      state = result.state;
      seen.push(...result.transitions.map((t) => `+${minute}m ${t.event}: ${t.summary}`));
    }
    expect(seen).toEqual([
      '+0m pending: bizcard-celery-worker uses 2.57 GiB, above 2 GiB (pending: fires if it lasts 5m)',
      '+5m firing: bizcard-celery-worker uses 2.57 GiB, above 2 GiB for 5m',
    ]);
    // The backend (1.45 GiB) is observed but below the threshold.
    expect(pick(evaluateRules(rules, reportSnapshot(), null, noHistory, T0), 'high-memory-usage', 'bizcard-backend').level).toBeNull();
  });
});

describe('evaluateRules: ignore lists and overrides', () => {
  it('drops ignored containers (globs), their process groups, and containers carrying an ignored label', () => {
    const names = (alerts: Record<string, unknown>) =>
      evaluateRules(rulesFrom(alerts), reportSnapshot(), null, noHistory, T0)
        .filter((o) => o.target.kind !== 'host')
        .map((o) => `${o.ruleId}:${o.target.name}`)
        .sort();
    const all = names({});
    expect(all).toContain('process-group-large:celery celery@bizcard (app.celery_app)');
    const globally = names({ ignore: { containers: ['bizcard-celery-*'] } });
    expect(globally.some((n) => n.includes('celery'))).toBe(false);
    expect(globally).toContain('container-no-limit-large:bizcard-backend');
    const byLabel = names({ ignore: { labels: { 'com.docker.compose.project': 'bizcard' } } });
    expect(byLabel.some((n) => n.includes('celery'))).toBe(false);
    const perRule = names({ rules: { 'container-no-limit-large': { ignore: { containers: ['bizcard-grafana'] } } } });
    expect(perRule).not.toContain('container-no-limit-large:bizcard-grafana');
    expect(perRule).toContain('container-no-limit-large:bizcard-backend');
    const groups = names({ ignore: { groups: ['gunicorn *'] } });
    expect(groups).not.toContain('process-group-large:gunicorn app:api');
  });

  it('applies per-target overrides by container name (exact before glob) and by group name', () => {
    const rules = rulesFrom({
      rules: {
        'container-no-limit-large': { overrides: { 'bizcard-celery-worker': { warning: 25, critical: 40 }, 'bizcard-*': { warning: 1, critical: 2 } } },
        'process-group-large': { overrides: { 'celery *': { warning: '8GiB' } } },
      },
    });
    const result = evaluateRules(rules, reportSnapshot(), null, noHistory, T0);
    expect(pick(result, 'container-no-limit-large', 'bizcard-celery-worker')).toMatchObject({ level: null, threshold: 25 });
    expect(pick(result, 'container-no-limit-large', 'bizcard-grafana')).toMatchObject({ level: 'warning', threshold: 1 });
    expect(pick(result, 'process-group-large', 'celery celery@bizcard (app.celery_app)')).toMatchObject({ level: null, threshold: 8 * GiB });
  });
});

describe('evaluateRules: OOM kills', () => {
  const rules = [ruleFrom('oom-kill')];
  const oomOf = (snapshot: Snapshot, previous: Snapshot | null) => evaluateRules(rules, snapshot, previous, noHistory, T0 + MINUTE);
  const withWorker = (t: number, worker: Partial<ContainerMemory>, extra: Partial<Snapshot> = {}): Snapshot => {
    const base = reportSnapshot(t);
    return { ...base, containers: base.containers.map((c) => (c.id === WORKER_ID ? { ...c, ...worker } : c)), ...extra };
  };
  // A Celery child (pid 4242) of the worker, 1.6 GiB, present before and gone after.
  const child = makeProcess({ pid: 4242, ppid: 4200, comm: 'celery', rssBytes: 1.6 * GiB, containerId: WORKER_ID });
  const master = makeProcess({ pid: 4200, comm: 'celery', rssBytes: 400 * MiB, containerId: WORKER_ID });
  const small = makeProcess({ pid: 900, comm: 'cron', rssBytes: 4 * MiB });

  const summaryOf = (o: Observation) => step(null, o, rules[0]!, T0, false).transitions[0]?.summary;

  it('fires on a docker oom event and names the Celery worker', () => {
    const previous = withWorker(T0, { oomKillCount: null });
    const current = withWorker(T0 + MINUTE, { oomKillCount: null }, {
      oomEvents: [{ containerId: WORKER_ID, containerName: 'bizcard-celery-worker', at: T0 + 30_000 }],
    });
    const [o, ...rest] = oomOf(current, previous);
    expect(rest).toEqual([]);
    expect(o).toMatchObject({ value: 1, level: 'critical', target: { name: 'bizcard-celery-worker' } });
    expect(o?.evidence).toMatchObject({ signals: 'docker oom event', celeryWorkers: 'celery@bizcard', attribution: 'measured' });
    expect(summaryOf(o!)).toBe('OOM kill in bizcard-celery-worker (Celery worker celery@bizcard): 1 process killed');
  });

  it('fires when the container\'s cgroup oom_kill counter goes up, counting a kill seen by both signals once', () => {
    const previous = withWorker(T0, { oomKillCount: 2 }, { host: makeHost({ oomKillCount: 7 }) });
    const current = withWorker(T0 + MINUTE, { oomKillCount: 3 }, {
      host: makeHost({ oomKillCount: 8 }),
      oomEvents: [{ containerId: WORKER_ID.slice(0, 12), containerName: null, at: T0 + 30_000 }],
    });
    const result = oomOf(current, previous);
    expect(result).toHaveLength(1);
    expect(result[0]).toMatchObject({ value: 1, target: { name: 'bizcard-celery-worker' } });
    expect(result[0]?.evidence).toMatchObject({ signals: 'docker oom event, cgroup oom_kill counter', counterIncrease: 1, dockerEvents: 1, oomKillCount: 3 });
    expect(summaryOf(result[0]!)).toBe('OOM kill in bizcard-celery-worker (Celery worker celery@bizcard): 1 process killed');
  });

  it('attributes a kernel oom_kill increase to the largest process that vanished, naming its Celery worker', () => {
    const previous = withWorker(T0, { oomKillCount: null }, { host: makeHost({ oomKillCount: 3 }), processes: [master, child, small] });
    const current = withWorker(T0 + MINUTE, { oomKillCount: null }, { host: makeHost({ oomKillCount: 4 }), processes: [master, small] });
    const [o, ...rest] = oomOf(current, previous);
    expect(rest).toEqual([]);
    expect(o).toMatchObject({ value: 1, target: { kind: 'container', name: 'bizcard-celery-worker', containerId: WORKER_ID } });
    expect(o?.evidence).toMatchObject({ signals: 'kernel oom_kill counter', attribution: 'inferred', celeryWorkers: 'celery@bizcard', victim: 'pid 4242 (celery), 1.6 GiB RSS' });
    expect(summaryOf(o!)).toBe('OOM kill most likely in bizcard-celery-worker (Celery worker celery@bizcard): 1 process killed');
  });

  it('gives unattributed kernel kills a host alert, and does not count a kill twice', () => {
    const previous = withWorker(T0, {}, { host: makeHost({ oomKillCount: 3 }), processes: [master, small] });
    const current = withWorker(T0 + MINUTE, {}, { host: makeHost({ oomKillCount: 5 }), processes: [master, small] });
    const [o, ...rest] = oomOf(current, previous);
    expect(rest).toEqual([]);
    expect(o).toMatchObject({ value: 2, target: { kind: 'host', name: 'box' }, evidence: { kernelOomKills: 2, attributedToContainers: 0 } });
    expect(summaryOf(o!)).toBe('OOM kill on box: 2 processes killed outside the watched containers');
  });

  it('names a container that is gone by its event, and needs a baseline for counters', () => {
    const gone = oomOf(reportSnapshot(T0 + MINUTE, { oomEvents: [{ containerId: 'e5'.repeat(32), containerName: 'ocr-job', at: T0 }] }), reportSnapshot(T0));
    expect(gone.map((o) => [o.target.name, o.target.containerId, o.value])).toEqual([['ocr-job', 'e5'.repeat(32), 1]]);
    // First round: counters already at 5 are history, not news.
    expect(oomOf(withWorker(T0, { oomKillCount: 5 }, { host: makeHost({ oomKillCount: 9 }) }), null)).toEqual([]);
    // Docker unreachable in the previous round: no container baseline either.
    const blind = { ...withWorker(T0, { oomKillCount: 0 }), docker: { reachable: false, error: 'down' }, containers: [] };
    expect(oomOf(withWorker(T0 + MINUTE, { oomKillCount: 5 }), blind).map((o) => o.target.kind)).toEqual([]);
  });
});

describe('evaluateRules: memory leaks', () => {
  const LIMIT = 4 * GiB;
  /** Points every 5 minutes over `hours`, growing `perHour`, ending at `end` bytes at T0. */
  function series(hours: number, perHour: number, end: number, noise = 0): HistoryPoint[] {
    const points: HistoryPoint[] = [];
    for (let t = T0 - hours * HOUR; t < T0; t += 5 * MINUTE) {
      // Deterministic wobble: +-noise, alternating.
      const v = end - ((T0 - t) / HOUR) * perHour + (points.length % 2 === 0 ? noise : -noise);
      points.push({ t, min: v, avg: v, max: v, count: 1 });
    }
    return points;
  }
  const snapshotWith = (limit: number | null, usage = 3 * GiB) =>
    makeSnapshot(T0, {
      host: makeHost({ totalBytes: 16 * GiB }),
      containers: [makeContainer({ name: 'bizcard-celery-worker', memoryUsageBytes: usage, memoryLimitBytes: limit })],
    });
  const leakRule = ruleFrom('memory-leak-suspected');

  it('reports the least-squares slope per hour and the time until the limit is reached', () => {
    const calls: unknown[] = [];
    const history: HistoryReader = (target, from, to) => {
      calls.push([target, from, to]);
      return series(3, 100 * MiB, 3 * GiB);
    };
    const [o] = evaluateRules([leakRule], snapshotWith(LIMIT), null, history, T0);
    expect(calls).toEqual([[{ kind: 'container', name: 'bizcard-celery-worker' }, T0 - 2 * HOUR, T0]]);
    expect(o?.eligible).toBe(true);
    expect(o?.level).toBe('warning');
    expect(o!.value / MiB).toBeCloseTo(100, 0);
    expect(o?.evidence.r2).toBe(1);
    // 1 GiB to go at 100 MiB/h: 10.24 h.
    expect((o?.evidence.timeToLimitMs as number) / HOUR).toBeCloseTo(10.24, 1);
    // Only the window's points count, even when the reader hands back more: 24 stored + the snapshot.
    expect(o?.evidence).toMatchObject({ limitBytes: LIMIT, roomBytes: LIMIT - 3 * GiB, limitKind: 'container limit', currentBytes: 3 * GiB, points: 25, spanMs: 2 * HOUR });
    expect(step(null, o, leakRule, T0, false).transitions[0]?.summary).toBe(
      'bizcard-celery-worker grows 100 MiB/h steadily (R² 1.00 over 2h); reaches the 4 GiB container limit in ~10h, above 50 MiB/h',
    );
  });

  it('measures an unlimited container against the host\'s available memory, not its RAM', () => {
    const [o] = evaluateRules([leakRule], snapshotWith(null), null, () => series(3, 200 * MiB, 3 * GiB), T0);
    expect(o?.evidence).toMatchObject({ limitBytes: null, roomBytes: 10 * GiB, limitKind: 'host available memory' });
    // 10 GiB available at 200 MiB/h: 51.2 h.
    expect((o?.evidence.timeToLimitMs as number) / HOUR).toBeCloseTo(51.2, 1);
    expect(step(null, o, leakRule, T0, false).transitions[0]?.summary).toMatch(/uses up the host's available memory \(10 GiB\) in ~2d/);
  });

  it('fits through noise', () => {
    const [o] = evaluateRules([leakRule], snapshotWith(LIMIT), null, () => series(3, 100 * MiB, 3 * GiB, 10 * MiB), T0);
    expect(o?.eligible).toBe(true);
    expect(o!.value / MiB).toBeCloseTo(100, -1);
    expect(o?.evidence.r2 as number).toBeGreaterThan(0.9);
    expect(o?.evidence.r2 as number).toBeLessThan(1);
  });

  it('is not eligible with a loose fit, too few points, too short a span, or a slope under minSlope', () => {
    const judge = (points: HistoryPoint[]) => {
      const [o] = evaluateRules([leakRule], snapshotWith(LIMIT), null, () => points, T0);
      return { eligible: o?.eligible, level: o?.level };
    };
    expect(judge(series(2, 100 * MiB, 3 * GiB, 400 * MiB))).toEqual({ eligible: false, level: null });
    expect(judge(series(2, 100 * MiB, 3 * GiB).filter((_, i) => i % 4 === 0))).toEqual({ eligible: false, level: null });
    expect(judge(series(0.5, 300 * MiB, 3 * GiB))).toEqual({ eligible: false, level: null });
    expect(judge(series(2, 20 * MiB, 3 * GiB))).toEqual({ eligible: true, level: null });
    expect(judge([])).toEqual({ eligible: false, level: null });
  });

  it('watches process group PSS when the rule targets groups', () => {
    const rule = ruleFrom('memory-leak-suspected', { targets: ['groups'] });
    const snapshot = makeSnapshot(T0, { processGroups: [makeGroup({ name: 'celery celery@x', kind: 'celery', pssBytes: 3 * GiB })] });
    const seen: string[] = [];
    const [o] = evaluateRules([rule], snapshot, null, (target) => {
      seen.push(`${target.kind}:${target.name}`);
      return series(3, 100 * MiB, 3 * GiB);
    }, T0);
    expect(seen).toEqual(['group:celery celery@x']);
    expect(o).toMatchObject({ eligible: true, level: 'warning', target: { kind: 'group', name: 'celery celery@x' } });
  });
});

describe('isObservable', () => {
  it('holds container and in-container group alerts while Docker is unreachable, and groups while the process scan fails', () => {
    const rule = ruleFrom('container-near-limit');
    const container = { kind: 'container' as const, name: 'x', containerId: 'x', containerName: 'x', labels: {} };
    const hostGroup = { kind: 'group' as const, name: 'g', containerId: null, containerName: null, labels: {} };
    const down = makeSnapshot(T0, { docker: { reachable: false, error: 'connect ENOENT' } });
    expect(isObservable(rule, container, down)).toBe(false);
    expect(isObservable(rule, container, makeSnapshot(T0))).toBe(true);
    expect(isObservable(rule, { ...hostGroup, containerName: 'x' }, down)).toBe(false);
    expect(isObservable(rule, hostGroup, down)).toBe(true);
    expect(isObservable(rule, hostGroup, makeSnapshot(T0, { errors: [{ source: 'processes', message: 'timed out' }] }))).toBe(false);
  });
});
