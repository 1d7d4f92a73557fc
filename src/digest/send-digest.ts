// Sends one digest through the outbox, like every other message (so it survives a restart or a
// Slack outage): the digest's notice as a post, and in the same transaction its chart as a reply
// under it. The dispatcher sends the reply only once the post has its ts (the same ordering key),
// and the sink draws the chart then and puts it into the thread (files.uploadV2 in Slack, a PNG
// file in console mode). A chart that cannot be drawn or uploaded fails alone, logged by the
// dispatcher; the digest has been posted already.
import { type DeliveryLogger, enqueueOp } from '../delivery/outbox-dispatcher.js';
import type { ChartAttachment } from '../model/chart.js';
import type { Database } from '../store/database.js';
import { inOutboxTransaction, insertAlertMessage } from '../store/outbox.js';
import type { Digest } from './digest-data.js';
import { digestNotice } from './digest-notice.js';

export interface SendDigestDeps {
  db: Database;
  /** Epoch milliseconds. */
  clock: () => number;
  logger: DeliveryLogger;
  /** As configured: a channel name or id. */
  channel: string;
  /** The digest as of now (digest/start-digest.ts digestNow). */
  build: () => Digest;
  /** Wakes the outbox dispatcher: something was queued. */
  onEnqueued?: () => void;
}

export interface SentDigest {
  /** The outbox id of the digest's post. */
  outboxId: number;
  messageKey: string;
}

/** Queues the digest of `day` and its chart. Throws only when the digest could not be built or queued. */
export function sendDigest(deps: SendDigestDeps, day: string): SentDigest {
  const { db, clock, logger, channel } = deps;
  const digest = deps.build();
  const now = clock();
  const messageKey = `digest:${day}:${channel}:${now}`;
  const chart = chartAttachment(digest);
  const outboxId = inOutboxTransaction(db, () => {
    insertAlertMessage(db, { messageKey, fingerprint: `digest:${channel}`, startedAt: now, channel }, now);
    const id = enqueueOp(db, { orderingKey: messageKey, messageKey, op: 'post', channel, content: { notice: digestNotice(digest, { chartInThread: true }) } }, now);
    enqueueOp(db, { orderingKey: messageKey, messageKey, op: 'reply', channel, content: { chart } }, now);
    return id;
  });
  deps.onEnqueued?.();
  logger.info({ day, channel, outboxId }, 'Digest queued');
  return { outboxId, messageKey };
}

/** The digest's chart as the outbox carries it to the digest's thread. */
export function chartAttachment(digest: Digest): ChartAttachment {
  return { chart: digest.chart, filename: `memwarden-digest-${digest.day}.png`, title: `Memory, 24 hours to ${digest.day}`, altText: chartAltText(digest) };
}

/** One sentence for screen readers: what the chart shows. */
export function chartAltText(digest: Digest): string {
  const names = digest.chart.containers.map((c) => c.label).join(', ');
  return `Line chart of memory over the 24 hours to ${digest.day} (${digest.tz}): host used memory against its RAM${names ? `, and containers ${names} against their limits` : ''}.`;
}
