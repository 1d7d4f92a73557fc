// `memwarden digest` in the terminal: the same figures as the Slack message, as text. Pure: a
// Digest in, a string out.
import Table from 'cli-table3';
import { createColors } from 'picocolors';
import type { Digest, Figure } from '../digest/digest-data.js';
import { type FigureKind, formatChange, formatClock, formatHoursMinutes, formatSignedBytes, formatValue } from '../digest/format-digest.js';
import { printable } from '../format/text.js';
import { formatBytes } from '../format/units.js';
import { PLAIN_TABLE } from './text-style.js';

export interface RenderDigestOptions {
  color: boolean;
  /** Where the chart was written, when it was. */
  chartPath?: string | null;
}


export function renderDigestText(digest: Digest, options: RenderDigestOptions): string {
  const c = createColors(options.color);
  const change = (figure: Figure, kind: FigureKind) => {
    const text = formatChange(figure, kind);
    return figure.direction === 'up' ? c.yellow(text) : figure.direction === 'down' ? c.green(text) : c.dim(text);
  };
  const out: string[] = [];
  out.push(c.bold(`memwarden daily digest — ${printable(digest.hostname ?? 'host')} — ${digest.day}`));
  out.push(`The 24 hours to ${new Date(digest.to).toISOString()} (${digest.tz}), each figure against the 24 hours before.`);
  if (!digest.recorded.current) {
    out.push('', 'Nothing was recorded in these 24 hours: no figures to show.');
    if (options.chartPath) out.push('', `Chart: ${printable(options.chartPath)}`);
    return out.join('\n');
  }
  if (!digest.recorded.previous) out.push(c.dim('Nothing was recorded the day before: changes are unknown.'));
  out.push('');

  const h = digest.host;
  out.push(c.bold(`Host${h.totalBytes === null ? '' : ` (${formatBytes(h.totalBytes)} RAM)`}`));
  const host = new Table({ head: ['', 'Last 24 h', 'Day before', 'Change'], ...PLAIN_TABLE });
  const row = (label: string, figure: Figure, kind: FigureKind) => host.push([label, formatValue(figure.value, kind), formatValue(figure.previous, kind), change(figure, kind)]);
  row('Peak used', h.peakUsed, 'bytes');
  row('Average used', h.avgUsed, 'bytes');
  row('Lowest available', h.lowestAvailable, 'bytes');
  if (h.swapTotalBytes === 0) host.push(['Peak swap used', 'no swap', '', '']);
  else row('Peak swap used', h.peakSwapUsed, 'bytes');
  row('PSI some avg60, mean', h.avgPressureSome, 'percent');
  row('PSI some avg60, peak', h.peakPressureSome, 'percent');
  row('PSI full avg60, peak', h.peakPressureFull, 'percent');
  row('OOM kills (kernel)', digest.events.oomKills, 'count');
  row('OOM kills (containers)', digest.events.containerOomKills, 'count');
  row('Container restarts', digest.events.restarts, 'count');
  out.push(indent(host.toString()), '');

  if (digest.containers.length > 0) {
    out.push(c.bold('Containers (largest peak first)'));
    const table = new Table({ head: ['Container', 'Peak', 'Change', 'p95', 'Growth', 'Limit', 'OOM', 'Restarts'], ...PLAIN_TABLE });
    for (const ct of digest.containers) {
      table.push([
        printable(ct.name),
        formatValue(ct.peak.value, 'bytes'),
        change(ct.peak, 'bytes'),
        formatValue(ct.p95.value, 'bytes'),
        formatSignedBytes(ct.growth.value),
        ct.limitBytes === null ? c.yellow('none') : formatBytes(ct.limitBytes),
        formatValue(ct.oomKills.value, 'count'),
        formatValue(ct.restarts.value, 'count'),
      ]);
    }
    out.push(indent(table.toString()));
    if (digest.topGrowers.length > 0) out.push(`  Top growers: ${digest.topGrowers.map((g) => `${printable(g.name)} ${formatSignedBytes(g.growth.value)}`).join(', ')}`);
    if (digest.leakSuspects.length > 0) {
      out.push(c.red(`  Leak suspects: ${digest.leakSuspects.map((g) => `${printable(g.name)} +${formatBytes(g.leak?.slopePerHour ?? 0)}/h (R² ${(g.leak?.r2 ?? 0).toFixed(2)})`).join(', ')}`));
    }
    out.push('');
  }

  const a = digest.alerts;
  out.push(c.bold('Alerts'));
  out.push(
    `  ${formatValue(a.fired.value, 'count')} fired (${change(a.fired, 'count')}), ${formatValue(a.resolved.value, 'count')} resolved (${change(a.resolved, 'count')}), ` +
      `${formatValue(a.silenced.value, 'count')} fired silenced (${change(a.silenced, 'count')}), firing ${formatValue(a.firingMs.value, 'duration')} in all (${change(a.firingMs, 'duration')})`,
  );
  for (const alert of a.top) {
    out.push(`  - ${alert.severity.toUpperCase()} ${printable(alert.ruleId)} on ${printable(alert.target)}: firing ${formatHoursMinutes(alert.firingMs)}${alert.fired > 1 ? `, fired ${alert.fired} times` : ''}${alert.firingNow ? ' (still firing)' : ''}`);
  }
  out.push('');

  const r = digest.remediations;
  out.push(c.bold('Remediations'));
  out.push(`  ${formatValue(r.runs.value, 'count')} run (${change(r.runs, 'count')})`);
  for (const run of r.items) {
    const effect = run.beforeBytes !== null && run.afterBytes !== null ? `, ${formatBytes(run.beforeBytes)} → ${formatBytes(run.afterBytes)} (${formatSignedBytes(run.afterBytes - run.beforeBytes)})` : '';
    const approved = run.approvedBy.length > 0 ? `, approved by ${run.approvedBy.map((who) => printable(who)).join(', ')}` : '';
    const paint = run.outcome === 'succeeded' ? c.green : c.red;
    out.push(
      `  - ${formatClock(run.at, digest.tz)} ${printable(run.runbookId ?? 'unknown runbook')} on ${printable(run.target ?? 'unknown target')}${run.dryRun ? ' (dry run)' : ''}` +
        `${run.requestedBy ? `, asked by ${printable(run.requestedBy)}` : ''}${approved}: ${paint(run.outcome)}${effect}`,
    );
  }
  out.push('');

  out.push(c.bold('Open recommendations'));
  const recs = digest.recommendations;
  if (recs === null) out.push('  no diagnosis available');
  else if (recs.items.length === 0) out.push('  none');
  else {
    out.push(`  ${recs.items.length}, would free about ${formatBytes(recs.savingsBytes.value)}${recs.unknownSavings > 0 ? ` (${recs.unknownSavings} without a measured saving)` : ''}`);
    for (const rec of recs.items) {
      out.push(`  - ${printable(rec.title)} on ${printable(rec.target)}: ${rec.estimatedSavingsBytes === null ? 'saving not measured' : `frees ~${formatBytes(rec.estimatedSavingsBytes)}`}${rec.runbook ? ` (runbook ${printable(rec.runbook)})` : ''}`);
    }
  }
  if (options.chartPath) out.push('', `Chart: ${printable(options.chartPath)}`);
  return out.join('\n');
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}
