// `memwarden status` as text, laid out like the hand-made incident report it replaces:
// system overview, containers by memory with a status column, top process groups.
import Table from 'cli-table3';
import { createColors } from 'picocolors';
import type { ProcessGroup, Snapshot } from '../model/snapshot.js';
import { containerLevel, hostLevel, type Level, type StatusThresholds } from '../diagnose/levels.js';
import { printable } from '../format/text.js';
import { formatBytes, formatPercent, percentOf } from '../format/units.js';
import { type Colors, levelPainter, PLAIN_TABLE } from './text-style.js';

export interface RenderOptions {
  /** statusThresholds(config), computed once by the command. */
  thresholds: StatusThresholds;
  color: boolean;
  /** How many process groups to list. */
  groups?: number;
}


/**
 * The report's first block: total, used with its level, free, buffer/cache, available and swap
 * (a missing swap in red: the incident report's first finding). `usedDigits`: decimals of used %.
 */
export function systemOverview(host: Snapshot['host'], level: Level, c: Colors, usedDigits = 1): string[] {
  const paint = levelPainter(c);
  return [
    c.bold('System overview'),
    `  Total RAM:     ${formatBytes(host.totalBytes)}`,
    `  Used:          ${formatBytes(host.usedBytes)} (${formatPercent(percentOf(host.usedBytes, host.totalBytes), usedDigits)})  ${paint(level, level)}`,
    `  Free:          ${formatBytes(host.freeBytes)}`,
    `  Buffer/Cache:  ${formatBytes(host.buffCacheBytes)}`,
    `  Available:     ${formatBytes(host.availableBytes)}`,
    host.swapTotalBytes === 0
      ? `  Swap:          ${c.red(c.bold('0 B (NOT CONFIGURED!)'))}`
      : `  Swap:          ${formatBytes(host.swapUsedBytes)} used of ${formatBytes(host.swapTotalBytes)}`,
  ];
}

export function renderStatus(snapshot: Snapshot, options: RenderOptions): string {
  const c = createColors(options.color);
  const paint = levelPainter(c);
  const { host } = snapshot;
  const out: string[] = [];

  out.push(c.bold(`memwarden status — ${printable(snapshot.hostname)} — ${snapshot.takenAt} (measured in ${Math.round(snapshot.durationMs)} ms)`), '');
  out.push(...systemOverview(host, hostLevel(host, options.thresholds), c));
  out.push(
    `  Pressure:      ${host.pressure ? `some ${formatPercent(host.pressure.some.avg60, 2)}, full ${formatPercent(host.pressure.full.avg60, 2)} of the last 60 s stalled` : 'unknown (no /proc/pressure/memory)'}`,
  );
  out.push(`  OOM kills:     ${host.oomKillCount ?? 'unknown'} since boot`);
  if (host.swapTotalBytes === 0) {
    out.push('', c.red(c.bold('  ⚠ No swap configured: when RAM runs out the kernel OOM killer is the only way out.')));
  }
  out.push('');

  out.push(c.bold(`Docker containers${snapshot.docker.reachable ? ` (${snapshot.containers.length} running)` : ''}`));
  if (!snapshot.docker.reachable) {
    out.push(`  docker: unreachable (${printable(snapshot.docker.error ?? 'unknown reason')})`);
  } else if (snapshot.containers.length === 0) {
    out.push('  no running containers');
  } else {
    const table = new Table({ head: ['Container', 'Mem usage', 'Limit', '% of limit', '% of host', 'Status'], ...PLAIN_TABLE });
    const sorted = [...snapshot.containers].sort((a, b) => b.memoryUsageBytes - a.memoryUsageBytes);
    let total = 0;
    for (const container of sorted) {
      total += container.memoryUsageBytes;
      const containerStatus = containerLevel(container, host.totalBytes, options.thresholds);
      table.push([
        printable(container.name),
        formatBytes(container.memoryUsageBytes),
        container.memoryLimitBytes === null ? 'unlimited' : formatBytes(container.memoryLimitBytes),
        container.memoryLimitBytes === null ? '—' : formatPercent(percentOf(container.memoryUsageBytes, container.memoryLimitBytes)),
        formatPercent(percentOf(container.memoryUsageBytes, host.totalBytes)),
        paint(containerStatus, containerStatus),
      ]);
    }
    table.push([c.bold('TOTAL Docker'), c.bold(formatBytes(total)), '', '', formatPercent(percentOf(total, host.totalBytes)), '']);
    out.push(indent(table.toString()));
  }
  out.push('');

  out.push(renderGroups(snapshot, options.groups ?? 10, 'pss', options.color));
  out.push('', `memwarden itself: RSS ${formatBytes(snapshot.bot.rssBytes)}`);
  for (const error of snapshot.errors) out.push(c.yellow(`note: ${error.source}: ${printable(error.message)}`));
  return out.join('\n');
}

export type SortKey = 'pss' | 'rss' | 'uss';

/** The top process groups with each prefork master's children folded under it. */
export function renderGroups(snapshot: Snapshot, limit: number, by: SortKey, color: boolean): string {
  const c = createColors(color);
  const groups = sortGroups(snapshot.processGroups, by).slice(0, limit);
  const out = [c.bold(`Top process groups (by ${by.toUpperCase()})`)];
  if (groups.length === 0) return [...out, '  no processes measured'].join('\n');
  const byPid = new Map(snapshot.processes.map((p) => [p.pid, p]));
  const table = new Table({ head: ['Group / process', 'Container', 'PSS', 'RSS', 'USS', 'Procs'], ...PLAIN_TABLE });
  let overcount = 0;
  for (const group of groups) {
    const mark = group.exact ? '' : ' *';
    table.push([printable(group.name), group.containerName === null ? 'host' : printable(group.containerName), formatBytes(group.pssBytes) + mark, formatBytes(group.rssBytes), group.exact ? formatBytes(group.ussBytes) : 'unknown', String(group.pids.length)]);
    if (group.pids.length > 1) {
      overcount += group.rssBytes - group.pssBytes;
      group.pids.forEach((pid, index) => {
        const proc = byPid.get(pid);
        if (!proc) return;
        const branch = index === group.pids.length - 1 ? '└' : '├';
        const role = pid === group.masterPid ? 'master' : 'child';
        table.push([`  ${branch} ${role} ${pid} ${printable(proc.comm)}`, '', formatBytes(proc.pssBytes), formatBytes(proc.rssBytes), formatBytes(proc.ussBytes), '']);
      });
    }
  }
  out.push(indent(table.toString()));
  if (overcount > 0) {
    out.push(`  Summing RSS over these prefork groups would over-count shared pages by ${formatBytes(overcount)}; totals above are PSS.`);
  }
  if (groups.some((g) => !g.exact)) out.push('  * includes processes whose smaps could not be read: RSS used for those.');
  return out.join('\n');
}

export function sortGroups(groups: readonly ProcessGroup[], by: SortKey): ProcessGroup[] {
  const key = { pss: 'pssBytes', rss: 'rssBytes', uss: 'ussBytes' } as const;
  return [...groups].sort((a, b) => b[key[by]] - a[key[by]]);
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}
