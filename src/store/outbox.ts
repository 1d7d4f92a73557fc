// The outbox (migration 4): every message memwarden sends to Slack is first a row here, written
// in the same process step that decided to send it, and leaves only when Slack accepted it or
// refused it for good. A crash, a restart or a Slack outage delays a message; it never loses one.
//
// Ordering: ops with the same ordering key (an alert's fingerprint) are sent strictly in id
// order. Only the oldest open op of a key (its head) can be claimed, so a later update or reply
// never overtakes the parent it refers to, not even while the parent waits for a retry. Among
// the heads, alerts go first (priority), then the rest, each oldest first: twenty approval
// messages queued for a channel do not push its alerts back behind its rate limit.
//
// Also here: alert_messages, which alert message (fingerprint + episode) lives where in Slack.
// Plain data only: payloads are opaque JSON to the store (the Slack code renders them).
import type BetterSqlite3 from 'better-sqlite3';
import { parseJsonOr, perDatabase, type Database } from './database.js';
import { guard } from './store-error.js';

export type OutboxOp = 'post' | 'update' | 'reply';
/** 'alert': sent ahead of the 'normal' heads (remediation messages, the digest) of any key. */
export type OutboxPriority = 'alert' | 'normal';
export type OutboxStatus = 'pending' | 'sending' | 'sent' | 'failed' | 'superseded';

export interface NewOutboxEntry {
  /** Ops of one key are sent in the order they were enqueued: the alert fingerprint. */
  orderingKey: string;
  /**
   * The alert message a `post` creates (its ts is stored in alert_messages) or an `update` /
   * `reply` refers to; null only for a standalone post.
   */
  messageKey: string | null;
  op: OutboxOp;
  /** As configured: a channel name or id. Also what the per-channel rate limit is keyed by. */
  channel: string;
  /** JSON-serialisable; opaque to the store. */
  payload: unknown;
  /** Default 'normal'. */
  priority?: OutboxPriority;
}

export interface OutboxEntry {
  id: number;
  orderingKey: string;
  messageKey: string | null;
  op: OutboxOp;
  channel: string;
  payload: unknown;
  priority: OutboxPriority;
  status: OutboxStatus;
  /** Failed attempts that count towards the dispatcher's maxAttempts (rate limits do not). */
  attempts: number;
  nextAttemptAt: number;
  /** Send the message's fallback text alone: Slack refused its blocks once. */
  plainText: boolean;
  lastError: string | null;
  resultTs: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface AlertMessage {
  messageKey: string;
  fingerprint: string;
  startedAt: number;
  /** As configured. */
  channel: string;
  /** As Slack answered the post (chat.update needs the id); null until posted. */
  channelId: string | null;
  parentTs: string | null;
  createdAt: number;
  updatedAt: number;
}

interface OutboxRow {
  id: number;
  ordering_key: string;
  message_key: string | null;
  op: string;
  channel: string;
  payload: string;
  priority: number;
  status: string;
  attempts: number;
  next_attempt_at: number;
  plain_text: number;
  last_error: string | null;
  result_ts: string | null;
  created_at: number;
  updated_at: number;
}

interface AlertMessageRow {
  message_key: string;
  fingerprint: string;
  started_at: number;
  channel: string;
  channel_id: string | null;
  parent_ts: string | null;
  created_at: number;
  updated_at: number;
}

const OPEN = `status IN ('pending', 'sending')`;

interface Statements {
  insert: BetterSqlite3.Statement;
  supersede: BetterSqlite3.Statement;
  heads: BetterSqlite3.Statement;
  byId: BetterSqlite3.Statement;
  claim: BetterSqlite3.Statement;
  sent: BetterSqlite3.Statement;
  retry: BetterSqlite3.Statement;
  failed: BetterSqlite3.Statement;
  countPending: BetterSqlite3.Statement;
  release: BetterSqlite3.Statement;
  openPostFor: BetterSqlite3.Statement;
  prune: BetterSqlite3.Statement;
  open: BetterSqlite3.Statement;
  all: BetterSqlite3.Statement;
  insertWhole: BetterSqlite3.Statement;
  allMessages: BetterSqlite3.Statement;
  putMessage: BetterSqlite3.Statement;
  getMessage: BetterSqlite3.Statement;
  latestMessage: BetterSqlite3.Statement;
  insertMessage: BetterSqlite3.Statement;
  setMessageTs: BetterSqlite3.Statement;
}

/**
 * Adds an op; returns its id. An `update` supersedes the open updates of the same message that
 * nobody is sending yet: each carries the whole message, so only the newest needs to go out.
 */
export function enqueueOutbox(db: Database, entry: NewOutboxEntry, now: number): number {
  return guard(db, () => {
    const s = statementsFor(db);
    return db.transaction(() => {
      if (entry.op === 'update' && entry.messageKey !== null) s.supersede.run({ message_key: entry.messageKey, now });
      const result = s.insert.run({
        ordering_key: entry.orderingKey,
        message_key: entry.messageKey,
        op: entry.op,
        channel: entry.channel,
        payload: JSON.stringify(entry.payload),
        priority: entry.priority === 'alert' ? 1 : 0,
        now,
      });
      return Number(result.lastInsertRowid);
    }).immediate();
  });
}

export interface ClaimOptions {
  /** Channels that must not be sent to now (per-channel rate limit); their heads wait. */
  skipChannels?: ReadonlySet<string>;
  /** Ordering keys whose heads must wait (their older ops are queued elsewhere). */
  skipKeys?: ReadonlySet<string>;
  /** Only alert ops (priority 'alert'). */
  onlyAlerts?: boolean;
}

/**
 * The first due head of any ordering key (alerts first, then oldest first), marked `sending`;
 * null when none is due. A key whose head is not due (waiting for a retry) or is being sent
 * sends nothing else meanwhile.
 */
export function claimNextDue(db: Database, now: number, options: ClaimOptions = {}): OutboxEntry | null {
  return guard(db, () => {
    const s = statementsFor(db);
    return db.transaction(() => {
      for (const row of s.heads.all() as OutboxRow[]) {
        if (row.status !== 'pending' || row.next_attempt_at > now) continue;
        if (options.skipChannels?.has(row.channel) || options.skipKeys?.has(row.ordering_key)) continue;
        if (options.onlyAlerts && row.priority !== 1) continue;
        s.claim.run({ id: row.id, now });
        return entryFromRow({ ...row, status: 'sending', updated_at: now });
      }
      return null;
    }).immediate();
  });
}

/** Open heads (one per ordering key), alerts first, then oldest first: what the dispatcher may send next. */
export function listOutboxHeads(db: Database): OutboxEntry[] {
  return guard(db, () => (statementsFor(db).heads.all() as OutboxRow[]).map(entryFromRow));
}

export function getOutboxEntry(db: Database, id: number): OutboxEntry | null {
  return guard(db, () => {
    const row = statementsFor(db).byId.get(id) as OutboxRow | undefined;
    return row ? entryFromRow(row) : null;
  });
}

/** Slack accepted the op; `resultTs` is the message's ts. */
export function markOutboxSent(db: Database, id: number, resultTs: string | null, now: number): void {
  guard(db, () => statementsFor(db).sent.run({ id, result_ts: resultTs, now }));
}

export interface FailureUpdate {
  error: string;
  /** When to try again; null: never (a permanent failure). */
  nextAttemptAt: number | null;
  /** Whether this failure counts towards maxAttempts (a rate limit does not). Default true. */
  countAttempt?: boolean;
  /** From now on send the fallback text alone. */
  plainText?: boolean;
}

/** The op failed: back to `pending` until `nextAttemptAt`, or `failed` for good. */
export function markOutboxFailed(db: Database, id: number, failure: FailureUpdate, now: number): void {
  guard(db, () => {
    const s = statementsFor(db);
    if (failure.nextAttemptAt === null) {
      s.failed.run({ id, error: failure.error, now });
      return;
    }
    s.retry.run({
      id,
      error: failure.error,
      next: failure.nextAttemptAt,
      count: failure.countAttempt === false ? 0 : 1,
      plain_text: failure.plainText ? 1 : null,
      now,
    });
  });
}

/** Ops not yet sent or given up on (pending or being sent). */
export function countPendingOutbox(db: Database): number {
  return guard(db, () => (statementsFor(db).countPending.get() as { n: number }).n);
}

/**
 * Puts ops left `sending` by a process that stopped mid-call back to `pending`: whether Slack got
 * them is unknown, and a message twice is better than a lost one. Call once at startup, before
 * any dispatcher runs. Returns how many.
 */
export function releaseClaimedOutbox(db: Database, now: number): number {
  return guard(db, () => statementsFor(db).release.run({ now }).changes);
}

/** Whether the post that creates `messageKey` is still open (pending or being sent). */
export function hasOpenPost(db: Database, messageKey: string): boolean {
  return guard(db, () => statementsFor(db).openPostFor.get(messageKey) !== undefined);
}

/** Every op not yet sent or given up on (pending or being sent): its id and ordering key. */
export function listOpenOutbox(db: Database): { id: number; orderingKey: string }[] {
  return guard(db, () => (statementsFor(db).open.all() as { id: number; ordering_key: string }[]).map((row) => ({ id: row.id, orderingKey: row.ordering_key })));
}

/** Every op, in id order, whatever its status (to move the in-memory outbox into the database). */
export function listOutboxEntries(db: Database): OutboxEntry[] {
  return guard(db, () => (statementsFor(db).all.all() as OutboxRow[]).map(entryFromRow));
}

/** Inserts an op as it is (status, attempts, times, result) under a new id; returns the id. */
export function insertOutboxEntry(db: Database, entry: OutboxEntry): number {
  return guard(db, () =>
    Number(
      statementsFor(db).insertWhole.run({
        ordering_key: entry.orderingKey,
        message_key: entry.messageKey,
        op: entry.op,
        channel: entry.channel,
        payload: JSON.stringify(entry.payload),
        priority: entry.priority === 'alert' ? 1 : 0,
        status: entry.status,
        attempts: entry.attempts,
        next_attempt_at: entry.nextAttemptAt,
        plain_text: entry.plainText ? 1 : 0,
        last_error: entry.lastError,
        result_ts: entry.resultTs,
        created_at: entry.createdAt,
        updated_at: entry.updatedAt,
      }).lastInsertRowid,
    ),
  );
}

/** Deletes sent, failed and superseded ops last touched before `beforeMs`; returns how many. */
export function pruneOutbox(db: Database, beforeMs: number): number {
  return guard(db, () => statementsFor(db).prune.run(beforeMs).changes);
}

// --- alert_messages ---

export function getAlertMessage(db: Database, messageKey: string): AlertMessage | null {
  return guard(db, () => {
    const row = statementsFor(db).getMessage.get(messageKey) as AlertMessageRow | undefined;
    return row ? messageFromRow(row) : null;
  });
}

/** The newest alert message of a fingerprint (its latest episode), or null. */
export function latestAlertMessage(db: Database, fingerprint: string): AlertMessage | null {
  return guard(db, () => {
    const row = statementsFor(db).latestMessage.get(fingerprint) as AlertMessageRow | undefined;
    return row ? messageFromRow(row) : null;
  });
}

export interface NewAlertMessage {
  messageKey: string;
  fingerprint: string;
  startedAt: number;
  channel: string;
}

/** Every alert message (to move the in-memory outbox into the database). */
export function listAlertMessages(db: Database): AlertMessage[] {
  return guard(db, () => (statementsFor(db).allMessages.all() as AlertMessageRow[]).map(messageFromRow));
}

/** Writes an alert message as it is, replacing the row of the same key. */
export function putAlertMessage(db: Database, message: AlertMessage): void {
  guard(db, () =>
    statementsFor(db).putMessage.run({
      message_key: message.messageKey,
      fingerprint: message.fingerprint,
      started_at: message.startedAt,
      channel: message.channel,
      channel_id: message.channelId,
      parent_ts: message.parentTs,
      created_at: message.createdAt,
      updated_at: message.updatedAt,
    }),
  );
}

/** Records that the parent of `messageKey` is on its way to `channel` (ts unknown until posted). */
export function insertAlertMessage(db: Database, message: NewAlertMessage, now: number): void {
  guard(db, () =>
    statementsFor(db).insertMessage.run({
      message_key: message.messageKey,
      fingerprint: message.fingerprint,
      started_at: message.startedAt,
      channel: message.channel,
      now,
    }),
  );
}

/** The parent was posted: where (channel id) and its ts, for chat.update and thread replies. */
export function setAlertMessagePosted(db: Database, messageKey: string, channelId: string, ts: string, now: number): void {
  guard(db, () => statementsFor(db).setMessageTs.run({ message_key: messageKey, channel_id: channelId, ts, now }));
}

/** Runs `fn` in one immediate transaction (several enqueues that belong together). */
export function inOutboxTransaction<T>(db: Database, fn: () => T): T {
  return guard(db, () => db.transaction(fn).immediate());
}

// --- rows ---

function entryFromRow(row: OutboxRow): OutboxEntry {
  return {
    id: row.id,
    orderingKey: row.ordering_key,
    messageKey: row.message_key,
    op: row.op as OutboxOp,
    channel: row.channel,
    payload: parseJsonOr<unknown>(row.payload, null),
    priority: row.priority === 1 ? 'alert' : 'normal',
    status: row.status as OutboxStatus,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    plainText: row.plain_text === 1,
    lastError: row.last_error,
    resultTs: row.result_ts,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function messageFromRow(row: AlertMessageRow): AlertMessage {
  return {
    messageKey: row.message_key,
    fingerprint: row.fingerprint,
    startedAt: row.started_at,
    channel: row.channel,
    channelId: row.channel_id,
    parentTs: row.parent_ts,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

const statementsFor = perDatabase((db): Statements => {
  return {
    insert: db.prepare(`
      INSERT INTO outbox (ordering_key, message_key, op, channel, payload, priority, status, attempts, next_attempt_at, created_at, updated_at)
      VALUES (@ordering_key, @message_key, @op, @channel, @payload, @priority, 'pending', 0, @now, @now, @now)`),
    supersede: db.prepare(`
      UPDATE outbox SET status = 'superseded', updated_at = @now
      WHERE message_key = @message_key AND op = 'update' AND status = 'pending'`),
    // The head of a key: its open op with no older open op of the same key.
    heads: db.prepare(`
      SELECT * FROM outbox o
      WHERE o.${OPEN}
        AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.ordering_key = o.ordering_key AND p.${OPEN} AND p.id < o.id)
      ORDER BY o.priority DESC, o.id`),
    byId: db.prepare('SELECT * FROM outbox WHERE id = ?'),
    claim: db.prepare(`UPDATE outbox SET status = 'sending', updated_at = @now WHERE id = @id AND status = 'pending'`),
    sent: db.prepare(`UPDATE outbox SET status = 'sent', result_ts = @result_ts, last_error = NULL, updated_at = @now WHERE id = @id`),
    retry: db.prepare(`
      UPDATE outbox SET status = 'pending', attempts = attempts + @count, next_attempt_at = @next, last_error = @error,
        plain_text = coalesce(@plain_text, plain_text), updated_at = @now
      WHERE id = @id`),
    failed: db.prepare(`UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = @error, updated_at = @now WHERE id = @id`),
    countPending: db.prepare(`SELECT count(*) AS n FROM outbox WHERE ${OPEN}`),
    release: db.prepare(`UPDATE outbox SET status = 'pending', updated_at = @now WHERE status = 'sending'`),
    openPostFor: db.prepare(`SELECT 1 FROM outbox WHERE message_key = ? AND op = 'post' AND ${OPEN} LIMIT 1`),
    prune: db.prepare(`DELETE FROM outbox WHERE status NOT IN ('pending', 'sending') AND updated_at < ?`),
    open: db.prepare(`SELECT id, ordering_key FROM outbox WHERE ${OPEN} ORDER BY id`),
    all: db.prepare('SELECT * FROM outbox ORDER BY id'),
    insertWhole: db.prepare(`
      INSERT INTO outbox (ordering_key, message_key, op, channel, payload, priority, status, attempts, next_attempt_at, plain_text,
        last_error, result_ts, created_at, updated_at)
      VALUES (@ordering_key, @message_key, @op, @channel, @payload, @priority, @status, @attempts, @next_attempt_at, @plain_text,
        @last_error, @result_ts, @created_at, @updated_at)`),
    allMessages: db.prepare('SELECT * FROM alert_messages ORDER BY created_at, message_key'),
    putMessage: db.prepare(`
      INSERT OR REPLACE INTO alert_messages (message_key, fingerprint, started_at, channel, channel_id, parent_ts, created_at, updated_at)
      VALUES (@message_key, @fingerprint, @started_at, @channel, @channel_id, @parent_ts, @created_at, @updated_at)`),
    getMessage: db.prepare('SELECT * FROM alert_messages WHERE message_key = ?'),
    latestMessage: db.prepare('SELECT * FROM alert_messages WHERE fingerprint = ? ORDER BY started_at DESC LIMIT 1'),
    insertMessage: db.prepare(`
      INSERT INTO alert_messages (message_key, fingerprint, started_at, channel, channel_id, parent_ts, created_at, updated_at)
      VALUES (@message_key, @fingerprint, @started_at, @channel, NULL, NULL, @now, @now)`),
    setMessageTs: db.prepare(`
      UPDATE alert_messages SET channel_id = @channel_id, parent_ts = @ts, updated_at = @now WHERE message_key = @message_key`),
  };
});
