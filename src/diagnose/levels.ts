// OK / HIGH / CRITICAL for the status tables. A container with a limit is judged against its
// limit; one without a limit against host RAM, since that is what it can exhaust. The levels
// are those of the alert rules (alerts.rules), so a status column and an alert never disagree.
import type { ContainerMemory, HostMemory } from '../model/snapshot.js';
import type { AlertRule, RuleKind } from '../model/alert-rule.js';
import { alertsSchema, primaryRule, resolveRules } from '../config/alerts-schema.js';
import type { Config } from '../config/schema.js';
import { percentOf } from '../format/units.js';

export type Level = 'OK' | 'HIGH' | 'CRITICAL';

export interface LevelPair {
  warnPercent: number;
  /** Infinity when the rule has no critical level: never CRITICAL. */
  critPercent: number;
}

export function levelFor(percent: number, pair: LevelPair): Level {
  if (percent >= pair.critPercent) return 'CRITICAL';
  if (percent >= pair.warnPercent) return 'HIGH';
  return 'OK';
}

export function hostLevel(host: HostMemory, thresholds: StatusThresholds): Level {
  return levelFor(percentOf(host.usedBytes, host.totalBytes), thresholds.host);
}

export function containerLevel(container: ContainerMemory, hostTotalBytes: number, thresholds: StatusThresholds): Level {
  if (container.memoryLimitBytes !== null) {
    return levelFor(percentOf(container.memoryUsageBytes, container.memoryLimitBytes), thresholds.container);
  }
  return levelFor(percentOf(container.memoryUsageBytes, hostTotalBytes), thresholds.unlimitedContainer);
}

export interface StatusThresholds {
  /** Percent of host RAM used (total - available): rule kind host-used-percent. */
  host: LevelPair;
  /** Percent of the container's memory limit: rule kind container-limit-percent. */
  container: LevelPair;
  /** Percent of host RAM, for containers without a limit: rule kind container-unlimited-host-percent. */
  unlimitedContainer: LevelPair;
}

/** The rule kind behind each status column. */
const STATUS_KINDS = {
  host: 'host-used-percent',
  container: 'container-limit-percent',
  unlimitedContainer: 'container-unlimited-host-percent',
} as const satisfies Record<keyof StatusThresholds, RuleKind>;

let defaultRules: AlertRule[] | undefined;

/** DEFAULT_RULES resolved, once: what a column falls back to when its rules are all disabled. */
function defaultRule(kind: RuleKind): AlertRule {
  defaultRules ??= resolveRules(alertsSchema.parse(undefined));
  const rule = primaryRule(defaultRules, kind);
  if (rule === null) throw new Error(`DEFAULT_RULES has no rule of kind ${kind}`);
  return rule;
}

/** A rule's levels as a pair: a rule with only a critical level is CRITICAL from there, never HIGH. */
function levelPairOf(rule: AlertRule): LevelPair {
  const { warning, critical } = rule.thresholds;
  return { warnPercent: warning ?? critical ?? Infinity, critPercent: critical ?? Infinity };
}

/**
 * The thresholds behind the OK / HIGH / CRITICAL status columns, from the alert rules: for each
 * column the enabled rule of its kind (the default rule when enabled, else the first by id; see
 * primaryRule), or the default rule's levels when no rule of that kind is enabled, so the column
 * still means something. Resolving the rules builds every rule: call this once per command (or
 * pass `rules` already resolved from config.alerts), not once per row.
 */
export function statusThresholds(config: Pick<Config, 'alerts'>, rules: readonly AlertRule[] = resolveRules(config.alerts)): StatusThresholds {
  const pair = (kind: RuleKind) => levelPairOf(primaryRule(rules, kind) ?? defaultRule(kind));
  return {
    host: pair(STATUS_KINDS.host),
    container: pair(STATUS_KINDS.container),
    unlimitedContainer: pair(STATUS_KINDS.unlimitedContainer),
  };
}
