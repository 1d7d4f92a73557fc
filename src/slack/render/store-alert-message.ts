// memwarden's own critical alert: it cannot write its database (a full disk, a read-only file).
// One parent message per episode, updated when the database takes writes again, with one reply
// in its thread saying so. The fallback text starts with the sentence people search logs for.
import { formatDuration } from '../../config/units.js';
import { BLOCK_KIT_LIMITS, escapeMrkdwn, type KnownBlock, plainText, type SlackMessage, truncateMrkdwn } from './block-kit-limits.js';
import { truncate } from '../../format/truncate.js';

export interface StoreAlertView {
  /** SQLite's words, e.g. "SQLITE_FULL: database or disk is full". */
  reason: string;
  /** Epoch ms of the first refused write. */
  since: number;
  /** Epoch ms of the poll whose writes all went through again; null while it lasts. */
  resolvedAt: number | null;
  /** The data directory's database file, to say where space is needed. */
  file: string;
  /** Slack user group mentioned while it lasts (slack.criticalMention), or null. */
  mention: string | null;
}

const REASON_MAX = 300;

export function storeAlertSentence(reason: string): string {
  return `memwarden cannot write its database (${truncate(reason, REASON_MAX)})`;
}

export function renderStoreAlertParent(view: StoreAlertView): SlackMessage {
  const sentence = storeAlertSentence(view.reason);
  const resolved = view.resolvedAt !== null;
  const mention = !resolved && view.mention !== null ? `<!subteam^${view.mention}> ` : '';
  const body = resolved
    ? `It could write again ${slackDate(view.resolvedAt ?? view.since)}, after ${formatDuration(Math.max(1000, (view.resolvedAt ?? view.since) - view.since))}. What it held in memory meanwhile is in the database now.`
    : 'Alerts are still evaluated and sent. What memwarden could not store (history, alert state, queued Slack messages) is held in memory and written once the database takes writes again; if memwarden stops before then, queued messages not yet sent are lost. Free space on the disk of its data directory, or make the file writable.';
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: plainText(resolved ? '✅ Resolved: memwarden could not write its database' : '🔴 memwarden cannot write its database', BLOCK_KIT_LIMITS.headerText), emoji: true } },
    { type: 'section', text: { type: 'mrkdwn', text: truncateMrkdwn(`${mention}*${escapeMrkdwn(sentence)}*\n${body}`, BLOCK_KIT_LIMITS.sectionText) } },
    {
      type: 'context',
      elements: [{ type: 'mrkdwn', text: truncateMrkdwn(`Since ${slackDate(view.since)} · \`${escapeMrkdwn(truncate(view.file, 200))}\``, 300) }],
    },
  ];
  return { text: resolved ? `Resolved: ${sentence}` : `${sentence}${mention === '' ? '' : ` ${mention.trim()}`}`, blocks };
}

export function renderStoreAlertResolved(view: StoreAlertView & { resolvedAt: number }): SlackMessage {
  const text = `✅ memwarden can write its database again, after ${formatDuration(Math.max(1000, view.resolvedAt - view.since))}`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: truncateMrkdwn(`${escapeMrkdwn(text)}.`, BLOCK_KIT_LIMITS.sectionText) } }] };
}

/** Slack shows the date in each reader's time zone; the fallback is UTC. */
function slackDate(ms: number): string {
  const iso = `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${iso}>`;
}
