// memory-leak-suspected and image-size-growth: the findings that need history.
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../../src/diagnose/diagnose.js';
import { emptyDiagnosisHistory, type Finding } from '../../../src/model/finding.js';
import { container, GiB, history, HOUR, host, MiB, NOW, options, pool, series, snapshot } from './build.js';

const byCode = (findings: Finding[], code: string) => findings.filter((f) => f.code === code);
const GROUP = 'celery worker@box (proj)';
const MINUTE = 60_000;

/** `n` points one `stepMs` apart rising by `perStep` from `start`, with a small alternating wobble. */
function rising(start: number, perStep: number, n: number, wobble = 0): number[] {
  return Array.from({ length: n }, (_, i) => start + perStep * i + (i % 2 === 0 ? wobble : -wobble));
}

describe('memory-leak-suspected', () => {
  const processes = pool({ children: 2, masterPss: 100 * MiB, childUss: 200 * MiB, shared: 0 });
  const pss = 500 * MiB; // 100 + 2 × 200

  it('fits a steady rise of a Celery group: slope, fit and time to the host\'s available memory', () => {
    // 13 points over 1 h, rising 60 MiB/h to today's 500 MiB; 2 GiB available -> 2048 / 60 ≈ 34 h.
    const values = rising(pss - 60 * MiB, 5 * MiB, 13);
    const h = history({ groups: [{ name: GROUP, pss: series(values, 5 * MINUTE) }] });
    const f = byCode(diagnose(snapshot({ processes, host: host({ availableBytes: 2 * GiB }) }), h, options()), 'memory-leak-suspected')[0];
    expect(f).toMatchObject({ severity: 'warning', target: { kind: 'group', name: GROUP } });
    expect(f?.evidence.slopeBytesPerHour).toBe(60 * MiB);
    expect(f?.evidence.r2).toBe(1);
    expect(f?.evidence.timeToLimitMs).toBe(Math.round(((2 * GiB) / (60 * MiB)) * HOUR));
    const [restart, recycle] = f?.recommendations ?? [];
    expect(restart).toMatchObject({ runbook: 'restart-celery-worker', estimatedSavingsBytes: 60 * MiB });
    expect(recycle?.title).toMatch(/worker_max_memory_per_child=\d+ \(KiB\)/);
    expect(recycle?.steps?.join('\n')).toMatch(/KiB, not bytes/);
  });

  it('is critical when the rise meets the container limit within a day', () => {
    const id = 'c'.repeat(64);
    const leaking = pool({ children: 2, masterPss: 100 * MiB, childUss: 200 * MiB, shared: 0, containerId: id });
    const c = container('worker', { id, memoryLimitBytes: 600 * MiB, memoryUsageBytes: 520 * MiB });
    const h = history({ groups: [{ name: GROUP, pss: series(rising(pss - 60 * MiB, 5 * MiB, 13), 5 * MINUTE) }] });
    const f = byCode(diagnose(snapshot({ containers: [c], processes: leaking }), h, options()), 'memory-leak-suspected');
    expect(f).toHaveLength(1); // the container's own rise is the group's: reported once
    // 80 MiB of room at 60 MiB/h: 80 minutes.
    expect(f[0]).toMatchObject({ severity: 'critical', evidence: { roomBytes: 80 * MiB, timeToLimitMs: 80 * MINUTE } });
    expect(f[0]?.summary).toMatch(/reaches its limit in 1h/);
  });

  it('ignores rises shorter than an hour or with fewer points than minPoints, noisy series, slow or falling ones', () => {
    const run = (values: number[], stepMs: number, input = {}) =>
      byCode(diagnose(snapshot({ processes }), history({ groups: [{ name: GROUP, pss: series(values, stepMs) }] }), options(input)), 'memory-leak-suspected');
    expect(run(rising(400 * MiB, 5 * MiB, 11), 5 * MINUTE)).toEqual([]); // 50 minutes
    expect(run(rising(400 * MiB, 2 * MiB, 26), 2 * MINUTE)).toEqual([]); // 26 points, but over 50 minutes
    expect(run(rising(400 * MiB, 15 * MiB, 6), 15 * MINUTE)).toEqual([]); // 75 minutes, but 6 points < minPoints 12
    expect(run(rising(400 * MiB, 5 * MiB, 13, 40 * MiB), 5 * MINUTE)).toEqual([]); // R² well below 0.8
    expect(run(rising(400 * MiB, 0.5 * MiB, 13), 5 * MINUTE)).toEqual([]); // 6 MiB/h < minSlope 50 MiB/h
    expect(run(rising(600 * MiB, -5 * MiB, 13), 5 * MINUTE)).toEqual([]);
    expect(run(rising(400 * MiB, 0.5 * MiB, 13), 5 * MINUTE, { alerts: { rules: { 'memory-leak-suspected': { minSlope: '4MiB/h' } } } })).toHaveLength(1);
    expect(run([], 5 * MINUTE)).toEqual([]);
    expect(run([pss], 5 * MINUTE)).toEqual([]);
    expect(byCode(diagnose(snapshot({ processes }), emptyDiagnosisHistory(), options()), 'memory-leak-suspected')).toEqual([]);
  });

  describe('follows the memory-leak alert rule', () => {
    const run = (values: number[], stepMs: number, input = {}, end = NOW) =>
      byCode(diagnose(snapshot({ processes }), history({ groups: [{ name: GROUP, pss: series(values, stepMs, end) }] }), options(input)), 'memory-leak-suspected');
    const rule = (settings: Record<string, unknown>) => ({ alerts: { rules: { 'memory-leak-suspected': settings } } });

    it('minSlope, or the critical rate of a rule without one', () => {
      const slow = rising(400 * MiB, 2.5 * MiB, 13); // 30 MiB/h
      expect(run(slow, 5 * MINUTE)).toEqual([]);
      const [f] = run(slow, 5 * MINUTE, rule({ minSlope: '25MiB/h' }));
      expect(f?.evidence.slopeBytesPerHour).toBe(30 * MiB);
      expect(run(slow, 5 * MINUTE, rule({ minSlope: '31MiB/h' }))).toEqual([]);
      expect(run(slow, 5 * MINUTE, rule({ minSlope: false, critical: '25MiB/h' }))).toHaveLength(1);
      expect(run(slow, 5 * MINUTE, rule({ minSlope: false, critical: '40MiB/h' }))).toEqual([]);
    });

    it('minFit', () => {
      const noisy = rising(400 * MiB, 5 * MiB, 13, 12 * MiB); // 60 MiB/h, R² 0.71
      expect(run(noisy, 5 * MINUTE)).toEqual([]);
      expect(run(noisy, 5 * MINUTE, rule({ minFit: 0.7 }))[0]?.evidence.r2).toBe(0.71);
      expect(run(noisy, 5 * MINUTE, rule({ minFit: 0.72 }))).toEqual([]);
    });

    it('minPoints', () => {
      const steady = rising(400 * MiB, 5 * MiB, 13); // 13 points over 1 h
      expect(run(steady, 5 * MINUTE)).toHaveLength(1);
      expect(run(steady, 5 * MINUTE, rule({ minPoints: 13 }))).toHaveLength(1);
      expect(run(steady, 5 * MINUTE, rule({ minPoints: 14 }))).toEqual([]);
      const sparse = rising(400 * MiB, 15 * MiB, 6); // 6 points over 75 minutes
      expect(run(sparse, 15 * MINUTE, rule({ minPoints: 6 }))[0]?.evidence.points).toBe(6);
    });

    it('window: only the rule\'s window of history is fitted', () => {
      // A clean rise sampled every 15 minutes for 3 h up to the snapshot's 500 MiB: the default
      // 2 h window holds 9 points (< minPoints 12), a 3 h one all 13.
      const sparse = rising(pss - 12 * 15 * MiB, 15 * MiB, 13);
      expect(run(sparse, 15 * MINUTE)).toEqual([]);
      expect(run(sparse, 15 * MINUTE, rule({ window: '3h' }))[0]?.evidence).toMatchObject({ historyMs: 3 * HOUR, points: 13 });
      // Flat for the last 2 h after a rise: the default window sees no rise, a 4 h window a weak one.
      const flatAfterRise = [...rising(300 * MiB, 10 * MiB, 12), ...Array.from({ length: 25 }, () => 410 * MiB)];
      expect(run(flatAfterRise, 5 * MINUTE)).toEqual([]);
      expect(run(flatAfterRise, 5 * MINUTE, rule({ window: '4h', minFit: 0.5, minSlope: '10MiB/h' }))).toHaveLength(1);
    });

    it('a disabled default rule: another enabled memory-leak rule is followed, none means no finding', () => {
      const steady = rising(400 * MiB, 5 * MiB, 13);
      expect(run(steady, 5 * MINUTE, rule({ enabled: false }))).toEqual([]);
      const other = { alerts: { rules: { 'memory-leak-suspected': { enabled: false }, 'slow-leak': { kind: 'memory-leak', minSlope: '25MiB/h', minPoints: 3 } } } };
      expect(run(rising(400 * MiB, 2.5 * MiB, 13), 5 * MINUTE, other)).toHaveLength(1);
      expect(options(other).leak).toEqual({ minSlopePerHour: 25 * MiB, minFit: 0.8, minPoints: 3, windowMs: 2 * HOUR });
      expect(options(rule({ enabled: false })).leak).toBeNull();
    });

    it('its defaults', () => {
      expect(options().leak).toEqual({ minSlopePerHour: 50 * MiB, minFit: 0.8, minPoints: 12, windowMs: 2 * HOUR });
    });
  });

  it('reports a container whose rise no group explains, with an unknown time when it is not getting closer', () => {
    const c = container('cache', { memoryLimitBytes: null, memoryUsageBytes: 1 * GiB });
    const day = series(rising(GiB - 120 * MiB, 10 * MiB, 13), 5 * MINUTE);
    const f = byCode(diagnose(snapshot({ containers: [c] }), history({ containers: [{ name: 'cache', day, week: day }] }), options()), 'memory-leak-suspected')[0];
    expect(f).toMatchObject({ target: { kind: 'container', name: 'cache' }, evidence: { slopeBytesPerHour: 120 * MiB, lowBytes: GiB - 120 * MiB } });
    expect(f?.recommendations[0]).toMatchObject({ runbook: null, estimatedSavingsBytes: 120 * MiB });
  });

  it('judges a rise that stopped long ago by what the snapshot shows now, whatever the window', () => {
    // A clean rise that ended two days ago at today's 500 MiB: flat since, so not today's leak,
    // even with a window that reaches back to it (the snapshot's value is the fit's last point).
    const old = series(rising(pss - 60 * MiB, 5 * MiB, 13), 5 * MINUTE, NOW - 48 * HOUR);
    const run = (input = {}) => byCode(diagnose(snapshot({ processes }), history({ groups: [{ name: GROUP, pss: [], leakWindow: old }] }), options(input)), 'memory-leak-suspected');
    expect(run()).toEqual([]);
    expect(run({ alerts: { rules: { 'memory-leak-suspected': { window: '3d' } } } })).toEqual([]);
  });
});

describe('image-size-growth', () => {
  const image = (imageId: string, sizeBytes: number | null, firstSeen: number) => ({ imageId, image: `acme/api:${imageId}`, sizeBytes, firstSeen, lastSeen: firstSeen + HOUR });

  it('compares the newest image of a repository with the one seen before it', () => {
    const c = container('api', { imageId: 'new' });
    const h = history({ images: [{ repository: 'acme/api', images: [image('old', 1000 * MiB, NOW - 9 * HOUR), image('new', 1600 * MiB, NOW - HOUR)] }] });
    const f = byCode(diagnose(snapshot({ containers: [c] }), h, options()), 'image-size-growth')[0];
    expect(f).toMatchObject({ target: { kind: 'container', name: 'api' }, evidence: { increaseBytes: 600 * MiB, factor: 1.6, containers: 1 } });
    expect(f?.recommendations[0]?.estimatedSavingsBytes).toBeNull();
  });

  it('needs both the factor and the absolute increase, and known sizes', () => {
    const run = (sizes: (number | null)[], input = {}) =>
      byCode(diagnose(snapshot(), history({ images: [{ repository: 'acme/api', images: sizes.map((s, i) => image(`i${i}`, s, NOW - (10 - i) * HOUR)) }] }), options(input)), 'image-size-growth');
    expect(run([100 * MiB, 290 * MiB])).toEqual([]); // 2.9× but only 190 MiB more
    expect(run([1000 * MiB, 1400 * MiB])).toEqual([]); // 400 MiB more but 1.4×
    expect(run([1000 * MiB, 1600 * MiB])[0]?.target).toEqual({ kind: 'host', name: 'box' }); // no container runs it
    expect(run([1000 * MiB, null, 1600 * MiB])).toHaveLength(1); // unknown sizes are skipped
    expect(run([1600 * MiB])).toEqual([]);
    expect(run([0, 1600 * MiB])).toEqual([]);
    expect(run([1000 * MiB, 1400 * MiB], { diagnosis: { imageGrowth: { factor: 1.2 } } })).toHaveLength(1);
  });
});
