// The silence buttons under an alert (action_id ACTION.silenceAlert or "alert_silence:4h",
// value "<fingerprint>|<duration>"). The value comes back from the client, so it is checked like any
// input: the fingerprint must be an active alert and the duration one of SILENCE_CHOICES; an
// altered or forged value silences nothing and the user is told so. The clicker is the author,
// and the silence policy decides whether they may (add-silence.ts).
import type { AllMiddlewareArgs, BlockAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { addSilence, silenceScope } from '../../commands/add-silence.js';
import { parseSilenceDuration } from '../../commands/parse-mem-command.js';
import { alertRows, silenceRow } from '../../commands/views.js';
import { ACTION } from '../../ids.js';
import { SILENCE_CHOICES } from '../../../model/alert.js';
import type { SlackMessage } from '../../render/block-kit-limits.js';
import { truncate } from '../../../format/truncate.js';
import { renderCommandError } from '../../render/command-help.js';
import { renderSilenced, renderSilenceRefused } from '../../render/command-silence.js';
import type { ListenerDeps } from '../listener-deps.js';
import { sendReply } from '../send-reply.js';

export type SilenceChoice = (typeof SILENCE_CHOICES)[number];

export const SILENCE_BUTTON_REASON = 'silenced from the alert message in Slack';

/** "<16 hex digits>|<one of SILENCE_CHOICES>", or null for anything else. */
export function parseSilenceButtonValue(value: unknown): { fingerprint: string; duration: SilenceChoice } | null {
  if (typeof value !== 'string' || value.length > 64) return null;
  const match = /^([0-9a-f]{16})\|([0-9a-z]{1,8})$/.exec(value);
  if (!match) return null;
  const duration = match[2] as string;
  if (!(SILENCE_CHOICES as readonly string[]).includes(duration)) return null;
  return { fingerprint: match[1] as string, duration: duration as SilenceChoice };
}

export function silenceAlert(deps: ListenerDeps) {
  return async ({ ack, body, action, respond }: AllMiddlewareArgs & SlackActionMiddlewareArgs<BlockAction>): Promise<void> => {
    await ack();
    const userId = body.user.id;
    const log = deps.logger.child({ action: ACTION.silenceAlert, user: userId, channel: body.channel?.id });
    let reply: SlackMessage;
    try {
      reply = await silence(deps, action.type === 'button' ? action.value : undefined, userId, log);
    } catch (err) {
      log.error({ err }, 'Silence button failed');
      reply = renderCommandError();
    }
    await sendReply(respond, reply, { responseType: 'ephemeral', replaceOriginal: false }, log);
  };
}

async function silence(deps: ListenerDeps, value: unknown, userId: string, log: ListenerDeps['logger']): Promise<SlackMessage> {
  const { services } = deps;
  const parsed = parseSilenceButtonValue(value);
  if (parsed === null) {
    log.warn({ value: typeof value === 'string' ? truncate(value, 100) : typeof value }, 'Silence button with a value memwarden did not make');
    return renderSilenceRefused('this button was not made by memwarden (its value was changed).');
  }
  const alert = services.alerts.activeAlerts().find((a) => a.fingerprint === parsed.fingerprint);
  if (!alert) {
    log.info({ fingerprint: parsed.fingerprint }, 'Silence button for an alert that is not active');
    return renderSilenceRefused('that alert is no longer active (it resolved, or the button was changed).');
  }
  const durationMs = parseSilenceDuration(parsed.duration) as number;
  const outcome = await addSilence(services, { ...silenceScope(alert), durationMs, duration: parsed.duration, userId, reason: SILENCE_BUTTON_REASON, alert }, log);
  if (!outcome.ok) return renderSilenceRefused(outcome.reason);
  const row = alertRows([alert])[0];
  return renderSilenced({
    silence: silenceRow(outcome.silence),
    duration: parsed.duration,
    alert: row ? { fingerprint: row.fingerprint, description: row.description } : null,
  });
}
