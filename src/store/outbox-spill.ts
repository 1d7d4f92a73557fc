// The outbox while the database refuses writes (a full disk, a read-only file): new ops go to an
// in-memory copy of the outbox tables (the same schema, so the same store functions), the
// dispatcher sends them from there, and once the database takes writes again they move into it
// as they are, sent ones as sent, in one transaction: delivered once, and on record afterwards.
//
// Order: while memory holds anything, every new op goes there too, and moving back takes all of
// it at once, so a key's ops in the database are always older than its ops in memory; an op in
// memory waits while its key still has an op open in the database.
//
// What the database could not record about its own ops after the Slack call (sent, or failed)
// is kept here as well and applied when the rest moves back. Until then such an op stays
// `sending` in the database, holding back the rest of its key there; after a crash it goes out
// again (at least once, as after any crash mid-send). Ops still in memory at exit are lost:
// memwarden logs them.
import { type Database, openDatabase } from './database.js';
import {
  type AlertMessage,
  claimNextDue,
  type FailureUpdate,
  getAlertMessage,
  hasOpenPost,
  insertOutboxEntry,
  listAlertMessages,
  listOpenOutbox,
  listOutboxEntries,
  listOutboxHeads,
  markOutboxFailed,
  markOutboxSent,
  type OutboxEntry,
  putAlertMessage,
  releaseClaimedOutbox,
  setAlertMessagePosted,
} from './outbox.js';
import { type StoreError, toStoreError } from './store-error.js';

/** What a producer of Slack ops needs: where to write them, and where alert messages are. */
export interface OutboxWriter {
  /**
   * Runs `write` (one transaction) against the database when it takes writes, else against
   * memory. Only a StoreError (the database refusing) moves it to memory; any other error is thrown.
   */
  write<T>(write: (db: Database) => T): T;
  /** The alert message of `key`, the newer copy (memory's) first. */
  alertMessage(key: string): AlertMessage | null;
}

/** A claimed op and where it lives. */
export interface HeldOp {
  entry: OutboxEntry;
  inMemory: boolean;
}

export interface SpillingOutbox extends OutboxWriter {
  readonly db: Database;
  hasOpenPost(key: string): boolean;
  /** Puts ops a stopped process left `sending` back to `pending` (at start). */
  releaseClaimed(now: number): number;
  /** The next op to send: alerts first, the database's before memory's, each oldest first. */
  claimNextDue(now: number, skipChannels: ReadonlySet<string>): HeldOp | null;
  /** Pending heads of both (memory's held back by their keys left out): what may become due. */
  pendingHeads(): OutboxEntry[];
  markSent(op: HeldOp, resultTs: string, postedChannel: string | null, now: number): void;
  markFailed(op: HeldOp, failure: FailureUpdate, now: number): void;
  /**
   * Moves what memory holds into the database, in one transaction. Call only while no op is
   * being sent (between the dispatcher's deliveries). Returns the ops moved (0: nothing held),
   * or null when the database still refuses.
   */
  moveBack(now: number): number | null;
  /** Ops in memory that were not sent yet. */
  unsent(): OutboxEntry[];
  /** Ops in memory, sent or not. */
  heldCount(): number;
}

export interface SpillingOutboxOptions {
  /** The database refused a write (the op went to memory, or its result waits there). */
  onRefused?: (err: StoreError) => void;
  /** What memory held is in the database now. */
  onMovedBack?: (ops: number) => void;
}

type Completion = { kind: 'sent'; resultTs: string; postedChannel: string | null; entry: OutboxEntry; at: number } | { kind: 'failed'; failure: FailureUpdate; at: number };

export function createSpillingOutbox(db: Database, options: SpillingOutboxOptions = {}): SpillingOutbox {
  let memory: Database | null = null;
  /** Results of database ops the database could not record, by op id. */
  const completions = new Map<number, Completion>();
  /** The start-up release of `sending` ops failed: moveBack does it. */
  let releasePending = false;

  const memoryDb = (): Database => (memory ??= openDatabase(':memory:'));
  const holding = (): boolean => memory !== null || completions.size > 0 || releasePending;

  /** The database refusing (a StoreError, or SQLite's own error from BEGIN or COMMIT), else null. */
  const refusal = (err: unknown): StoreError | null => toStoreError(err, db.name) ?? null;

  /** `fn` on the database; a refusal is reported and gives { ok: false }. */
  function tryDb<T>(fn: () => T): { ok: true; value: T } | { ok: false } {
    try {
      return { ok: true, value: fn() };
    } catch (err) {
      const refused = refusal(err);
      if (!refused) throw err;
      options.onRefused?.(refused);
      return { ok: false };
    }
  }

  /** Keys with an op still open in the database (results waiting in memory do not count). */
  function keysOpenInDb(): Set<string> | null {
    const open = tryDb(() => listOpenOutbox(db));
    if (!open.ok) return null;
    return new Set(open.value.filter((op) => !completions.has(op.id)).map((op) => op.orderingKey));
  }

  /** Memory gets a copy of the database's alert message before it changes it (memory's copy wins). */
  function copyMessage(key: string): void {
    if (memory === null || getAlertMessage(memory, key) !== null) return;
    const stored = tryDb(() => getAlertMessage(db, key));
    if (stored.ok && stored.value) putAlertMessage(memory, stored.value);
  }

  function recordPosted(target: Database, entry: OutboxEntry, resultTs: string, postedChannel: string | null, now: number): void {
    if (entry.op === 'post' && entry.messageKey !== null && postedChannel !== null) setAlertMessagePosted(target, entry.messageKey, postedChannel, resultTs, now);
  }

  return {
    db,

    write(write) {
      if (holding()) return write(memoryDb());
      try {
        return write(db);
      } catch (err) {
        const refused = refusal(err);
        if (!refused) throw err;
        options.onRefused?.(refused);
        return write(memoryDb());
      }
    },

    alertMessage(key) {
      const held = memory === null ? null : getAlertMessage(memory, key);
      if (held) return held;
      const stored = tryDb(() => getAlertMessage(db, key));
      return stored.ok ? stored.value : null;
    },

    hasOpenPost(key) {
      if (memory !== null && hasOpenPost(memory, key)) return true;
      const stored = tryDb(() => hasOpenPost(db, key));
      return stored.ok && stored.value;
    },

    releaseClaimed(now) {
      const released = tryDb(() => releaseClaimedOutbox(db, now));
      if (released.ok) return released.value;
      releasePending = true;
      return 0;
    },

    claimNextDue(now, skipChannels) {
      const fromDb = (onlyAlerts: boolean): HeldOp | null => {
        const claimed = tryDb(() => claimNextDue(db, now, { skipChannels, onlyAlerts }));
        return claimed.ok && claimed.value ? { entry: claimed.value, inMemory: false } : null;
      };
      if (memory === null) return fromDb(false);
      const blocked = keysOpenInDb();
      const fromMemory = (onlyAlerts: boolean): HeldOp | null => {
        // The database cannot even be read: nothing in memory can be known to be next in its key.
        if (memory === null || blocked === null) return null;
        const claimed = claimNextDue(memory, now, { skipChannels, skipKeys: blocked, onlyAlerts });
        return claimed ? { entry: claimed, inMemory: true } : null;
      };
      return fromDb(true) ?? fromMemory(true) ?? fromDb(false) ?? fromMemory(false);
    },

    pendingHeads() {
      const stored = tryDb(() => listOutboxHeads(db));
      const heads = stored.ok ? stored.value : [];
      if (memory !== null) {
        const blocked = keysOpenInDb() ?? new Set<string>();
        heads.push(...listOutboxHeads(memory).filter((head) => !blocked.has(head.orderingKey)));
      }
      return heads.filter((head) => head.status === 'pending');
    },

    markSent(op, resultTs, postedChannel, now) {
      const { entry } = op;
      if (op.inMemory && memory !== null) {
        const held = memory;
        if (entry.messageKey !== null) copyMessage(entry.messageKey);
        held.transaction(() => {
          recordPosted(held, entry, resultTs, postedChannel, now);
          markOutboxSent(held, entry.id, resultTs, now);
        }).immediate();
        return;
      }
      const recorded = tryDb(() =>
        db.transaction(() => {
          recordPosted(db, entry, resultTs, postedChannel, now);
          markOutboxSent(db, entry.id, resultTs, now);
        }).immediate(),
      );
      if (recorded.ok) return;
      completions.set(entry.id, { kind: 'sent', resultTs, postedChannel, entry, at: now });
      // The rest of its key (updates, replies) needs the ts now, not once the disk has space.
      if (entry.op === 'post' && entry.messageKey !== null && postedChannel !== null) {
        const held = memoryDb();
        copyMessage(entry.messageKey);
        setAlertMessagePosted(held, entry.messageKey, postedChannel, resultTs, now);
      }
    },

    markFailed(op, failure, now) {
      if (op.inMemory && memory !== null) {
        markOutboxFailed(memory, op.entry.id, failure, now);
        return;
      }
      const recorded = tryDb(() => markOutboxFailed(db, op.entry.id, failure, now));
      if (!recorded.ok) completions.set(op.entry.id, { kind: 'failed', failure, at: now });
    },

    moveBack(now) {
      if (!holding()) return 0;
      const held = memory;
      const moved = tryDb(() =>
        db.transaction((): number => {
          for (const [id, done] of completions) {
            if (done.kind === 'sent') {
              recordPosted(db, done.entry, done.resultTs, done.postedChannel, done.at);
              markOutboxSent(db, id, done.resultTs, done.at);
            } else {
              markOutboxFailed(db, id, done.failure, done.at);
            }
          }
          // Nothing is being sent while this runs: an op still `sending` was left so by a refused write.
          releaseClaimedOutbox(db, now);
          if (held === null) return 0;
          for (const message of listAlertMessages(held)) putAlertMessage(db, message);
          const entries = listOutboxEntries(held);
          for (const entry of entries) insertOutboxEntry(db, entry);
          return entries.length;
        }).immediate(),
      );
      if (!moved.ok) return null;
      completions.clear();
      releasePending = false;
      held?.close();
      memory = null;
      options.onMovedBack?.(moved.value);
      return moved.value;
    },

    unsent() {
      return memory === null ? [] : listOutboxEntries(memory).filter((entry) => entry.status === 'pending' || entry.status === 'sending');
    },

    heldCount() {
      return memory === null ? 0 : listOutboxEntries(memory).length;
    },
  };
}
