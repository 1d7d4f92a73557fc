// `/mem status`: host, the containers by usage, the top process groups and the active alerts.
import { formatPercent } from '../../format/units.js';
import type { SlackMessage } from './block-kit-limits.js';
import { context, header, listSections, message, name, section } from './command-common.js';
import { slackDate } from './render-notice.js';
import { alertLine, type AlertRow, containerLine, type ContainerRow, groupLine, type GroupRow, type HostView, hostLines } from './command-rows.js';

export interface StatusView {
  takenAt: number;
  durationMs: number;
  host: HostView;
  docker: { reachable: boolean; error: string | null };
  /** Largest first. */
  containers: ContainerRow[];
  /** Largest first, already cut to what the status shows. */
  groups: GroupRow[];
  alerts: AlertRow[];
  /** Sources that failed this time, as "source: message". */
  errors: string[];
}

export const STATUS_CONTAINERS = 10;
export const STATUS_ALERTS = 10;

export function renderStatus(view: StatusView): SlackMessage {
  const { host } = view;
  const blocks = [header(`Memory on ${host.hostname}`), section(hostLines(host))];

  if (!view.docker.reachable) {
    blocks.push(section(`*Containers*: Docker is unreachable (${name(view.docker.error ?? 'unknown reason', 300)})`));
  } else if (view.containers.length === 0) {
    blocks.push(section('*Containers*: none running'));
  } else {
    blocks.push(...listSections(`*Containers* (${view.containers.length} running, largest first)`, view.containers, STATUS_CONTAINERS, containerLine));
  }

  if (view.groups.length === 0) blocks.push(section('*Top process groups*: none measured'));
  else blocks.push(...listSections('*Top process groups* (by PSS)', view.groups, view.groups.length, groupLine));

  if (view.alerts.length === 0) blocks.push(section('*Active alerts*: none'));
  else blocks.push(...listSections(`*Active alerts* (${view.alerts.length})`, view.alerts, STATUS_ALERTS, alertLine));

  const notes = [`Measured ${slackDate(view.takenAt)} in ${Math.round(view.durationMs)} ms`];
  if (view.groups.some((group) => !group.exact)) notes.push('RSS for some: processes whose smaps could not be read count with their RSS');
  if (view.errors.length > 0) notes.push(`Not measured this time: ${name(view.errors.join('; '), 500)}`);
  blocks.push(context(...notes));

  const alerts = view.alerts.length === 0 ? 'no active alerts' : `${view.alerts.length} active alert${view.alerts.length === 1 ? '' : 's'}`;
  return message(
    `memwarden: ${host.hostname} has ${formatPercent(host.usedPercent)} of RAM used (${host.level}), ${view.containers.length} containers, ${alerts}`,
    blocks,
  );
}
