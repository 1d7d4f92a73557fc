import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeDatabase, openDatabase, type Database } from '../../../src/store/database.js';
import {
  HISTORY_METRICS,
  queryHistory,
  summarizeHistory
} from '../../../src/store/history.js';
import type { HistoryPoint } from '../../../src/model/history.js';
import { enforceRetention } from '../../../src/store/retention.js';
import { recordSnapshot } from '../../../src/store/samples.js';
import { makeContainer, makeGroup, makeSnapshot, makeTempDir } from './make-snapshot.js';

const MINUTE = 60_000;
const T0 = Date.UTC(2025, 0, 1);

describe('summarizeHistory', () => {
  it('is null for no points, and for points that carry no samples', () => {
    expect(summarizeHistory([])).toBeNull();
    expect(summarizeHistory([{ t: 1, min: 5, avg: 5, max: 5, count: 0 }])).toBeNull();
  });

  it('weights each point by its sample count', () => {
    const points: HistoryPoint[] = [
      { t: 0, min: 10, avg: 20, max: 30, count: 3 }, // a rollup of 10, 20, 30
      { t: 300_000, min: 100, avg: 100, max: 100, count: 1 },
      { t: 360_000, min: 1000, avg: 1000, max: 1000, count: 1 },
    ];
    // (20 * 3 + 100 + 1000) / 5 = 232, not the plain mean of the avgs (373.3).
    expect(summarizeHistory(points)).toEqual({ min: 10, avg: 232, max: 1000, first: 20, last: 1000, count: 5 });
  });

  it('takes first and last by time even when the points are not sorted', () => {
    const points: HistoryPoint[] = [
      { t: 200, min: 7, avg: 7, max: 7, count: 1 },
      { t: 100, min: 3, avg: 3, max: 3, count: 1 },
      { t: 300, min: 5, avg: 5, max: 5, count: 1 },
    ];
    expect(summarizeHistory(points)).toEqual({ min: 3, avg: 5, max: 7, first: 3, last: 5, count: 3 });
  });
});

describe('queryHistory', () => {
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

  it('merges points that share a time: one group name in two containers', () => {
    recordSnapshot(
      db,
      makeSnapshot(T0, {
        processGroups: [
          makeGroup({ name: 'celery:acme', containerName: 'worker-1', pssBytes: 100 }),
          makeGroup({ name: 'celery:acme', containerName: 'worker-2', pssBytes: 300 }),
        ],
      }),
    );
    expect(queryHistory(db, { kind: 'group', name: 'celery:acme' }, T0, T0)).toEqual([
      { t: T0, min: 100, avg: 200, max: 300, count: 2 },
    ]);
  });

  it('returns rollups and raw samples inside the range only, sorted by time', () => {
    for (let i = 0; i < 12; i++) {
      recordSnapshot(db, makeSnapshot(T0 + i * MINUTE, { containers: [makeContainer({ name: 'api', memoryUsageBytes: i })] }));
    }
    // Roll up polls 0..9 (buckets T0 and T0 + 5 min); 10 and 11 stay raw.
    enforceRetention(db, T0 + 10 * MINUTE + 1000, { rawMs: 1000, rollupMs: 10 ** 10, rollupIntervalMs: 5 * MINUTE });
    const api = { kind: 'container', name: 'api' } as const;
    expect(queryHistory(db, api, T0, T0 + 20 * MINUTE)).toEqual([
      { t: T0, min: 0, avg: 2, max: 4, count: 5 },
      { t: T0 + 5 * MINUTE, min: 5, avg: 7, max: 9, count: 5 },
      { t: T0 + 10 * MINUTE, min: 10, avg: 10, max: 10, count: 1 },
      { t: T0 + 11 * MINUTE, min: 11, avg: 11, max: 11, count: 1 },
    ]);
    expect(queryHistory(db, api, T0 + 1, T0 + 10 * MINUTE).map((p) => p.t)).toEqual([
      T0 + 5 * MINUTE,
      T0 + 10 * MINUTE,
    ]);
    expect(queryHistory(db, api, T0 + 20 * MINUTE, T0)).toEqual([]);
    expect(queryHistory(db, { kind: 'container', name: 'nope' }, T0, T0 + 20 * MINUTE)).toEqual([]);
  });

  it('answers every advertised metric from rollups and raw samples, and rejects others naming the valid ones', () => {
    for (const t of [T0, T0 + MINUTE]) {
      recordSnapshot(db, makeSnapshot(t, { containers: [makeContainer({ name: 'api' })], processGroups: [makeGroup({ name: 'g' })] }));
    }
    // Roll up the poll at T0 only.
    enforceRetention(db, T0 + 1001, { rawMs: 1000, rollupMs: 10 ** 10, rollupIntervalMs: 5 * MINUTE });
    const end = T0 + MINUTE;
    const counts = (points: HistoryPoint[]) => points.map((p) => p.count);
    for (const metric of HISTORY_METRICS.host) {
      expect(counts(queryHistory(db, { kind: 'host' }, T0, end, metric)), metric).toEqual([1, 1]);
    }
    for (const metric of HISTORY_METRICS.container) {
      expect(counts(queryHistory(db, { kind: 'container', name: 'api' }, T0, end, metric)), metric).toEqual([1, 1]);
    }
    for (const metric of HISTORY_METRICS.group) {
      expect(counts(queryHistory(db, { kind: 'group', name: 'g' }, T0, end, metric)), metric).toEqual([1, 1]);
    }
    expect(db.prepare('SELECT count(*) AS n FROM host_rollups').get()).toEqual({ n: 1 });

    expect(() => queryHistory(db, { kind: 'host' }, T0, T0, 'usage')).toThrow(
      'unknown host metric "usage" (known: used, available, swapUsed, psiSome, psiFull)',
    );
    expect(() => queryHistory(db, { kind: 'group', name: 'g' }, T0, T0, 'toString')).toThrow(RangeError);
    expect(() => queryHistory(db, { kind: 'container', name: 'api' }, T0, T0, 'usage; DROP TABLE containers')).toThrow(
      RangeError,
    );
  });
});
