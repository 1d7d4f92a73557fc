// A notice (model/notice.ts) as Slack shows it: Block Kit and a plain-text fallback, within every
// limit of platform-facts.md whatever the notice holds. The only place where memwarden's notices
// meet Slack's markup: outside text is escaped here (escapeMrkdwn), mentions and dates are written
// here, and each block is cut to its limit here. Pure.
import type { ButtonKind, ButtonRow, Notice, NoticeBlock, NoticeButton, NoticeField, Span, Text } from '../../model/notice.js';
import { utcMinute } from '../../format/utc-minute.js';
import { ACTION, BLOCK } from '../ids.js';
import {
  BLOCK_KIT_LIMITS,
  checkBlockKitLimits,
  escapeMrkdwn,
  fitBlocks,
  type KnownBlock,
  MESSAGE_BUDGET,
  plainText,
  type SlackMessage,
  truncateMrkdwn,
} from './block-kit-limits.js';
import { truncate } from '../../format/truncate.js';

const ACTION_OF: Record<ButtonKind, string> = {
  'silence-alert': ACTION.silenceAlert,
  'request-remediation': ACTION.requestRemediation,
  'approve-remediation': ACTION.approveRemediation,
  'reject-remediation': ACTION.rejectRemediation,
};

const BLOCK_OF: Record<ButtonRow, string> = { alert: BLOCK.alertActions, approval: BLOCK.approvalActions };

/** Slack ids as Slack issues them: only these become mentions; anything else is shown as text. */
const USER_ID = /^[UW][A-Z0-9]{2,30}$/;
const GROUP_ID = /^S[A-Z0-9]{2,30}$/;
const CHANNEL_ID = /^[CGD][A-Z0-9]{2,30}$/;
/** The fallback is one line for a notification, not the whole message. */
const FALLBACK_MAX = 3000;

/** The notice as Block Kit. `problems` lists every limit it still breaks (none, for any notice the domain builds). */
export function renderNotice(notice: Notice): SlackMessage & { problems: string[] } {
  const message: SlackMessage = { text: fallbackText(notice.summary), blocks: fitJson(renderBlocks(notice.blocks)) };
  return { ...message, problems: checkBlockKitLimits(message) };
}

/**
 * Texts that escape to much more than they count (a name full of "<" or control characters) can
 * push a message past Slack's JSON budget (msg_blocks_too_long) although every block is within
 * its own limit: then the longest texts are cut, one at a time, until the message fits.
 */
function fitJson(blocks: KnownBlock[]): KnownBlock[] {
  const budget = MESSAGE_BUDGET.maxJsonChars;
  for (let round = 0; round < 200; round++) {
    const size = JSON.stringify(blocks).length;
    if (size <= budget) return blocks;
    const longest = longestText(blocks);
    if (longest === null || longest.text.length <= 40) return blocks;
    longest.set(truncateMrkdwn(longest.text, Math.max(40, longest.text.length - (size - budget) - 16)));
  }
  return blocks;
}

/** The longest mrkdwn text object among the blocks (sections, fields, context), with a setter. */
function longestText(blocks: KnownBlock[]): { text: string; set: (text: string) => void } | null {
  let best: { text: string; set: (text: string) => void } | null = null;
  const consider = (holder: { type: string; text: string }) => {
    if (holder.type === 'mrkdwn' && (best === null || JSON.stringify(holder.text).length > JSON.stringify(best.text).length)) {
      best = { text: holder.text, set: (text) => (holder.text = text) };
    }
  };
  for (const block of blocks) {
    if (block.type === 'section') {
      if (block.text) consider(block.text);
      for (const field of block.fields ?? []) consider(field);
    } else if (block.type === 'context') {
      for (const element of block.elements) if ('text' in element && typeof element.text === 'string') consider(element as { type: string; text: string });
    }
  }
  return best;
}

/** The notice as a message to send: its limit problems dropped (the outbox's sink logs them; an answer is small). */
export function slackMessage(notice: Notice): SlackMessage {
  const { text, blocks } = renderNotice(notice);
  return { text, blocks };
}

/** Spans as mrkdwn. */
export function mrkdwn(text: Text): string {
  return text.map(spanMrkdwn).join('');
}


/** Slack shows the date in each reader's time zone; the fallback (and plain text) is UTC. */
export function slackDate(ms: number): string {
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${utcMinute(ms)}>`;
}


function spanMrkdwn(span: Span): string {
  if (typeof span === 'string') return escapeMrkdwn(span);
  if ('strong' in span) return `*${inner(span.strong)}*`;
  if ('em' in span) return `_${inner(span.em)}_`;
  if ('code' in span) return `\`${escapeMrkdwn(span.code)}\``;
  // Inside a code block nothing is formatted, but Slack still parses <...>, so it is escaped too;
  // a backtick run would end the block early, so it becomes a lookalike.
  if ('pre' in span) return '```' + escapeMrkdwn(span.pre.replace(/`{3,}/g, 'ˋˋˋ')) + '```';
  if ('user' in span) return USER_ID.test(span.user) ? `<@${span.user}>` : escapeMrkdwn(`@${span.user}`);
  if ('group' in span) return GROUP_ID.test(span.group) ? `<!subteam^${span.group}>` : escapeMrkdwn(span.group.startsWith('@') ? span.group : `@${span.group}`);
  if ('channel' in span) return CHANNEL_ID.test(span.channel) ? `<#${span.channel}>` : escapeMrkdwn(span.channel);
  return slackDate(span.time);
}

function inner(text: string | readonly Span[]): string {
  return typeof text === 'string' ? escapeMrkdwn(text) : mrkdwn(text);
}


function fallbackText(summary: Text): string {
  const text = truncateMrkdwn(mrkdwn(summary), FALLBACK_MAX);
  return text.trim() === '' ? 'memwarden' : text;
}

function renderBlocks(blocks: readonly NoticeBlock[]): KnownBlock[] {
  const out: KnownBlock[] = [];
  for (const [index, block] of blocks.entries()) {
    if (block.type !== 'list') {
      out.push(renderBlock(block));
      continue;
    }
    // A list fits what room the rest of the message leaves, and says how much it left out.
    const tail = renderBlocks(blocks.slice(index + 1));
    const items = renderBlocks(block.blocks.slice(0, MESSAGE_BUDGET.maxBlocks));
    const more = (hidden: number): KnownBlock => note([[`…and ${hidden} more ${block.noun}${hidden === 1 ? '' : 's'}`, ...(block.hint.length > 0 ? [': ', ...block.hint] : [])]]);
    return fitBlocks(out, items, tail, more, MESSAGE_BUDGET, block.blocks.length);
  }
  return out;
}

function renderBlock(block: Exclude<NoticeBlock, { type: 'list' }>): KnownBlock {
  switch (block.type) {
    case 'heading':
      return { type: 'header', text: { type: 'plain_text', text: plainText(block.text, BLOCK_KIT_LIMITS.headerText), emoji: true } };
    case 'text':
      return {
        type: 'section',
        text: { type: 'mrkdwn', text: truncateMrkdwn(mrkdwn(block.text), BLOCK_KIT_LIMITS.sectionText) },
        ...(block.fields && block.fields.length > 0 ? { fields: fields(block.fields) } : {}),
      };
    case 'fields':
      return { type: 'section', fields: fields(block.fields) };
    case 'note':
      return note(block.lines);
    case 'buttons':
      return { type: 'actions', ...(block.row ? { block_id: BLOCK_OF[block.row] } : {}), elements: block.buttons.slice(0, BLOCK_KIT_LIMITS.actionsElements).map(button) };
    case 'divider':
      return { type: 'divider' };
  }
}

function fields(list: readonly NoticeField[]): { type: 'mrkdwn'; text: string }[] {
  return list.slice(0, BLOCK_KIT_LIMITS.sectionFields).map((field) => ({
    type: 'mrkdwn' as const,
    text: truncateMrkdwn(field.label === '' ? mrkdwn(field.value) : `*${escapeMrkdwn(field.label)}*\n${mrkdwn(field.value)}`, BLOCK_KIT_LIMITS.fieldText),
  }));
}

function note(lines: readonly Text[]): KnownBlock {
  const shown = lines.slice(0, BLOCK_KIT_LIMITS.contextElements).map(mrkdwn).filter((line) => line.trim() !== '');
  return {
    type: 'context',
    elements: (shown.length > 0 ? shown : ['—']).map((text) => ({ type: 'mrkdwn' as const, text: truncateMrkdwn(text, BLOCK_KIT_LIMITS.sectionText) })),
  };
}

function button(b: NoticeButton) {
  const L = BLOCK_KIT_LIMITS;
  return {
    type: 'button' as const,
    action_id: truncate(b.variant === undefined ? ACTION_OF[b.kind] : `${ACTION_OF[b.kind]}:${b.variant}`, L.actionId),
    text: { type: 'plain_text' as const, text: plainText(b.label, L.buttonText), emoji: true },
    value: truncate(b.value, L.buttonValue),
    ...(b.style ? { style: b.style } : {}),
    ...(b.confirm
      ? {
          confirm: {
            title: { type: 'plain_text' as const, text: plainText(b.confirm.title, L.confirmTitle) },
            text: { type: 'mrkdwn' as const, text: truncateMrkdwn(mrkdwn(b.confirm.text), L.confirmText) },
            confirm: { type: 'plain_text' as const, text: plainText(b.confirm.confirm, L.confirmButton) },
            deny: { type: 'plain_text' as const, text: plainText(b.confirm.deny, L.confirmButton) },
            ...(b.confirm.danger ? { style: 'danger' as const } : {}),
          },
        }
      : {}),
  };
}
