// Rules from config-shaped input, observations by hand, and a driver that steps one alert
// through a series of (time, value) samples.
import type { AlertRule } from '../../../src/model/alert-rule.js';
import { alertsSchema, resolveRules } from '../../../src/config/alerts-schema.js';
import { observation } from '../../../src/alerts/evaluate.js';
import { step } from '../../../src/alerts/state-machine.js';
import type { AlertState, AlertTarget, AlertTransition, Evidence, Observation } from '../../../src/model/alert.js';

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const T0 = Date.parse('2025-10-27T09:00:00.000Z');

/** All enabled rules for an `alerts:` section as a file author writes it. */
export function rulesFrom(alerts: Record<string, unknown> = {}): AlertRule[] {
  return resolveRules(alertsSchema.parse(alerts));
}

/** One rule by id, from the defaults merged with `rules`. */
export function ruleFrom(id: string, rule: Record<string, unknown> = {}): AlertRule {
  const found = rulesFrom({ rules: { [id]: rule } }).find((r) => r.id === id);
  if (!found) throw new Error(`no enabled rule ${id}`);
  return found;
}

export function containerTarget(name: string, labels: Record<string, string> = {}): AlertTarget {
  return { kind: 'container', name, containerId: `${name}-id`, containerName: name, labels };
}

export const HOST: AlertTarget = { kind: 'host', name: 'box', containerId: null, containerName: null, labels: {} };

/** The observation evaluateRules would make of `value` for `rule` on `target`. */
export function observe(rule: AlertRule, value: number, target: AlertTarget = containerTarget('api'), options: { eligible?: boolean; evidence?: Evidence } = {}): Observation {
  return observation(rule, target, value, options.evidence ?? {}, options.eligible ?? true);
}

export interface Sample {
  t: number;
  /** undefined: the target is gone (or, for an event rule, nothing happened). */
  value: number | undefined;
  silenced?: boolean;
}

export interface Run {
  transitions: AlertTransition[];
  state: AlertState | null;
  /** The state after each sample. */
  states: (AlertState | null)[];
}

/** Steps one alert through the samples, starting inactive. */
export function runSeries(rule: AlertRule, samples: readonly Sample[], target: AlertTarget = containerTarget('api'), start: AlertState | null = null): Run {
  let state = start;
  const transitions: AlertTransition[] = [];
  const states: (AlertState | null)[] = [];
  for (const sample of samples) {
    const observation = sample.value === undefined ? undefined : observe(rule, sample.value, target);
    const result = step(state, observation, rule, sample.t, sample.silenced ?? false);
    state = result.state;
    transitions.push(...result.transitions);
    states.push(state);
  }
  return { transitions, state, states };
}

/** Samples every `intervalMs` from T0. */
export function everyInterval(values: readonly (number | undefined)[], intervalMs: number, from = T0): Sample[] {
  return values.map((value, i) => ({ t: from + i * intervalMs, value }));
}

export function events(run: Run): string[] {
  return run.transitions.map((t) => t.event);
}
