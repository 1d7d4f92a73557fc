// What an alert rule is once validated: its kind (what it measures, in which unit), thresholds,
// timing, overrides and ignore lists. Shared by config/ (which parses `alerts:` into these), alerts/
// (which evaluates them) and diagnose/ (whose status levels and leak finding follow the rules).
export const RULE_KINDS = [
  'host-used-percent',
  'host-available-below',
  'psi-some-avg60',
  'psi-full-avg60',
  'container-limit-percent',
  'container-usage-bytes',
  'container-unlimited-host-percent',
  'group-pss-bytes',
  'oom-kill',
  'memory-leak',
] as const;

export type RuleKind = (typeof RULE_KINDS)[number];

export type Severity = 'warning' | 'critical';

/** 'above' fires when the value rises to the threshold, 'below' when it falls to it. */
export type Direction = 'above' | 'below';

/** Unit of a rule's value: percent, bytes, bytes per hour (a growth rate), or a count of events. */
export type RuleUnit = 'percent' | 'bytes' | 'bytes-per-hour' | 'count';

export interface Thresholds {
  direction: Direction;
  /** Level at which a warning starts (value >= it for 'above', <= it for 'below'); null: no warning level. */
  warning: number | null;
  critical: number | null;
  /** The alert resolves once the value is past this: below it for 'above', above it for 'below'. */
  clear: number;
  /** A critical alert falls back to warning once the value is past this; null without both levels. */
  clearCritical: number | null;
}

/** What a rule applies to one target: its thresholds and timings (overrides already applied). */
export interface RuleSettings {
  thresholds: Thresholds;
  /** How long the condition must hold before pending becomes firing. */
  forMs: number;
  /** How long a firing alert keeps firing after its condition has cleared. */
  keepFiringForMs: number;
}

export interface TargetOverride extends RuleSettings {
  /** A container or process group name; `*` and `?` are wildcards. */
  match: string;
}

export interface IgnoreSpec {
  /** Container names (globs); a container's process groups are ignored with it. */
  containers: string[];
  /** Process group names (globs). */
  groups: string[];
  /** Container labels, `key: value`; a container carrying any one of them is ignored (`*`: any value). */
  labels: Record<string, string>;
}

export interface LeakSettings {
  /** History looked at for the trend. */
  windowMs: number;
  /** Least-squares R² the growth must reach to count as steady. */
  minFit: number;
  /** Points (samples or rollups) the trend needs. */
  minPoints: number;
  targets: ('containers' | 'groups')[];
}

/** A validated rule: sizes in bytes, durations in ms, memory-leak rates in bytes per hour. */
export interface AlertRule extends RuleSettings {
  id: string;
  kind: RuleKind;
  enabled: boolean;
  unit: RuleUnit;
  /** Event rules (oom-kill) fire on something that happened; no observation means "nothing new". */
  event: boolean;
  /** Checked in order; an exact name match wins over globs. */
  overrides: TargetOverride[];
  ignore: IgnoreSpec;
  /** Only for memory-leak rules. */
  leak: LeakSettings | null;
}
