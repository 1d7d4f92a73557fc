// Silencing shared by `/mem silence` and the alert message's buttons, and ending a silence early
// (`/mem unsilence`): the silence policy first (slack.silence, slack.admins; alerts/silence-
// policy.ts), then the change with the Slack user as its author, then a note where the channel
// sees it (silence-notes.ts). A refusal changes nothing and says why.
import { canEndSilence, canSilence, needsGroups, type SilencePolicy, silencePolicyOf } from '../../alerts/silence-policy.js';
import type { AlertState, Silence } from '../../model/alert.js';
import type { Logger } from '../../log/logger.js';
import type { BotServices } from '../bot-services.js';

/**
 * One alert's rule on its target. Silences match targets by name (a glob), so a container alert
 * is silenced by the container's name and a group alert by the group's; the host has one target
 * per host rule, so none is named (a recreated memwarden container changes the hostname).
 */
export function silenceScope(alert: Pick<AlertState, 'ruleId' | 'target'>): { ruleId: string; target: string | null } {
  return { ruleId: alert.ruleId, target: alert.target.kind === 'host' ? null : alert.target.name };
}

export interface SilenceRequest {
  ruleId: string;
  target: string | null;
  durationMs: number;
  /** As the user chose it, e.g. "4h" (for the note). */
  duration: string;
  /** Slack user id of who asked. */
  userId: string;
  reason: string;
  /** The alert it was asked for (its thread gets the note); null for a rule-wide silence. */
  alert: AlertState | null;
}

export type SilenceOutcome = { ok: true; silence: Silence } | { ok: false; reason: string };

export const GROUPS_UNAVAILABLE = 'Could not check your Slack user groups just now: try again in a minute.';

/** Adds the silence if the policy allows it, and posts the note. */
export async function addSilence(services: BotServices, request: SilenceRequest, log: Logger): Promise<SilenceOutcome> {
  const policy = silencePolicyOf(services.config);
  const groups = await groupsFor(services, policy, request.userId, undefined, log);
  if (groups === null) return { ok: false, reason: GROUPS_UNAVAILABLE };
  const verdict = canSilence(policy, request.userId, groups, request.durationMs);
  if (!verdict.ok) {
    log.info({ code: verdict.code, rule: request.ruleId, target: request.target, durationMs: request.durationMs }, 'Silence refused');
    return { ok: false, reason: verdict.reason };
  }
  let silence: Silence;
  try {
    silence = services.alerts.addSilence({
      ruleId: request.ruleId,
      target: request.target,
      until: services.clock() + request.durationMs,
      createdBy: request.userId,
      reason: request.reason,
    });
  } catch (err) {
    // The engine's own checks (an end in the past, an empty reason): its message says why.
    if (!(err instanceof RangeError)) throw err;
    return { ok: false, reason: `${err.message}.` };
  }
  log.info({ silenceId: silence.id, rule: silence.ruleId, target: silence.target, until: silence.until }, 'Silence added');
  services.silenceNotes.silenced({ silence, duration: request.duration, alert: request.alert });
  return { ok: true, silence };
}

export type EndSilenceOutcome = { ok: true; silence: Silence } | { ok: false; missing: true } | { ok: false; missing: false; silence: Silence; reason: string };

/** Ends silence `id` early if the policy lets `userId`, and posts the note. */
export async function endSilence(services: BotServices, id: number, userId: string, log: Logger): Promise<EndSilenceOutcome> {
  const silence = services.alerts.listSilences(services.clock()).find((s) => s.id === id) ?? null;
  if (silence === null) return { ok: false, missing: true };
  const policy = silencePolicyOf(services.config);
  const groups = await groupsFor(services, policy, userId, silence, log);
  if (groups === null) return { ok: false, missing: false, silence, reason: GROUPS_UNAVAILABLE };
  const verdict = canEndSilence(policy, userId, groups, silence);
  if (!verdict.ok) {
    log.info({ code: verdict.code, silenceId: id, createdBy: silence.createdBy }, 'Unsilence refused');
    return { ok: false, missing: false, silence, reason: verdict.reason };
  }
  if (!services.alerts.removeSilence(id)) return { ok: false, missing: true };
  log.info({ silenceId: silence.id, rule: silence.ruleId, target: silence.target }, 'Silence removed');
  services.silenceNotes.ended({ silence, by: userId });
  return { ok: true, silence };
}

/** The user's groups when the policy's answer depends on them, [] when it does not, null when Slack could not tell. */
async function groupsFor(services: BotServices, policy: SilencePolicy, userId: string, silence: Silence | undefined, log: Logger): Promise<string[] | null> {
  if (!needsGroups(policy, userId, silence)) return [];
  try {
    return await services.groupsOf(userId);
  } catch (err) {
    // The silence policy lists groups: the app needs the usergroups:read scope for them.
    log.warn({ err }, 'Slack user-group lookup failed');
    return null;
  }
}
