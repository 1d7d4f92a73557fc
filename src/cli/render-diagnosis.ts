// `memwarden diagnose` as text, laid out like the hand-made incident report it automates
// (shared/reference/ram-usage-report.md): system overview, containers, top consumers, the issues
// found, then the recommendations by priority with their measured savings. And the JSON form.
// Pure: findings and a snapshot in, a string out.
import Table from 'cli-table3';
import { createColors } from 'picocolors';
import type { Snapshot } from '../model/snapshot.js';
import { formatDuration } from '../config/units.js';
import { containerLevel, hostLevel, type StatusThresholds } from '../diagnose/levels.js';
import type { Finding, Priority, Recommendation, Severity } from '../model/finding.js';
import { printable } from '../format/text.js';
import { formatBytes, formatPercent, percentOf } from '../format/units.js';
import { renderGroups, systemOverview } from './render-status.js';
import { levelPainter, PLAIN_TABLE } from './text-style.js';

export interface RenderDiagnosisOptions {
  /** The status levels: diagnoseOptions(config).thresholds, computed once by the command. */
  thresholds: StatusThresholds;
  color: boolean;
  /** One line on where the history came from, or why there is none. */
  historyNote: string;
  /** Process groups to list under top consumers. */
  groups?: number;
}

const PRIORITIES: readonly Priority[] = ['urgent', 'high', 'medium'];
const SEVERITY_LABEL: Record<Severity, string> = { critical: 'CRITICAL', warning: 'WARNING', info: 'INFO' };

export function renderDiagnosis(snapshot: Snapshot, findings: readonly Finding[], options: RenderDiagnosisOptions): string {
  const c = createColors(options.color);
  const paint = levelPainter(c);
  const { host } = snapshot;
  const out: string[] = [];

  out.push(c.bold(`memwarden diagnosis — ${printable(snapshot.hostname)} — ${snapshot.takenAt}`));
  out.push(printable(options.historyNote), '');

  out.push(...systemOverview(host, hostLevel(host, options.thresholds), c, 0));
  out.push('');

  out.push(c.bold('Docker containers'));
  if (!snapshot.docker.reachable) {
    out.push(`  docker: unreachable (${printable(snapshot.docker.error ?? 'unknown reason')})`);
  } else if (snapshot.containers.length === 0) {
    out.push('  no running containers');
  } else {
    const table = new Table({ head: ['Container', 'Memory usage', '% of total', 'Limit', 'Status'], ...PLAIN_TABLE });
    let total = 0;
    for (const container of [...snapshot.containers].sort((a, b) => b.memoryUsageBytes - a.memoryUsageBytes)) {
      total += container.memoryUsageBytes;
      const status = containerLevel(container, host.totalBytes, options.thresholds);
      table.push([
        printable(container.name),
        formatBytes(container.memoryUsageBytes),
        formatPercent(percentOf(container.memoryUsageBytes, host.totalBytes)),
        container.memoryLimitBytes === null ? c.yellow('none') : formatBytes(container.memoryLimitBytes),
        paint(status, status),
      ]);
    }
    table.push([c.bold('TOTAL Docker'), c.bold(formatBytes(total)), formatPercent(percentOf(total, host.totalBytes)), '', '']);
    out.push(indent(table.toString()));
  }
  out.push('');

  out.push(renderGroups(snapshot, options.groups ?? 8, 'pss', options.color), '');

  const issues = findings.filter((f) => f.severity !== 'info');
  const notes = findings.filter((f) => f.severity === 'info');
  out.push(c.bold(`Issues found (${issues.length})`));
  if (findings.length === 0) out.push('  None: nothing here needs fixing.');
  issues.forEach((finding, index) => {
    const tag = finding.severity === 'critical' ? c.red(c.bold('CRITICAL')) : c.yellow(SEVERITY_LABEL[finding.severity]);
    out.push(`  ${index + 1}. ${tag} [${finding.code}] ${printable(finding.summary)}`);
    for (const line of wrap(printable(formatEvidence(finding.evidence)), 100)) out.push(c.dim(`     ${line}`));
  });
  if (notes.length > 0) {
    out.push('', c.bold(`Notes (${notes.length})`));
    for (const finding of notes) out.push(`  - [${finding.code}] ${printable(finding.summary)}`);
  }
  out.push('');

  const recommendations = collectRecommendations(findings);
  out.push(c.bold('Recommended solutions'));
  if (recommendations.length === 0) out.push('  None.');
  let number = 0;
  for (const priority of PRIORITIES) {
    const list = recommendations.filter((r) => r.recommendation.priority === priority);
    if (list.length === 0) continue;
    const heading = priority === 'urgent' ? c.red(c.bold('URGENT')) : priority === 'high' ? c.yellow(c.bold('HIGH')) : c.green(c.bold('MEDIUM'));
    out.push('', `  ${heading}`);
    for (const { recommendation: r, finding } of list) {
      number++;
      out.push(`  ${number}. ${c.bold(printable(r.title))}`);
      out.push(`     Saves: ${r.estimatedSavingsBytes === null ? 'unknown' : `~${formatBytes(r.estimatedSavingsBytes)} (measured)`}   For: ${finding.code} (${finding.target.kind} ${printable(finding.target.name)})`);
      if (r.runbook !== null) out.push(`     Runbook: ${printable(r.runbook)}${r.params ? ` ${printable(formatParams(r.params))}` : ''} (approve it in Slack)`);
      // Minor findings (info) keep to their title: their detail and steps are in --json.
      if (finding.severity === 'info') continue;
      out.push(...wrap(printable(r.detail), 96).map((line) => `     ${line}`));
      for (const step of r.steps ?? []) out.push(c.cyan(`       ${printable(step)}`));
    }
  }
  out.push('');

  const measured = recommendations.filter((r) => r.recommendation.estimatedSavingsBytes !== null);
  const unknown = recommendations.length - measured.length;
  out.push(c.bold('Expected improvement'));
  if (measured.length === 0) {
    out.push('  No saving could be measured.');
  } else {
    for (const priority of PRIORITIES) {
      const sum = measured
        .filter((r) => r.recommendation.priority === priority)
        .reduce((total, r) => total + (r.recommendation.estimatedSavingsBytes ?? 0), 0);
      if (sum > 0) out.push(`  ${priority.toUpperCase().padEnd(7)} fixes free up to ${formatBytes(sum)}`);
    }
    out.push('  Savings may overlap (a restart and a smaller pool free some of the same pages): do not add them up blindly.');
  }
  if (recommendations.some((r) => r.finding.severity === 'info')) {
    out.push('  Minor recommendations are listed by title only: `memwarden diagnose --json` has their details and steps.');
  }
  if (unknown > 0) out.push(`  ${unknown} recommendation${unknown === 1 ? '' : 's'} with a saving nothing measured can tell (shown as unknown).`);
  for (const error of snapshot.errors) out.push(c.yellow(`note: ${error.source}: ${printable(error.message)}`));
  return out.join('\n');
}

/**
 * Every recommendation with the finding it came from, without repeats: the same runbook with the
 * same parameters, or the same title, proposed by two findings is listed once (the first, most
 * severe finding keeps it).
 */
export function collectRecommendations(findings: readonly Finding[]): { recommendation: Recommendation; finding: Finding }[] {
  const seen = new Set<string>();
  const result: { recommendation: Recommendation; finding: Finding }[] = [];
  for (const finding of findings) {
    for (const recommendation of finding.recommendations) {
      const keys = [`title:${finding.target.kind}:${finding.target.name}:${recommendation.title}`];
      if (recommendation.runbook !== null) {
        keys.push(`runbook:${finding.target.kind}:${finding.target.name}:${recommendation.runbook}:${JSON.stringify(recommendation.params ?? {})}`);
      }
      if (keys.some((key) => seen.has(key))) continue;
      for (const key of keys) seen.add(key);
      result.push({ recommendation, finding });
    }
  }
  const rank: Record<Priority, number> = { urgent: 0, high: 1, medium: 2 };
  return result.sort(
    (a, b) =>
      rank[a.recommendation.priority] - rank[b.recommendation.priority] ||
      (b.recommendation.estimatedSavingsBytes ?? -1) - (a.recommendation.estimatedSavingsBytes ?? -1),
  );
}

/** The `--json` document: `{ findings: [...] }`, every field of every finding, nothing else. */
export function toDiagnosisJson(findings: readonly Finding[]) {
  return {
    findings: findings.map((f) => ({
      code: f.code,
      severity: f.severity,
      target: { kind: f.target.kind, name: f.target.name },
      summary: f.summary,
      evidence: f.evidence,
      recommendations: f.recommendations.map((r) => ({
        title: r.title,
        priority: r.priority,
        estimatedSavingsBytes: r.estimatedSavingsBytes,
        runbook: r.runbook,
        ...(r.params === undefined ? {} : { params: r.params }),
        ...(r.steps === undefined ? {} : { steps: r.steps }),
        detail: r.detail,
      })),
    })),
  };
}

/** `usageBytes=1.45 GiB, limitBytes=unknown, r2=0.97`: sizes and durations made readable. */
export function formatEvidence(evidence: Finding['evidence']): string {
  return Object.entries(evidence)
    .map(([key, value]) => {
      if (value === null) return `${key}: unknown`;
      if (typeof value === 'number' && key.endsWith('Bytes')) return `${key}: ${formatBytes(value)}`;
      if (typeof value === 'number' && key.endsWith('BytesPerHour')) return `${key}: ${formatBytes(value)}/h`;
      if (typeof value === 'number' && key.endsWith('Ms')) return `${key}: ${value > 0 ? formatDuration(value) : '0'}`;
      if (typeof value === 'number' && key.endsWith('Percent')) return `${key}: ${formatPercent(value)}`;
      return `${key}: ${value}`;
    })
    .join(', ');
}

function formatParams(params: Record<string, number | string>): string {
  return Object.entries(params)
    .map(([key, value]) => `${key}=${value}${typeof value === 'number' && value >= 1024 ** 2 ? ` (${formatBytes(value)})` : ''}`)
    .join(' ');
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}
