import type BetterSqlite3 from 'better-sqlite3';
import { perDatabase, type Database } from './database.js';
import { toStoreError } from './store-error.js';

export interface RetentionOptions {
  /** Raw samples older than this are rolled up, then deleted. */
  rawMs: number;
  /** Rollups older than this are deleted. */
  rollupMs: number;
  /** Rollup bucket width; buckets are aligned to the epoch. */
  rollupIntervalMs: number;
}

export const DEFAULT_RETENTION: RetentionOptions = {
  rawMs: 48 * 60 * 60 * 1000,
  rollupMs: 35 * 24 * 60 * 60 * 1000,
  rollupIntervalMs: 5 * 60 * 1000,
};

export interface RetentionResult {
  /** Raw rows (host + container + group) rolled up and deleted. */
  rolledUpSamples: number;
  /** Rollup rows inserted or merged into. */
  rollupRowsWritten: number;
  /** Rollup rows deleted for being older than rollupMs. */
  rollupRowsDeleted: number;
}

export interface RollupMetric {
  /** Column in the sample table; the rollup table has <column>_min, _sum, _max. */
  column: string;
  /** A nullable metric also has <column>_n, the number of samples where it was known. */
  nullable: boolean;
}

export interface RollupSpec {
  samples: string;
  rollups: string;
  /** The series column (container_ref, group_ref); null for the single host series. */
  key: string | null;
  metrics: readonly RollupMetric[];
}

/** Which metrics are rolled up; must match the tables of migrations.ts. */
export const ROLLUP_SPECS = {
  host: {
    samples: 'host_samples',
    rollups: 'host_rollups',
    key: null,
    metrics: [
      { column: 'used', nullable: false },
      { column: 'available', nullable: false },
      { column: 'swap_used', nullable: false },
      { column: 'psi_some', nullable: true },
      { column: 'psi_full', nullable: true },
    ],
  },
  container: {
    samples: 'container_samples',
    rollups: 'container_rollups',
    key: 'container_ref',
    metrics: [
      { column: 'usage', nullable: false },
      { column: 'mem_limit', nullable: true },
    ],
  },
  group: {
    samples: 'group_samples',
    rollups: 'group_rollups',
    key: 'group_ref',
    metrics: [
      { column: 'pss', nullable: false },
      { column: 'rss', nullable: false },
      { column: 'uss', nullable: false },
    ],
  },
} as const satisfies Record<string, RollupSpec>;

interface RetentionStatements {
  rollup: BetterSqlite3.Statement[];
  deleteRaw: BetterSqlite3.Statement[];
  deleteRollups: BetterSqlite3.Statement[];
  pruneNames: BetterSqlite3.Statement[];
}

/**
 * Rolls raw samples older than `now - rawMs` into epoch-aligned buckets of `rollupIntervalMs`
 * (min, sum, max and count per metric), deletes them, and deletes rollups older than
 * `now - rollupMs`; then forgets containers, groups and images not seen since then.
 * One transaction. Idempotent for a given `now`, and cheap when there is nothing to do (every
 * statement is a range on the leading time column). A bucket whose samples cross the raw cutoff
 * is rolled up in two runs; the second merges into the same row (min of mins, max of maxes,
 * sums and counts added), so the bucket's average stays the count-weighted average.
 */
export function enforceRetention(
  db: Database,
  now: number,
  opts: RetentionOptions = DEFAULT_RETENTION,
): RetentionResult {
  const { rawMs, rollupMs, rollupIntervalMs } = opts;
  if (!Number.isFinite(now)) throw new RangeError(`now must be a time in ms, got ${now}`);
  if (!Number.isInteger(rollupIntervalMs) || rollupIntervalMs <= 0) {
    throw new RangeError(`rollupIntervalMs must be a positive integer, got ${rollupIntervalMs}`);
  }
  if (!(rawMs >= 0) || !(rollupMs >= rawMs)) {
    throw new RangeError(`need 0 <= rawMs <= rollupMs, got rawMs=${rawMs}, rollupMs=${rollupMs}`);
  }
  const rawCutoff = Math.floor(now - rawMs);
  const rollupCutoff = Math.floor(now - rollupMs);
  const s = statementsFor(db);
  const run = db.transaction((): RetentionResult => {
    const result: RetentionResult = { rolledUpSamples: 0, rollupRowsWritten: 0, rollupRowsDeleted: 0 };
    for (const statement of s.rollup) {
      result.rollupRowsWritten += statement.run({ cutoff: rawCutoff, interval: rollupIntervalMs }).changes;
    }
    for (const statement of s.deleteRaw) result.rolledUpSamples += statement.run({ cutoff: rawCutoff }).changes;
    for (const statement of s.deleteRollups) {
      result.rollupRowsDeleted += statement.run({ cutoff: rollupCutoff }).changes;
    }
    for (const statement of s.pruneNames) statement.run({ cutoff: rollupCutoff });
    return result;
  });
  try {
    return run.immediate();
  } catch (err) {
    throw toStoreError(err, db.name) ?? err;
  }
}

const statementsFor = perDatabase((db): RetentionStatements => {
  const specs: RollupSpec[] = Object.values(ROLLUP_SPECS);
  return {
    rollup: specs.map((spec) => db.prepare(rollupSql(spec))),
    deleteRaw: specs.map((spec) => db.prepare(`DELETE FROM ${spec.samples} WHERE t < @cutoff`)),
    deleteRollups: specs.map((spec) => db.prepare(`DELETE FROM ${spec.rollups} WHERE bucket < @cutoff`)),
    // Samples and rollups of these are past rollupMs by now; NOT EXISTS keeps the foreign keys
    // safe should a caller ever pass a rollupMs shorter than a series' real age.
    pruneNames: [
      db.prepare(`
        DELETE FROM containers WHERE last_seen < @cutoff
          AND NOT EXISTS (SELECT 1 FROM container_samples WHERE container_ref = containers.ref)
          AND NOT EXISTS (SELECT 1 FROM container_rollups WHERE container_ref = containers.ref)`),
      db.prepare(`
        DELETE FROM process_groups WHERE last_seen < @cutoff
          AND NOT EXISTS (SELECT 1 FROM group_samples WHERE group_ref = process_groups.ref)
          AND NOT EXISTS (SELECT 1 FROM group_rollups WHERE group_ref = process_groups.ref)`),
      db.prepare('DELETE FROM images WHERE last_seen < @cutoff'),
    ],
  };
});

/** INSERT .. SELECT .. GROUP BY bucket, merging into an existing row of the same bucket. */
function rollupSql(spec: RollupSpec): string {
  const key = spec.key === null ? [] : [spec.key];
  const columns = ['bucket', ...key, 'n'];
  const selects = ['t - t % @interval AS bucket', ...key, 'count(*)'];
  const updates = ['n = n + excluded.n'];
  for (const { column: c, nullable } of spec.metrics) {
    if (nullable) {
      columns.push(`${c}_n`);
      selects.push(`count(${c})`);
      updates.push(`${c}_n = ${c}_n + excluded.${c}_n`);
    }
    columns.push(`${c}_min`, `${c}_sum`, `${c}_max`);
    selects.push(`min(${c})`, `sum(${c})`, `max(${c})`);
    // Two-argument min/max and + give NULL if either side is NULL (a metric unknown in one
    // part of the bucket); coalesce then keeps the side that is known.
    updates.push(
      `${c}_min = coalesce(min(${c}_min, excluded.${c}_min), ${c}_min, excluded.${c}_min)`,
      `${c}_sum = coalesce(${c}_sum + excluded.${c}_sum, ${c}_sum, excluded.${c}_sum)`,
      `${c}_max = coalesce(max(${c}_max, excluded.${c}_max), ${c}_max, excluded.${c}_max)`,
    );
  }
  const groupBy = ['bucket', ...key].join(', ');
  return `
    INSERT INTO ${spec.rollups} (${columns.join(', ')})
    SELECT ${selects.join(', ')} FROM ${spec.samples} WHERE t < @cutoff GROUP BY ${groupBy}
    ON CONFLICT (${groupBy}) DO UPDATE SET ${updates.join(', ')}`;
}
