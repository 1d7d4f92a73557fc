// `/mem alerts`: active alerts and the silences in force.
import { renderAlerts } from '../render/command-alerts.js';
import { type CommandContext, type CommandReply, ephemeral } from './command-context.js';
import { alertRows, silenceRow } from './views.js';

export function alertsCommand({ services }: CommandContext): CommandReply {
  return ephemeral(
    renderAlerts({
      alerts: alertRows(services.alerts.activeAlerts()),
      silences: services.alerts.listSilences(services.clock()).map(silenceRow),
    }),
  );
}
