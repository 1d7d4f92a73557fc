// Arithmetic on stored history series (store/history.ts HistoryPoint: a raw sample, or a rollup
// bucket with min/avg/max over `count` samples). Pure.
import type { HistoryPoint } from '../model/history.js';
import type { TrendPoint } from '../signals/trend.js';

/** Time from the first to the last point (0 with fewer than two). */
export function spanMs(points: readonly HistoryPoint[]): number {
  const first = points[0];
  const last = points.at(-1);
  return first === undefined || last === undefined ? 0 : Math.max(0, last.t - first.t);
}

/** Samples behind the points. */
export function sampleCount(points: readonly HistoryPoint[]): number {
  return points.reduce((sum, p) => sum + (p.count > 0 ? p.count : 0), 0);
}

/**
 * The p-th percentile (nearest rank) of the samples behind the points, each rollup bucket counted
 * as `count` samples at its max: rollups keep no distribution, and for sizing a limit an upper
 * bound is the safe side. Raw samples (min = avg = max) are exact. Null without samples.
 */
export function percentileOfMax(points: readonly HistoryPoint[], p: number): number | null {
  const usable = points.filter((pt) => pt.count > 0 && Number.isFinite(pt.max));
  const total = usable.reduce((sum, pt) => sum + pt.count, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil((Math.min(100, Math.max(0, p)) / 100) * total));
  const sorted = [...usable].sort((a, b) => a.max - b.max);
  let seen = 0;
  for (const pt of sorted) {
    seen += pt.count;
    if (seen >= rank) return pt.max;
  }
  return sorted.at(-1)?.max ?? null;
}

/** Highest value seen (bucket maxima); null without points. */
export function seriesMax(points: readonly HistoryPoint[]): number | null {
  let max: number | null = null;
  for (const p of points) if (p.count > 0 && Number.isFinite(p.max)) max = max === null ? p.max : Math.max(max, p.max);
  return max;
}

/** Lowest value seen (bucket minima); null without points. */
export function seriesMin(points: readonly HistoryPoint[]): number | null {
  let min: number | null = null;
  for (const p of points) if (p.count > 0 && Number.isFinite(p.min)) min = min === null ? p.min : Math.min(min, p.min);
  return min;
}

/** Points for a trend fit: the average of each sample or bucket. */
export function trendPoints(points: readonly HistoryPoint[]): TrendPoint[] {
  return points.filter((p) => p.count > 0).map((p) => ({ t: p.t, v: p.avg }));
}

/** The points at or after `fromMs`. */
export function since(points: readonly HistoryPoint[], fromMs: number): HistoryPoint[] {
  return points.filter((p) => p.t >= fromMs);
}
