// Errors from the SQLite store. Each message names the file and says what the operator can do,
// because the usual reader is someone looking at a crash log, not at this code.

export type StoreErrorCode = 'store_corrupt' | 'store_locked' | 'store_unwritable' | 'store_newer';

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StoreError';
  }
}

export function corruptStoreError(file: string, detail: string, cause?: unknown): StoreError {
  return new StoreError(
    'store_corrupt',
    file,
    `${file} is not a valid memwarden database (${detail}): move it aside or restore a backup`,
    { cause },
  );
}

export function lockedStoreError(file: string, detail: string, cause?: unknown): StoreError {
  return new StoreError(
    'store_locked',
    file,
    `another memwarden may be using ${file} (${detail}): stop the other process or give this one its own database file`,
    { cause },
  );
}

export function unwritableStoreError(file: string, detail: string, cause?: unknown): StoreError {
  return new StoreError(
    'store_unwritable',
    file,
    `cannot write ${file} (${detail}): check that its directory exists, is a directory and is writable`,
    { cause },
  );
}

export function newerStoreError(file: string, found: number, known: number): StoreError {
  return new StoreError(
    'store_newer',
    file,
    `${file} was written by a newer memwarden (schema version ${found}, this memwarden knows up to ${known}): ` +
      'upgrade memwarden, or move the file aside to start a new history',
  );
}

// SQLite result codes as better-sqlite3 reports them (SqliteError.code, extended codes included,
// e.g. SQLITE_BUSY_SNAPSHOT, SQLITE_IOERR_WRITE), plus the Node fs codes of creating the directory.
const CORRUPT = /^SQLITE_(NOTADB|CORRUPT)/;
const LOCKED = /^SQLITE_(BUSY|LOCKED)/;
const UNWRITABLE = /^(SQLITE_(CANTOPEN|READONLY|IOERR|FULL|PERM)|ENOTDIR|EEXIST|EACCES|EPERM|EROFS|ENOSPC)/;

/**
 * Maps an error from better-sqlite3 or node:fs to a StoreError, keeping the original as `cause`.
 * Returns undefined for anything else (a bad argument, a bug), which the caller rethrows as is.
 */
export function toStoreError(err: unknown, file: string, busyTimeoutMs?: number): StoreError | undefined {
  if (err instanceof StoreError) return err;
  if (!(err instanceof Error)) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string') return undefined;
  if (CORRUPT.test(code)) return corruptStoreError(file, err.message, err);
  if (LOCKED.test(code)) {
    const waited = busyTimeoutMs === undefined ? '' : ` after waiting ${busyTimeoutMs} ms`;
    return lockedStoreError(file, `${err.message}${waited}`, err);
  }
  if (UNWRITABLE.test(code)) return unwritableStoreError(file, `${code}: ${err.message}`, err);
  return undefined;
}

/** Runs a store operation, turning SQLite's errors into a StoreError that names the file. */
export function guard<T>(db: { name: string }, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw toStoreError(err, db.name) ?? err;
  }
}

/**
 * SQLite's own words for why a store operation failed, e.g. "SQLITE_FULL: database or disk is
 * full": short enough for an alert and /healthz (the StoreError's message adds the file and advice).
 */
export function storeErrorReason(err: StoreError): string {
  const cause = err.cause as { code?: unknown; message?: unknown } | undefined;
  if (cause && typeof cause.code === 'string' && typeof cause.message === 'string') return `${cause.code}: ${cause.message}`;
  return err.message;
}
