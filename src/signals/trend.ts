// Least-squares trend of a time series, for leak detection (alerts) and growth findings
// (diagnosis). Pure arithmetic; times are epoch milliseconds, values any unit (usually bytes).
//
// Ordinary least squares on (t, v): slope = Sxy / Sxx, intercept = mean(v) - slope * mean(t),
// R² = 1 - SSres / SStot (coefficient of determination). Sums are taken around the means, so
// epoch-sized times (1.7e12) do not cost precision.

export interface TrendPoint {
  /** Epoch milliseconds. */
  t: number;
  v: number;
}

export interface LinearTrend {
  /** Change of the value per millisecond (bytes/ms for memory). */
  slopePerMs: number;
  /** The fitted value at t = 0 (epoch): value(t) = intercept + slopePerMs * t. */
  intercept: number;
  /** Goodness of fit in [0, 1]; 1 when every value is equal (nothing left unexplained). */
  r2: number;
  /** Points used (points with a non-finite t or v are skipped). */
  n: number;
}

export const MS_PER_HOUR = 3_600_000;

/** A leak trend over less than this is noise, whatever the configured window (alerts and diagnosis). */
export const MIN_LEAK_SPAN_MS = MS_PER_HOUR;

/**
 * Fits value = intercept + slopePerMs * t. Returns null with fewer than two usable points or
 * when every point has the same time (no slope can be fitted).
 */
export function linearTrend(points: readonly TrendPoint[]): LinearTrend | null {
  const usable = points.filter((p) => Number.isFinite(p.t) && Number.isFinite(p.v));
  const n = usable.length;
  if (n < 2) return null;
  let meanT = 0;
  let meanV = 0;
  for (const p of usable) {
    meanT += p.t;
    meanV += p.v;
  }
  meanT /= n;
  meanV /= n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (const p of usable) {
    const dt = p.t - meanT;
    const dv = p.v - meanV;
    sxx += dt * dt;
    sxy += dt * dv;
    syy += dv * dv;
  }
  if (!(sxx > 0)) return null;
  const slopePerMs = sxy / sxx;
  const intercept = meanV - slopePerMs * meanT;
  // SSres = Syy - slope * Sxy for the least-squares line; clamp rounding noise into [0, 1].
  const r2 = syy > 0 ? Math.min(1, Math.max(0, (slopePerMs * sxy) / syy)) : 1;
  return { slopePerMs, intercept, r2, n };
}

/** The fitted value at time t. */
export function trendValueAt(trend: LinearTrend, t: number): number {
  return trend.intercept + trend.slopePerMs * t;
}

/** The slope in value units per hour (e.g. bytes per hour). */
export function slopePerHour(trend: LinearTrend): number {
  return trend.slopePerMs * MS_PER_HOUR;
}

/**
 * Milliseconds from `fromMs` until the trend reaches `level`, starting from `fromValue` (the
 * measured value now; defaults to the fitted value at fromMs). 0 when the value is at the level;
 * null when the series is flat or moves away from the level. A caller watching a ceiling checks
 * `fromValue >= level` itself (already there), since which side is "past" depends on the caller.
 */
export function timeToReach(trend: LinearTrend, level: number, fromMs: number, fromValue: number = trendValueAt(trend, fromMs)): number | null {
  const gap = level - fromValue;
  if (gap === 0) return 0;
  if (trend.slopePerMs === 0 || !Number.isFinite(gap)) return null;
  // Moving away from the level: it is never reached (the crossing, if any, lies in the past).
  if (Math.sign(gap) !== Math.sign(trend.slopePerMs)) return null;
  return gap / trend.slopePerMs;
}
