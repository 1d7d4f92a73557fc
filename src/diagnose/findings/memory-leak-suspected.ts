// memory-leak-suspected: memory that rises steadily, fitted by least squares (trend.ts), by the
// settings of the memory-leak alert rule (DiagnoseOptions.leak, from alerts.rules by
// diagnoseOptions): over the rule's window (at most the last 24 h, all the history diagnose() is
// given), with at least minPoints points spanning at least an hour, R² of at least minFit and a
// slope of at least minSlope per hour, as the alert judges it. With no enabled memory-leak rule
// options.leak is null and this finding is not produced. Reported for prefork groups (their PSS)
// and for containers (their usage) whose rise no group in them explains, with the time until the
// rise meets the container's limit, or the host's available memory when there is no limit.
import { formatBytes } from '../../format/units.js';
import { formatDuration } from '../../config/units.js';
import { bytesOrNull, type DiagnosisContext } from '../context.js';
import { preforkGroups, type PreforkGroup, whereIs } from '../prefork.js';
import { seriesMin, since, spanMs, trendPoints } from '../series.js';
import { linearTrend, type LinearTrend, MIN_LEAK_SPAN_MS, MS_PER_HOUR, slopePerHour, timeToReach } from '../../signals/trend.js';
import type { Finding, Recommendation, Severity } from '../../model/finding.js';
import type { LeakFindingOptions } from '../options.js';
import { recycleKib } from './ml-libraries-per-worker.js';

const DAY = 24 * MS_PER_HOUR;

interface Rise {
  trend: LinearTrend;
  perHour: number;
  spanMs: number;
  min: number | null;
}

function fitRise(ctx: DiagnosisContext, leak: LeakFindingOptions, points: Parameters<typeof trendPoints>[0]): Rise | null {
  const recent = since(points, ctx.now - Math.min(leak.windowMs, DAY));
  const span = spanMs(recent);
  if (span < Math.min(MIN_LEAK_SPAN_MS, leak.windowMs)) return null;
  const trend = linearTrend(trendPoints(recent));
  if (trend === null || trend.n < leak.minPoints || trend.r2 < leak.minFit) return null;
  const perHour = slopePerHour(trend);
  if (!(perHour >= leak.minSlopePerHour) || !(perHour > 0)) return null;
  return { trend, perHour, spanMs: span, min: seriesMin(recent) };
}

export function findMemoryLeaks(ctx: DiagnosisContext): Finding[] {
  const { leak } = ctx.options;
  // No enabled memory-leak alert rule: nothing says what a leak is, so no finding (see options.ts).
  if (leak === null) return [];
  const findings: Finding[] = [];
  const leakingContainers = new Set<string>();
  for (const pf of preforkGroups(ctx)) {
    const rise = fitRise(ctx, leak, ctx.groupHistory(pf.group.name)?.pss ?? []);
    if (rise === null) continue;
    if (pf.container) leakingContainers.add(pf.container.id);
    findings.push(groupLeak(ctx, pf, rise));
  }
  for (const c of ctx.snapshot.containers) {
    if (leakingContainers.has(c.id)) continue;
    const rise = fitRise(ctx, leak, ctx.containerHistory(c.name)?.day ?? []);
    if (rise === null) continue;
    const room = c.memoryLimitBytes !== null ? c.memoryLimitBytes - c.memoryUsageBytes : ctx.snapshot.host.availableBytes;
    const toLimit = room <= 0 ? 0 : timeToReach(rise.trend, c.memoryUsageBytes + room, ctx.now, c.memoryUsageBytes);
    const severity = severityFor(toLimit);
    const saving = rise.min === null ? null : Math.max(0, Math.round(c.memoryUsageBytes - rise.min));
    findings.push({
      code: 'memory-leak-suspected',
      severity,
      target: { kind: 'container', name: c.name },
      summary: `${c.name} grows ${formatBytes(rise.perHour)}/h (R² ${rise.trend.r2.toFixed(2)} over ${formatDuration(rise.spanMs)})${timeText(toLimit, c.memoryLimitBytes !== null)}`,
      evidence: evidence(rise, c.memoryUsageBytes, room, toLimit, c.memoryLimitBytes),
      recommendations: [
        {
          title: `Find the growing process in ${c.name} and restart it`,
          priority: severity === 'critical' ? 'urgent' : 'high',
          estimatedSavingsBytes: saving,
          runbook: null,
          steps: ['memwarden top -n 20 --by uss', `docker restart ${c.name}   # frees what it gained, until it grows again`],
          detail: `A restart returns it to about its low in the fitted window (${formatBytes(rise.min)}); only a fix of the leak (or periodic recycling of the process) keeps it there.`,
        },
      ],
    });
  }
  return findings;
}

function groupLeak(ctx: DiagnosisContext, pf: PreforkGroup, rise: Rise): Finding {
  const c = pf.container;
  const room = c?.memoryLimitBytes != null ? c.memoryLimitBytes - c.memoryUsageBytes : ctx.snapshot.host.availableBytes;
  const current = pf.group.pssBytes;
  const toLimit = room <= 0 ? 0 : timeToReach(rise.trend, current + room, ctx.now, current);
  const severity = severityFor(toLimit);
  const saving = rise.min === null ? null : Math.max(0, Math.round(current - rise.min));
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
        detail: `It held ${formatBytes(rise.min)} at its lowest in the fitted window and ${formatBytes(current)} now. A restart buys time, it does not stop the rise: set the recycling limits below. A busy worker loses its running tasks on restart unless tasks are acked late.`,
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
    summary: `${whereIs(pf)} grows ${formatBytes(rise.perHour)}/h (R² ${rise.trend.r2.toFixed(2)} over ${formatDuration(rise.spanMs)})${timeText(toLimit, c?.memoryLimitBytes != null)}`,
    evidence: evidence(rise, current, room, toLimit, c?.memoryLimitBytes ?? null),
    recommendations,
  };
}

function evidence(rise: Rise, currentBytes: number, roomBytes: number, toLimitMs: number | null, limitBytes: number | null) {
  return {
    slopeBytesPerHour: Math.round(rise.perHour),
    r2: Math.round(rise.trend.r2 * 1000) / 1000,
    points: rise.trend.n,
    historyMs: Math.round(rise.spanMs),
    currentBytes: bytesOrNull(currentBytes),
    lowBytes: bytesOrNull(rise.min),
    roomBytes: bytesOrNull(roomBytes),
    limitBytes: bytesOrNull(limitBytes),
    timeToLimitMs: toLimitMs === null ? null : Math.round(toLimitMs),
  };
}

function severityFor(toLimitMs: number | null): Severity {
  return toLimitMs !== null && toLimitMs <= DAY ? 'critical' : 'warning';
}

function timeText(toLimitMs: number | null, hasLimit: boolean): string {
  if (toLimitMs === null) return '';
  const what = hasLimit ? 'its limit' : 'the host\'s available memory';
  return toLimitMs <= 0 ? `: already at ${what}` : `: reaches ${what} in ${formatDuration(toLimitMs)}`;
}
