// Sends the outbox to a MessageSink: in order per ordering key (the alert fingerprint), alerts
// ahead of the other ops of a channel, at most about one message per second per channel
// (chat.postMessage's limit), retrying what may succeed later and giving up only on what never
// will. All retry state lives in SQLite, so a restart
// carries on where the last process stopped.
//
// - 429: retry exactly after Retry-After (no jitter: Slack said when), and hold the channel
//   until then; does not count as a failed attempt.
// - 5xx, network errors: exponential backoff with jitter, up to maxAttempts, then failed.
// - invalid_blocks, msg_blocks_too_long: the same op again at once as its fallback text alone,
//   once; if Slack refuses that too, failed.
// - anything else (channel_not_found, not_in_channel, invalid_auth, ...): failed at once, logged
//   once per channel and error, never retried.
// An update or reply needs its parent's ts; the parent is an earlier op of the same key, so it
// was either sent (ts stored in alert_messages) or failed, in which case the op fails too.
// While the database refuses writes, ops are sent from the outbox's in-memory spill and moved
// into the database when it takes writes again (store/outbox-spill.ts), between two deliveries.
import type { Logger } from '../log/logger.js';
import type { Database } from '../store/database.js';
import { enqueueOutbox, type OutboxOp, type OutboxPriority } from '../store/outbox.js';
import { createSpillingOutbox, type HeldOp, type SpillingOutbox } from '../store/outbox-spill.js';
import { contentOf, hasRichForm, type OutboxContent } from './outbox-content.js';
import { isMessageSinkError, type MessageSink, MessageSinkError } from './sink.js';

export type DeliveryLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

/** One thing to deliver: where it goes, what it updates or replies to, and what it carries. */
export interface DeliveryOp {
  orderingKey: string;
  messageKey: string | null;
  op: OutboxOp;
  channel: string;
  content: OutboxContent;
  /** 'alert' goes ahead of the other ops of its channel; default 'normal'. */
  priority?: OutboxPriority;
}

/** Enqueues one op (see store/outbox.ts enqueueOutbox); the content is the stored payload. Returns its id. */
export function enqueueOp(db: Database, op: DeliveryOp, now: number): number {
  return enqueueOutbox(db, { orderingKey: op.orderingKey, messageKey: op.messageKey, op: op.op, channel: op.channel, payload: op.content, priority: op.priority ?? 'normal' }, now);
}

export interface OutboxDispatcherOptions {
  db: Database;
  /** The outbox over `db` with its in-memory spill; the producers must write through the same one. Default: one of its own. */
  outbox?: SpillingOutbox;
  sink: MessageSink;
  /** Epoch milliseconds. */
  clock: () => number;
  logger: DeliveryLogger;
  /** Least time between two sends to one channel (Slack: about 1 message per second per channel). */
  minIntervalPerChannelMs?: number;
  /** Failed attempts (5xx, network) before an op is given up; rate limits do not count. */
  maxAttempts?: number;
  /** Waits inside drain() for a channel's interval; a fake in tests (advance the fake clock). */
  sleep?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1). */
  random?: () => number;
  /** First backoff; doubles per failed attempt up to retryMaxMs. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** start()'s loop looks for new ops at least this often (wake() makes it look at once). */
  pollIntervalMs?: number;
}

export interface DrainResult {
  sent: number;
  /** Given up for good in this drain. */
  failed: number;
  /** Failed this time, to be retried later. */
  retrying: number;
}

export interface OutboxDispatcher {
  /** Sends everything due now, waiting out per-channel spacing; ops waiting for a retry (or a
   *  channel's Retry-After) stay for a later drain. */
  drain(): Promise<DrainResult>;
  /** Runs drain in a loop until stop(). */
  start(): void;
  /** Lets the message in flight finish, then resolves; nothing new is started. */
  stop(): Promise<void>;
  /**
   * Shutdown: stops the loop, then sends what is due until `deadline` (epoch ms, by the clock).
   * What is left, or waits for a retry, stays in the outbox and goes out after the next start.
   */
  flush(deadline: number): Promise<DrainResult>;
  /** Something was enqueued: the loop should look now rather than at its next poll. */
  wake(): void;
}

export const DEFAULT_MIN_INTERVAL_PER_CHANNEL_MS = 1100;
export const DEFAULT_MAX_ATTEMPTS = 30;
export const DEFAULT_RETRY_BASE_MS = 1000;
export const DEFAULT_RETRY_MAX_MS = 5 * 60_000;
export const DEFAULT_POLL_INTERVAL_MS = 1000;

export function createOutboxDispatcher(options: OutboxDispatcherOptions): OutboxDispatcher {
  const { sink, clock, logger } = options;
  const outbox = options.outbox ?? createSpillingOutbox(options.db);
  const minInterval = options.minIntervalPerChannelMs ?? DEFAULT_MIN_INTERVAL_PER_CHANNEL_MS;
  const maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;
  const retryBase = options.retryBaseMs ?? DEFAULT_RETRY_BASE_MS;
  const retryMax = options.retryMaxMs ?? DEFAULT_RETRY_MAX_MS;
  const pollInterval = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;

  /** Per channel: the earliest time the next send may start (the spacing). In memory: after a
   *  restart the first send to a channel may come sooner, and Slack's 429 covers that rare case. */
  const channelFreeAt = new Map<string, number>();
  /** Per channel: held by a 429 until then. drain() does not wait for this; the loop does. */
  const channelHeldUntil = new Map<string, number>();
  const loggedPermanent = new Set<string>();
  let chain: Promise<unknown> = Promise.resolve();
  let loop: Promise<void> | null = null;
  let stopping = false;
  let wakeIdle: (() => void) | null = null;

  // Ops a previous process left mid-send go out again (at least once beats at most once).
  const released = outbox.releaseClaimed(clock());
  if (released > 0) logger.warn({ released }, 'Outbox ops interrupted by a restart will be sent again');

  const spacedUntil = (channel: string) => channelFreeAt.get(channel) ?? 0;
  const heldUntil = (channel: string) => channelHeldUntil.get(channel) ?? 0;
  const freeAt = (channel: string) => Math.max(spacedUntil(channel), heldUntil(channel));

  /** Serialises drains: the loop's and any caller's never interleave. */
  function exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = chain.then(fn, fn);
    chain = run.catch(() => undefined);
    return run;
  }

  async function drainOnce(waitForChannels: boolean, keepGoing: () => boolean): Promise<DrainResult> {
    const result: DrainResult = { sent: 0, failed: 0, retrying: 0 };
    while (keepGoing()) {
      const now = clock();
      // Between two deliveries nothing is being sent: the moment to move a spill back.
      const moved = outbox.moveBack(now);
      if (moved) logger.info({ moved }, 'Outbox ops held in memory are in the database now');
      const channels = new Set([...channelFreeAt.keys(), ...channelHeldUntil.keys()]);
      const busy = new Set([...channels].filter((channel) => freeAt(channel) > now));
      const held = outbox.claimNextDue(now, busy);
      if (held) {
        await deliver(held, result);
        continue;
      }
      if (!waitForChannels) break;
      // Wait out the spacing of a channel with something due; a channel Slack rate limited
      // waits for the loop (or the next drain), as do ops whose retry time has not come.
      const waits = outbox
        .pendingHeads()
        .filter((head) => head.nextAttemptAt <= now && busy.has(head.channel) && heldUntil(head.channel) <= now)
        .map((head) => freeAt(head.channel));
      if (waits.length === 0) break;
      await sleep(Math.max(0, Math.min(...waits) - now));
    }
    return result;
  }

  async function deliver(held: HeldOp, result: DrainResult): Promise<void> {
    const { entry } = held;
    const content = contentOf(entry.payload);
    if (content === null) {
      outbox.markFailed(held, { error: 'bad_payload: no message to send', nextAttemptAt: null }, clock());
      logger.error({ id: entry.id, channel: entry.channel }, 'Outbox op has no valid message; dropped');
      result.failed += 1;
      return;
    }
    const plain = entry.plainText;

    let target: { channel: string; ts: string } | null = null;
    if (entry.op !== 'post') {
      const parent = entry.messageKey === null ? null : outbox.alertMessage(entry.messageKey);
      if (parent?.parentTs) {
        target = { channel: parent.channelId ?? parent.channel, ts: parent.parentTs };
      } else if (entry.messageKey !== null && outbox.hasOpenPost(entry.messageKey)) {
        // Its post is queued under another key (not something the notifier does): wait for it.
        outbox.markFailed(held, { error: 'waiting_for_parent', nextAttemptAt: clock() + retryBase, countAttempt: false }, clock());
        result.retrying += 1;
        return;
      } else {
        // The parent was never posted (it failed for good; that was logged): nothing to update.
        outbox.markFailed(held, { error: 'parent_not_posted: the alert message this op refers to was never posted', nextAttemptAt: null }, clock());
        logger.debug({ id: entry.id, op: entry.op, messageKey: entry.messageKey }, 'Outbox op dropped: its parent message was never posted');
        result.failed += 1;
        return;
      }
    }

    channelFreeAt.set(entry.channel, clock() + minInterval);
    let ts: string;
    let postedChannel: string | null = null;
    try {
      if (entry.op === 'post') {
        const posted = await sink.post(entry.channel, content, { plain });
        ts = posted.ts;
        postedChannel = posted.channel;
      } else if (entry.op === 'reply' && target) {
        ts = (await sink.post(target.channel, content, { threadTs: target.ts, plain })).ts;
      } else if (target) {
        ts = (await sink.update(target.channel, target.ts, content, { plain })).ts;
      } else {
        throw new MessageSinkError('permanent', `unknown op ${String(entry.op)}`);
      }
    } catch (err) {
      const failure = isMessageSinkError(err) ? err : new MessageSinkError('network', err instanceof Error ? err.message : String(err), { cause: err });
      handleFailure(held, content, failure, result);
      return;
    }
    // Slack has it. If the database refuses to record that, the outbox keeps it in memory until
    // it can (the op stays `sending` meanwhile and is never sent twice by this process); any
    // other store error propagates: it must not be mistaken for a failed send.
    outbox.markSent(held, ts, postedChannel, clock());
    result.sent += 1;
    if (entry.plainText) logger.info({ id: entry.id, op: entry.op, channel: entry.channel }, 'Outbox op delivered as plain text');
  }

  function handleFailure(held: HeldOp, content: OutboxContent, err: MessageSinkError, result: DrainResult): void {
    const { entry } = held;
    const now = clock();
    const error = `${err.code}: ${err.slackError ?? err.message}`;
    const meta = { id: entry.id, op: entry.op, channel: entry.channel, orderingKey: entry.orderingKey, code: err.code, slackError: err.slackError };
    switch (err.code) {
      case 'rate_limited': {
        const retryAfterMs = Math.max(0, err.retryAfterMs ?? retryBase);
        const next = now + retryAfterMs;
        channelHeldUntil.set(entry.channel, Math.max(heldUntil(entry.channel), next));
        outbox.markFailed(held, { error, nextAttemptAt: next, countAttempt: false }, now);
        logger.warn({ ...meta, retryAfterMs }, 'Slack rate limited the outbox; retrying after Retry-After');
        result.retrying += 1;
        return;
      }
      case 'invalid_blocks':
        if (!entry.plainText && hasRichForm(content)) {
          outbox.markFailed(held, { error, nextAttemptAt: now, countAttempt: false, plainText: true }, now);
          logger.warn(meta, 'Slack refused the blocks of a message; resending it as plain text');
          result.retrying += 1;
          return;
        }
        giveUp(held, error, meta, result, now);
        return;
      case 'server_error':
      case 'network': {
        const attempts = entry.attempts + 1;
        if (attempts >= maxAttempts) {
          giveUp(held, `${error} (after ${attempts} attempts)`, { ...meta, attempts }, result, now);
          return;
        }
        const delay = backoff(attempts);
        outbox.markFailed(held, { error, nextAttemptAt: now + delay }, now);
        logger.warn({ ...meta, attempts, retryInMs: delay }, 'Slack delivery failed; retrying with backoff');
        result.retrying += 1;
        return;
      }
      case 'permanent':
        giveUp(held, error, meta, result, now);
        return;
    }
  }

  function giveUp(held: HeldOp, error: string, meta: Record<string, unknown>, result: DrainResult, now: number): void {
    const { entry } = held;
    outbox.markFailed(held, { error, nextAttemptAt: null }, now);
    result.failed += 1;
    // Once per channel and error: a wrong channel fails every alert the same way.
    const key = `${entry.channel}\u0000${error}`;
    if (loggedPermanent.has(key)) {
      logger.debug({ ...meta, error }, 'Slack refused an outbox op for good');
      return;
    }
    loggedPermanent.add(key);
    logger.error({ ...meta, error }, 'Slack refused an outbox op for good; it will not be retried');
  }

  /** Equal jitter: half the exponential delay fixed, half random (AWS architecture blog). */
  function backoff(attempts: number): number {
    const exp = Math.min(retryMax, retryBase * 2 ** (attempts - 1));
    return Math.round(exp / 2 + random() * (exp / 2));
  }

  function nextDelay(): number {
    const now = clock();
    const waits = outbox.pendingHeads().map((head) => Math.max(head.nextAttemptAt, freeAt(head.channel)) - now);
    return Math.max(0, Math.min(pollInterval, ...waits));
  }

  function idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wakeIdle = null;
        resolve();
      }
      wakeIdle = done;
    });
  }

  async function stop(): Promise<void> {
    stopping = true;
    wakeIdle?.();
    const running = loop;
    loop = null;
    if (running) await running;
  }

  return {
    drain() {
      return exclusive(() => drainOnce(true, () => true));
    },

    start() {
      if (loop) return;
      stopping = false;
      loop = (async () => {
        while (!stopping) {
          let delay = pollInterval;
          try {
            await exclusive(() => drainOnce(false, () => !stopping));
            if (stopping) break;
            delay = nextDelay();
          } catch (err) {
            logger.error({ err }, 'Outbox dispatch failed; trying again');
          }
          if (!stopping) await idle(delay);
        }
      })();
    },

    stop,

    async flush(deadline) {
      await stop();
      return exclusive(() => drainOnce(true, () => clock() < deadline));
    },

    wake() {
      wakeIdle?.();
    },
  };
}
