// `/mem alerts`: the active alerts (firing first) and the silences in force.
import { escapeMrkdwn, type SlackMessage } from './block-kit-limits.js';
import { context, header, listSections, message, section } from './command-common.js';
import { alertLine, type AlertRow, silenceLine, type SilenceRow } from './command-rows.js';

export interface AlertsView {
  /** Firing before pending, critical before warning. */
  alerts: AlertRow[];
  /** Ending soonest first. */
  silences: SilenceRow[];
}

export const ALERTS_MAX = 20;
export const SILENCES_MAX = 15;

export function renderAlerts(view: AlertsView): SlackMessage {
  const blocks = [header('Alerts')];
  if (view.alerts.length === 0) blocks.push(section('*Active alerts*: none'));
  else blocks.push(...listSections(`*Active alerts* (${view.alerts.length})`, view.alerts, ALERTS_MAX, alertLine));
  if (view.silences.length === 0) blocks.push(section('*Silences*: none'));
  else blocks.push(...listSections(`*Silences* (${view.silences.length})`, view.silences, SILENCES_MAX, silenceLine));
  blocks.push(context(escapeMrkdwn('Silence: `/mem silence <alert id or rule id> 4h [reason]` · end one: `/mem unsilence <silence id>`')));
  const firing = view.alerts.filter((alert) => alert.status === 'firing').length;
  return message(
    `memwarden: ${view.alerts.length} active alert${view.alerts.length === 1 ? '' : 's'} (${firing} firing), ${view.silences.length} silence${view.silences.length === 1 ? '' : 's'}`,
    blocks,
  );
}
