// The alert rule catalogue: what each rule kind measures, in which unit and direction, and the
// rules memwarden runs without any configuration. The types of a validated rule are in
// model/alert-rule.ts; parsing `alerts:` is alerts-schema.ts; the reference texts alert-rule-docs.ts.
import type { Direction, RuleKind, RuleUnit } from '../model/alert-rule.js';

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
