// Sizes a recommendation proposes: memory limits from history, swap from RAM. Pure.
import type { DiagnosisConfig } from '../config/diagnosis-schema.js';
import type { HistoryPoint } from '../model/history.js';
import { percentileOfMax, sampleCount, seriesMax, spanMs } from './series.js';

export const KiB = 1024;
export const MiB = 1024 ** 2;
export const GiB = 1024 ** 3;

/** `value` rounded up to a multiple of `step` (at least one step). */
export function roundUpTo(value: number, step: number): number {
  if (!(step > 0)) return Math.ceil(value);
  return Math.max(step, Math.ceil(value / step) * step);
}

/**
 * Swap for a host with `totalRamBytes` of RAM, after Red Hat's table for systems without
 * hibernation (RHEL 9 "Recommended system swap space"): up to 2 GB twice the RAM, up to 8 GB the
 * same as the RAM, above that 4 GB. Whole GiB, so the fallocate size reads cleanly.
 */
export function recommendedSwapBytes(totalRamBytes: number): number {
  if (totalRamBytes <= 2 * GiB) return roundUpTo(2 * totalRamBytes, GiB);
  if (totalRamBytes <= 8 * GiB) return roundUpTo(totalRamBytes, GiB);
  return 4 * GiB;
}

/** A size as docker and compose files spell it: `2G` for whole GiB, else `3584M`. */
export function dockerSize(bytes: number): string {
  if (bytes > 0 && bytes % GiB === 0) return `${bytes / GiB}G`;
  return `${Math.ceil(bytes / MiB)}M`;
}

export interface LimitSuggestion {
  limitBytes: number;
  /** 'history': percentile × factor; 'current': too little history, current usage × fallbackFactor. */
  basis: 'history' | 'current';
  percentileBytes: number | null;
  /** Highest usage in the history (null without history). */
  peakBytes: number | null;
  historySpanMs: number;
  samples: number;
}

/**
 * A memory limit for a container: the configured percentile of its usage over the week times
 * `factor`, never below current usage times `factor` (a limit under today's usage would
 * OOM-kill it at once), rounded up to `step`. With less history than `minHistory`, current usage
 * times `fallbackFactor`.
 */
export function suggestMemoryLimit(
  currentUsageBytes: number,
  week: readonly HistoryPoint[],
  cfg: DiagnosisConfig['containerLimit'],
): LimitSuggestion {
  const historySpanMs = spanMs(week);
  const samples = sampleCount(week);
  const peakBytes = seriesMax(week);
  const percentileBytes = percentileOfMax(week, cfg.percentile);
  if (historySpanMs >= cfg.minHistory && percentileBytes !== null) {
    const base = Math.max(percentileBytes, currentUsageBytes);
    return { limitBytes: roundUpTo(base * cfg.factor, cfg.step), basis: 'history', percentileBytes, peakBytes, historySpanMs, samples };
  }
  return {
    limitBytes: roundUpTo(Math.max(currentUsageBytes, 1) * cfg.fallbackFactor, cfg.step),
    basis: 'current',
    percentileBytes,
    peakBytes,
    historySpanMs,
    samples,
  };
}
