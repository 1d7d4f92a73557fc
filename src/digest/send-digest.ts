// Sends one digest: the message through the outbox (so it survives a restart or a Slack outage
// like every other message), then the chart into the digest's thread.
//
// The chart needs the posted digest's channel id and ts (files.uploadV2's channel_id and
// thread_ts), which exist only once the outbox dispatcher has sent the post. The post is queued
// as the parent of a message key (store/outbox.ts alert_messages, as alerts and remediation
// requests do), so the dispatcher records that channel id and ts when Slack accepts it; the
// chart waits for them, then goes up through a ChartSink (Slack files, or a file in console
// mode). The chart is a best effort beside the digest: when it cannot be rendered or uploaded the
// digest still goes out and the failure is logged.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type DeliveryLogger, enqueueSlackOp } from '../slack/delivery/outbox-dispatcher.js';
import { checkBlockKitLimits, type SlackMessage } from '../slack/render/block-kit-limits.js';
import { renderDigestMessage } from '../slack/render/digest-message.js';
import type { Database } from '../store/database.js';
import { getAlertMessage, getOutboxEntry, inOutboxTransaction, insertAlertMessage } from '../store/outbox.js';
import { CHART_HEIGHT, CHART_WIDTH, renderChartPng } from './chart.js';
import type { Digest, DigestChartData } from './digest-data.js';

export interface ChartUpload {
  /** The channel id Slack answered the post with. */
  channelId: string;
  /** The digest's ts: the chart goes into its thread. */
  threadTs: string;
  png: Buffer;
  filename: string;
  title: string;
  /** What the chart shows, for screen readers. */
  altText: string;
}

/** Where a digest's chart goes: Slack (slack/delivery/chart-upload.ts) or a file (console mode). */
export interface ChartSink {
  /** Returns where it went (a Slack file id, a path), for the log. */
  deliver(upload: ChartUpload): Promise<string>;
}

export type ChartOutcome =
  | { status: 'delivered'; where: string }
  | { status: 'failed'; error: string }
  | { status: 'skipped'; reason: string };

export interface SendDigestDeps {
  db: Database;
  /** Epoch milliseconds. */
  clock: () => number;
  logger: DeliveryLogger;
  /** As configured: a channel name or id. */
  channel: string;
  /** The digest as of now (digest/start-digest.ts digestNow). */
  build: () => Digest;
  chartSink: ChartSink;
  /** Wakes the outbox dispatcher: something was queued. */
  onEnqueued?: () => void;
  /** Default renderChartPng; tests pass a failing one. */
  renderChart?: (chart: DigestChartData) => Buffer;
  /** How long the chart waits for the digest to be posted (default 30 minutes). */
  postTimeoutMs?: number;
  /** How often it looks (default 1 s). */
  pollMs?: number;
  /** Waits between looks; a fake in tests. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Aborts the wait (memwarden is stopping): the chart is skipped. */
  signal?: AbortSignal;
}

export interface SentDigest {
  outboxId: number;
  messageKey: string;
  message: SlackMessage;
  /** Settles when the chart was delivered, failed or skipped; never rejects. */
  chart: Promise<ChartOutcome>;
}

export const DEFAULT_POST_TIMEOUT_MS = 30 * 60_000;

/**
 * Queues the digest of `day` and starts its chart; resolves once the digest is queued (the chart
 * follows in `chart`). Throws only when the digest could not be built or queued.
 */
export async function sendDigest(deps: SendDigestDeps, day: string): Promise<SentDigest> {
  const { db, clock, logger, channel } = deps;
  const digest = deps.build();
  let message = renderDigestMessage(digest, { chartInThread: true });
  const problems = checkBlockKitLimits(message);
  if (problems.length > 0) {
    logger.error({ day, problems }, 'Digest message breaks Block Kit limits: sending its text only');
    message = { text: message.text, blocks: [] };
  }
  const now = clock();
  const messageKey = `digest:${day}:${channel}:${now}`;
  const outboxId = inOutboxTransaction(db, () => {
    insertAlertMessage(db, { messageKey, fingerprint: `digest:${channel}`, startedAt: now, channel }, now);
    return enqueueSlackOp(db, { orderingKey: messageKey, messageKey, op: 'post', channel, message }, now);
  });
  deps.onEnqueued?.();
  logger.info({ day, channel, outboxId }, 'Digest queued');
  return { outboxId, messageKey, message, chart: Promise.resolve().then(() => deliverChart(deps, digest, day, outboxId, messageKey)) };
}

async function deliverChart(deps: SendDigestDeps, digest: Digest, day: string, outboxId: number, messageKey: string): Promise<ChartOutcome> {
  const { logger } = deps;
  let png: Buffer;
  try {
    png = (deps.renderChart ?? renderChartPng)(digest.chart);
  } catch (err) {
    logger.error({ err, day }, 'Digest chart could not be rendered; the digest goes without it');
    return { status: 'failed', error: errorText(err) };
  }
  const parent = await waitForPost(deps, outboxId, messageKey);
  if ('skipped' in parent) {
    logger.warn({ day, outboxId, reason: parent.skipped }, 'Digest chart not uploaded');
    return { status: 'skipped', reason: parent.skipped };
  }
  try {
    const where = await deps.chartSink.deliver({
      channelId: parent.channelId,
      threadTs: parent.ts,
      png,
      filename: `memwarden-digest-${day}.png`,
      title: `Memory, 24 hours to ${day}`,
      altText: chartAltText(digest),
    });
    logger.info({ day, where }, 'Digest chart delivered');
    return { status: 'delivered', where };
  } catch (err) {
    logger.error({ err, day }, 'Digest chart upload failed; the digest was posted without it');
    return { status: 'failed', error: errorText(err) };
  }
}

/** The posted digest's channel id and ts, once the dispatcher has sent it. */
async function waitForPost(deps: SendDigestDeps, outboxId: number, messageKey: string): Promise<{ channelId: string; ts: string } | { skipped: string }> {
  const sleep = deps.sleep ?? abortableSleep;
  const deadline = deps.clock() + (deps.postTimeoutMs ?? DEFAULT_POST_TIMEOUT_MS);
  for (;;) {
    if (deps.signal?.aborted) return { skipped: 'memwarden is stopping' };
    const entry = getOutboxEntry(deps.db, outboxId);
    if (entry === null) return { skipped: 'the digest left the outbox unsent' };
    if (entry.status === 'sent') {
      const posted = getAlertMessage(deps.db, messageKey);
      if (posted?.parentTs && posted.channelId) return { channelId: posted.channelId, ts: posted.parentTs };
      return { skipped: 'the digest was sent but its ts was not recorded' };
    }
    if (entry.status === 'failed' || entry.status === 'superseded') return { skipped: `the digest was not posted (${entry.lastError ?? entry.status})` };
    if (deps.clock() >= deadline) return { skipped: 'the digest was not posted in time' };
    await sleep(deps.pollMs ?? 1000, deps.signal);
  }
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolveSleep) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolveSleep();
    }
  });
}

/** One sentence for screen readers: what the chart shows. */
export function chartAltText(digest: Digest): string {
  const names = digest.chart.containers.map((c) => c.label).join(', ');
  return `Line chart of memory over the 24 hours to ${digest.day} (${digest.tz}): host used memory against its RAM${names ? `, and containers ${names} against their limits` : ''}.`;
}

/** Console mode: the chart is written to `dir` (the data directory) and its path printed. */
export function createFileChartSink(dir: string, out: (text: string) => void): ChartSink {
  return {
    deliver(upload) {
      const folder = resolve(dir);
      mkdirSync(folder, { recursive: true });
      const path = join(folder, upload.filename);
      writeFileSync(path, upload.png);
      out(`    ↳ chart of the digest (thread ${upload.threadTs}): ${path} (${CHART_WIDTH}×${CHART_HEIGHT} PNG)`);
      return Promise.resolve(path);
    },
  };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
