// Only one `memwarden run` may own a data directory: a second one (an overlapping deploy, a
// hand-started run) would mark the first one's running remediation as interrupted at its start
// and race it for the outbox. The read-only commands (status, diagnose, audit) never take it.
//
// The lock is SQLite's own: memwarden.lock is a small SQLite file whose connection is put in
// EXCLUSIVE locking mode and takes its write lock once, which SQLite then holds (an fcntl lock)
// until the connection closes. The kernel drops that lock when the process ends in any way, a
// crash or SIGKILL included, so there is no stale lock to clean up and a reused pid cannot keep
// one alive. Who holds it is written beside it (memwarden.pid) only to name the holder in the
// refusal: a leftover file of a dead process is simply overwritten by the next owner.
// Like SQLite's WAL mode, this needs a local filesystem (fcntl locks over NFS are unreliable).
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { unwritableStoreError } from './store-error.js';

export const LOCK_FILE = 'memwarden.lock';
export const OWNER_FILE = 'memwarden.pid';

/** Who holds a data directory, as written in memwarden.pid. */
export interface LockOwner {
  pid: number;
  hostname: string;
  /** ISO time the holder took the lock. */
  startedAt: string;
}

export interface DataDirLock {
  readonly dir: string;
  /** Frees the directory (idempotent): the owner file goes first, so a successor's is never removed. */
  release(): void;
}

export class DataDirLockedError extends Error {
  readonly code = 'data_dir_locked';
  override readonly name = 'DataDirLockedError';

  constructor(
    readonly dir: string,
    /** null when memwarden.pid is missing or unreadable (the holder may be starting right now). */
    readonly owner: LockOwner | null,
  ) {
    const who =
      owner === null
        ? `another memwarden run (pid unknown: ${join(dir, OWNER_FILE)} is missing or unreadable)`
        : `another memwarden run (pid ${owner.pid} on ${owner.hostname}, since ${owner.startedAt})`;
    super(`${who} holds the data directory ${dir}: only one may use it. Stop that one first, or give this one its own dataDir`);
  }
}

/**
 * Takes the data directory's lock for the life of the process (or until release()). Throws
 * DataDirLockedError when another process holds it, a StoreError (store_unwritable) when the
 * directory or the lock file cannot be created.
 */
export function lockDataDir(dir: string, owner: LockOwner): DataDirLock {
  const lockFile = join(dir, LOCK_FILE);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw unwritableStoreError(lockFile, `cannot create directory ${dir}: ${String((err as { code?: unknown }).code ?? err)}`, err);
  }
  let db: BetterSqlite3.Database;
  try {
    // timeout 0: a held lock is an answer, not something to wait for.
    db = new BetterSqlite3(lockFile, { timeout: 0 });
  } catch (err) {
    throw unwritableStoreError(lockFile, describe(err), err);
  }
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    // Nothing is ever written: BEGIN EXCLUSIVE alone takes the lock, and exclusive locking mode keeps it after COMMIT.
    db.exec('BEGIN EXCLUSIVE; COMMIT');
  } catch (err) {
    db.close();
    if (/^SQLITE_(BUSY|LOCKED)/.test(String((err as { code?: unknown }).code))) throw new DataDirLockedError(dir, readOwner(dir));
    throw unwritableStoreError(lockFile, describe(err), err);
  }
  writeOwner(dir, owner);
  let held = true;
  return {
    dir,
    release() {
      if (!held) return;
      held = false;
      rmSync(join(dir, OWNER_FILE), { force: true });
      db.close();
    },
  };
}

/** The holder named in memwarden.pid, or null when there is none or it does not parse. */
export function readOwner(dir: string): LockOwner | null {
  try {
    const parsed = JSON.parse(readFileSync(join(dir, OWNER_FILE), 'utf8')) as Partial<LockOwner>;
    if (typeof parsed.pid !== 'number' || typeof parsed.hostname !== 'string' || typeof parsed.startedAt !== 'string') return null;
    return { pid: parsed.pid, hostname: parsed.hostname, startedAt: parsed.startedAt };
  } catch {
    return null;
  }
}

function writeOwner(dir: string, owner: LockOwner): void {
  // Whole or not at all: a reader never sees half a file.
  const file = join(dir, OWNER_FILE);
  const temp = `${file}.${owner.pid}.tmp`;
  try {
    writeFileSync(temp, `${JSON.stringify(owner)}\n`);
    renameSync(temp, file);
  } catch {
    // The lock is held either way; only the name in a second instance's refusal is lost
    // (it then says "pid unknown"). A full disk must not stop memwarden from starting.
    rmSync(temp, { force: true });
  }
}

function describe(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  return typeof code === 'string' ? `${code}: ${message}` : message;
}
