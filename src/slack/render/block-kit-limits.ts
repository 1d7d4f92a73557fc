// The one Block Kit limit checker every rendered message goes through, and the helpers that keep
// renderers inside those limits. Limits from platform-facts.md ("Block Kit limits"); Slack counts
// characters, we count UTF-16 code units (String#length), which is never fewer, so a text that
// passes here passes there. Bad blocks fail the whole call (`invalid_blocks`), and messages well
// below the per-field limits can still fail with `msg_blocks_too_long`, hence the JSON budget.
import { ELLIPSIS, prefixWithin, truncate } from '../../format/truncate.js';
import type { types } from '@slack/bolt';
import { printable } from '../../format/text.js';

export type KnownBlock = types.KnownBlock;

/** A message as the renderers produce it: `text` is the plain-text fallback (notifications, and
 *  what is sent alone when Slack refuses the blocks), never empty. */
export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

export type Surface = 'message' | 'modal';

export const BLOCK_KIT_LIMITS = {
  messageBlocks: 50,
  /** Modals and App Home. */
  modalBlocks: 100,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  headerText: 150,
  buttonText: 75,
  actionId: 255,
  blockId: 255,
  buttonValue: 2000,
  contextElements: 10,
  actionsElements: 25,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  /** Slack answers msg_blocks_too_long at about 13k characters of blocks JSON; we stay below 12k. */
  messageBlocksJson: 12_000,
  fallbackText: 40_000,
} as const;

/**
 * Every limit of platform-facts.md the message breaks, one line each naming the block
 * ("blocks[3] (section): text has 3012 characters, more than 3000"); empty when it is fine.
 */
export function checkBlockKitLimits(message: SlackMessage, surface: Surface = 'message'): string[] {
  const problems: string[] = [];
  const L = BLOCK_KIT_LIMITS;

  if (typeof message.text !== 'string' || message.text.trim() === '') problems.push('text: the plain-text fallback is empty');
  else if (message.text.length > L.fallbackText) problems.push(`text: ${message.text.length} characters, more than ${L.fallbackText}`);

  const blocks: unknown[] = Array.isArray(message.blocks) ? message.blocks : [];
  if (!Array.isArray(message.blocks)) problems.push('blocks: not an array');
  const maxBlocks = surface === 'message' ? L.messageBlocks : L.modalBlocks;
  if (blocks.length > maxBlocks) problems.push(`blocks: ${blocks.length} blocks, more than ${maxBlocks} in a ${surface}`);
  if (surface === 'message') {
    const json = JSON.stringify(blocks).length;
    if (json > L.messageBlocksJson) problems.push(`blocks: ${json} characters of JSON, more than ${L.messageBlocksJson} (msg_blocks_too_long)`);
  }

  const blockIds = new Map<string, number>();
  blocks.forEach((raw, index) => {
    const block = asRecord(raw);
    const type = typeof block.type === 'string' ? block.type : '?';
    const at = `blocks[${index}] (${type})`;
    const add = (problem: string) => problems.push(`${at}: ${problem}`);

    if (block.block_id !== undefined) {
      if (typeof block.block_id !== 'string' || block.block_id === '') add('block_id is empty');
      else {
        if (block.block_id.length > L.blockId) add(`block_id has ${block.block_id.length} characters, more than ${L.blockId}`);
        const first = blockIds.get(block.block_id);
        if (first !== undefined) add(`block_id "${clip(block.block_id)}" is also used by blocks[${first}]`);
        else blockIds.set(block.block_id, index);
      }
    }

    switch (type) {
      case 'header':
        checkText(block.text, 'text', L.headerText, add, 'plain_text');
        break;
      case 'section': {
        const hasText = block.text !== undefined;
        const fields = Array.isArray(block.fields) ? block.fields : undefined;
        if (!hasText && (fields === undefined || fields.length === 0)) add('needs text or fields');
        if (hasText) checkText(block.text, 'text', L.sectionText, add);
        if (block.fields !== undefined && fields === undefined) add('fields is not an array');
        if (fields) {
          if (fields.length > L.sectionFields) add(`${fields.length} fields, more than ${L.sectionFields}`);
          fields.forEach((field, i) => checkText(field, `fields[${i}]`, L.fieldText, add));
        }
        if (block.accessory !== undefined) checkElements([block.accessory], 'accessory', add);
        break;
      }
      case 'context': {
        const elements = Array.isArray(block.elements) ? block.elements : [];
        if (elements.length === 0) add('has no elements');
        if (elements.length > L.contextElements) add(`${elements.length} elements, more than ${L.contextElements}`);
        elements.forEach((element, i) => {
          const e = asRecord(element);
          if (e.type === 'mrkdwn' || e.type === 'plain_text') checkText(e, `elements[${i}]`, Infinity, add);
        });
        break;
      }
      case 'actions': {
        const elements = Array.isArray(block.elements) ? block.elements : [];
        if (elements.length === 0) add('has no elements');
        if (elements.length > L.actionsElements) add(`${elements.length} elements, more than ${L.actionsElements}`);
        checkElements(elements, 'elements', add);
        break;
      }
      default:
        break;
    }
  });
  return problems;
}

type Add = (problem: string) => void;

/** Interactive elements: action_id (unique within the block), button text, value, confirm. */
function checkElements(elements: readonly unknown[], path: string, add: Add): void {
  const L = BLOCK_KIT_LIMITS;
  const actionIds = new Map<string, number>();
  elements.forEach((element, i) => {
    const e = asRecord(element);
    const at = `${path}[${i}]`;
    if (e.action_id !== undefined) {
      if (typeof e.action_id !== 'string' || e.action_id === '') add(`${at}: action_id is empty`);
      else {
        if (e.action_id.length > L.actionId) add(`${at}: action_id has ${e.action_id.length} characters, more than ${L.actionId}`);
        const first = actionIds.get(e.action_id);
        // Slack wants action_ids unique within their block.
        if (first !== undefined) add(`${at}: action_id "${clip(e.action_id)}" is also used by ${path}[${first}]`);
        else actionIds.set(e.action_id, i);
      }
    }
    if (e.type === 'button') {
      checkText(e.text, `${at}.text`, L.buttonText, add, 'plain_text');
      if (e.value !== undefined) {
        if (typeof e.value !== 'string') add(`${at}: value is not a string`);
        else if (e.value.length > L.buttonValue) add(`${at}: value has ${e.value.length} characters, more than ${L.buttonValue}`);
      }
    }
    if (e.confirm !== undefined) {
      const c = asRecord(e.confirm);
      checkText(c.title, `${at}.confirm.title`, L.confirmTitle, add, 'plain_text');
      checkText(c.text, `${at}.confirm.text`, L.confirmText, add);
      checkText(c.confirm, `${at}.confirm.confirm`, L.confirmButton, add, 'plain_text');
      checkText(c.deny, `${at}.confirm.deny`, L.confirmButton, add, 'plain_text');
    }
  });
}

/** A text object: the right type, non-empty, within `max`. */
function checkText(value: unknown, path: string, max: number, add: Add, only?: 'plain_text'): void {
  const t = asRecord(value);
  if (value === undefined || (t.type !== 'plain_text' && t.type !== 'mrkdwn')) {
    add(`${path} is not a text object`);
    return;
  }
  if (only && t.type !== only) add(`${path} must be ${only}, not ${String(t.type)}`);
  if (typeof t.text !== 'string' || t.text.trim() === '') {
    add(`${path} is empty`);
    return;
  }
  if (t.text.length > max) add(`${path} has ${t.text.length} characters, more than ${max}`);
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

// --- Helpers the renderers use to stay inside the limits ---

/**
 * Like truncate, for mrkdwn that was escaped and may contain our own `<...>` tokens (dates,
 * mentions): the cut never leaves half an entity ("&am") or an unclosed "<!date^…".
 */
export function truncateMrkdwn(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 0) return '';
  let kept = prefixWithin(text, max - ELLIPSIS.length);
  kept = kept.replace(/&[a-z]{0,4}$/i, '');
  const open = kept.lastIndexOf('<');
  if (open > kept.lastIndexOf('>')) kept = kept.slice(0, open);
  return kept + ELLIPSIS;
}

/**
 * Outside text for Slack: control, bidi and zero-width characters made visible (printable, the
 * one escaping memwarden has for them), then the three characters Slack's text parser treats as
 * control characters escaped, so a container named "<!channel>" shows as text instead of
 * notifying the channel. Line breaks stay (command output spans lines). Markup characters (*, _,
 * ~, `) are left alone: they can only change how a name looks, never who is notified or linked.
 */
export function escapeMrkdwn(text: string): string {
  return printable(text, { lines: true }).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Untrusted text for a plain_text object (header, button): cut to `max` and escaped like mrkdwn.
 * Slack's escaping rule covers every text object, and a name shown as "&lt;" is better than a
 * name that pings the channel.
 */
export function plainText(text: string, max: number): string {
  return truncateMrkdwn(escapeMrkdwn(truncate(text, max)), max);
}

/**
 * At most `maxItems` lines: all items when they fit, else the first `maxItems - 1` and a last
 * line "…and N more" (so a list fed to a context block of 10 elements stays at 10).
 */
export function fitList<T>(items: readonly T[], maxItems: number, renderItem: (item: T, index: number) => string): string[] {
  const max = Math.max(1, Math.floor(maxItems));
  if (items.length <= max) return items.map((item, index) => renderItem(item, index));
  const shown = items.slice(0, max - 1).map((item, index) => renderItem(item, index));
  return [...shown, `${ELLIPSIS}and ${items.length - shown.length} more`];
}

export interface BlockBudget {
  maxBlocks: number;
  maxJsonChars: number;
}

export const MESSAGE_BUDGET: BlockBudget = { maxBlocks: BLOCK_KIT_LIMITS.messageBlocks, maxJsonChars: BLOCK_KIT_LIMITS.messageBlocksJson };

/**
 * `head`, then as many of `items` as fit the budget (block count and JSON size), then `tail`;
 * when items are left out, `more(n)` (a small block saying so) goes before the tail. A caller
 * with very many items renders at most maxBlocks of them and passes `totalItems`.
 */
export function fitBlocks(
  head: readonly KnownBlock[],
  items: readonly KnownBlock[],
  tail: readonly KnownBlock[],
  more: (hidden: number) => KnownBlock,
  budget: BlockBudget = MESSAGE_BUDGET,
  /** How many items there are in all, when the caller rendered only the first ones. */
  totalItems: number = items.length,
): KnownBlock[] {
  const size = (block: KnownBlock) => JSON.stringify(block).length + 1; // +1: the comma
  const fixed = [...head, ...tail];
  // Reserve room for the "more" block, measured with the largest count it could show.
  const reserveBlocks = fixed.length + 1;
  const reserveJson = 2 + fixed.reduce((sum, block) => sum + size(block), 0) + size(more(Math.max(totalItems, items.length)));
  const shown: KnownBlock[] = [];
  let json = reserveJson;
  for (const item of items) {
    const next = size(item);
    if (reserveBlocks + shown.length + 1 > budget.maxBlocks || json + next > budget.maxJsonChars) break;
    shown.push(item);
    json += next;
  }
  const hidden = Math.max(totalItems, items.length) - shown.length;
  return [...head, ...shown, ...(hidden > 0 ? [more(hidden)] : []), ...tail];
}
