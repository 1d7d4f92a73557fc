// The digest's figures from two days of plain data (DigestData -> Digest), each with its change
// against the day before. Pure: tests hand it synthetic data, and the Slack, terminal and chart
// renderers read only its result. An unknown figure stays null, never zero-filled.
import type { Severity } from '../model/alert-rule.js';
import { fitLeak, isLeak, leakCeiling, type LeakTerms, timeToCeiling } from '../signals/leak.js';
import type { ContainerCounters, CounterReading } from '../model/history.js';
import type { HistoryPoint } from '../model/history.js';
import { type AlertDigest, type ContainerDigest, DAY_MS, type Digest, type DigestData, type Figure } from './digest-data.js';
import type { DigestChartData } from '../model/chart.js';

/** Containers in the chart: the largest by peak. */
export const CHART_CONTAINERS = 5;
/** Points per chart series at most (a 1200 px chart shows no more). */
const CHART_POINTS = 288;
const TOP_GROWERS = 3;
const TOP_ALERTS = 5;

interface Window {
  from: number;
  to: number;
}

/** The digest's figures from the two days of data. Pure. */
export function buildDigest(data: DigestData): Digest {
  const current: Window = { from: data.now - DAY_MS, to: data.now };
  const previous: Window = { from: data.now - 2 * DAY_MS, to: data.now - DAY_MS };
  const recorded = { current: within(data.host.used, current).length > 0, previous: within(data.host.used, previous).length > 0 };
  // A count (alerts, kills, runs) is known for a day memwarden was recording, and only then.
  const count = (fn: (w: Window) => number): Figure =>
    figure(recorded.current ? fn(current) : null, recorded.previous ? fn(previous) : null);
  const series = (points: readonly HistoryPoint[], stat: (points: HistoryPoint[]) => number | null): Figure =>
    figure(stat(within(points, current)), stat(within(points, previous)));

  const containers = data.containers
    .map((c) => containerDigest(c, current, previous, data.leak, recorded, lastAvg(within(data.host.available, current))))
    .filter((c) => c.peak.value !== null || c.peak.previous !== null)
    .sort((a, b) => (b.peak.value ?? -1) - (a.peak.value ?? -1) || a.name.localeCompare(b.name));

  const alertWindows = new Map([current, previous].map((w) => [w, alertWindow(data.alerts, w, data.now)]));
  const alertFigures = (w: Window) => alertWindows.get(w) as AlertWindow;
  const alertsNow = alertFigures(current);
  const runsIn = (w: Window) => data.runs.filter((r) => r.at > w.from && r.at <= w.to);
  const recommendations = data.recommendations;

  return {
    day: data.day,
    tz: data.tz,
    from: current.from,
    to: current.to,
    hostname: data.hostname,
    recorded,
    host: {
      totalBytes: data.host.totalBytes,
      swapTotalBytes: data.host.swapTotalBytes,
      peakUsed: series(data.host.used, maxOf),
      avgUsed: series(data.host.used, avgOf),
      lowestAvailable: series(data.host.available, minOf),
      peakSwapUsed: series(data.host.swapUsed, maxOf),
      avgPressureSome: series(data.host.psiSome, avgOf),
      peakPressureSome: series(data.host.psiSome, maxOf),
      peakPressureFull: series(data.host.psiFull, maxOf),
      samples: within(data.host.used, current).reduce((n, p) => n + p.count, 0),
    },
    containers,
    // Noise around a flat line is not growth: at least 5% of the day's peak.
    topGrowers: containers
      .filter((c) => (c.growth.value ?? 0) > 0 && (c.growth.value as number) >= 0.05 * (c.peak.value ?? 0))
      .sort((a, b) => (b.growth.value as number) - (a.growth.value as number) || a.name.localeCompare(b.name))
      .slice(0, TOP_GROWERS),
    leakSuspects: containers.filter((c) => c.leak !== null).sort((a, b) => (b.leak?.slopePerHour ?? 0) - (a.leak?.slopePerHour ?? 0)),
    events: {
      oomKills: count((w) => increase(data.host.oomKills, w)),
      containerOomKills: count((w) => data.containers.reduce((n, c) => n + c.counters.reduce((m, i) => m + increase(i.oomKills, w), 0), 0)),
      restarts: count((w) => data.containers.reduce((n, c) => n + c.counters.reduce((m, i) => m + increase(i.restarts, w), 0), 0)),
    },
    alerts: {
      fired: count((w) => alertFigures(w).fired),
      resolved: count((w) => alertFigures(w).resolved),
      silenced: count((w) => alertFigures(w).silenced),
      firingMs: count((w) => alertFigures(w).firingMs),
      top: alertsNow.top,
    },
    remediations: { runs: count((w) => runsIn(w).length), items: runsIn(current) },
    recommendations:
      recommendations === null
        ? null
        : {
            items: [...recommendations].sort(
              (a, b) => (b.estimatedSavingsBytes ?? -1) - (a.estimatedSavingsBytes ?? -1) || a.target.localeCompare(b.target) || a.title.localeCompare(b.title),
            ),
            // No diagnosis of the day before is kept: its change is unknown, not zero.
            count: figure(recommendations.length, null),
            savingsBytes: figure(
              recommendations.reduce((sum, r) => sum + (r.estimatedSavingsBytes ?? 0), 0),
              null,
            ),
            unknownSavings: recommendations.filter((r) => r.estimatedSavingsBytes === null).length,
          },
    chart: chartData(data, current, containers),
  };
}

export function figure(value: number | null, previous: number | null): Figure {
  if (value === null || previous === null || !Number.isFinite(value) || !Number.isFinite(previous)) {
    return { value, previous, change: null, direction: 'unknown' };
  }
  const change = value - previous;
  return { value, previous, change, direction: change > 0 ? 'up' : change < 0 ? 'down' : 'same' };
}

function containerDigest(
  c: DigestData['containers'][number],
  current: Window,
  previous: Window,
  leak: LeakTerms | null,
  recorded: Digest['recorded'],
  hostAvailableBytes: number | null,
): ContainerDigest {
  const now = within(c.usage, current);
  const before = within(c.usage, previous);
  const limits = within(c.limit, current);
  // Counters are known for a day the container was sampled in (else it did not exist then).
  const counter = (pick: (i: ContainerCounters['instances'][number]) => CounterReading[]) =>
    figure(
      recorded.current && now.length > 0 ? c.counters.reduce((n, i) => n + increase(pick(i), current), 0) : null,
      recorded.previous && before.length > 0 ? c.counters.reduce((n, i) => n + increase(pick(i), previous), 0) : null,
    );
  const limitBytes = now.length > 0 && limits.length > 0 && (limits.at(-1) as HistoryPoint).t >= (now.at(-1) as HistoryPoint).t ? (limits.at(-1) as HistoryPoint).max : null;
  return {
    name: c.name,
    limitBytes,
    peak: figure(maxOf(now), maxOf(before)),
    p95: figure(percentileOf(now, 0.95), percentileOf(before, 0.95)),
    growth: figure(growthOf(now), growthOf(before)),
    leak: leakOf(now, current.to, leak, limitBytes, hostAvailableBytes),
    oomKills: counter((i) => i.oomKills),
    restarts: counter((i) => i.restarts),
  };
}

/** Points with from < t <= to (the windows meet without overlapping). */
function within(points: readonly HistoryPoint[], w: Window): HistoryPoint[] {
  return points.filter((p) => p.t > w.from && p.t <= w.to && p.count > 0);
}

function maxOf(points: readonly HistoryPoint[]): number | null {
  return points.length === 0 ? null : Math.max(...points.map((p) => p.max));
}

function minOf(points: readonly HistoryPoint[]): number | null {
  return points.length === 0 ? null : Math.min(...points.map((p) => p.min));
}

/** The mean of the samples behind the points (count-weighted, as summarizeHistory). */
function avgOf(points: readonly HistoryPoint[]): number | null {
  const n = points.reduce((sum, p) => sum + p.count, 0);
  return n === 0 ? null : points.reduce((sum, p) => sum + p.avg * p.count, 0) / n;
}

/**
 * Nearest-rank percentile of the samples: exact over raw samples; over a rollup bucket its
 * samples count at the bucket's mean (the finest the rollup keeps).
 */
export function percentileOf(points: readonly HistoryPoint[], q: number): number | null {
  const sorted = [...points].sort((a, b) => a.avg - b.avg);
  const total = sorted.reduce((sum, p) => sum + p.count, 0);
  if (total === 0) return null;
  const rank = Math.ceil(q * total);
  let seen = 0;
  for (const point of sorted) {
    seen += point.count;
    if (seen >= rank) return point.avg;
  }
  return (sorted.at(-1) as HistoryPoint).avg;
}

function growthOf(points: readonly HistoryPoint[]): number | null {
  if (points.length < 2) return null;
  return (points.at(-1) as HistoryPoint).avg - (points[0] as HistoryPoint).avg;
}

function lastAvg(points: readonly HistoryPoint[]): number | null {
  return points.at(-1)?.avg ?? null;
}

/**
 * A leak by the memory-leak rule's terms (signals/leak.ts, as the alert and the diagnosis judge
 * it), fitted over the digest's 24 hours rather than the rule's window: the digest reports the
 * day's steady risers. The time left is measured from the day's last usage to the container's
 * limit, or to the host's available memory at the end of the day (unknown without it).
 */
function leakOf(points: readonly HistoryPoint[], now: number, leak: LeakTerms | null, limitBytes: number | null, hostAvailableBytes: number | null): ContainerDigest['leak'] {
  if (leak === null) return null;
  const terms = { ...leak, windowMs: DAY_MS };
  const fit = fitLeak(points, now, DAY_MS);
  if (fit === null || !isLeak(fit, terms)) return null;
  const usage = lastAvg(points);
  const known = usage !== null && (limitBytes !== null || hostAvailableBytes !== null);
  const ceiling = known ? leakCeiling({ memoryLimitBytes: limitBytes, memoryUsageBytes: usage }, hostAvailableBytes ?? 0) : null;
  return {
    slopePerHour: fit.slopePerHour,
    r2: fit.r2,
    ceiling: ceiling?.kind ?? null,
    timeToLimitMs: ceiling === null || usage === null ? null : timeToCeiling(fit, (points.at(-1) as HistoryPoint).t, usage, ceiling),
  };
}

/**
 * How much a monotonic counter rose in the window: the sum of the rises between consecutive
 * readings whose later reading is in the window. A reading lower than the one before is a reset
 * (reboot, recreated container) and counts from zero, so a reset is never a negative count.
 */
export function increase(readings: readonly CounterReading[], w: Window): number {
  let total = 0;
  for (let i = 1; i < readings.length; i++) {
    const a = readings[i - 1] as CounterReading;
    const b = readings[i] as CounterReading;
    if (!(b.t > w.from && b.t <= w.to)) continue;
    total += b.value >= a.value ? b.value - a.value : b.value;
  }
  return total;
}

interface AlertWindow {
  fired: number;
  resolved: number;
  silenced: number;
  firingMs: number;
  top: AlertDigest[];
}

/**
 * Alerts in one window. An episode's firing runs from its `firing` transition to its `resolved`
 * one (or to now, when the alert still fires); time firing is each episode's overlap with the
 * window, summed over alerts (two alerts firing for an hour: 2 h).
 */
function alertWindow(alerts: DigestData['alerts'], w: Window, now: number): AlertWindow {
  const byFingerprint = new Map<string, AlertDigest>();
  const entry = (fingerprint: string, ruleId: string, target: string, severity: Severity): AlertDigest => {
    let found = byFingerprint.get(fingerprint);
    if (!found) byFingerprint.set(fingerprint, (found = { ruleId, target, severity, fired: 0, firingMs: 0, firingNow: false }));
    if (severity === 'critical') found.severity = 'critical';
    return found;
  };
  const firingNow = new Map(alerts.firing.map((a) => [a.fingerprint, a]));
  const open = new Map<string, number>();
  let fired = 0;
  let resolved = 0;
  let silenced = 0;
  const addInterval = (a: AlertDigest, start: number, end: number) => {
    const overlap = Math.min(end, w.to) - Math.max(start, w.from);
    if (overlap > 0) a.firingMs += overlap;
  };
  for (const t of alerts.transitions) {
    const inWindow = t.at > w.from && t.at <= w.to;
    const a = entry(t.fingerprint, t.ruleId, t.target.name, t.severity);
    if (t.to === 'firing' && t.from !== 'firing') {
      open.set(t.fingerprint, t.at);
      if (inWindow) {
        fired += 1;
        a.fired += 1;
        if (t.silenced) silenced += 1;
      }
    } else if (t.to !== 'firing' && t.from === 'firing') {
      // Firing since before the transitions read: from the episode's start, the earliest it can be.
      addInterval(a, open.get(t.fingerprint) ?? t.startedAt, t.at);
      open.delete(t.fingerprint);
      if (inWindow && t.event === 'resolved') resolved += 1;
    }
  }
  for (const [fingerprint, since] of open) {
    const state = firingNow.get(fingerprint);
    if (!state) continue;
    const a = byFingerprint.get(fingerprint) as AlertDigest;
    addInterval(a, since, now);
    a.firingNow = true;
    firingNow.delete(fingerprint);
  }
  // Firing now, but its firing transition is older than what was read.
  for (const state of firingNow.values()) {
    if (open.has(state.fingerprint)) continue;
    const a = entry(state.fingerprint, state.ruleId, state.target, state.severity);
    addInterval(a, state.firingSince, now);
    a.firingNow = true;
  }
  const all = [...byFingerprint.values()];
  return {
    fired,
    resolved,
    silenced,
    firingMs: all.reduce((sum, a) => sum + a.firingMs, 0),
    top: all
      .filter((a) => a.firingMs > 0 || a.fired > 0)
      .sort((a, b) => b.firingMs - a.firingMs || b.fired - a.fired || a.ruleId.localeCompare(b.ruleId) || a.target.localeCompare(b.target))
      .slice(0, TOP_ALERTS),
  };
}

function chartData(data: DigestData, current: Window, containers: readonly ContainerDigest[]): DigestChartData {
  const top = containers.filter((c) => c.peak.value !== null).slice(0, CHART_CONTAINERS);
  const usage = new Map(data.containers.map((c) => [c.name, c.usage]));
  return {
    from: current.from,
    to: current.to,
    tz: data.tz,
    title: `Memory on ${data.hostname ?? 'the host'}, 24 hours to ${data.day}`,
    host: { label: 'host used', points: downsample(within(data.host.used, current), current), limitBytes: data.host.totalBytes },
    containers: top.map((c) => ({ label: c.name, points: downsample(within(usage.get(c.name) ?? [], current), current), limitBytes: c.limitBytes })),
  };
}

/** At most CHART_POINTS points: the count-weighted mean of each time slice that has samples. */
function downsample(points: readonly HistoryPoint[], w: Window): { t: number; v: number }[] {
  if (points.length <= CHART_POINTS) return points.map((p) => ({ t: p.t, v: p.avg }));
  const slice = (w.to - w.from) / CHART_POINTS;
  const buckets = new Map<number, { t: number; sum: number; n: number }>();
  for (const p of points) {
    const index = Math.min(CHART_POINTS - 1, Math.floor((p.t - w.from) / slice));
    const b = buckets.get(index) ?? { t: 0, sum: 0, n: 0 };
    b.t += p.t * p.count;
    b.sum += p.avg * p.count;
    b.n += p.count;
    buckets.set(index, b);
  }
  return [...buckets.entries()].sort((a, b) => a[0] - b[0]).map(([, b]) => ({ t: Math.round(b.t / b.n), v: b.sum / b.n }));
}
