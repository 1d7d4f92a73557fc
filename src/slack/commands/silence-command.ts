// `/mem silence <alert-fingerprint-prefix|rule-id> <duration> [reason]`: a unique prefix of an
// active alert's id silences that alert; else a rule id silences that rule on every target.
import { resolveRules } from '../../config/alerts-schema.js';
import { renderSilenced, renderSilenceRefused } from '../render/command-silence.js';
import { type CommandContext, type CommandReply, ephemeral } from './command-context.js';
import { addSilence, silenceScope } from './add-silence.js';
import type { MemCommand } from './parse-mem-command.js';
import { alertRows, silenceRow } from './views.js';

/** A shorter prefix would match too much by accident. */
export const MIN_PREFIX = 4;

export async function silenceCommand(command: Extract<MemCommand, { kind: 'silence' }>, { services, userId, logger }: CommandContext): Promise<CommandReply> {
  const reason = command.reason ?? 'no reason given';
  const prefix = command.selector.toLowerCase();
  const matches = /^[0-9a-f]+$/.test(prefix) && prefix.length >= MIN_PREFIX ? services.alerts.activeAlerts().filter((alert) => alert.fingerprint.startsWith(prefix)) : [];

  if (matches.length > 1) {
    const ids = matches.map((alert) => alert.fingerprint.slice(0, 8)).join(', ');
    return ephemeral(renderSilenceRefused(`${matches.length} active alerts start with ${prefix} (${ids}): give more of the id.`));
  }
  const alert = matches[0];
  let scope: { ruleId: string; target: string | null };
  if (alert) {
    scope = silenceScope(alert);
  } else {
    const rule = resolveRules(services.config.alerts).find((r) => r.id === command.selector);
    if (!rule) {
      return ephemeral(renderSilenceRefused(`no active alert id starts with ${command.selector}, and there is no enabled rule of that name. /mem alerts lists the active alerts.`));
    }
    scope = { ruleId: rule.id, target: null };
  }

  const outcome = await addSilence(services, { ...scope, durationMs: command.durationMs, duration: command.duration, userId, reason, alert: alert ?? null }, logger);
  if (!outcome.ok) return ephemeral(renderSilenceRefused(outcome.reason));
  const row = alert ? alertRows([alert])[0] : undefined;
  return ephemeral(
    renderSilenced({
      silence: silenceRow(outcome.silence),
      duration: command.duration,
      alert: row ? { fingerprint: row.fingerprint, description: row.description } : null,
    }),
  );
}
