// Console mode (no Slack token): the outbox delivers to the terminal instead. Each message is
// printed readably (header, sections, fields, context, buttons as text lines; thread replies
// indented) so an operator sees exactly what memwarden would have posted, in the same order.
import type { KnownBlock, SlackMessage } from '../render/block-kit-limits.js';
import type { MessageSink, PostResult } from './message-sink.js';

export function createConsoleSink(out: (text: string) => void): MessageSink {
  let next = 0;
  return {
    post(channel: string, message: SlackMessage, threadTs?: string): Promise<PostResult> {
      next += 1;
      const ts = `console-${next}`;
      const heading = threadTs === undefined ? `── ${channel} (${ts}) ──` : `↳ reply in ${channel}, thread ${threadTs} (${ts})`;
      out(formatMessage(heading, message, threadTs === undefined ? '' : '    '));
      return Promise.resolve({ ts, channel });
    },
    update(channel: string, ts: string, message: SlackMessage): Promise<{ ts: string }> {
      out(formatMessage(`── ${channel} (${ts}, updated) ──`, message, ''));
      return Promise.resolve({ ts });
    },
  };
}

/** The message as text lines under `heading`, each line prefixed with `indent`. */
export function formatMessage(heading: string, message: SlackMessage, indent = ''): string {
  const lines = message.blocks.length > 0 ? message.blocks.flatMap(blockLines) : [mrkdwnToPlain(message.text)];
  return [heading, ...lines.flatMap((line) => line.split('\n'))].map((line) => `${indent}${line}`).join('\n');
}

function blockLines(block: KnownBlock): string[] {
  switch (block.type) {
    case 'header':
      return [mrkdwnToPlain(block.text.text)];
    case 'section': {
      const lines: string[] = [];
      if (block.text) lines.push(mrkdwnToPlain(block.text.text));
      if (block.fields && block.fields.length > 0) {
        // "*Value*\n42" -> "Value: 42", all fields on one line.
        lines.push(block.fields.map((field) => mrkdwnToPlain(field.text).replace(/\n/g, ': ')).join(' | '));
      }
      return lines;
    }
    case 'context':
      return block.elements.map((element) => ('text' in element && typeof element.text === 'string' ? mrkdwnToPlain(element.text) : '')).filter((line) => line !== '');
    case 'actions': {
      const buttons = block.elements.map((element) => (element.type === 'button' ? `[${mrkdwnToPlain(element.text.text)}]` : `[${element.type}]`));
      return buttons.length > 0 ? [buttons.join(' ')] : [];
    }
    case 'divider':
      return ['────────'];
    default:
      return [`(${block.type} block)`];
  }
}

/** Slack's mrkdwn as a terminal shows it: dates as their fallback, mentions by id, entities decoded. */
export function mrkdwnToPlain(text: string): string {
  return text
    .replace(/<!date\^[^|>]*\|([^>]*)>/g, '$1')
    .replace(/<!subteam\^([^|>]+)(?:\|[^>]*)?>/g, '@$1')
    .replace(/<!(here|channel|everyone)>/g, '@$1')
    .replace(/<(https?:[^|>]+)\|([^>]+)>/g, '$2 ($1)')
    .replace(/```/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
