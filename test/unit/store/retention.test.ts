import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HostMemory } from '../../../src/model/snapshot.js';
import { closeDatabase, openDatabase, type Database } from '../../../src/store/database.js';
import { containerNames, latestImageSizes, queryHistory } from '../../../src/store/history.js';
import type { HistoryPoint } from '../../../src/model/history.js';
import { DEFAULT_RETENTION, enforceRetention } from '../../../src/store/retention.js';
import { recordSnapshot } from '../../../src/store/samples.js';
import { makeContainer, makeGroup, makeHost, makeSnapshot, makeTempDir } from './make-snapshot.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2025, 0, 1); // a multiple of 5 minutes since the epoch

let temp: ReturnType<typeof makeTempDir>;
let db: Database;
beforeEach(() => {
  temp = makeTempDir();
  db = openDatabase(join(temp.dir, 'memwarden.db'));
});
afterEach(() => {
  closeDatabase(db);
  temp.remove();
});

// The synthetic series: sample i is taken at T0 + i minutes.
const hostUsed = (i: number) => 1_000_000_000 + i * 1000;
const psiSome = (i: number) => (i % 10 === 9 ? null : (i % 5) * 0.5); // unknown in 1 of 10 polls
const apiUsage = (i: number) => 1_000_000 + i * 10;
const apiLimit = (i: number) => (i % 5 === 4 ? null : 1_000_000_000 + i); // unlimited in 1 of 5
const groupPss = (i: number) => 5_000_000 + (i % 7) * 100;

function pressure(avg60: number | null): HostMemory['pressure'] {
  if (avg60 === null) return null;
  return { some: { avg10: 0, avg60, avg300: 0 }, full: { avg10: 0, avg60: avg60 / 2, avg300: 0 } };
}

function recordSeries(from: number, to: number): void {
  for (let i = from; i < to; i++) {
    recordSnapshot(
      db,
      makeSnapshot(T0 + i * MINUTE, {
        host: makeHost({ usedBytes: hostUsed(i), pressure: pressure(psiSome(i)) }),
        containers: [
          makeContainer({ name: 'api', memoryUsageBytes: apiUsage(i), memoryLimitBytes: apiLimit(i) }),
          makeContainer({ name: 'free', memoryLimitBytes: null }),
        ],
        processGroups: [makeGroup({ name: 'celery:acme', pssBytes: groupPss(i) })],
      }),
    );
  }
}

/** What one rollup bucket must hold, computed the long way from the series. */
function expectedBucket(bucketIndex: number, value: (i: number) => number | null): HistoryPoint {
  const values: number[] = [];
  for (let i = bucketIndex * 5; i < bucketIndex * 5 + 5; i++) {
    const v = value(i);
    if (v !== null) values.push(v);
  }
  return {
    t: T0 + bucketIndex * 5 * MINUTE,
    min: Math.min(...values),
    avg: values.reduce((a, b) => a + b, 0) / values.length,
    max: Math.max(...values),
    count: values.length,
  };
}

function count(table: string): number {
  return (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
}

function dumpAll(): Record<string, unknown[]> {
  const tables = db
    .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
    .all() as { name: string }[];
  return Object.fromEntries(tables.map(({ name }) => [name, db.prepare(`SELECT * FROM ${name}`).all()]));
}

describe('enforceRetention over a 50 h series of 1-minute polls', () => {
  const now = T0 + 50 * HOUR;

  beforeEach(() => recordSeries(0, 50 * 60));

  it('rolls the 2 h past rawMs into 24 five-minute buckets, exact min/avg/max, and deletes that raw', () => {
    const result = enforceRetention(db, now, DEFAULT_RETENTION);

    // 120 polls x (1 host + 2 containers + 1 group) rows.
    expect(result).toEqual({ rolledUpSamples: 480, rollupRowsWritten: 24 * 4, rollupRowsDeleted: 0 });
    expect(count('host_rollups')).toBe(24);
    expect(count('container_rollups')).toBe(48);
    expect(count('group_rollups')).toBe(24);
    expect(count('host_samples')).toBe(2880);
    expect(db.prepare('SELECT min(t) AS t FROM host_samples').get()).toEqual({ t: T0 + 2 * HOUR });
    expect(db.prepare('SELECT min(t) AS t FROM container_samples').get()).toEqual({ t: T0 + 2 * HOUR });

    const host = queryHistory(db, { kind: 'host' }, T0, now);
    expect(host).toHaveLength(24 + 2880);
    // Bucket 0 holds polls 0..4: used = 1e9 + 0, 1000, .., 4000.
    expect(host[0]).toEqual({ t: T0, min: 1_000_000_000, avg: 1_000_002_000, max: 1_000_004_000, count: 5 });
    expect(host.slice(0, 24)).toEqual(Array.from({ length: 24 }, (_, b) => expectedBucket(b, hostUsed)));
    expect(host[24]).toEqual({ t: T0 + 2 * HOUR, min: hostUsed(120), avg: hostUsed(120), max: hostUsed(120), count: 1 });

    // PSI is unknown in poll 9, the last of bucket 1: four samples 0, 0.5, 1, 1.5 -> avg 0.75.
    const psi = queryHistory(db, { kind: 'host' }, T0, T0 + 2 * HOUR - 1, 'psiSome');
    expect(psi[1]).toEqual({ t: T0 + 5 * MINUTE, min: 0, avg: 0.75, max: 1.5, count: 4 });
    expect(psi).toEqual(Array.from({ length: 24 }, (_, b) => expectedBucket(b, psiSome)));

    const api = { kind: 'container', name: 'api' } as const;
    expect(queryHistory(db, api, T0, T0 + 2 * HOUR - 1)).toEqual(
      Array.from({ length: 24 }, (_, b) => expectedBucket(b, apiUsage)),
    );
    // The limit is unknown (unlimited) in the 5th poll of each bucket.
    expect(queryHistory(db, api, T0, T0 + 2 * HOUR - 1, 'limit')[0]).toEqual({
      t: T0,
      min: 1_000_000_000,
      avg: 1_000_000_001.5,
      max: 1_000_000_003,
      count: 4,
    });
    expect(queryHistory(db, { kind: 'container', name: 'free' }, T0, now, 'limit')).toEqual([]);
    expect(queryHistory(db, { kind: 'group', name: 'celery:acme' }, T0, T0 + 2 * HOUR - 1)).toEqual(
      Array.from({ length: 24 }, (_, b) => expectedBucket(b, groupPss)),
    );
  });

  it('changes nothing when run again with the same clock', () => {
    enforceRetention(db, now, DEFAULT_RETENTION);
    const before = dumpAll();
    expect(enforceRetention(db, now, DEFAULT_RETENTION)).toEqual({
      rolledUpSamples: 0,
      rollupRowsWritten: 0,
      rollupRowsDeleted: 0,
    });
    expect(dumpAll()).toEqual(before);
  });

  it('deletes rollups older than rollupMs, then forgets containers and groups no longer seen', () => {
    enforceRetention(db, now, DEFAULT_RETENTION);
    const later = T0 + 35 * DAY + HOUR;
    const result = enforceRetention(db, later, DEFAULT_RETENTION);

    // Everything raw is now past 48 h: 50 h = 600 buckets per series, of which the 12 before
    // T0 + 1 h are past 35 d; 4 series (host, api, free, celery:acme).
    expect(result.rolledUpSamples).toBe(2880 * 4);
    expect(result.rollupRowsDeleted).toBe(12 * 4);
    expect(count('host_samples') + count('container_samples') + count('group_samples')).toBe(0);
    expect(count('host_rollups')).toBe(588);
    expect(count('container_rollups')).toBe(588 * 2);
    expect(count('group_rollups')).toBe(588);
    expect(db.prepare('SELECT min(bucket) AS t FROM host_rollups').get()).toEqual({ t: T0 + HOUR });
    expect(containerNames(db, 0)).toEqual(['api', 'free']);

    enforceRetention(db, now + 35 * DAY + 1, DEFAULT_RETENTION);
    expect(count('host_rollups') + count('container_rollups') + count('group_rollups')).toBe(0);
    expect(count('containers') + count('process_groups') + count('images')).toBe(0);
    expect(containerNames(db, 0)).toEqual([]);
    expect(latestImageSizes(db)).toEqual([]);
  });
});

describe('enforceRetention on a bucket split across two runs', () => {
  const B = T0 + 10 * 5 * MINUTE; // some bucket start
  const used = [10, 20, 30, 100, 1000];
  const rawMs = 48 * HOUR;
  const opts = { ...DEFAULT_RETENTION, rawMs };

  beforeEach(() => {
    used.forEach((usedBytes, k) =>
      recordSnapshot(
        db,
        makeSnapshot(B + k * MINUTE, {
          // PSI unknown in the first part of the bucket, known in the second.
          host: makeHost({ usedBytes, pressure: pressure(k < 3 ? null : k) }),
          containers: [makeContainer({ name: 'api', memoryUsageBytes: usedBytes })],
        }),
      ),
    );
  });

  it('merges both parts into one row with the count-weighted average', () => {
    // First run: the raw cutoff falls 2.5 minutes into the bucket, so polls 0..2 are rolled up.
    enforceRetention(db, B + 2.5 * MINUTE + rawMs, opts);
    expect(queryHistory(db, { kind: 'host' }, B, B + HOUR)).toEqual([
      { t: B, min: 10, avg: 20, max: 30, count: 3 },
      { t: B + 3 * MINUTE, min: 100, avg: 100, max: 100, count: 1 },
      { t: B + 4 * MINUTE, min: 1000, avg: 1000, max: 1000, count: 1 },
    ]);
    expect(queryHistory(db, { kind: 'host' }, B, B + HOUR, 'psiSome')).toEqual([
      { t: B + 3 * MINUTE, min: 3, avg: 3, max: 3, count: 1 },
      { t: B + 4 * MINUTE, min: 4, avg: 4, max: 4, count: 1 },
    ]);

    enforceRetention(db, B + 10 * MINUTE + rawMs, opts);
    expect(count('host_rollups')).toBe(1);
    expect(count('container_rollups')).toBe(1);
    // (10 + 20 + 30 + 100 + 1000) / 5 = 232, i.e. (20 * 3 + 550 * 2) / 5.
    const merged = { t: B, min: 10, avg: 232, max: 1000, count: 5 };
    expect(queryHistory(db, { kind: 'host' }, B, B + HOUR)).toEqual([merged]);
    expect(queryHistory(db, { kind: 'container', name: 'api' }, B, B + HOUR)).toEqual([merged]);
    // The PSI part known only in the second run survives the merge with the unknown first part.
    expect(queryHistory(db, { kind: 'host' }, B, B + HOUR, 'psiSome')).toEqual([
      { t: B, min: 3, avg: 3.5, max: 4, count: 2 },
    ]);
  });
});

describe('enforceRetention arguments and cost', () => {
  it('rejects a zero interval and a rollup window shorter than the raw one', () => {
    expect(() => enforceRetention(db, T0, { ...DEFAULT_RETENTION, rollupIntervalMs: 0 })).toThrow(RangeError);
    expect(() => enforceRetention(db, T0, { ...DEFAULT_RETENTION, rollupMs: HOUR })).toThrow(
      'need 0 <= rawMs <= rollupMs, got rawMs=172800000, rollupMs=3600000',
    );
  });

  it.each(['host_samples', 'container_samples', 'group_samples'])(
    'finds expired rows of %s by a range on the primary key, not a table scan',
    (table) => {
      const plan = db.prepare(`EXPLAIN QUERY PLAN DELETE FROM ${table} WHERE t < ?`).all(T0) as { detail: string }[];
      expect(plan.map((row) => row.detail).join('; ')).toMatch(/^SEARCH \w+ USING (INTEGER PRIMARY KEY \(rowid<\?\)|PRIMARY KEY \(t<\?\))$/);
    },
  );
});
