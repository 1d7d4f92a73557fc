// The notes the channel sees about silences, as notices (model/notice.ts): who silenced what,
// until when and why (in the alert's thread, or in the alert channel for a rule-wide silence),
// and who ended one early. A silenced rule posts nothing more, so these say where the quiet came
// from. Pure; outside text (rule, target, reason) is cut to budgets here, escaped by renderers.
import { SLACK_USER } from '../config/value-schemas.js';
import { oneLine } from '../format/one-line.js';
import { truncate } from '../format/truncate.js';
import type { Silence } from '../model/alert.js';
import type { Notice, Span, Text } from '../model/notice.js';

/** What a note says of a silence. */
export type NotedSilence = Pick<Silence, 'id' | 'ruleId' | 'target' | 'until' | 'createdBy' | 'reason'>;

export interface SilenceNoteView {
  silence: NotedSilence;
  /** As the user chose it, e.g. "4h". */
  duration: string;
}

const NAME_MAX = 60;
const AUTHOR_MAX = 80;
const REASON_MAX = 500;
const SUMMARY_MAX = 500;

/** A silence was just set. */
export function silenceNotice(view: SilenceNoteView): Notice {
  const { silence } = view;
  return {
    summary: summary(`memwarden: ${plainAuthor(silence.createdBy)} silenced ${describe(silence)} for ${view.duration} (silence ${silence.id})`),
    blocks: [
      {
        type: 'text',
        text: ['🔕 ', author(silence.createdBy), ' silenced ', ...what(silence), ' until ', { time: silence.until }, ` (${view.duration}).\nReason: `, truncate(silence.reason, REASON_MAX)],
      },
      { type: 'note', lines: [['Silence ', { strong: String(silence.id) }, ' · ', { code: `/mem unsilence ${silence.id}` }, ' ends it early']] },
    ],
  };
}

/** A silence ended early by `by` (a Slack user id). */
export function silenceEndedNotice(silence: NotedSilence, by: string): Notice {
  return {
    summary: summary(`memwarden: ${plainAuthor(by)} ended silence ${silence.id} early (${describe(silence)})`),
    blocks: [
      {
        type: 'text',
        text: ['🔔 ', author(by), ' ended silence ', { strong: String(silence.id) }, ' early (', ...what(silence), ', set by ', author(silence.createdBy), ' until ', { time: silence.until }, '): its alerts notify again.'],
      },
    ],
  };
}

function what(silence: NotedSilence): Span[] {
  return [{ strong: truncate(silence.ruleId ?? 'every rule', NAME_MAX) }, ' on ', { strong: truncate(silence.target ?? 'every target', NAME_MAX) }];
}

function describe(silence: NotedSilence): string {
  return `${silence.ruleId ?? 'every rule'} on ${silence.target ?? 'every target'}`;
}

/** Silences are set and ended in Slack: a user id is a mention, anything else a name. */
function author(id: string): Span {
  return SLACK_USER.test(id) ? { user: id } : truncate(id, AUTHOR_MAX);
}

/** The summary names people without a mention: it never notifies anyone. */
function plainAuthor(id: string): string {
  return SLACK_USER.test(id) ? `@${id}` : id;
}

function summary(text: string): Text {
  return [truncate(oneLine(text), SUMMARY_MAX)];
}
