// What one outbox op carries, as it is stored (JSON) and handed to a sink: a notice, or a chart
// for the thread of a message. Rows queued by an older memwarden carry a Slack message instead;
// they are still delivered (legacy), as the fallback text where a sink cannot show more.
import type { ChartAttachment } from '../model/chart.js';
import { utcMinute } from '../format/utc-minute.js';
import type { Notice, Text } from '../model/notice.js';

/** A Slack message (text and Block Kit) as older versions queued it. */
export interface LegacyMessage {
  text: string;
  blocks: unknown[];
}

export type OutboxContent = { notice: Notice } | { chart: ChartAttachment } | { legacy: LegacyMessage };

/** The stored payload as content; null for a row nothing can be made of (then it is dropped, logged). */
export function contentOf(payload: unknown): OutboxContent | null {
  if (typeof payload !== 'object' || payload === null) return null;
  const p = payload as Record<string, unknown>;
  if (isNotice(p.notice)) return { notice: p.notice };
  if (isChart(p.chart)) return { chart: p.chart };
  const message = (p.legacy ?? p.message) as Partial<LegacyMessage> | undefined;
  if (message && typeof message.text === 'string' && message.text !== '' && Array.isArray(message.blocks)) return { legacy: { text: message.text, blocks: message.blocks } };
  return null;
}

/** Whether the content has more than a line of text, so a platform that refused it may get the line alone. */
export function hasRichForm(content: OutboxContent): boolean {
  if ('notice' in content) return content.notice.blocks.length > 0;
  if ('legacy' in content) return content.legacy.blocks.length > 0;
  return false;
}

function isNotice(value: unknown): value is Notice {
  const n = value as Partial<Notice> | null | undefined;
  return typeof n === 'object' && n !== null && Array.isArray(n.summary) && Array.isArray(n.blocks);
}

function isChart(value: unknown): value is ChartAttachment {
  const c = value as Partial<ChartAttachment> | null | undefined;
  return typeof c === 'object' && c !== null && typeof c.filename === 'string' && typeof c.chart === 'object' && c.chart !== null;
}

/** The content in one line of plain words, for a log line. */
export function contentText(content: OutboxContent): string {
  if ('notice' in content) return spansText(content.notice.summary);
  if ('chart' in content) return content.chart.title;
  return content.legacy.text;
}

/** Spans as plain words for a log line: no markup, mentions as @id, times in UTC. */
function spansText(text: Text): string {
  return text
    .map((span) => {
      if (typeof span === 'string') return span;
      if ('strong' in span) return typeof span.strong === 'string' ? span.strong : spansText(span.strong);
      if ('em' in span) return typeof span.em === 'string' ? span.em : spansText(span.em);
      if ('code' in span) return span.code;
      if ('pre' in span) return span.pre;
      if ('user' in span) return `@${span.user}`;
      if ('group' in span) return span.group.startsWith('@') ? span.group : `@${span.group}`;
      if ('channel' in span) return span.channel.startsWith('#') ? span.channel : `#${span.channel}`;
      return utcMinute(span.time);
    })
    .join('');
}
