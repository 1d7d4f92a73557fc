// The notes about silences as Slack messages: their notices (alerts/silence-notices.ts) rendered
// to Block Kit.
import { type NotedSilence, silenceEndedNotice, type SilenceNoteView, silenceNotice } from '../../alerts/silence-notices.js';
import type { SlackMessage } from './block-kit-limits.js';
import { renderNotice } from './render-notice.js';

const slack = (notice: Parameters<typeof renderNotice>[0]): SlackMessage => {
  const { text, blocks } = renderNotice(notice);
  return { text, blocks };
};

export function renderSilenceNote(view: SilenceNoteView): SlackMessage {
  return slack(silenceNotice(view));
}

/** A silence ended early by `by` (a Slack user id). */
export function renderSilenceEndedNote(silence: NotedSilence, by: string): SlackMessage {
  return slack(silenceEndedNotice(silence, by));
}
