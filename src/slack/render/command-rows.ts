// The rows several /mem answers share (host, containers, process groups, alerts, silences): their
// view models and the one mrkdwn line each. Plain data in, a string out.
import type { Level } from '../../diagnose/levels.js';
import { formatBytes, formatPercent } from '../../format/units.js';
import { LEVEL_MARK, name, userText } from './command-common.js';
import { slackDate } from './render-notice.js';

export interface HostView {
  hostname: string;
  totalBytes: number;
  usedBytes: number;
  availableBytes: number;
  usedPercent: number;
  level: Level;
  swapTotalBytes: number;
  swapUsedBytes: number;
  /** PSI some avg60 in percent; null without /proc/pressure/memory. */
  pressureSomeAvg60: number | null;
  oomKillCount: number | null;
}

export interface ContainerRow {
  name: string;
  usageBytes: number;
  limitBytes: number | null;
  /** null without a limit. */
  percentOfLimit: number | null;
  percentOfHost: number;
  level: Level;
}

export interface GroupRow {
  name: string;
  /** null: runs on the host. */
  containerName: string | null;
  pssBytes: number;
  rssBytes: number;
  processes: number;
  /** False when some member's PSS could not be read and its RSS was counted. */
  exact: boolean;
}

export interface AlertRow {
  fingerprint: string;
  ruleId: string;
  severity: 'warning' | 'critical';
  status: 'pending' | 'firing';
  /** What the value says, e.g. "api uses 1.9 GiB of its 2 GiB memory limit" (raw text). */
  description: string;
  since: number;
}

export interface SilenceRow {
  id: number;
  ruleId: string | null;
  target: string | null;
  until: number;
  createdBy: string;
  reason: string;
}

/** How many hex digits of a fingerprint we show; `/mem silence` takes any unique prefix. */
export const SHORT_FINGERPRINT = 8;

export function hostLines(host: HostView): string {
  const swap = host.swapTotalBytes === 0 ? 'none configured ⚠️' : `${formatBytes(host.swapUsedBytes)} of ${formatBytes(host.swapTotalBytes)}`;
  const pressure = host.pressureSomeAvg60 === null ? 'unknown' : `${formatPercent(host.pressureSomeAvg60, 2)} stalled (avg60)`;
  return [
    `${LEVEL_MARK[host.level]} *Host ${name(host.hostname)}*: ${formatBytes(host.usedBytes)} of ${formatBytes(host.totalBytes)} used (${formatPercent(host.usedPercent)}) — ${host.level}`,
    `Available ${formatBytes(host.availableBytes)} · Swap ${swap} · Pressure ${pressure} · OOM kills ${host.oomKillCount ?? 'unknown'}`,
  ].join('\n');
}

export function containerLine(row: ContainerRow): string {
  const limit =
    row.limitBytes === null
      ? `no limit (${formatPercent(row.percentOfHost)} of host RAM)`
      : `of ${formatBytes(row.limitBytes)} (${formatPercent(row.percentOfLimit)})`;
  return `${LEVEL_MARK[row.level]} *${name(row.name)}* ${formatBytes(row.usageBytes)} ${limit}`;
}

export function groupLine(row: GroupRow, index: number): string {
  const where = row.containerName === null ? 'on the host' : `in ${name(row.containerName)}`;
  const processes = `${row.processes} process${row.processes === 1 ? '' : 'es'}`;
  return `${index + 1}. *${name(row.name)}* ${where} — PSS ${formatBytes(row.pssBytes)}${row.exact ? '' : ' (RSS for some)'} · RSS ${formatBytes(row.rssBytes)} · ${processes}`;
}

export function alertLine(row: AlertRow): string {
  const mark = row.severity === 'critical' ? '🔴' : '🟠';
  const status = row.status === 'pending' ? ' (pending)' : '';
  return `${mark} *${row.severity}*${status} ${userText(row.description, 300)} — \`${row.fingerprint.slice(0, SHORT_FINGERPRINT)}\` ${name(row.ruleId)}, since ${slackDate(row.since)}`;
}

export function silenceLine(row: SilenceRow): string {
  const what = `${row.ruleId === null ? 'every rule' : name(row.ruleId)} on ${row.target === null ? 'every target' : name(row.target)}`;
  return `🔕 *${row.id}* ${what} until ${slackDate(row.until)} — by ${author(row.createdBy)}: ${userText(row.reason, 200)}`;
}

/** A Slack user id becomes a mention, shown as their name (only in ephemeral answers); anything else is text. */
export function author(createdBy: string): string {
  return /^[UW][A-Z0-9]{2,20}$/.test(createdBy) ? `<@${createdBy}>` : name(createdBy, 80);
}
