// The one line a human reads for each transition, e.g.
// "bizcard-celery-worker uses 2.57 GiB, above 2 GiB for 5m". Renderers may add detail; this line
// must stand alone (plain-text fallback, logs, the console mode).
import { formatDuration } from '../config/units.js';
import { formatBytes, formatPercent } from '../format/units.js';
import type { AlertTarget, Evidence, ResolveReason, TransitionEvent } from '../model/alert.js';
import type { RuleKind, RuleSettings, RuleUnit, Severity } from '../model/alert-rule.js';

export interface SummaryInput {
  event: TransitionEvent;
  kind: RuleKind;
  target: AlertTarget;
  value: number;
  threshold: number;
  unit: RuleUnit;
  severity: Severity;
  settings: RuleSettings;
  evidence: Evidence;
  reason: ResolveReason | null;
  ruleId: string;
}

export function formatValue(unit: RuleUnit, value: number): string {
  switch (unit) {
    case 'percent':
      return formatPercent(value);
    case 'bytes':
      return formatBytes(value);
    case 'bytes-per-hour':
      return `${formatBytes(Math.abs(value))}/h`;
    case 'count':
      return String(value);
  }
}

function num(evidence: Evidence, key: string): number | null {
  const value = evidence[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function str(evidence: Evidence, key: string): string | null {
  const value = evidence[key];
  return typeof value === 'string' && value !== '' ? value : null;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 'es'}`;
}

/** "~11h", "~3d": how long until a limit is reached. */
function roughDuration(ms: number): string {
  if (ms < 60_000) return 'under a minute';
  return `~${formatDuration(ms)}`;
}

function targetLabel(target: AlertTarget): string {
  if (target.kind === 'group' && target.containerName !== null) return `${target.name} in ${target.containerName}`;
  return target.name;
}

/** What the value says about the target, without the comparison: "bizcard-celery-worker uses 2.57 GiB". */
export function describeValue(input: Pick<SummaryInput, 'kind' | 'target' | 'value' | 'unit' | 'evidence'>): string {
  const { kind, target, value, unit, evidence } = input;
  const name = targetLabel(target);
  const shown = formatValue(unit, value);
  switch (kind) {
    case 'host-used-percent':
      return `${name}: ${shown} of RAM used`;
    case 'host-available-below':
      return `${name}: ${shown} of RAM available`;
    case 'psi-some-avg60':
      return `${name}: some tasks stalled on memory ${shown} of the last minute (PSI some avg60)`;
    case 'psi-full-avg60':
      return `${name}: all tasks stalled on memory ${shown} of the last minute (PSI full avg60)`;
    case 'container-limit-percent': {
      const limit = num(evidence, 'limitBytes');
      return `${name} uses ${shown} of its ${limit === null ? '' : `${formatBytes(limit)} `}memory limit`;
    }
    case 'container-usage-bytes':
      return `${name} uses ${shown}`;
    case 'container-unlimited-host-percent': {
      const usage = num(evidence, 'usageBytes');
      return `${name} has no memory limit and uses ${shown} of host RAM${usage === null ? '' : ` (${formatBytes(usage)})`}`;
    }
    case 'group-pss-bytes':
      return `${name} uses ${shown} (PSS)`;
    case 'memory-leak': {
      const r2 = num(evidence, 'r2');
      const span = num(evidence, 'spanMs');
      const fit = r2 === null ? '' : ` (R² ${r2.toFixed(2)}${span === null ? '' : ` over ${formatDuration(span)}`})`;
      const verb = value >= 0 ? 'grows' : 'shrinks';
      let text = `${name} ${verb} ${shown} steadily${fit}`;
      const ttl = num(evidence, 'timeToLimitMs');
      const limit = num(evidence, 'limitBytes');
      const room = num(evidence, 'roomBytes');
      if (ttl === null) return text;
      // The ceiling is the container's limit, or else the host's available memory (signals/leak.ts).
      if (limit !== null) {
        text += ttl === 0 ? `; already at the ${formatBytes(limit)} container limit` : `; reaches the ${formatBytes(limit)} container limit in ${roughDuration(ttl)}`;
      } else if (room !== null) {
        text += ttl === 0 ? '; the host has no memory available' : `; uses up the host's available memory (${formatBytes(room)}) in ${roughDuration(ttl)}`;
      }
      return text;
    }
    case 'oom-kill': {
      const workers = str(evidence, 'celeryWorkers');
      if (target.kind === 'host') return `OOM kill on ${name}: ${plural(value, 'process')} killed outside the watched containers`;
      const where = str(evidence, 'attribution') === 'inferred' ? 'most likely in ' : 'in ';
      return `OOM kill ${where}${name}${workers ? ` (Celery worker ${workers})` : ''}: ${plural(value, 'process')} killed`;
    }
  }
}

export function summarize(input: SummaryInput): string {
  const { event, settings, unit, threshold, severity } = input;
  const t = settings.thresholds;
  const described = describeValue(input);
  const past = t.direction === 'above' ? 'above' : 'below';
  const back = t.direction === 'above' ? 'below' : 'above';
  const compare = `${past} ${formatValue(unit, threshold)}`;
  const isEvent = input.kind === 'oom-kill';
  switch (event) {
    case 'pending':
      return `${described}, ${compare} (pending: fires if it lasts ${formatDuration(settings.forMs)})`;
    case 'firing':
      if (isEvent) return described;
      return `${described}, ${compare}${settings.forMs > 0 ? ` for ${formatDuration(settings.forMs)}` : ''}`;
    case 'updated':
      return isEvent ? `${described} (another kill)` : `${described}, ${compare}`;
    case 'severity-changed':
      return `${described}, ${compare}: now ${severity}`;
    case 'cancelled':
      if (input.reason === 'target-gone') return `${targetLabel(input.target)} is gone (pending alert cancelled)`;
      return `${described}, back ${back} ${formatValue(unit, t.clear)} within ${formatDuration(settings.forMs)} (pending alert cancelled)`;
    case 'resolved':
      if (input.reason === 'target-gone') return `${targetLabel(input.target)} is gone (resolved)`;
      if (input.reason === 'rule-removed') return `${targetLabel(input.target)}: rule ${input.ruleId} was removed or disabled (resolved)`;
      if (isEvent) return `no new OOM kill in ${targetLabel(input.target)} for ${formatDuration(settings.keepFiringForMs)} (resolved)`;
      return `${described}, back ${back} ${formatValue(unit, t.clear)} (resolved)`;
  }
}
