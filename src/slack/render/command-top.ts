// `/mem top [n]`: the largest process groups by PSS (shared pages counted once).
import type { SlackMessage } from './block-kit-limits.js';
import { context, header, listSections, message, section } from './command-common.js';
import { slackDate } from './render-notice.js';
import { groupLine, type GroupRow } from './command-rows.js';

export interface TopView {
  hostname: string;
  takenAt: number;
  /** How many were asked for. */
  limit: number;
  /** Largest first, at most `limit`. */
  groups: GroupRow[];
  /** Groups measured in all. */
  totalGroups: number;
}

export function renderTop(view: TopView): SlackMessage {
  const title = header(`Top process groups on ${view.hostname}`);
  if (view.groups.length === 0) {
    return message(`memwarden: no process groups measured on ${view.hostname}`, [title, section('No process groups were measured (is process collection turned off?).')]);
  }
  const notes = [`${view.groups.length} of ${view.totalGroups} groups by PSS · measured ${slackDate(view.takenAt)}`];
  if (view.groups.some((group) => !group.exact)) notes.push('RSS for some: processes whose smaps could not be read count with their RSS');
  const blocks = [title, ...listSections('', view.groups, view.limit, groupLine), context(...notes)];
  const first = view.groups[0];
  return message(`memwarden: top ${view.groups.length} process groups on ${view.hostname}${first ? `, largest ${first.name}` : ''}`, blocks);
}
