// One line per alert transition for console mode and logs.
import type { AlertTransition } from '../model/alert.js';
import { printable } from '../format/text.js';

const LABEL: Record<AlertTransition['event'], string> = {
  pending: 'PENDING',
  firing: 'FIRING',
  cancelled: 'CANCELLED',
  'severity-changed': 'SEVERITY',
  updated: 'UPDATED',
  resolved: 'RESOLVED',
};

export function renderTransitionLine(transition: AlertTransition): string {
  const time = new Date(transition.at).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  const severity = transition.event === 'severity-changed' ? `${transition.previousSeverity ?? '?'} -> ${transition.severity}` : transition.severity;
  const silenced = transition.silenced ? ' (silenced)' : '';
  const reason = transition.reason ? ` [${transition.reason}]` : '';
  return `${time} ${LABEL[transition.event]} ${severity} ${printable(transition.ruleId)}: ${printable(transition.summary)}${reason}${silenced}`;
}
