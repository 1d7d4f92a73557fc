// OK / HIGH / CRITICAL for the status tables. A container with a limit is judged against its
// limit; one without a limit against host RAM, since that is what it can exhaust.
import type { ContainerMemory, HostMemory } from '../collect/types.js';
import type { Config } from '../config/schema.js';
import { percentOf } from '../format/units.js';

export type Level = 'OK' | 'HIGH' | 'CRITICAL';

export interface LevelPair {
  warnPercent: number;
  critPercent: number;
}

export function levelFor(percent: number, pair: LevelPair): Level {
  if (percent >= pair.critPercent) return 'CRITICAL';
  if (percent >= pair.warnPercent) return 'HIGH';
  return 'OK';
}

export function hostLevel(host: HostMemory, thresholds: Config['thresholds']): Level {
  return levelFor(percentOf(host.usedBytes, host.totalBytes), thresholds.host);
}

export function containerLevel(container: ContainerMemory, hostTotalBytes: number, thresholds: Config['thresholds']): Level {
  if (container.memoryLimitBytes !== null) {
    return levelFor(percentOf(container.memoryUsageBytes, container.memoryLimitBytes), thresholds.container);
  }
  return levelFor(percentOf(container.memoryUsageBytes, hostTotalBytes), thresholds.unlimitedContainer);
}

export interface StatusThresholds {
  host: LevelPair;
  container: LevelPair;
  unlimitedContainer: LevelPair;
}

/** The thresholds behind the OK / HIGH / CRITICAL status columns. */
export function statusThresholds(config: Pick<Config, 'thresholds'>): StatusThresholds {
  return config.thresholds;
}
