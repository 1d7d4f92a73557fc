// The `alerts:` section: rule definitions merged over the defaults by id, ignore lists.
//
// `alerts.rules` is a MAP keyed by rule id. An entry whose id is a default rule overrides that
// rule's fields (`enabled: false` turns it off); any other id is a new rule and needs a `kind`.
// Each rule is validated against its kind: a threshold in the wrong unit ("2GB" for a percent,
// 85 for a size), a clear threshold on the wrong side of its trigger, critical on the wrong side
// of warning, negative durations and unknown keys are refused with their path, all at once.
// The section holds each rule as written but normalised (RuleConfig: sizes in bytes, durations
// in ms, growth rates in bytes per hour), so check-config prints it and memwarden.example.yml can
// document every key; resolveRules() turns it into AlertRule objects for the engine.
import { z } from 'zod';
import { formatBytes } from '../format/units.js';
import { suggest } from './suggest-key.js';
import { parseDuration, parseSize } from './units.js';
import { describeValue } from './value-schemas.js';
import {
  DEFAULT_RULES,
  KIND_SPECS,
  type RuleField
} from './alert-rules.js';
import { type AlertRule, type Direction, type IgnoreSpec, type LeakSettings, RULE_KINDS, type RuleKind, type RuleSettings, type RuleUnit, type TargetOverride, type Thresholds } from '../model/alert-rule.js';

/** Bounds that keep a hostile or mistyped file from producing an absurd configuration. */
const MAX_RULES = 200;
const MAX_LIST = 500;
const MAX_NAME = 200;
const MAX_HOLD_MS = 7 * 86_400_000;
const MIN_WINDOW_MS = 3_600_000;
const MAX_WINDOW_MS = 30 * 86_400_000;
const RULE_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/i;
const LABEL_KEY = /^[^\s=]{1,200}$/;

// ---------------------------------------------------------------------------------------------
// Field parsers: each returns the normalised value or the message of a problem.

type Path = (string | number)[];
type Result<T> = { ok: true; value: T } | { ok: false; message: string };
const ok = <T>(value: T): Result<T> => ({ ok: true, value });
const fail = (message: string): Result<never> => ({ ok: false, message });

function parsePercentValue(value: unknown): Result<number> {
  let n: number | null = null;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && /^\s*\d+(?:\.\d+)?\s*%\s*$/.test(value)) n = Number.parseFloat(value);
  if (n === null || Number.isNaN(n)) return fail(`expected a percent from 0 to 100 such as 85, got ${describeValue(value)}`);
  if (!(n >= 0 && n <= 100)) return fail(`must be a percent from 0 to 100, got ${describeValue(value)}`);
  return ok(n);
}

function parseSizeValue(value: unknown): Result<number> {
  // A bare number would be bytes: "warning: 85" on a size rule is almost surely a percent typo.
  const parsed = typeof value === 'string' && !/^\s*\d+(?:\.\d+)?\s*$/.test(value) ? parseSize(value) : null;
  if (parsed === null) return fail(`expected a size with a unit such as "2GB" or "512MiB", got ${describeValue(value)}`);
  return ok(parsed);
}

function parseRateValue(value: unknown): Result<number> {
  const size = typeof value === 'string' ? value.replace(/\s*(?:\/\s*h(?:our)?|per\s+hour)\s*$/i, '') : null;
  const parsed = size !== null && !/^\s*\d+(?:\.\d+)?\s*$/.test(size) ? parseSize(size) : null;
  if (parsed === null) return fail(`expected a growth rate per hour such as "50MiB/h", got ${describeValue(value)}`);
  return ok(parsed);
}

function parseCountValue(value: unknown): Result<number> {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) return fail(`expected a whole number of at least 1, got ${describeValue(value)}`);
  return ok(value);
}

const UNIT_PARSERS: Record<RuleUnit, (value: unknown) => Result<number>> = {
  percent: parsePercentValue,
  bytes: parseSizeValue,
  'bytes-per-hour': parseRateValue,
  count: parseCountValue,
};

function parseDurationValue(value: unknown, maxMs: number, minMs = 0): Result<number> {
  if ((typeof value === 'number' && value < 0) || (typeof value === 'string' && /^\s*-/.test(value))) {
    return fail(`must not be negative, got ${describeValue(value)}`);
  }
  const parsed = typeof value === 'string' || typeof value === 'number' ? parseDuration(value) : null;
  if (parsed === null) return fail(`expected a duration like "30s", "5m" or "1h", got ${describeValue(value)}`);
  if (parsed < minMs) return fail(`must be at least ${humanDuration(minMs)}, got ${describeValue(value)}`);
  if (parsed > maxMs) return fail(`must be at most ${humanDuration(maxMs)}, got ${describeValue(value)}`);
  return ok(parsed);
}

function humanDuration(msValue: number): string {
  if (msValue % 86_400_000 === 0) return `${msValue / 86_400_000}d`;
  if (msValue % 3_600_000 === 0) return `${msValue / 3_600_000}h`;
  if (msValue % 60_000 === 0) return `${msValue / 60_000}m`;
  return `${msValue / 1000}s`;
}

function parseBoolean(value: unknown): Result<boolean> {
  return typeof value === 'boolean' ? ok(value) : fail(`expected true or false, got ${describeValue(value)}`);
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unknownKey(key: string, known: readonly string[]): string {
  const hint = suggest(key, known);
  return `unknown key${hint ? ` (did you mean "${hint}"?)` : ''}`;
}

/** Shows a threshold in its unit, for messages. */
function show(unit: RuleUnit, value: number): string {
  switch (unit) {
    case 'percent':
      return String(value);
    case 'bytes':
      return formatBytes(value);
    case 'bytes-per-hour':
      return `${formatBytes(value)}/h`;
    case 'count':
      return String(value);
  }
}

// ---------------------------------------------------------------------------------------------
// Ignore lists (global and per rule), validated by zod so the usual messages and hints apply.

const nameList = z.array(z.string().min(1).max(MAX_NAME)).max(MAX_LIST);

export const ignoreSchema = z.strictObject({
  containers: nameList.default([]).describe("Container names (globs `*`, `?`, e.g. \"buildkit-*\"); a container's process groups are ignored with it."),
  groups: nameList.default([]).describe('Process group names (globs).'),
  labels: z
    .record(z.string().regex(LABEL_KEY, 'expected a label key without spaces or "="'), z.string().max(MAX_NAME))
    .refine((labels) => Object.keys(labels).length <= MAX_LIST, { message: `at most ${MAX_LIST} labels` })
    .default({})
    .describe('Container labels, key: value; a container carrying any one of them is ignored ("*": any value).'),
});

// ---------------------------------------------------------------------------------------------
// One rule, in two stages: `parseRule` checks a rule as written (keys, kind, units) and
// normalises it to a RuleConfig (what the config holds and check-config prints); `buildRule`
// turns a RuleConfig into an AlertRule, checking the thresholds against each other.

interface Problems {
  add(path: Path, message: string, input?: unknown): void;
  /** Problems added so far, so a caller can tell whether a step added any. */
  count(): number;
}

/** Threshold fields as written, normalised (bytes, ms, bytes per hour); only the keys given. */
export interface ThresholdConfig {
  /** Named `minSlope` on memory-leak rules. `null`: no such level. */
  warning?: number | null;
  minSlope?: number | null;
  critical?: number | null;
  for?: number;
  clearBelow?: number;
  clearAbove?: number;
}

/** A rule as the validated configuration holds it: the user's fields over the default rule's. */
export interface RuleConfig extends ThresholdConfig {
  kind: RuleKind;
  enabled: boolean;
  keepFiringFor: number;
  ignore: IgnoreSpec;
  /** Container or group name (glob) -> thresholds for that target. */
  overrides?: Record<string, ThresholdConfig>;
  window?: number;
  minFit?: number;
  minPoints?: number;
  targets?: ('containers' | 'groups')[];
}

/** The keys a rule of `kind` accepts, for the configuration reference. */
export function ruleFields(kind: RuleKind): RuleField[] {
  return ruleKeys(kind) as RuleField[];
}

/** Keys accepted per kind (overrides hold the threshold keys of their rule). */
function ruleKeys(kind: RuleKind): string[] {
  const spec = KIND_SPECS[kind];
  const common = ['kind', 'enabled', 'ignore', 'keepFiringFor'];
  if (spec.event) return common;
  return [...common, ...thresholdKeys(kind), 'overrides', ...(kind === 'memory-leak' ? ['minFit', 'minPoints', 'window', 'targets'] : [])];
}

function thresholdKeys(kind: RuleKind): string[] {
  const spec = KIND_SPECS[kind];
  return [spec.warningKey ?? 'warning', 'critical', 'for', clearKeyOf(kind)];
}

function clearKeyOf(kind: RuleKind): 'clearBelow' | 'clearAbove' {
  return KIND_SPECS[kind].direction === 'above' ? 'clearBelow' : 'clearAbove';
}

/**
 * Parses the threshold fields present in `entry` into `into`. A level may be `false` to drop a
 * level the default rule has. Returns whether the levels and the clear level parsed, i.e.
 * whether they can be checked against each other.
 */
function parseThresholdFields(kind: RuleKind, entry: Record<string, unknown>, path: Path, problems: Problems, into: ThresholdConfig): boolean {
  const spec = KIND_SPECS[kind];
  let levelsOk = true;
  const level = (key: 'warning' | 'minSlope' | 'critical' | 'clearBelow' | 'clearAbove', allowFalse: boolean) => {
    if (!Object.hasOwn(entry, key)) return;
    const value = entry[key];
    if (value === false && allowFalse) {
      into[key] = null as never;
      return;
    }
    const parsed = UNIT_PARSERS[spec.unit](value);
    if (parsed.ok) into[key] = parsed.value;
    else {
      problems.add([...path, key], parsed.message, value);
      levelsOk = false;
    }
  };
  level(spec.warningKey ?? 'warning', true);
  level('critical', true);
  if (Object.hasOwn(entry, 'for')) {
    const parsed = parseDurationValue(entry.for, MAX_HOLD_MS);
    if (parsed.ok) into.for = parsed.value;
    else problems.add([...path, 'for'], parsed.message, entry.for);
  }
  const clearKey = clearKeyOf(kind);
  const wrongKey = clearKey === 'clearBelow' ? 'clearAbove' : 'clearBelow';
  if (Object.hasOwn(entry, wrongKey)) {
    problems.add(
      [...path, wrongKey],
      `does not apply to ${kind}, which fires when the value ${spec.direction === 'above' ? 'rises above' : 'falls below'} its threshold: use ${clearKey}`,
      entry[wrongKey],
    );
  }
  level(clearKey, false);
  return levelsOk;
}

/**
 * The default clear level for a trigger: 5 points below a percent (at most half of it, so a 5%
 * PSI threshold clears at 2.5%), 10% of the threshold for sizes and rates, the trigger itself
 * for event counts.
 */
export function defaultClear(unit: RuleUnit, direction: Direction, trigger: number): number {
  switch (unit) {
    case 'percent':
      return direction === 'above' ? trigger - Math.min(5, trigger / 2) : Math.min(100, trigger + 5);
    case 'bytes':
    case 'bytes-per-hour':
      return Math.round(direction === 'above' ? trigger * 0.9 : trigger * 1.1);
    case 'count':
      return trigger;
  }
}

/**
 * Completes and checks thresholds: the clear level on the right side of the lowest trigger,
 * critical on the right side of warning. Problems are reported at `path` under the key the
 * user wrote (`explicit` says which keys the user, not a default, set).
 */
function buildThresholds(
  kind: RuleKind,
  input: { warning: number | null; critical: number | null; clear: number | undefined },
  explicit: ReadonlySet<string>,
  path: Path,
  problems: Problems,
): Thresholds | null {
  const spec = KIND_SPECS[kind];
  const { unit, direction } = spec;
  const warningKey = spec.warningKey ?? 'warning';
  const clearKey = clearKeyOf(kind);
  const { warning, critical } = input;
  if (warning === null && critical === null) {
    problems.add(path, `needs a ${warningKey} or a critical threshold`);
    return null;
  }
  let valid = true;
  if (warning !== null && critical !== null) {
    const wrongSide = direction === 'above' ? critical < warning : critical > warning;
    if (wrongSide) {
      const where = explicit.has('critical') || !explicit.has(warningKey) ? 'critical' : warningKey;
      const why = direction === 'below' ? ', since this rule fires below its thresholds' : '';
      const message =
        where === 'critical'
          ? `must be ${direction === 'above' ? 'at least' : 'at most'} ${warningKey} (${show(unit, warning)})${why}, got ${show(unit, critical)}`
          : `must be ${direction === 'above' ? 'at most' : 'at least'} critical (${show(unit, critical)})${why}, got ${show(unit, warning)}`;
      problems.add([...path, where], message);
      valid = false;
    }
  }
  // The alert starts at the level nearest to normal: the lower trigger for 'above', the higher for 'below'.
  const trigger = warning ?? (critical as number);
  const triggerName = warning !== null ? warningKey : 'critical';
  let clear = input.clear ?? defaultClear(unit, direction, trigger);
  if (input.clear !== undefined) {
    const wrongSide = direction === 'above' ? input.clear > trigger : input.clear < trigger;
    if (wrongSide) {
      problems.add(
        [...path, clearKey],
        `must be ${direction === 'above' ? 'at most' : 'at least'} the trigger (${triggerName} ${show(unit, trigger)}), got ${show(unit, input.clear)}`,
      );
      valid = false;
    }
  }
  if (unit === 'percent') clear = Math.max(0, Math.min(100, clear));
  let clearCritical: number | null = null;
  if (warning !== null && critical !== null) {
    const band = defaultClear(unit, direction, critical);
    // De-escalate no later than where a fresh alert would be a warning, and never past the clear level.
    clearCritical = direction === 'above' ? Math.max(band, warning, clear) : Math.min(band, warning, clear);
  }
  return valid ? { direction, warning, critical, clear, clearCritical } : null;
}

/** Stage 1: a rule as written (merged over its default) -> RuleConfig, or null with problems added. */
function parseRule(id: string, raw: Record<string, unknown>, defaults: Record<string, unknown> | undefined, path: Path, problems: Problems): RuleConfig | null {
  const before = problems.count();
  // Which kind: the user's, or the default rule's.
  let kind: RuleKind;
  const defaultKind = defaults?.kind as RuleKind | undefined;
  if (Object.hasOwn(raw, 'kind')) {
    const value = raw.kind;
    if (typeof value !== 'string' || !(RULE_KINDS as readonly string[]).includes(value)) {
      const hint = typeof value === 'string' ? suggest(value, RULE_KINDS) : undefined;
      problems.add(
        [...path, 'kind'],
        `expected one of ${RULE_KINDS.map((k) => JSON.stringify(k)).join(', ')}, got ${describeValue(value)}${hint ? ` (did you mean "${hint}"?)` : ''}`,
        value,
      );
      return null;
    }
    if (defaultKind !== undefined && value !== defaultKind) {
      problems.add([...path, 'kind'], `the default rule "${id}" is of kind "${defaultKind}": give a rule of kind "${value}" an id of its own`, value);
      return null;
    }
    kind = value as RuleKind;
  } else if (defaultKind !== undefined) {
    kind = defaultKind;
  } else {
    problems.add([...path, 'kind'], `is required for a new rule: one of ${RULE_KINDS.map((k) => JSON.stringify(k)).join(', ')}`);
    return null;
  }

  const spec = KIND_SPECS[kind];
  const known = ruleKeys(kind);
  for (const key of Object.keys(raw)) {
    if (known.includes(key) || (!spec.event && (key === 'clearAbove' || key === 'clearBelow'))) continue;
    const otherKind = RULE_KINDS.find((k) => k !== kind && ruleKeys(k).includes(key));
    const message =
      key === 'warning' && spec.warningKey === 'minSlope'
        ? `does not apply to a rule of kind "${kind}": its warning threshold is minSlope`
        : otherKind
          ? `does not apply to a rule of kind "${kind}"`
          : unknownKey(key, known);
    problems.add([...path, key], message, raw[key]);
  }

  const merged: Record<string, unknown> = { ...defaults, ...raw };
  const config: RuleConfig = { kind, enabled: true, keepFiringFor: 0, ignore: { containers: [], groups: [], labels: {} } };

  if (Object.hasOwn(merged, 'enabled')) {
    const parsed = parseBoolean(merged.enabled);
    if (parsed.ok) config.enabled = parsed.value;
    else problems.add([...path, 'enabled'], parsed.message, merged.enabled);
  }
  if (Object.hasOwn(merged, 'keepFiringFor')) {
    const parsed = parseDurationValue(merged.keepFiringFor, MAX_HOLD_MS);
    if (parsed.ok) config.keepFiringFor = parsed.value;
    else problems.add([...path, 'keepFiringFor'], parsed.message, merged.keepFiringFor);
  }
  if (Object.hasOwn(merged, 'ignore')) {
    const parsed = ignoreSchema.safeParse(merged.ignore, { reportInput: true });
    if (parsed.success) config.ignore = parsed.data;
    else for (const issue of parsed.error.issues) problems.add([...path, 'ignore', ...issue.path.map(pathSegment)], zodMessage(issue), issue.input);
  }
  if (spec.event) return problems.count() === before ? config : null;

  // Threshold kinds always show their levels and `for`, so check-config prints them.
  config[spec.warningKey ?? 'warning'] = null;
  config.critical = null;
  config.for = 0;
  const levelsOk = parseThresholdFields(kind, merged, path, problems, config);
  if (Object.hasOwn(merged, 'overrides')) config.overrides = parseOverrides(kind, merged.overrides, [...path, 'overrides'], problems);
  if (kind === 'memory-leak') parseLeak(merged, path, problems, config);
  if (problems.count() !== before) {
    // Still check the levels against each other, so every problem is reported at once.
    if (levelsOk) buildRule(id, config, new Set(Object.keys(raw)), path, problems);
    return null;
  }
  return buildRule(id, config, new Set(Object.keys(raw)), path, problems) ? config : null;
}

function parseLeak(merged: Record<string, unknown>, path: Path, problems: Problems, into: RuleConfig): void {
  into.window = DEFAULT_LEAK.windowMs;
  into.minFit = DEFAULT_LEAK.minFit;
  into.minPoints = DEFAULT_LEAK.minPoints;
  into.targets = [...DEFAULT_LEAK.targets];
  if (Object.hasOwn(merged, 'window')) {
    const parsed = parseDurationValue(merged.window, MAX_WINDOW_MS, MIN_WINDOW_MS);
    if (parsed.ok) into.window = parsed.value;
    else problems.add([...path, 'window'], parsed.message, merged.window);
  }
  if (Object.hasOwn(merged, 'minFit')) {
    const value = merged.minFit;
    if (typeof value === 'number' && value >= 0 && value <= 1) into.minFit = value;
    else problems.add([...path, 'minFit'], `expected a number from 0 to 1 such as 0.8, got ${describeValue(value)}`, value);
  }
  if (Object.hasOwn(merged, 'minPoints')) {
    const value = merged.minPoints;
    if (typeof value === 'number' && Number.isInteger(value) && value >= 3 && value <= 100_000) into.minPoints = value;
    else problems.add([...path, 'minPoints'], `expected a whole number from 3 to 100000, got ${describeValue(value)}`, value);
  }
  if (Object.hasOwn(merged, 'targets')) {
    const value = merged.targets;
    const allowed = ['containers', 'groups'] as const;
    if (Array.isArray(value) && value.length > 0 && value.every((v) => (allowed as readonly unknown[]).includes(v))) {
      into.targets = [...new Set(value as ('containers' | 'groups')[])];
    } else {
      problems.add([...path, 'targets'], `expected a list of "containers" and/or "groups", got ${describeValue(value)}`, value);
    }
  }
}

function parseOverrides(kind: RuleKind, value: unknown, path: Path, problems: Problems): Record<string, ThresholdConfig> {
  const out: Record<string, ThresholdConfig> = {};
  if (!isMapping(value)) {
    problems.add(path, `expected a mapping of container or group name to thresholds, got ${describeValue(value)}`, value);
    return out;
  }
  const entries = Object.entries(value);
  if (entries.length > MAX_LIST) {
    problems.add(path, `at most ${MAX_LIST} overrides, got ${entries.length}`);
    return out;
  }
  const known = thresholdKeys(kind);
  for (const [match, entry] of entries) {
    const at = [...path, match];
    if (match.length > MAX_NAME) {
      problems.add(path, `an override name may be at most ${MAX_NAME} characters long, got ${describeValue(match)}`);
      continue;
    }
    if (!isMapping(entry)) {
      problems.add(at, `expected a mapping of thresholds, got ${describeValue(entry)}`, entry);
      continue;
    }
    for (const key of Object.keys(entry)) {
      if (!known.includes(key) && key !== 'clearAbove' && key !== 'clearBelow') problems.add([...at, key], unknownKey(key, known), entry[key]);
    }
    const parsed: ThresholdConfig = {};
    if (parseThresholdFields(kind, entry, at, problems, parsed)) out[match] = parsed;
  }
  return out;
}

const DEFAULT_LEAK: LeakSettings = { windowMs: 2 * 3_600_000, minFit: 0.8, minPoints: 12, targets: ['containers'] };

/**
 * Stage 2: a RuleConfig -> AlertRule, checking thresholds (and each override's) against each
 * other. `explicit` names the keys the user wrote, so a problem is reported where they can fix it.
 */
function buildRule(id: string, config: RuleConfig, explicit: ReadonlySet<string>, path: Path, problems: Problems): AlertRule | null {
  const { kind } = config;
  const spec = KIND_SPECS[kind];
  const base = { id, kind, enabled: config.enabled, unit: spec.unit, event: spec.event, keepFiringForMs: config.keepFiringFor, ignore: config.ignore };
  if (spec.event) {
    return {
      ...base,
      thresholds: { direction: 'above', warning: null, critical: 1, clear: 1, clearCritical: null },
      forMs: 0,
      overrides: [],
      leak: null,
    };
  }
  const warningKey = spec.warningKey ?? 'warning';
  const clearKey = clearKeyOf(kind);
  const before = problems.count();
  const thresholds = buildThresholds(kind, { warning: config[warningKey] ?? null, critical: config.critical ?? null, clear: config[clearKey] }, explicit, path, problems);
  const forMs = config.for ?? 0;
  const overrides: TargetOverride[] = [];
  for (const [match, o] of Object.entries(config.overrides ?? {})) {
    if (!thresholds) break;
    const changesLevels = o[warningKey] !== undefined || o.critical !== undefined;
    // An override that moves the levels gets a clear band around its own levels, unless a
    // clear level is set explicitly (on the override, else on the rule).
    const built = buildThresholds(
      kind,
      {
        warning: o[warningKey] !== undefined ? (o[warningKey] as number | null) : thresholds.warning,
        critical: o.critical !== undefined ? o.critical : thresholds.critical,
        clear: o[clearKey] ?? (changesLevels ? config[clearKey] : thresholds.clear),
      },
      new Set(Object.keys(o)),
      [...path, 'overrides', match],
      problems,
    );
    if (built) overrides.push({ match, thresholds: built, forMs: o.for ?? forMs, keepFiringForMs: config.keepFiringFor });
  }
  if (!thresholds || problems.count() !== before) return null;
  const leak: LeakSettings | null =
    kind === 'memory-leak'
      ? {
          windowMs: config.window ?? DEFAULT_LEAK.windowMs,
          minFit: config.minFit ?? DEFAULT_LEAK.minFit,
          minPoints: config.minPoints ?? DEFAULT_LEAK.minPoints,
          targets: config.targets ?? DEFAULT_LEAK.targets,
        }
      : null;
  return { ...base, thresholds, forMs, overrides, leak };
}

function pathSegment(segment: PropertyKey): string | number {
  return typeof segment === 'number' ? segment : String(segment);
}

/** A zod issue as one message, in the words format-issues uses. */
function zodMessage(issue: z.core.$ZodIssue): string {
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case 'invalid_type':
      return input === undefined ? 'is required' : `expected ${issue.expected === 'array' ? 'a list' : issue.expected === 'object' || issue.expected === 'record' ? 'a mapping' : `a ${issue.expected}`}, got ${describeValue(input)}`;
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length === 1 ? '' : 's'} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    case 'too_small':
      return `must be at least ${String(issue.minimum)}${issue.origin === 'string' ? ' characters long' : issue.origin === 'array' ? ' entries' : ''}, got ${describeValue(input)}`;
    case 'too_big':
      return `must be at most ${String(issue.maximum)}${issue.origin === 'string' ? ' characters long' : issue.origin === 'array' ? ' entries' : ''}, got ${describeValue(input)}`;
    default:
      return issue.message;
  }
}

// ---------------------------------------------------------------------------------------------
// The section.

function parseRules(value: unknown, addIssue: (path: Path, message: string, input?: unknown) => void): Record<string, RuleConfig> {
  let n = 0;
  const problems: Problems = {
    add(path, message, input) {
      n += 1;
      addIssue(path, message, input);
    },
    count: () => n,
  };
  const user = value === undefined ? {} : value;
  if (!isMapping(user)) {
    problems.add([], `expected a mapping of rule id to rule, got ${describeValue(user)}`, user);
    return {};
  }
  const userEntries = Object.entries(user);
  if (userEntries.length > MAX_RULES) {
    problems.add([], `at most ${MAX_RULES} rules, got ${userEntries.length}`);
    return {};
  }
  const ids = [...new Set([...Object.keys(DEFAULT_RULES), ...userEntries.map(([id]) => id)])];
  const rules: Record<string, RuleConfig> = {};
  for (const id of ids) {
    const path = [id];
    if (!RULE_ID.test(id)) {
      problems.add(path, `a rule id may hold letters, digits, ".", "_" and "-" and be at most 64 characters long, got ${describeValue(id)}`);
      continue;
    }
    const defaults = Object.hasOwn(DEFAULT_RULES, id) ? { ...DEFAULT_RULES[id] } : undefined;
    const raw = Object.hasOwn(user, id) ? user[id] : {};
    if (!isMapping(raw)) {
      problems.add(path, `expected a mapping of rule settings, got ${describeValue(raw)}`, raw);
      continue;
    }
    const rule = parseRule(id, raw, defaults, path, problems);
    if (rule) rules[id] = rule;
  }
  return rules;
}

export const alertsSchema = z
  .strictObject({
    ignore: ignoreSchema.prefault({}).describe("Targets no rule alerts on (a container's process groups go with it)."),
    rules: z
      .unknown()
      .optional()
      .transform((value, ctx): Record<string, RuleConfig> =>
        parseRules(value, (path, message, input) => {
          ctx.addIssue({ code: 'custom', message, path, input });
        }),
      )
      .describe("Rule id → rule, merged over the default rules by id: a default rule's id changes its fields (`enabled: false` turns it off), any other id is a new rule and needs a kind."),
  })
  .prefault({});

export type AlertsConfig = z.output<typeof alertsSchema>;

/**
 * The enabled rules of a validated `alerts:` section, sorted by id, each with the global ignore
 * list folded into its own.
 */
export function resolveRules(alerts: AlertsConfig): AlertRule[] {
  // The section was validated by alertsSchema, so building cannot fail; if it does, the config
  // did not come from the schema.
  const problems: Problems = {
    add(path, message) {
      throw new RangeError(`alerts.rules.${path.join('.')}: ${message}`);
    },
    count: () => 0,
  };
  return Object.entries(alerts.rules)
    .filter(([, config]) => config.enabled)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([id, config]) => {
      const rule = buildRule(id, config, new Set(), [id], problems) as AlertRule;
      return {
        ...rule,
        ignore: {
          containers: [...new Set([...alerts.ignore.containers, ...rule.ignore.containers])],
          groups: [...new Set([...alerts.ignore.groups, ...rule.ignore.groups])],
          labels: { ...alerts.ignore.labels, ...rule.ignore.labels },
        },
      };
    });
}

/**
 * The rule that stands for `kind` where one value per kind is needed (the status columns, the
 * diagnosis): the default rule of that kind when it is enabled, else the first enabled rule of
 * that kind by id; null when no rule of that kind is enabled. `rules` as resolveRules returns them.
 */
export function primaryRule(rules: readonly AlertRule[], kind: RuleKind): AlertRule | null {
  const ofKind = rules.filter((rule) => rule.enabled && rule.kind === kind);
  const defaultId = Object.keys(DEFAULT_RULES).find((id) => DEFAULT_RULES[id]?.kind === kind);
  return ofKind.find((rule) => rule.id === defaultId) ?? ofKind[0] ?? null;
}

/** The settings of `rule` for one target: the first override matching the name, else the rule's. */
export function settingsFor(rule: AlertRule, names: readonly (string | null)[]): RuleSettings {
  const candidates = names.filter((n): n is string => n !== null);
  const exact = rule.overrides.find((o) => candidates.includes(o.match));
  const match = exact ?? rule.overrides.find((o) => candidates.some((name) => globMatches(o.match, name)));
  const source = match ?? rule;
  return { thresholds: source.thresholds, forMs: source.forMs, keepFiringForMs: source.keepFiringForMs };
}

const globCache = new Map<string, RegExp>();

/** Shell-style glob: `*` any run of characters, `?` one character; everything else literal. */
export function globMatches(glob: string, name: string): boolean {
  let re = globCache.get(glob);
  if (!re) {
    const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
    re = new RegExp(`^${body}$`, 's');
    if (globCache.size > 1000) globCache.clear();
    globCache.set(glob, re);
  }
  return re.test(name);
}
