// A notice (model/notice.ts) as the terminal shows it in console mode: what memwarden would have
// posted, line by line, with the same words and figures as in Slack. Outside text goes through
// printable() (control and bidi characters made visible); times are UTC; mentions are @id;
// buttons are listed as [Label]. Pure.
import { printable } from '../format/text.js';
import { utcMinute } from '../format/utc-minute.js';
import type { Notice, NoticeBlock, NoticeField, Span, Text } from '../model/notice.js';

/** The notice as text lines (no trailing newline). */
export function renderNoticeText(notice: Notice): string {
  const lines = notice.blocks.flatMap(blockLines);
  return (lines.length > 0 ? lines : [plainText(notice.summary)]).join('\n');
}

/** Spans as terminal text. */
export function plainText(text: Text): string {
  return text.map(spanText).join('');
}

function spanText(span: Span): string {
  if (typeof span === 'string') return clean(span);
  if ('strong' in span) return typeof span.strong === 'string' ? clean(span.strong) : plainText(span.strong);
  if ('em' in span) return typeof span.em === 'string' ? clean(span.em) : plainText(span.em);
  if ('code' in span) return clean(span.code);
  if ('pre' in span) return `\n${clean(span.pre).split('\n').map((line) => `    ${line}`).join('\n')}\n`;
  if ('user' in span) return clean(`@${span.user}`);
  if ('group' in span) return clean(span.group.startsWith('@') ? span.group : `@${span.group}`);
  if ('channel' in span) return clean(span.channel);
  return utcMinute(span.time);
}

function clean(text: string): string {
  return printable(text, { lines: true });
}

function blockLines(block: NoticeBlock): string[] {
  switch (block.type) {
    case 'heading':
      return [clean(block.text)];
    case 'text':
      return [...splitLines(plainText(block.text)), ...(block.fields && block.fields.length > 0 ? [fieldLine(block.fields)] : [])];
    case 'fields':
      return [fieldLine(block.fields)];
    case 'note':
      return block.lines.flatMap((line) => splitLines(plainText(line)));
    case 'buttons':
      return block.buttons.length > 0 ? [block.buttons.map((b) => `[${clean(b.label)}]`).join(' ')] : [];
    case 'divider':
      return ['────────'];
    case 'list':
      return block.blocks.flatMap(blockLines);
  }
}

/** "Value: 88.4% | Threshold: 85.0% (warning)", all fields on one line. */
function fieldLine(fields: readonly NoticeField[]): string {
  return fields.map((field) => `${field.label === '' ? '' : `${clean(field.label)}: `}${plainText(field.value).replace(/\n/g, ' ')}`).join(' | ');
}

function splitLines(text: string): string[] {
  return text.replace(/^\n+|\n+$/g, '').split('\n');
}
