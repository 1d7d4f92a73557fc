// `/mem containers`: every container, largest first, with its limit and status level.
import { formatBytes, formatPercent } from '../../format/units.js';
import { fitList, type SlackMessage } from './block-kit-limits.js';
import { context, header, listSections, message, name, section } from './command-common.js';
import { slackDate } from './render-notice.js';
import { containerLine, type ContainerRow } from './command-rows.js';

export interface ContainersView {
  hostname: string;
  takenAt: number;
  docker: { reachable: boolean; error: string | null };
  /** Largest first. */
  containers: ContainerRow[];
  hostTotalBytes: number;
}

/** Lines listed before "…and N more": what fits a message with room to spare. */
export const CONTAINERS_MAX = 40;

export function renderContainers(view: ContainersView): SlackMessage {
  const title = header(`Containers on ${view.hostname}`);
  if (!view.docker.reachable) {
    const reason = view.docker.error ?? 'unknown reason';
    return message(`memwarden: Docker is unreachable on ${view.hostname} (${reason})`, [
      title,
      section(`Docker is unreachable: ${name(reason, 500)}`),
    ]);
  }
  if (view.containers.length === 0) {
    return message(`memwarden: no containers running on ${view.hostname}`, [title, section('No containers are running.')]);
  }
  const total = view.containers.reduce((sum, row) => sum + row.usageBytes, 0);
  const totalPercent = view.hostTotalBytes > 0 ? (total / view.hostTotalBytes) * 100 : 0;
  const blocks = [
    title,
    ...listSections(`*${view.containers.length} running*, largest first`, view.containers, CONTAINERS_MAX, containerLine),
    section(`*Total*: ${formatBytes(total)} (${formatPercent(totalPercent)} of host RAM)`),
    context(`Measured ${slackDate(view.takenAt)} · usage as docker stats shows it (without inactive file cache)`),
  ];
  return message(`memwarden: ${view.containers.length} containers on ${view.hostname} use ${formatBytes(total)}`, blocks);
}

/** Names listed after "no container named X". */
const KNOWN_SHOWN = 15;

/** A container name that is not running now; `known` are the running ones. */
export function renderUnknownContainer(asked: string, known: readonly string[]): SlackMessage {
  const sorted = [...known].sort((a, b) => a.localeCompare(b));
  const list = sorted.length === 0 ? 'No containers are running.' : `Running: ${fitList(sorted, KNOWN_SHOWN, (n) => name(n)).join(', ')}`;
  return message(`memwarden: no container named ${asked} is running`, [section(`No container named *${name(asked)}* is running.\n${list}`)]);
}
