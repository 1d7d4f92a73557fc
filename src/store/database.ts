import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { MIGRATIONS } from './migrations.js';
import { corruptStoreError, newerStoreError, toStoreError, unwritableStoreError } from './store-error.js';

export type Database = BetterSqlite3.Database;

/** 'MWDN' in the database header (PRAGMA application_id): marks a file as ours, so we never
 *  migrate some other program's SQLite file that happens to sit at the configured path. */
export const APPLICATION_ID = 0x4d57444e;

export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

export interface OpenDatabaseOptions {
  /** How long to wait for another connection's lock (PRAGMA busy_timeout). */
  busyTimeoutMs?: number;
  /** The schema history; defaults to MIGRATIONS (tests pass longer lists to exercise upgrades). */
  migrations?: readonly string[];
}

/**
 * Opens (creating if needed) the memwarden database at `file` and brings its schema up to date.
 * Nothing is written to the file until it has passed `quick_check`, carries memwarden's
 * application id (or is empty) and is not from a newer memwarden, so a bad file is left as found.
 * Throws StoreError (store_corrupt, store_locked, store_unwritable, store_newer).
 */
export function openDatabase(file: string, options: OpenDatabaseOptions = {}): Database {
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  const migrations = options.migrations ?? MIGRATIONS;

  try {
    mkdirSync(dirname(file), { recursive: true });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw unwritableStoreError(file, `cannot create directory ${dirname(file)}: ${String(code ?? err)}`, err);
  }

  let db: Database;
  try {
    // `timeout` is better-sqlite3's name for PRAGMA busy_timeout; set here so the first read waits too.
    db = new BetterSqlite3(file, { timeout: busyTimeoutMs });
  } catch (err) {
    throw toStoreError(err, file, busyTimeoutMs) ?? err;
  }

  try {
    checkIntegrity(db, file);
    const version = checkOwnership(db, file, migrations.length);
    db.pragma('journal_mode = WAL');
    // FULL, not NORMAL: in WAL mode NORMAL does not sync at commit, so an OS crash or a power
    // loss could roll back an approval or an execution claim after the action ran. FULL syncs
    // the WAL at every commit; a poll pays well under a millisecond for it (docs/benchmarks.md).
    // For the whole database rather than around the remediation transactions alone: the outbox
    // and the alert state are worth as much, and `synchronous` cannot change inside a transaction.
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    migrate(db, file, version, migrations);
    return db;
  } catch (err) {
    db.close();
    throw toStoreError(err, file, busyTimeoutMs) ?? err;
  }
}

/**
 * Checkpoints the WAL into the main file (so a copy of the .db alone is a full backup), then
 * closes. Never throws: a database that cannot be written now (a full disk) is closed without
 * the checkpoint, which loses nothing (the next open replays the WAL); that error is returned.
 */
export function closeDatabase(db: Database): Error | null {
  if (!db.open) return null;
  let problem: Error | null = null;
  try {
    db.pragma('optimize');
    db.pragma('wal_checkpoint(TRUNCATE)');
  } catch (err) {
    problem = toStoreError(err, db.name) ?? (err instanceof Error ? err : new Error(String(err)));
  }
  db.close();
  return problem;
}

/**
 * Builds a value once per open database (prepared statements: preparing is the costly part of a
 * query). A WeakMap, so a closed database's value goes with it.
 */
export function perDatabase<T>(build: (db: Database) => T): (db: Database) => T {
  const byDb = new WeakMap<Database, T>();
  return (db) => {
    let value = byDb.get(db);
    if (value === undefined) {
      value = build(db);
      byDb.set(db, value);
    }
    return value;
  };
}

/** A JSON column's value; `fallback` for a cell that does not parse, so one bad row cannot fail a whole read. */
export function parseJsonOr<T>(text: string, fallback: T): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

function checkIntegrity(db: Database, file: string): void {
  // Reading the header is where a non-database file fails (SQLITE_NOTADB), before any write.
  const rows = db.pragma('quick_check') as { quick_check: string }[];
  const problems = rows.map((row) => row.quick_check).filter((text) => text !== 'ok');
  if (problems.length > 0) {
    const more = problems.length > 1 ? ` and ${problems.length - 1} more` : '';
    throw corruptStoreError(file, `quick_check: ${problems[0]}${more}`);
  }
}

/** Returns the schema version of a file that is ours (or empty); throws for anything else. */
function checkOwnership(db: Database, file: string, known: number): number {
  const applicationId = db.pragma('application_id', { simple: true }) as number;
  const version = db.pragma('user_version', { simple: true }) as number;
  if (applicationId !== APPLICATION_ID) {
    const objects = db.prepare('SELECT count(*) AS n FROM sqlite_schema').get() as { n: number };
    if (applicationId !== 0 || version !== 0 || objects.n > 0) {
      throw corruptStoreError(file, 'an SQLite database, but not one created by memwarden');
    }
  }
  if (version > known) throw newerStoreError(file, version, known);
  return version;
}

function migrate(db: Database, file: string, from: number, migrations: readonly string[]): void {
  if (from === migrations.length) {
    // Nothing to apply, but take the write lock once: a writer that holds it now (another
    // memwarden) is better reported at startup than at the first poll.
    db.transaction(() => undefined).immediate();
    return;
  }
  for (let index = from; index < migrations.length; index++) {
    const apply = db.transaction(() => {
      if (index === 0) db.pragma(`application_id = ${APPLICATION_ID}`);
      db.exec(migrations[index] ?? '');
      db.pragma(`user_version = ${index + 1}`);
    });
    try {
      apply.immediate();
    } catch (err) {
      // Lock and I/O errors are mapped by openDatabase; anything else is a broken migration.
      if (toStoreError(err, file)) throw err;
      throw new Error(`migration ${index + 1} of ${migrations.length} failed on ${file}`, { cause: err });
    }
  }
}
