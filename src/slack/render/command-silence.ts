// The answers to silencing (from `/mem silence` or an alert's button) and `/mem unsilence`.
import type { SlackMessage } from './block-kit-limits.js';
import { context, message, mrkdwnWithMentions, name, section, userText } from './command-common.js';
import { slackDate } from './render-notice.js';
import type { SilenceRow } from './command-rows.js';

export interface SilencedView {
  silence: SilenceRow;
  /** As the user chose it, e.g. "4h". */
  duration: string;
  /** The alert silenced, when one was named (else a whole rule was). */
  alert: { fingerprint: string; description: string } | null;
}

export function renderSilenced(view: SilencedView): SlackMessage {
  const { silence } = view;
  const what = describeSilence(silence);
  const lines = [`🔕 Silenced ${what.mrkdwn} for ${view.duration}, until ${slackDate(silence.until)}.`];
  if (view.alert) lines.push(`Alert \`${view.alert.fingerprint.slice(0, 8)}\`: ${userText(view.alert.description, 300)}`);
  lines.push(`Reason: ${userText(silence.reason, 300)}`);
  return message(`memwarden: silenced ${what.text} for ${view.duration} (silence ${silence.id})`, [
    section(lines.join('\n')),
    context(`Silence *${silence.id}* · \`/mem unsilence ${silence.id}\` ends it early`),
  ]);
}

/** Why nothing was silenced (an unknown or ambiguous id, a forged button, the silence policy); raw text with memwarden's mention tokens. */
export function renderSilenceRefused(reason: string): SlackMessage {
  return message(`memwarden: nothing was silenced. ${reason}`, [section(`⚠️ Nothing was silenced: ${mrkdwnWithMentions(reason, 1500)}`)]);
}

/** Why silence `id` was not ended (the silence policy); raw text with memwarden's mention tokens. */
export function renderUnsilenceRefused(id: number, reason: string): SlackMessage {
  return message(`memwarden: silence ${id} stays: ${reason}`, [section(`⚠️ Silence *${id}* stays: ${mrkdwnWithMentions(reason, 1500)}`)]);
}

export function renderUnsilenced(id: number, silence: SilenceRow | null): SlackMessage {
  if (silence === null) {
    return message(`memwarden: there is no silence ${id}`, [
      section(`There is no silence *${id}* in force (it may have ended already). \`/mem alerts\` lists the silences.`),
    ]);
  }
  const what = describeSilence(silence);
  return message(`memwarden: silence ${id} ended (${what.text})`, [section(`🔔 Silence *${id}* ended: alerts for ${what.mrkdwn} notify again.`)]);
}

function describeSilence(silence: SilenceRow): { mrkdwn: string; text: string } {
  const rule = silence.ruleId ?? 'every rule';
  const target = silence.target ?? 'every target';
  return {
    mrkdwn: `*${name(rule)}* on *${name(target)}*`,
    text: `${rule} on ${target}`,
  };
}
