// A memory leak, judged one way wherever memwarden speaks of one: the memory-leak alert rule
// (alerts/evaluate.ts), the memory-leak-suspected finding (diagnose/) and the digest's leak
// suspects (digest/). Each of them used to fit its own line and they disagreed (one capped the
// window, one measured the time left against host RAM, another against available memory); now
// they all call these functions with the rule's terms.
//
// The fit: least squares (trend.ts) through the average of each sample or rollup bucket in the
// rule's window ending now. A fit is evidence once it has minPoints points spanning at least an
// hour (or the whole window, when the window is shorter) with R² >= minFit; it is a leak when the
// line also rises at minSlopePerHour or faster.
import type { HistoryPoint } from '../model/history.js';
import { linearTrend, type LinearTrend, MIN_LEAK_SPAN_MS, slopePerHour, timeToReach } from './trend.js';

/** What a leak is: the memory-leak alert rule's terms (its minSlope, minFit, minPoints and window). */
export interface LeakTerms {
  /** Slowest rise that is a leak, in bytes per hour: the rule's minSlope (its critical rate when it has none). */
  minSlopePerHour: number;
  /** Least-squares R² the rise must reach. */
  minFit: number;
  /** Points (samples or rollup buckets) the fit needs. */
  minPoints: number;
  /** History fitted, ending now. */
  windowMs: number;
}

export interface LeakFit {
  trend: LinearTrend;
  /** Bytes per hour (negative when the series falls). */
  slopePerHour: number;
  r2: number;
  /** Points fitted. */
  points: number;
  /** Time from the first fitted point to the last. */
  spanMs: number;
  /** The lowest value in the window (bucket minima): where a restart would bring it back to. */
  lowBytes: number | null;
}

/** What a rising series runs into: the container's limit, or, without one, the host's available memory. */
export interface LeakCeiling {
  kind: 'container limit' | 'host available memory';
  /** The container's memory limit; null when it has none. */
  limitBytes: number | null;
  /** Bytes the series may still grow before it meets the ceiling (0 or less: already there). */
  roomBytes: number;
}

/**
 * Fits the points of `history` in [now - windowMs, now]. `current` is the value being judged at
 * `now`; it is added when the history has no point at `now` yet (the snapshot may not be stored).
 * Null when no line can be fitted (fewer than two points, or all at one time).
 */
export function fitLeak(history: readonly HistoryPoint[], now: number, windowMs: number, current: number | null = null): LeakFit | null {
  const from = now - windowMs;
  const recent = history.filter((p) => p.count > 0 && p.t >= from && p.t <= now);
  const points = recent.map((p) => ({ t: p.t, v: p.avg }));
  if (current !== null && !recent.some((p) => p.t === now)) points.push({ t: now, v: current });
  const trend = linearTrend(points);
  if (trend === null) return null;
  let first = Infinity;
  let last = -Infinity;
  for (const p of points) {
    first = Math.min(first, p.t);
    last = Math.max(last, p.t);
  }
  let low: number | null = null;
  for (const p of recent) if (Number.isFinite(p.min)) low = low === null ? p.min : Math.min(low, p.min);
  if (current !== null) low = low === null ? current : Math.min(low, current);
  return { trend, slopePerHour: slopePerHour(trend), r2: trend.r2, points: trend.n, spanMs: last - first, lowBytes: low };
}

/** The fit is evidence (enough points over enough time, a good enough line), whatever its slope. */
export function fitHolds(fit: LeakFit, terms: Pick<LeakTerms, 'minFit' | 'minPoints' | 'windowMs'>): boolean {
  return fit.points >= terms.minPoints && fit.spanMs >= Math.min(MIN_LEAK_SPAN_MS, terms.windowMs) && fit.r2 >= terms.minFit;
}

/** The fit holds and rises at the rule's minimum rate or faster. */
export function isLeak(fit: LeakFit, terms: LeakTerms): boolean {
  return fitHolds(fit, terms) && fit.slopePerHour > 0 && fit.slopePerHour >= terms.minSlopePerHour;
}

/**
 * The ceiling of a container's series (or of a process group in it): its limit less what the
 * whole container uses now, or the host's available memory when the container has no limit (or
 * the group runs outside any container). Measuring against available memory, not host RAM, is
 * what matters: the host runs out when available memory does.
 */
export function leakCeiling(container: { memoryLimitBytes: number | null; memoryUsageBytes: number } | null, hostAvailableBytes: number): LeakCeiling {
  if (container !== null && container.memoryLimitBytes !== null) {
    return { kind: 'container limit', limitBytes: container.memoryLimitBytes, roomBytes: container.memoryLimitBytes - container.memoryUsageBytes };
  }
  return { kind: 'host available memory', limitBytes: null, roomBytes: hostAvailableBytes };
}

/**
 * Milliseconds until the series, at `currentBytes` now, has grown by the ceiling's room along the
 * fitted slope: 0 when there is no room left, null when it is flat or falling.
 */
export function timeToCeiling(fit: LeakFit, now: number, currentBytes: number, ceiling: LeakCeiling): number | null {
  if (ceiling.roomBytes <= 0) return 0;
  return timeToReach(fit.trend, currentBytes + ceiling.roomBytes, now, currentBytes);
}
