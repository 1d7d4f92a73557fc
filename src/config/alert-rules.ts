// The alert rule catalogue: the rule kinds, what each measures and in which unit, the types a
// validated rule has, and the rules memwarden runs without any configuration. Parsing and
// validating the `alerts:` section is alerts-schema.ts; the reference texts are alert-rule-docs.ts.

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

export interface KindSpec {
  unit: RuleUnit;
  direction: Direction;
  /** The user-facing name of the warning threshold. */
  warningKey: 'warning' | 'minSlope' | null;
  event: boolean;
}

export const KIND_SPECS: Readonly<Record<RuleKind, KindSpec>> = {
  'host-used-percent': { unit: 'percent', direction: 'above', warningKey: 'warning', event: false },
  'host-available-below': { unit: 'bytes', direction: 'below', warningKey: 'warning', event: false },
  'psi-some-avg60': { unit: 'percent', direction: 'above', warningKey: 'warning', event: false },
  'psi-full-avg60': { unit: 'percent', direction: 'above', warningKey: 'warning', event: false },
  'container-limit-percent': { unit: 'percent', direction: 'above', warningKey: 'warning', event: false },
  'container-usage-bytes': { unit: 'bytes', direction: 'above', warningKey: 'warning', event: false },
  'container-unlimited-host-percent': { unit: 'percent', direction: 'above', warningKey: 'warning', event: false },
  'group-pss-bytes': { unit: 'bytes', direction: 'above', warningKey: 'warning', event: false },
  'oom-kill': { unit: 'count', direction: 'above', warningKey: null, event: true },
  'memory-leak': { unit: 'bytes-per-hour', direction: 'above', warningKey: 'minSlope', event: false },
};

/** The rules memwarden runs without any configuration, as a file author would write them. */
export const DEFAULT_RULES: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  'host-memory-used': { kind: 'host-used-percent', warning: 85, critical: 95, for: '1m' },
  'host-available-low': { kind: 'host-available-below', warning: '512MiB', critical: '256MiB', for: '1m' },
  'memory-pressure-some': { kind: 'psi-some-avg60', warning: 10, for: '2m' },
  'memory-pressure-full': { kind: 'psi-full-avg60', critical: 5, for: '1m' },
  'container-near-limit': { kind: 'container-limit-percent', warning: 85, critical: 95, for: '1m' },
  'container-no-limit-large': { kind: 'container-unlimited-host-percent', warning: 10, critical: 20, for: '5m' },
  'process-group-large': { kind: 'group-pss-bytes', warning: '4GiB', for: '5m' },
  'oom-kill': { kind: 'oom-kill', keepFiringFor: '10m' },
  'memory-leak-suspected': { kind: 'memory-leak', minSlope: '50MiB/h', minFit: 0.8, minPoints: 12, window: '2h' },
};

/** A key a rule may hold: ruleKeys(kind) lists those of one kind. */
export type RuleField =
  | 'kind'
  | 'enabled'
  | 'warning'
  | 'minSlope'
  | 'critical'
  | 'for'
  | 'clearBelow'
  | 'clearAbove'
  | 'keepFiringFor'
  | 'overrides'
  | 'ignore'
  | 'window'
  | 'minFit'
  | 'minPoints'
  | 'targets';
