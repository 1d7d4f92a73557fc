import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { APPLICATION_ID, closeDatabase, openDatabase } from '../../../src/store/database.js';
import { queryHistory } from '../../../src/store/history.js';
import { MIGRATIONS } from '../../../src/store/migrations.js';
import { enforceRetention } from '../../../src/store/retention.js';
import { recordSnapshot } from '../../../src/store/samples.js';
import { StoreError } from '../../../src/store/store-error.js';
import { GiB, makeContainer, makeHost, makeSnapshot, makeTempDir } from './make-snapshot.js';

let temp: ReturnType<typeof makeTempDir>;
beforeEach(() => {
  temp = makeTempDir();
});
afterEach(() => temp.remove());

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}

function expectStoreError(err: unknown, code: StoreError['code'], file: string): StoreError {
  expect(err).toBeInstanceOf(StoreError);
  const storeError = err as StoreError;
  expect(storeError.code).toBe(code);
  expect(storeError.file).toBe(file);
  expect(storeError.message).toContain(file);
  return storeError;
}

describe('openDatabase', () => {
  it('creates the parent directory and sets up WAL, synchronous, busy timeout and foreign keys', () => {
    const file = join(temp.dir, 'nested', 'deeper', 'memwarden.db');
    const db = openDatabase(file);
    try {
      expect(existsSync(file)).toBe(true);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('synchronous', { simple: true })).toBe(2); // 2 = FULL: durable commits (see durability.test.ts)
      expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
      expect(db.pragma('application_id', { simple: true })).toBe(APPLICATION_ID);
    } finally {
      closeDatabase(db);
    }
  });

  it('keeps history across close and reopen (a restart), raw samples and rollups alike', () => {
    const file = join(temp.dir, 'memwarden.db');
    const t0 = Date.UTC(2025, 0, 1);
    const first = openDatabase(file);
    for (let i = 0; i < 3; i++) {
      recordSnapshot(
        first,
        makeSnapshot(t0 + i * 60_000, {
          host: makeHost({ usedBytes: (i + 1) * GiB }),
          containers: [makeContainer({ name: 'api', memoryUsageBytes: (i + 1) * 1000 })],
        }),
      );
    }
    // Roll the first two samples up, keep the third raw.
    enforceRetention(first, t0 + 48 * 3600_000 + 90_000, {
      rawMs: 48 * 3600_000,
      rollupMs: 35 * 24 * 3600_000,
      rollupIntervalMs: 60_000,
    });
    const before = queryHistory(first, { kind: 'container', name: 'api' }, t0, t0 + 3600_000);
    closeDatabase(first);
    expect(readdirSync(temp.dir).filter((name) => name.endsWith('-wal'))).toEqual([]);

    const second = openDatabase(file);
    try {
      const after = queryHistory(second, { kind: 'container', name: 'api' }, t0, t0 + 3600_000);
      expect(after).toEqual(before);
      expect(after.map((p) => p.avg)).toEqual([1000, 2000, 3000]);
      expect(queryHistory(second, { kind: 'host' }, t0, t0 + 3600_000).map((p) => p.max)).toEqual([
        1 * GiB,
        2 * GiB,
        3 * GiB,
      ]);
    } finally {
      closeDatabase(second);
    }
  });

  it('applies only the migrations appended since the last open, each once', () => {
    const file = join(temp.dir, 'memwarden.db');
    closeDatabase(openDatabase(file));
    const extended = [...MIGRATIONS, 'CREATE TABLE silences (id INTEGER PRIMARY KEY, until INTEGER NOT NULL);'];
    closeDatabase(openDatabase(file, { migrations: extended }));
    const db = openDatabase(file, { migrations: extended });
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length + 1);
      expect(db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name = 'silences'").get()).toEqual({ n: 1 });
    } finally {
      closeDatabase(db);
    }
  });

  it('rolls a failing migration back whole and leaves the version where it was', () => {
    const file = join(temp.dir, 'memwarden.db');
    closeDatabase(openDatabase(file));
    const broken = [...MIGRATIONS, 'CREATE TABLE half_done (x INTEGER); CREATE TABLE oops ('];
    const err = catchError(() => openDatabase(file, { migrations: broken }));
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe(`migration ${MIGRATIONS.length + 1} of ${broken.length} failed on ${file}`);
    expect((err as Error).cause).toBeInstanceOf(BetterSqlite3.SqliteError);

    const raw = new BetterSqlite3(file, { readonly: true });
    try {
      expect(raw.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
      expect(raw.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name = 'half_done'").get()).toEqual({ n: 0 });
    } finally {
      raw.close();
    }
  });

  it.each([
    ['a text file', Buffer.from('not a database, just some notes\n'.repeat(200))],
    ['random bytes', randomBytes(16 * 1024)],
  ])('refuses %s with store_corrupt, naming the file, and leaves it untouched', (_label, content) => {
    const file = join(temp.dir, 'memwarden.db');
    writeFileSync(file, content);
    const mtime = statSync(file).mtimeMs;

    const err = expectStoreError(
      catchError(() => openDatabase(file)),
      'store_corrupt',
      file,
    );
    expect(err.message).toBe(
      `${file} is not a valid memwarden database (file is not a database): move it aside or restore a backup`,
    );
    expect(err.cause).toBeInstanceOf(BetterSqlite3.SqliteError);
    expect(readFileSync(file).equals(content)).toBe(true);
    expect(statSync(file).mtimeMs).toBe(mtime);
    expect(readdirSync(temp.dir)).toEqual(['memwarden.db']);
  });

  it('refuses a database whose pages are damaged (quick_check fails)', () => {
    const file = join(temp.dir, 'memwarden.db');
    const db = openDatabase(file);
    for (let i = 0; i < 200; i++) recordSnapshot(db, makeSnapshot(Date.UTC(2025, 0, 1) + i * 60_000));
    closeDatabase(db);
    const pageSize = 4096;
    const content = readFileSync(file);
    expect(content.length).toBeGreaterThan(4 * pageSize);
    // Keep page 1 (header and schema) intact, scribble over the b-tree pages after it.
    content.fill(0xa5, pageSize, content.length);
    writeFileSync(file, content);

    const err = expectStoreError(
      catchError(() => openDatabase(file)),
      'store_corrupt',
      file,
    );
    expect(err.message).toMatch(/is not a valid memwarden database \(.+\): move it aside or restore a backup$/);
    expect(readFileSync(file).equals(content)).toBe(true);
  });

  it("refuses another program's SQLite database instead of adding tables to it", () => {
    const file = join(temp.dir, 'memwarden.db');
    const other = new BetterSqlite3(file);
    other.exec('CREATE TABLE notes (body TEXT)');
    other.close();
    const content = readFileSync(file);

    const err = expectStoreError(
      catchError(() => openDatabase(file)),
      'store_corrupt',
      file,
    );
    expect(err.message).toContain('not one created by memwarden');
    expect(readFileSync(file).equals(content)).toBe(true);
  });

  it('reports a database locked by another writer as store_locked once the busy timeout passes', () => {
    const file = join(temp.dir, 'memwarden.db');
    closeDatabase(openDatabase(file));
    const other = new BetterSqlite3(file);
    other.exec('BEGIN EXCLUSIVE');
    try {
      const err = expectStoreError(
        catchError(() => openDatabase(file, { busyTimeoutMs: 50 })),
        'store_locked',
        file,
      );
      expect(err.message).toBe(
        `another memwarden may be using ${file} (database is locked after waiting 50 ms): ` +
          'stop the other process or give this one its own database file',
      );
      expect(err.cause).toBeInstanceOf(BetterSqlite3.SqliteError);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    // Once the other writer is gone the same file opens normally.
    closeDatabase(openDatabase(file, { busyTimeoutMs: 50 }));
  });

  it('reports a lock held in rollback-journal mode (readers blocked too) as store_locked', () => {
    const file = join(temp.dir, 'memwarden.db');
    const other = new BetterSqlite3(file);
    other.exec('BEGIN EXCLUSIVE; CREATE TABLE t (x); ');
    try {
      expectStoreError(
        catchError(() => openDatabase(file, { busyTimeoutMs: 50 })),
        'store_locked',
        file,
      );
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
  });

  it('reports a path whose directory cannot be created as store_unwritable', () => {
    const blocker = join(temp.dir, 'file.txt');
    writeFileSync(blocker, 'a regular file where a directory should be');
    const file = join(blocker, 'db.sqlite');

    const err = expectStoreError(
      catchError(() => openDatabase(file)),
      'store_unwritable',
      file,
    );
    expect(err.message).toMatch(
      new RegExp(`^cannot write ${file} \\(cannot create directory ${blocker}: E[A-Z]+\\): check that`),
    );
    expect(readFileSync(blocker, 'utf8')).toBe('a regular file where a directory should be');
  });

  it('reports a path that is a directory as store_unwritable', () => {
    const err = expectStoreError(
      catchError(() => openDatabase(temp.dir)),
      'store_unwritable',
      temp.dir,
    );
    expect(err.message).toContain('SQLITE_CANTOPEN');
  });

  it('refuses a database from a newer memwarden and does not touch it', () => {
    const file = join(temp.dir, 'memwarden.db');
    closeDatabase(openDatabase(file));
    const raw = new BetterSqlite3(file);
    raw.pragma(`user_version = ${MIGRATIONS.length + 5}`);
    raw.close();
    const content = readFileSync(file);

    const err = expectStoreError(
      catchError(() => openDatabase(file)),
      'store_newer',
      file,
    );
    expect(err.message).toBe(
      `${file} was written by a newer memwarden (schema version ${MIGRATIONS.length + 5}, ` +
        `this memwarden knows up to ${MIGRATIONS.length}): upgrade memwarden, or move the file aside to start a new history`,
    );
    expect(readFileSync(file).equals(content)).toBe(true);
  });
});

describe('closeDatabase', () => {
  it('checkpoints the WAL into the main file and is safe to call twice', () => {
    const file = join(temp.dir, 'memwarden.db');
    const db = openDatabase(file);
    recordSnapshot(db, makeSnapshot(Date.UTC(2025, 0, 1)));
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(0);
    closeDatabase(db);
    closeDatabase(db);
    expect(db.open).toBe(false);
    expect(existsSync(`${file}-wal`)).toBe(false);
    const raw = new BetterSqlite3(file, { readonly: true });
    try {
      expect(raw.prepare('SELECT count(*) AS n FROM host_samples').get()).toEqual({ n: 1 });
    } finally {
      raw.close();
    }
  });
});
