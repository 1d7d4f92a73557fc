// memory-leak-suspected: memory that rises steadily, judged as the memory-leak alert rule judges
// it (signals/leak.ts, with the rule's terms in DiagnoseOptions.leak): over the rule's window,
// with at least minPoints points spanning at least an hour, R² of at least minFit and a slope of
// at least minSlope per hour. With no enabled memory-leak rule options.leak is null and this
// finding is not produced. Reported for prefork groups (their PSS) and for containers (their
// usage) whose rise no group in them explains, with the time until the rise meets the
// container's limit, or the host's available memory when there is no limit.
import { formatBytes } from '../../format/units.js';
import { formatDuration } from '../../config/units.js';
import { bytesOrNull, type DiagnosisContext } from '../context.js';
import { preforkGroups, type PreforkGroup, whereIs } from '../prefork.js';
import type { HistoryPoint } from '../../model/history.js';
import { MS_PER_HOUR } from '../../signals/trend.js';
import { fitLeak, isLeak, leakCeiling, type LeakCeiling, type LeakFit, timeToCeiling } from '../../signals/leak.js';
import type { Finding, Recommendation, Severity } from '../../model/finding.js';
import { recycleKib } from './ml-libraries-per-worker.js';

const DAY = 24 * MS_PER_HOUR;

/** The series the fit reads: the rule's window when the usual series is shorter than it. */
function leakSeries<K extends string>(h: ({ leakWindow?: HistoryPoint[] } & Record<K, HistoryPoint[]>) | undefined, usual: K): HistoryPoint[] {
  return h === undefined ? [] : (h.leakWindow ?? h[usual]);
}

/** The rise of a series whose value in the snapshot is `current`, when it is a leak by the rule's terms. */
function fitRise(ctx: DiagnosisContext, points: readonly HistoryPoint[], current: number): LeakFit | null {
  const { leak } = ctx.options;
  if (leak === null) return null;
  const fit = fitLeak(points, ctx.now, leak.windowMs, current);
  return fit !== null && isLeak(fit, leak) ? fit : null;
}

export function findMemoryLeaks(ctx: DiagnosisContext): Finding[] {
  const { leak } = ctx.options;
  // No enabled memory-leak alert rule: nothing says what a leak is, so no finding (see options.ts).
  if (leak === null) return [];
  const findings: Finding[] = [];
  const leakingContainers = new Set<string>();
  for (const pf of preforkGroups(ctx)) {
    const rise = fitRise(ctx, leakSeries(ctx.groupHistory(pf.group.name), 'pss'), pf.group.pssBytes);
    if (rise === null) continue;
    if (pf.container) leakingContainers.add(pf.container.id);
    findings.push(groupLeak(ctx, pf, rise));
  }
  for (const c of ctx.snapshot.containers) {
    if (leakingContainers.has(c.id)) continue;
    const rise = fitRise(ctx, leakSeries(ctx.containerHistory(c.name), 'week'), c.memoryUsageBytes);
    if (rise === null) continue;
    const ceiling = leakCeiling(c, ctx.snapshot.host.availableBytes);
    const toLimit = timeToCeiling(rise, ctx.now, c.memoryUsageBytes, ceiling);
    const severity = severityFor(toLimit);
    const saving = rise.lowBytes === null ? null : Math.max(0, Math.round(c.memoryUsageBytes - rise.lowBytes));
    findings.push({
      code: 'memory-leak-suspected',
      severity,
      target: { kind: 'container', name: c.name },
      summary: `${c.name} grows ${formatBytes(rise.slopePerHour)}/h (R² ${rise.r2.toFixed(2)} over ${formatDuration(rise.spanMs)})${timeText(toLimit, ceiling)}`,
      evidence: evidence(rise, c.memoryUsageBytes, ceiling, toLimit),
      recommendations: [
        {
          title: `Find the growing process in ${c.name} and restart it`,
          priority: severity === 'critical' ? 'urgent' : 'high',
          estimatedSavingsBytes: saving,
          runbook: null,
          steps: ['memwarden top -n 20 --by uss', `docker restart ${c.name}   # frees what it gained, until it grows again`],
          detail: `A restart returns it to about its low in the fitted window (${formatBytes(rise.lowBytes)}); only a fix of the leak (or periodic recycling of the process) keeps it there.`,
        },
      ],
    });
  }
  return findings;
}

function groupLeak(ctx: DiagnosisContext, pf: PreforkGroup, rise: LeakFit): Finding {
  const ceiling = leakCeiling(pf.container ?? null, ctx.snapshot.host.availableBytes);
  const current = pf.group.pssBytes;
  const toLimit = timeToCeiling(rise, ctx.now, current, ceiling);
  const severity = severityFor(toLimit);
  const saving = rise.lowBytes === null ? null : Math.max(0, Math.round(current - rise.lowBytes));
  const kib = recycleKib(pf.children);
  const recommendations: Recommendation[] = [];
  if (pf.kind === 'celery') {
    const app = pf.group.celery?.app ?? 'app';
    recommendations.push(
      {
        title: `Restart ${pf.group.name} now to release what it has gained`,
        priority: severity === 'critical' ? 'urgent' : 'high',
        estimatedSavingsBytes: saving,
        runbook: 'restart-celery-worker',
        detail: `It held ${formatBytes(rise.lowBytes)} at its lowest in the fitted window and ${formatBytes(current)} now. A restart buys time, it does not stop the rise: set the recycling limits below. A busy worker loses its running tasks on restart unless tasks are acked late.`,
      },
      {
        title: `Recycle children past a memory bound: worker_max_memory_per_child=${kib} (KiB)`,
        priority: 'high',
        estimatedSavingsBytes: null,
        runbook: null,
        steps: [
          `${app}.conf.update(`,
          `    worker_max_memory_per_child=${kib},  # KiB, not bytes: ${formatBytes(kib * 1024)}`,
          '    worker_max_tasks_per_child=100,      # and/or recycle after N tasks',
          ')',
          `# or on the command line: celery -A ${app} worker --max-memory-per-child=${kib} --max-tasks-per-child=100`,
        ],
        detail: `The value is in KiB (Celery compares it with the child's peak RSS after each task; ${kib} KiB is its largest child's RSS now plus 25%). A child over it is replaced after its current task, so the leak is bounded without restarts. worker_max_tasks_per_child recycles after N tasks regardless of size.`,
      },
    );
  } else {
    recommendations.push({
      title: pf.kind === 'gunicorn' ? 'Recycle workers: --max-requests 1000 --max-requests-jitter 100' : 'Recycle workers: max-requests = 1000 and reload-on-rss',
      priority: severity === 'critical' ? 'urgent' : 'high',
      estimatedSavingsBytes: null,
      runbook: null,
      steps:
        pf.kind === 'gunicorn'
          ? ['gunicorn ... --max-requests 1000 --max-requests-jitter 100']
          : ['uwsgi ... --max-requests 1000', `uwsgi ... --reload-on-rss ${Math.round(kib / 1024)}   # MiB`],
      detail: `Each worker is replaced after that many requests, so what it leaks is given back. Restarting the ${pf.kind} master now would free about ${formatBytes(saving)}.`,
    });
  }
  return {
    code: 'memory-leak-suspected',
    severity,
    target: { kind: 'group', name: pf.group.name },
    summary: `${whereIs(pf)} grows ${formatBytes(rise.slopePerHour)}/h (R² ${rise.r2.toFixed(2)} over ${formatDuration(rise.spanMs)})${timeText(toLimit, ceiling)}`,
    evidence: evidence(rise, current, ceiling, toLimit),
    recommendations,
  };
}

function evidence(rise: LeakFit, currentBytes: number, ceiling: LeakCeiling, toLimitMs: number | null) {
  return {
    slopeBytesPerHour: Math.round(rise.slopePerHour),
    r2: Math.round(rise.r2 * 1000) / 1000,
    points: rise.points,
    historyMs: Math.round(rise.spanMs),
    currentBytes: bytesOrNull(currentBytes),
    lowBytes: bytesOrNull(rise.lowBytes),
    roomBytes: bytesOrNull(ceiling.roomBytes),
    limitBytes: bytesOrNull(ceiling.limitBytes),
    timeToLimitMs: toLimitMs === null ? null : Math.round(toLimitMs),
  };
}

function severityFor(toLimitMs: number | null): Severity {
  return toLimitMs !== null && toLimitMs <= DAY ? 'critical' : 'warning';
}

function timeText(toLimitMs: number | null, ceiling: LeakCeiling): string {
  if (toLimitMs === null) return '';
  const what = ceiling.kind === 'container limit' ? 'its limit' : 'the host\'s available memory';
  return toLimitMs <= 0 ? `: already at ${what}` : `: reaches ${what} in ${formatDuration(toLimitMs)}`;
}
