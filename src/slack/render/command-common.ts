// Small building blocks shared by the /mem renderers. Every piece of text that came from outside
// (container, group and rule names, reasons, user input) goes through `name()` or `userText()`:
// escaped, so "<!channel>" is shown instead of notifying anyone, and cut, so one long name cannot
// push a message over a limit.
import type { Level } from '../../diagnose/levels.js';
import { type Mention, splitMentions } from '../../format/mentions.js';
import { oneLine } from '../../format/one-line.js';
import {
  BLOCK_KIT_LIMITS,
  escapeMrkdwn,
  fitList,
  type KnownBlock,
  plainText,
  type SlackMessage,
  truncateMrkdwn,
} from './block-kit-limits.js';

/** Longest name shown in a list line (escaped form); enough for any real container name. */
export const NAME_MAX = 60;
/** A section's text stays this far below Slack's 3000 so a line added later cannot break it. */
const SECTION_BUDGET = BLOCK_KIT_LIMITS.sectionText - 100;
/** A fallback is one line for a notification, not the whole message. */
const FALLBACK_MAX = 500;

export const LEVEL_MARK: Record<Level, string> = { OK: '🟢', HIGH: '🟠', CRITICAL: '🔴' };

/** An outside name for mrkdwn: escaped, then cut on a character (and entity) boundary. */
export function name(text: string, max = NAME_MAX): string {
  return truncateMrkdwn(escapeMrkdwn(text), max);
}

/** Free text from a user or a finding, for mrkdwn. */
export function userText(text: string, max: number): string {
  return truncateMrkdwn(escapeMrkdwn(text), max);
}

const SLACK_USER_ID = /^[UW][A-Z0-9]{2,20}$/;
const SLACK_GROUP_ID = /^S[A-Z0-9]{2,20}$/;

/**
 * One of memwarden's own sentences that holds outside text and mention tokens
 * (format/mentions.ts), such as a refusal reason: the text escaped like any outside text, a token
 * of a well-formed Slack user or group id a real mention, any other token shown as text.
 */
export function mrkdwnWithMentions(text: string, max: number): string {
  return truncateMrkdwn(splitMentions(text).map((part) => (typeof part === 'string' ? escapeMrkdwn(part) : mentionMarkup(part))).join(''), max);
}

function mentionMarkup(mention: Mention): string {
  if (mention.kind === 'user' && SLACK_USER_ID.test(mention.id)) return `<@${mention.id}>`;
  if (mention.kind === 'group' && SLACK_GROUP_ID.test(mention.id)) return `<!subteam^${mention.id}>`;
  // A handle (@oncall) cannot be mentioned without its group id: shown as text.
  return escapeMrkdwn(mention.id.startsWith('@') ? mention.id : `@${mention.id}`);
}

/** A header; `text` is raw (names in it are escaped like everywhere else). */
export function header(text: string): KnownBlock {
  return { type: 'header', text: { type: 'plain_text', text: plainText(text, BLOCK_KIT_LIMITS.headerText), emoji: true } };
}

export function section(mrkdwn: string): KnownBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: truncateMrkdwn(mrkdwn, BLOCK_KIT_LIMITS.sectionText) } };
}

export function context(...mrkdwn: string[]): KnownBlock {
  const parts = mrkdwn.filter((part) => part.trim() !== '').slice(0, BLOCK_KIT_LIMITS.contextElements);
  return {
    type: 'context',
    elements: (parts.length > 0 ? parts : ['—']).map((text) => ({ type: 'mrkdwn' as const, text: truncateMrkdwn(text, BLOCK_KIT_LIMITS.sectionText) })),
  };
}

export function divider(): KnownBlock {
  return { type: 'divider' };
}

/**
 * A titled list as sections: at most `maxItems` lines (the last one "…and N more" when cut, via
 * fitList), split over as many sections as the 3000-character section limit needs.
 */
export function listSections<T>(title: string, items: readonly T[], maxItems: number, line: (item: T, index: number) => string): KnownBlock[] {
  const lines = fitList(items, maxItems, line);
  const blocks: KnownBlock[] = [];
  let current = title;
  for (const text of lines) {
    const next = current === '' ? text : `${current}\n${text}`;
    if (next.length > SECTION_BUDGET && current !== '') {
      blocks.push(section(current));
      current = text;
    } else {
      current = next;
    }
  }
  if (current !== '') blocks.push(section(current));
  return blocks;
}

/**
 * The plain-text fallback (notifications, and what shows when blocks cannot): one line, never
 * empty, escaped like everything else, since Slack parses it for mentions too. Give it raw text;
 * memwarden's mention tokens become plain "@U0123ABCD", so a fallback never notifies anyone.
 */
export function fallback(text: string): string {
  const clean = oneLine(text);
  return truncateMrkdwn(escapeMrkdwn(clean === '' ? 'memwarden' : clean), FALLBACK_MAX);
}

export function message(text: string, blocks: KnownBlock[]): SlackMessage {
  return { text: fallback(text), blocks };
}
