// The notes the channel sees about silences: who silenced what, until when and why (in the
// alert's thread, or in the alert channel for a rule-wide silence), and who ended one early.
// A silenced rule posts nothing more, so these say where the quiet came from.
import type { SlackMessage } from './block-kit-limits.js';
import { context, message, name, section, slackDate, userText } from './command-common.js';
import { author, type SilenceRow } from './command-rows.js';

export interface SilenceNoteView {
  silence: SilenceRow;
  /** As the user chose it, e.g. "4h". */
  duration: string;
}

export function renderSilenceNote(view: SilenceNoteView): SlackMessage {
  const { silence } = view;
  const what = describe(silence);
  return message(`memwarden: ${plainAuthor(silence.createdBy)} silenced ${what.text} for ${view.duration} (silence ${silence.id})`, [
    section(`🔕 ${author(silence.createdBy)} silenced ${what.mrkdwn} until ${slackDate(silence.until)} (${view.duration}).\nReason: ${userText(silence.reason, 500)}`),
    context(`Silence *${silence.id}* · \`/mem unsilence ${silence.id}\` ends it early`),
  ]);
}

/** A silence ended early by `by` (a Slack user id). */
export function renderSilenceEndedNote(silence: SilenceRow, by: string): SlackMessage {
  const what = describe(silence);
  return message(`memwarden: ${plainAuthor(by)} ended silence ${silence.id} early (${what.text})`, [
    section(`🔔 ${author(by)} ended silence *${silence.id}* early (${what.mrkdwn}, set by ${author(silence.createdBy)} until ${slackDate(silence.until)}): its alerts notify again.`),
  ]);
}

function describe(silence: SilenceRow): { mrkdwn: string; text: string } {
  const rule = silence.ruleId ?? 'every rule';
  const target = silence.target ?? 'every target';
  return { mrkdwn: `*${name(rule)}* on *${name(target)}*`, text: `${rule} on ${target}` };
}

/** The fallback names people without a mention: it never notifies anyone. */
function plainAuthor(id: string): string {
  return /^[UW][A-Z0-9]{2,20}$/.test(id) ? `@${id}` : id;
}
