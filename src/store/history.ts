import type BetterSqlite3 from 'better-sqlite3';
import { perDatabase, type Database } from './database.js';
import { ROLLUP_SPECS } from './retention.js';
import { toStoreError } from './store-error.js';
import type { HistoryTarget, HistoryPoint, HistorySummary, ImageRepositorySizes, HistoryMetric } from '../model/history.js';
// Public metric names -> sample columns. Only rolled-up metrics are offered, so a query
// reaches as far back as the rollups do.
const METRIC_COLUMNS: { readonly [K in keyof HistoryMetric]: Readonly<Record<HistoryMetric[K], string>> } = {
  host: { used: 'used', available: 'available', swapUsed: 'swap_used', psiSome: 'psi_some', psiFull: 'psi_full' },
  container: { usage: 'usage', limit: 'mem_limit' },
  group: { pss: 'pss', rss: 'rss', uss: 'uss' },
};
export const HISTORY_METRICS: { [K in HistoryTarget['kind']]: readonly HistoryMetric[K][] } = {
  host: ['used', 'available', 'swapUsed', 'psiSome', 'psiFull'],
  container: ['usage', 'limit'],
  group: ['pss', 'rss', 'uss'],
};

export const DEFAULT_HISTORY_METRIC: HistoryMetric = { host: 'used', container: 'usage', group: 'pss' };

interface HistoryStatements {
  raw: BetterSqlite3.Statement;
  rollups: BetterSqlite3.Statement;
}

const statementsByKey = perDatabase(() => new Map<string, HistoryStatements>());

/**
 * Points for one metric of one series between fromMs and toMs (inclusive, by point time),
 * sorted by t. Raw samples and rollups are merged; points that share a t (one container name
 * used by two container ids within a bucket, one group name in two places) are merged too.
 * Samples where the metric was unknown (no limit, no PSI) are left out.
 */
export function queryHistory(
  db: Database,
  target: HistoryTarget,
  fromMs: number,
  toMs: number,
  metric?: string,
): HistoryPoint[] {
  const name = metric ?? DEFAULT_HISTORY_METRIC[target.kind];
  const columns: Record<string, string> = METRIC_COLUMNS[target.kind];
  const column = Object.hasOwn(columns, name) ? columns[name] : undefined;
  if (column === undefined) {
    const known = HISTORY_METRICS[target.kind].join(', ');
    throw new RangeError(`unknown ${target.kind} metric "${name}" (known: ${known})`);
  }
  if (!(fromMs <= toMs)) return [];
  const params = target.kind === 'host' ? { from: fromMs, to: toMs } : { from: fromMs, to: toMs, name: target.name };
  let rawRows: { t: number; v: number }[];
  let rollupRows: { t: number; min: number; sum: number; max: number; count: number }[];
  try {
    const s = statementsFor(db, target.kind, column);
    rawRows = s.raw.all(params) as typeof rawRows;
    rollupRows = s.rollups.all(params) as typeof rollupRows;
  } catch (err) {
    throw toStoreError(err, db.name) ?? err;
  }
  const byT = new Map<number, HistoryPoint>();
  const add = (point: HistoryPoint): void => {
    const seen = byT.get(point.t);
    byT.set(point.t, seen ? mergePoints(seen, point) : point);
  };
  for (const row of rollupRows) {
    add({ t: row.t, min: row.min, avg: row.sum / row.count, max: row.max, count: row.count });
  }
  for (const row of rawRows) add({ t: row.t, min: row.v, avg: row.v, max: row.v, count: 1 });
  return [...byT.values()].sort((a, b) => a.t - b.t);
}

/** min, count-weighted avg, max, first and last of a series of points; null when there are none. */
export function summarizeHistory(points: readonly HistoryPoint[]): HistorySummary | null {
  let summary: HistorySummary | null = null;
  let weighted = 0;
  let firstT = Infinity;
  let lastT = -Infinity;
  for (const point of points) {
    if (!(point.count > 0)) continue;
    summary ??= { min: point.min, avg: 0, max: point.max, first: point.avg, last: point.avg, count: 0 };
    summary.min = Math.min(summary.min, point.min);
    summary.max = Math.max(summary.max, point.max);
    summary.count += point.count;
    weighted += point.avg * point.count;
    if (point.t < firstT) {
      firstT = point.t;
      summary.first = point.avg;
    }
    if (point.t >= lastT) {
      lastT = point.t;
      summary.last = point.avg;
    }
  }
  if (summary) summary.avg = weighted / summary.count;
  return summary;
}

/** Names of containers seen at or after sinceMs, sorted. */
export function containerNames(db: Database, sinceMs: number): string[] {
  try {
    const rows = db
      .prepare('SELECT DISTINCT name FROM containers WHERE last_seen >= ? ORDER BY name')
      .all(sinceMs) as { name: string }[];
    return rows.map((row) => row.name);
  } catch (err) {
    throw toStoreError(err, db.name) ?? err;
  }
}

/** Image sizes per repository, each image id with when it was first and last seen. */
export function latestImageSizes(db: Database): ImageRepositorySizes[] {
  let rows: {
    repository: string;
    imageId: string;
    image: string;
    sizeBytes: number | null;
    firstSeen: number;
    lastSeen: number;
  }[];
  try {
    rows = db
      .prepare(
        `SELECT repository, image_id AS imageId, image, size_bytes AS sizeBytes,
                first_seen AS firstSeen, last_seen AS lastSeen
         FROM images ORDER BY repository, first_seen, image_id`,
      )
      .all() as typeof rows;
  } catch (err) {
    throw toStoreError(err, db.name) ?? err;
  }
  const result: ImageRepositorySizes[] = [];
  for (const { repository, ...image } of rows) {
    const last = result.at(-1);
    if (last?.repository === repository) last.images.push(image);
    else result.push({ repository, images: [image] });
  }
  return result;
}

function mergePoints(a: HistoryPoint, b: HistoryPoint): HistoryPoint {
  const count = a.count + b.count;
  return {
    t: a.t,
    min: Math.min(a.min, b.min),
    avg: (a.avg * a.count + b.avg * b.count) / count,
    max: Math.max(a.max, b.max),
    count,
  };
}

function statementsFor(db: Database, kind: HistoryTarget['kind'], column: string): HistoryStatements {
  const byKey = statementsByKey(db);
  const key = `${kind}:${column}`;
  const cached = byKey.get(key);
  if (cached) return cached;
  const spec = ROLLUP_SPECS[kind];
  const metric = spec.metrics.find((m) => m.column === column);
  const count = metric?.nullable ? `${column}_n` : 'n';
  const series =
    kind === 'container'
      ? 'AND container_ref IN (SELECT ref FROM containers WHERE name = @name)'
      : kind === 'group'
        ? 'AND group_ref IN (SELECT ref FROM process_groups WHERE name = @name)'
        : '';
  const statements: HistoryStatements = {
    raw: db.prepare(`
      SELECT t, ${column} AS v FROM ${spec.samples}
      WHERE t BETWEEN @from AND @to AND ${column} IS NOT NULL ${series}`),
    rollups: db.prepare(`
      SELECT bucket AS t, ${column}_min AS min, ${column}_sum AS sum, ${column}_max AS max, ${count} AS count
      FROM ${spec.rollups}
      WHERE bucket BETWEEN @from AND @to AND ${count} > 0 ${series}`),
  };
  byKey.set(key, statements);
  return statements;
}
