// The pieces remediation notices (remediation-notices.ts) are made of, as spans: people and
// approvers (ids as mentions, anything else as text), notes, before/after figures, refusal reasons
// with memwarden's mention tokens, lists cut to a count, durations. Pure.
import { ELLIPSIS, truncate } from '../format/truncate.js';
import { type Mention, splitMentions } from '../format/mentions.js';
import type { NoticeBlock, NoticeField, Span, Text } from '../model/notice.js';
import type { ApprovalView } from './remediation-views.js';
import type { VerifyMetric } from './runbook-schema.js';
import { formatMetric, type Measurement } from './verification.js';

// Budgets (UTF-16 units, counts) that keep every message far below Slack's limits whatever the input.
const ID_MAX = 40;
const NOTE_MAX = 300;
const MAX_NOTES = 4;
const MAX_PEOPLE = 12;

/** Ids as the platform issues them ([A-Z0-9]); anything else (a stored name, hostile input) is text. */
const PLATFORM_ID = /^[A-Z0-9]{2,30}$/;
const GROUP_ID = /^S[A-Z0-9]{2,30}$/;

/** A user: a mention when it is an id, else the text it is (cut). */
export function person(id: string): Span {
  return PLATFORM_ID.test(id) ? { user: id } : truncate(id, ID_MAX);
}

/** Users in a sentence, "a, b, c"; "nobody" when there are none. */
export function people(users: readonly string[]): Span[] {
  if (users.length === 0) return ['nobody'];
  return joined(fitSpans(users, MAX_PEOPLE, (u) => [person(u)]), ', ');
}

/** Who may approve, and how many approvals are needed (two lines). */
export function describeApprovers(view: Pick<ApprovalView, 'approvers' | 'required' | 'allowSelfApproval' | 'runbook'>): Span[] {
  const who: Span[] = [...view.approvers.users.map(person), ...view.approvers.groups.map((g) => (GROUP_ID.test(g) ? { group: g } : truncate(g, ID_MAX)))];
  const list = who.length === 0 ? ['nobody (the runbook lists no approvers)'] : joined(fitSpans(who, MAX_PEOPLE, (w) => [w]), ', ');
  const self = view.runbook.risk === 'high' || !view.allowSelfApproval ? ', not the requester' : '';
  return [...list, `\n${view.required} approval${view.required === 1 ? '' : 's'} needed${self}`];
}

/** The plan's or the run's notes as small print; nothing when there are none. */
export function notesBlock(notes: readonly string[]): NoticeBlock[] {
  const shown = notes.filter((note) => note.trim() !== '');
  return shown.length === 0 ? [] : [{ type: 'note', lines: fitSpans(shown, MAX_NOTES, (note) => [`ℹ️ ${truncate(note, NOTE_MAX)}`]) }];
}

/** Before → after for each figure either measured; nothing when neither was. */
export function measurementBlock(before: Measurement | null, after: Measurement | null): NoticeBlock[] {
  if (before === null && after === null) return [];
  const rows: [string, VerifyMetric][] = [
    ['Container usage', 'container-usage'],
    ['Group PSS', 'group-pss'],
    ['Pool size', 'pool-size'],
  ];
  const value = (m: Measurement | null, metric: VerifyMetric): number | null => {
    if (m === null) return null;
    return metric === 'container-usage' ? m.containerUsageBytes : metric === 'group-pss' ? m.groupPssBytes : m.poolSize;
  };
  const fields: NoticeField[] = rows
    .filter(([, metric]) => value(before, metric) !== null || value(after, metric) !== null)
    .map(([label, metric]) => ({ label, value: [`${formatMetric(metric, value(before, metric))} → ${formatMetric(metric, value(after, metric))}`] }));
  return fields.length === 0 ? [] : [{ type: 'fields', fields }];
}

/**
 * A refusal reason as spans: memwarden's mention tokens (format/mentions.ts) become mentions, the
 * rest stays outside text; cut to `max`, never inside a mention.
 */
export function reasonSpans(reason: string, max: number): Span[] {
  const spans: Span[] = [];
  let room = max;
  for (const part of splitMentions(reason)) {
    const size = typeof part === 'string' ? part.length : part.id.length + 1;
    if (size > room) {
      spans.push(typeof part === 'string' ? truncate(part, room) : ELLIPSIS);
      break;
    }
    spans.push(typeof part === 'string' ? part : mention(part));
    room -= size;
  }
  return spans;
}

/** A token's mention; a handle in a user token ("@oncall") cannot be a mention and is shown as it is. */
function mention({ kind, id }: Mention): Span {
  if (kind === 'group') return { group: id };
  return id.startsWith('@') ? id : { user: id };
}

/** At most `max` entries: all when they fit, else the first max - 1 and "…and N more". */
export function fitSpans<T>(items: readonly T[], max: number, entry: (item: T) => Text): Text[] {
  if (items.length <= max) return items.map(entry);
  return [...items.slice(0, max - 1).map(entry), [`${ELLIPSIS}and ${items.length - (max - 1)} more`]];
}

export function joined(entries: readonly Text[], separator: string): Span[] {
  return entries.flatMap((entry, index) => (index === 0 ? [...entry] : [separator, ...entry]));
}

/** "850 ms", "30s", "5m", "3h". */
export function describeDelay(ms: number): string {
  if (!Number.isFinite(ms) || ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.round(seconds / 60);
  return minutes < 120 ? `${minutes}m` : `${Math.round(minutes / 60)}h`;
}
