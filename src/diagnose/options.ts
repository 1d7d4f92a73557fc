// diagnose()'s options from the configuration: the only place that turns config sections into
// what the findings read, so diagnose() itself stays pure and free of config parsing.
import type { Config } from '../config/schema.js';
import type { StatusThresholds } from './levels.js';
import { primaryRule, resolveRules } from '../config/alerts-schema.js';
import type { AlertRule } from '../model/alert-rule.js';
import { statusThresholds } from './levels.js';
import type { LeakTerms } from '../signals/leak.js';

/** diagnose()'s options from the configuration; resolves the alert rules once. */
export function diagnoseOptions(config: Pick<Config, 'alerts' | 'diagnosis'>): DiagnoseOptions {
  const rules = resolveRules(config.alerts);
  return { thresholds: statusThresholds(config, rules), leak: leakFindingOptions(rules), diagnosis: config.diagnosis };
}

/**
 * The memory-leak-suspected finding follows the memory-leak alert rule (primaryRule: the default
 * `memory-leak-suspected` when enabled, else the first enabled memory-leak rule by id). With no
 * enabled memory-leak rule there is nothing to follow, and the finding is not produced at all:
 * turning the alert off turns the diagnosis of leaks off too.
 */
export function leakFindingOptions(rules: readonly AlertRule[]): LeakTerms | null {
  const rule = primaryRule(rules, 'memory-leak');
  if (rule?.leak == null) return null;
  const { warning, critical } = rule.thresholds;
  // The schema requires a minSlope or a critical rate, so one of them is set.
  const minSlopePerHour = warning ?? critical;
  if (minSlopePerHour === null) return null;
  return { minSlopePerHour, minFit: rule.leak.minFit, minPoints: rule.leak.minPoints, windowMs: rule.leak.windowMs };
}

/** Everything diagnose() reads besides the snapshot and history; built by diagnoseOptions(config). */
export interface DiagnoseOptions {
  /** The status levels (from the alert rules) host-memory-high, container-near-limit and others follow. */
  thresholds: StatusThresholds;
  /** null when no memory-leak rule is enabled: then no memory-leak-suspected finding either. */
  leak: LeakTerms | null;
  diagnosis: Config['diagnosis'];
}
