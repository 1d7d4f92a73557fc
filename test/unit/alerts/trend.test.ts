import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { linearTrend, slopePerHour, timeToReach, trendValueAt } from '../../../src/signals/trend.js';

const T = Date.parse('2025-10-27T09:00:00.000Z');
const H = 3_600_000;

describe('linearTrend', () => {
  it('fits a straight line exactly, at epoch-sized times', () => {
    // v = 1000 + 2 per ms, from T.
    const points = [0, 1, 2, 3].map((i) => ({ t: T + i * H, v: 1000 + 2 * i * H }));
    const trend = linearTrend(points);
    expect(trend).not.toBeNull();
    expect(trend!.slopePerMs).toBeCloseTo(2, 9);
    expect(trend!.r2).toBe(1);
    expect(trend!.n).toBe(4);
    expect(trendValueAt(trend!, T)).toBeCloseTo(1000, 3);
    expect(slopePerHour(trend!)).toBeCloseTo(2 * H, 3);
  });

  it('computes R² = 1 - SSres/SStot on a hand-worked example', () => {
    // x = 0,1,2 (hours), y = 1,3,2: slope 0.5/h, mean 2, SStot = 2, SSres = 1.5, R² = 0.25.
    const trend = linearTrend([
      { t: 0, v: 1 },
      { t: H, v: 3 },
      { t: 2 * H, v: 2 },
    ]);
    expect(slopePerHour(trend!)).toBeCloseTo(0.5, 12);
    expect(trend!.intercept).toBeCloseTo(1.5, 12);
    expect(trend!.r2).toBeCloseTo(0.25, 12);
  });

  it('returns null without two distinct times, skips non-finite points, and calls a flat series a perfect fit', () => {
    expect(linearTrend([])).toBeNull();
    expect(linearTrend([{ t: T, v: 1 }])).toBeNull();
    expect(linearTrend([{ t: T, v: 1 }, { t: T, v: 2 }])).toBeNull();
    expect(linearTrend([{ t: T, v: 1 }, { t: T + H, v: Number.NaN }, { t: Number.POSITIVE_INFINITY, v: 3 }])).toBeNull();
    expect(linearTrend([{ t: T, v: 5 }, { t: T + H, v: 5 }])).toEqual({ slopePerMs: 0, intercept: 5, r2: 1, n: 2 });
  });

  it('keeps R² within [0, 1] and recovers the slope of any exact line (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ t: fc.integer({ min: T, max: T + 30 * 24 * H }), v: fc.double({ min: -1e12, max: 1e12, noNaN: true }) }), { minLength: 2, maxLength: 50 }),
        (points) => {
          const trend = linearTrend(points);
          if (trend) {
            expect(trend.r2).toBeGreaterThanOrEqual(0);
            expect(trend.r2).toBeLessThanOrEqual(1);
          }
        },
      ),
    );
    fc.assert(
      fc.property(fc.double({ min: -1e3, max: 1e3, noNaN: true }), fc.uniqueArray(fc.integer({ min: 0, max: 1000 }), { minLength: 2, maxLength: 30 }), (slope, minutes) => {
        const trend = linearTrend(minutes.map((m) => ({ t: T + m * 60_000, v: 5e9 + slope * m * 60_000 })));
        expect(trend!.slopePerMs).toBeCloseTo(slope, 3);
      }),
    );
  });
});

describe('timeToReach', () => {
  const growing = linearTrend([
    { t: T, v: 0 },
    { t: T + H, v: 100 },
  ])!;

  it('measures from the given value along the slope', () => {
    expect(timeToReach(growing, 1000, T + H, 100)).toBeCloseTo(9 * H, 6);
    // Default start: the fitted value at fromMs.
    expect(timeToReach(growing, 1000, T)).toBeCloseTo(10 * H, 6);
    expect(timeToReach(growing, 100, T + H, 100)).toBe(0);
  });

  it('is null when the series is flat or moves away from the level', () => {
    expect(timeToReach(growing, 0, T + H, 100)).toBeNull();
    const flat = linearTrend([{ t: T, v: 5 }, { t: T + H, v: 5 }])!;
    expect(timeToReach(flat, 10, T)).toBeNull();
    const falling = linearTrend([{ t: T, v: 100 }, { t: T + H, v: 0 }])!;
    expect(timeToReach(falling, -100, T + H, 0)).toBeCloseTo(H, 6);
    expect(timeToReach(falling, 50, T + H, 0)).toBeNull();
  });
});
