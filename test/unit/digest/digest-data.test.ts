// The digest's figures from a real store: the 48-hour fixture (digest-fixture.ts) read back with
// loadDigestData and turned into figures by buildDigest, and the arithmetic on its own.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDigest, figure, increase, percentileOf } from '../../../src/digest/build-digest.js';
import { type Digest, DAY_MS } from '../../../src/digest/digest-data.js';
import { loadDigestData } from '../../../src/digest/load-digest.js';
import { closeDatabase, type Database, openDatabase } from '../../../src/store/database.js';
import { recordSnapshot } from '../../../src/store/samples.js';
import { GiB, MiB, makeTempDir } from '../store/make-snapshot.js';
import { FIXTURE_LEAK, fixtureFindings, fixtureSnapshot, HOUR, NOW, seedDigestFixture, TZ } from './digest-fixture.js';

describe('buildDigest over the 48-hour fixture', () => {
  const temp = makeTempDir();
  let db: Database;
  let digest: Digest;

  beforeAll(() => {
    db = openDatabase(join(temp.dir, 'memwarden.db'));
    seedDigestFixture(db);
    digest = buildDigest(loadDigestData(db, { now: NOW, tz: TZ, hostname: 'box', findings: fixtureFindings(), leak: FIXTURE_LEAK }));
  });
  afterAll(() => {
    closeDatabase(db);
    temp.remove();
  });

  it('names the day in the digest zone and covers the 24 hours to now', () => {
    expect(digest.day).toBe('2025-10-27');
    expect([digest.from, digest.to]).toEqual([NOW - DAY_MS, NOW]);
    expect(digest.recorded).toEqual({ current: true, previous: true });
    // 5-minute samples: 288 in each day.
    expect(digest.host.samples).toBe(288);
  });

  it('compares the host day with the day before', () => {
    const h = digest.host;
    expect(h.totalBytes).toBe(16 * GiB);
    expect(h.peakUsed.direction).toBe('up');
    expect(h.peakUsed.change).toBe((h.peakUsed.value as number) - (h.peakUsed.previous as number));
    expect(h.lowestAvailable.direction).toBe('down');
    // The pressure spike while ml-inference was at its limit.
    expect(h.peakPressureSome.value).toBeCloseTo(4.5);
    expect(h.peakPressureSome.previous).toBeLessThan(1);
  });

  it('counts OOM kills and restarts from the counters, not from guesses', () => {
    expect(digest.events.oomKills).toMatchObject({ value: 1, previous: 0, direction: 'up' });
    expect(digest.events.containerOomKills).toMatchObject({ value: 1, previous: 0 });
    // api restarted by the remediation, ml-inference after its OOM kill.
    expect(digest.events.restarts).toMatchObject({ value: 2, previous: 0 });
  });

  it('ranks containers by peak, with p95, growth, the leak suspect and the top grower', () => {
    expect(digest.containers.map((c) => c.name)).toEqual(['celery-worker', 'postgres', 'api', 'ml-inference', 'redis', 'nginx']);
    const celery = digest.containers[0];
    expect(celery?.limitBytes).toBe(3 * GiB);
    // ~60 MiB/h for 24 hours.
    expect(celery?.growth.value).toBeGreaterThan(1.3 * GiB);
    expect(celery?.leak?.slopePerHour).toBeGreaterThan(55 * MiB);
    expect(digest.leakSuspects.map((c) => c.name)).toEqual(['celery-worker']);
    expect(digest.topGrowers.map((c) => c.name)).toEqual(['celery-worker']);
    const ml = digest.containers.find((c) => c.name === 'ml-inference');
    expect(ml?.peak.value).toBe(Math.round(1.45 * GiB));
    expect(ml?.p95.value).toBeLessThan(ml?.peak.value as number);
    expect(ml?.oomKills.value).toBe(1);
    expect(digest.containers.find((c) => c.name === 'postgres')?.limitBytes).toBeNull();
  });

  it('counts alerts fired, resolved and silenced, and the time they spent firing', () => {
    const a = digest.alerts;
    expect(a.fired).toMatchObject({ value: 4, previous: 1, direction: 'up' });
    expect(a.resolved).toMatchObject({ value: 3, previous: 1 });
    expect(a.silenced).toMatchObject({ value: 1, previous: 0 });
    // 5 h leak (still firing) + 1 h near-limit + 30 m host + 10 m oom-kill; the day before: 30 m.
    expect(a.firingMs).toMatchObject({ value: 6 * HOUR + 40 * 60_000, previous: 30 * 60_000 });
    expect(a.top[0]).toMatchObject({ ruleId: 'memory-leak-suspected', target: 'celery-worker', firingNow: true, firingMs: 5 * HOUR });
  });

  it('lists the remediation from the audit log: who asked, who approved, what it measured', () => {
    expect(digest.remediations.runs).toMatchObject({ value: 1, previous: 0 });
    expect(digest.remediations.items).toEqual([
      expect.objectContaining({
        runbookId: 'docker-restart',
        target: 'api',
        outcome: 'succeeded',
        requestedBy: 'U0ALICE01',
        approvedBy: ['U0BOB0001'],
        dryRun: false,
        beforeBytes: Math.round(1.4 * GiB),
        afterBytes: 700 * MiB,
      }),
    ]);
  });

  it('lists the open recommendations by saving; their change is unknown (no diagnosis of the day before is kept)', () => {
    const recs = digest.recommendations;
    expect(recs?.items.map((r) => r.estimatedSavingsBytes)).toEqual([Math.round(1.1 * GiB), 600 * MiB, null]);
    expect(recs?.savingsBytes).toMatchObject({ value: Math.round(1.1 * GiB) + 600 * MiB, direction: 'unknown' });
    expect(recs?.unknownSavings).toBe(1);
  });

  it('charts the host and the five largest containers with their limits', () => {
    expect(digest.chart.host.limitBytes).toBe(16 * GiB);
    expect(digest.chart.containers.map((c) => [c.label, c.limitBytes])).toEqual([
      ['celery-worker', 3 * GiB],
      ['postgres', null],
      ['api', 2 * GiB],
      ['ml-inference', 1.5 * GiB],
      ['redis', 512 * MiB],
    ]);
    expect(digest.chart.host.points).toHaveLength(288);
  });

  it('has no recommendations (null) without a diagnosis', () => {
    const without = buildDigest(loadDigestData(db, { now: NOW, tz: TZ }));
    expect(without.recommendations).toBeNull();
    expect(without.leakSuspects).toEqual([]);
  });
});

describe('a first day', () => {
  it('has figures for the day and unknown changes: the day before is never guessed', () => {
    const temp = makeTempDir();
    const db = openDatabase(join(temp.dir, 'memwarden.db'));
    try {
      for (let t = NOW - 6 * HOUR; t <= NOW; t += 15 * 60_000) recordSnapshot(db, fixtureSnapshot(t));
      const digest = buildDigest(loadDigestData(db, { now: NOW, tz: TZ }));
      expect(digest.recorded).toEqual({ current: true, previous: false });
      expect(digest.host.peakUsed.value).not.toBeNull();
      expect(digest.host.peakUsed).toMatchObject({ previous: null, change: null, direction: 'unknown' });
      // Counts too: 0 alerts today is known, the day before is not.
      expect(digest.alerts.fired).toMatchObject({ value: 0, previous: null, direction: 'unknown' });
      expect(digest.events.oomKills).toMatchObject({ previous: null, direction: 'unknown' });
    } finally {
      closeDatabase(db);
      temp.remove();
    }
  });

  it('has no figures at all when nothing was recorded', () => {
    const temp = makeTempDir();
    const db = openDatabase(join(temp.dir, 'memwarden.db'));
    try {
      const digest = buildDigest(loadDigestData(db, { now: NOW, tz: TZ }));
      expect(digest.recorded).toEqual({ current: false, previous: false });
      expect(digest.host.peakUsed.value).toBeNull();
      expect(digest.alerts.fired.value).toBeNull();
      expect(digest.containers).toEqual([]);
    } finally {
      closeDatabase(db);
      temp.remove();
    }
  });
});

describe('digest arithmetic', () => {
  const w = { from: 100, to: 200 };

  it('a counter rises by the sum of its steps in the window; a reset counts from zero, never negative', () => {
    // Steps: 3 -> 5 (+2, at 150), 5 -> 1 (reset: +1, at 160), 1 -> 4 (+3, at 250: outside).
    const readings = [
      { t: 90, value: 3 },
      { t: 150, value: 5 },
      { t: 160, value: 1 },
      { t: 250, value: 4 },
    ];
    expect(increase(readings, w)).toBe(3);
    expect(increase([], w)).toBe(0);
  });

  it('p95 is the nearest-rank sample; a rollup bucket counts its samples at its mean', () => {
    const raw = Array.from({ length: 100 }, (_, i) => ({ t: i, min: i + 1, avg: i + 1, max: i + 1, count: 1 }));
    expect(percentileOf(raw, 0.95)).toBe(95);
    const buckets = [
      { t: 0, min: 1, avg: 10, max: 20, count: 90 },
      { t: 1, min: 50, avg: 100, max: 150, count: 10 },
    ];
    expect(percentileOf(buckets, 0.95)).toBe(100);
    expect(percentileOf([], 0.95)).toBeNull();
  });

  it('a change needs both days', () => {
    expect(figure(5, 3)).toEqual({ value: 5, previous: 3, change: 2, direction: 'up' });
    expect(figure(3, 5).direction).toBe('down');
    expect(figure(4, 4).direction).toBe('same');
    expect(figure(4, null)).toEqual({ value: 4, previous: null, change: null, direction: 'unknown' });
    expect(figure(null, 4).direction).toBe('unknown');
  });
});
