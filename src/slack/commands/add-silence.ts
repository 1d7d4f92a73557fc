// Silencing shared by `/mem silence` and the alert message's buttons: what a silence of one alert
// covers, and adding it with the Slack user as its author.
import type { AlertState, Silence } from '../../alerts/types.js';
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
  /** Slack user id of who asked. */
  userId: string;
  reason: string;
}

/** Throws RangeError when the alert engine refuses the silence (its message says why). */
export function addSilence(services: BotServices, request: SilenceRequest): Silence {
  return services.alerts.addSilence({
    ruleId: request.ruleId,
    target: request.target,
    until: services.clock() + request.durationMs,
    createdBy: request.userId,
    reason: request.reason,
  });
}
