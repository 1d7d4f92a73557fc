// A runbook's parameters: the types a runbook may declare, and the checks of values a human
// typed in Slack (validateParams) or a plan carries (checkParamValues). Strict syntax, ranges,
// enums and anchored patterns; every problem is reported at once, nothing is guessed.
import { parseDuration, parseSize } from '../config/units.js';
import { describeValue } from '../config/value-schemas.js';
import { INVISIBLE_CHARACTER } from '../format/text.js';
import type { RunbookSpec } from './runbook-schema.js';

export const PARAM_TYPES = ['integer', 'size', 'duration', 'string', 'enum'] as const;
export type ParamType = (typeof PARAM_TYPES)[number];

/** A parameter value typed in Slack is never longer than this. */
export const MAX_PARAM_VALUE_CHARS = 256;

/** A parameter name, in a runbook and as typed in `/mem run name=value`. */
export const PARAM_NAME = /^[a-z][a-z0-9_]{0,31}$/;
/** A parameter in a docker.exec argv element: the whole element is "{{name}}". */
export const PLACEHOLDER = /^\{\{([a-z][a-z0-9_]{0,31})\}\}$/;

export interface IntegerParamSpec {
  type: 'integer';
  description?: string;
  min?: number;
  max?: number;
  default?: number;
}
/** Sizes in bytes. */
export interface SizeParamSpec {
  type: 'size';
  description?: string;
  min?: number;
  max?: number;
  default?: number;
}
/** Durations in milliseconds. */
export interface DurationParamSpec {
  type: 'duration';
  description?: string;
  min?: number;
  max?: number;
  default?: number;
}
export interface StringParamSpec {
  type: 'string';
  description?: string;
  /** The whole value must match it: it is anchored as ^(?:pattern)$ (Unicode mode). */
  pattern: string;
  default?: string;
}
export interface EnumParamSpec {
  type: 'enum';
  description?: string;
  values: string[];
  default?: string;
}
export type ParamSpec = IntegerParamSpec | SizeParamSpec | DurationParamSpec | StringParamSpec | EnumParamSpec;

/** Validated parameter values: integers, sizes in bytes and durations in ms as numbers; strings as strings. */
export type ParamValues = Record<string, number | string>;

const INTEGER = /^[0-9]+$/;
const SIZE = /^[0-9]+(?:\.[0-9]+)?(?:[KMGTkmgt](?:i?[Bb])?|[Bb])?$/;
const DURATION = /^[0-9]+(?:\.[0-9]+)?(?:ms|s|m|h|d)?$/;

function show(value: string): string {
  return describeValue(value);
}

export function checkString(name: string, value: string, spec: StringParamSpec): string | null {
  if (value.length > MAX_PARAM_VALUE_CHARS) return `${name}: at most ${MAX_PARAM_VALUE_CHARS} characters, got ${value.length}`;
  // Control characters (newlines, escapes, NUL) have no business in a parameter.
  if (/\p{Cc}/u.test(value)) return `${name}: control characters (newline, tab, escape…) are not allowed, got ${show(value)}`;
  // A bidi override or a zero-width character makes the value read differently from what it is,
  // in the approval message and in review, while the program gets the real bytes.
  if (INVISIBLE_CHARACTER.test(value)) {
    return `${name}: bidi controls and invisible characters (such as U+202E or a zero-width space) are not allowed, got ${show(value)}`;
  }
  // Passed as a whole argument, a leading "-" would still be read as an option by the program.
  if (value.startsWith('-')) return `${name}: may not start with "-" (the program would read it as an option), got ${show(value)}`;
  if (!new RegExp(`^(?:${spec.pattern})$`, 'u').test(value)) return `${name}: must match ${spec.pattern}, got ${show(value)}`;
  return null;
}

function checkRange(name: string, value: number, spec: { min?: number; max?: number }, format: (n: number) => string, raw: string): string | null {
  if (spec.min !== undefined && value < spec.min) return `${name}: must be at least ${format(spec.min)}, got ${raw}`;
  if (spec.max !== undefined && value > spec.max) return `${name}: must be at most ${format(spec.max)}, got ${raw}`;
  return null;
}

const MIB = 1024 * 1024;
function formatSize(bytes: number): string {
  if (bytes % (1024 * MIB) === 0) return `${bytes / (1024 * MIB)}GiB`;
  if (bytes % MIB === 0) return `${bytes / MIB}MiB`;
  if (bytes % 1024 === 0) return `${bytes / 1024}KiB`;
  return `${bytes} bytes`;
}
export function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

function parseOne(name: string, raw: string, spec: ParamSpec): { value: number | string } | { problem: string } {
  switch (spec.type) {
    case 'integer': {
      if (!INTEGER.test(raw) || raw.length > 15) {
        return { problem: `${name}: expected a whole number written with the digits 0-9 only (such as 3), got ${show(raw)}` };
      }
      const value = Number(raw);
      const problem = checkRange(name, value, spec, String, raw);
      return problem === null ? { value } : { problem };
    }
    case 'size': {
      const value = SIZE.test(raw) ? parseSize(raw) : null;
      if (value === null) return { problem: `${name}: expected a size such as 512MiB or 2GiB (or a number of bytes), got ${show(raw)}` };
      const problem = checkRange(name, value, spec, formatSize, raw);
      return problem === null ? { value } : { problem };
    }
    case 'duration': {
      const value = DURATION.test(raw) ? parseDuration(raw) : null;
      if (value === null) return { problem: `${name}: expected a duration such as 30s, 5m or 1h (a bare number is seconds), got ${show(raw)}` };
      const problem = checkRange(name, value, spec, formatMs, raw);
      return problem === null ? { value } : { problem };
    }
    case 'enum':
      return spec.values.includes(raw)
        ? { value: raw }
        : { problem: `${name}: expected one of ${spec.values.map((v) => JSON.stringify(v)).join(', ')}, got ${show(raw)}` };
    case 'string': {
      const problem = checkString(name, raw, spec);
      return problem === null ? { value: raw } : { problem };
    }
  }
}

export type ValidateParamsResult = { ok: true; params: ParamValues } | { ok: false; problems: string[] };

/**
 * Checks parameters typed by a human against the runbook: every value has the declared type,
 * written in the strict syntax (an integer is ^[0-9]+$ and nothing else), in range, in the enum,
 * matching the anchored pattern; unknown names and missing required values are problems.
 * Defaults fill in what was left out. Every problem is reported at once.
 */
export function validateParams(runbook: Pick<RunbookSpec, 'id' | 'params'>, raw: Readonly<Record<string, unknown>>): ValidateParamsResult {
  const problems: string[] = [];
  const params: ParamValues = {};
  const names = Object.keys(runbook.params);
  for (const key of Object.keys(raw)) {
    if (!Object.hasOwn(runbook.params, key)) {
      problems.push(`${show(key).replace(/^"|"$/g, '')}: unknown parameter (${runbook.id} takes ${names.length === 0 ? 'none' : names.join(', ')})`);
    }
  }
  for (const [name, spec] of Object.entries(runbook.params)) {
    const value = Object.hasOwn(raw, name) ? raw[name] : undefined;
    if (value === undefined || value === '') {
      if (spec.default !== undefined) params[name] = spec.default;
      else problems.push(`${name}: is required (${spec.type})`);
      continue;
    }
    if (typeof value !== 'string') {
      problems.push(`${name}: expected text, got ${describeValue(value)}`);
      continue;
    }
    const parsed = parseOne(name, value, spec);
    if ('problem' in parsed) problems.push(parsed.problem);
    else params[name] = parsed.value;
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, params };
}

/** Substitutes validated parameters into a docker.exec argv: each "{{name}}" element becomes exactly one argument. */
export function renderArgv(argv: readonly string[], params: Readonly<ParamValues>): string[] {
  return argv.map((arg) => {
    const m = PLACEHOLDER.exec(arg);
    if (!m?.[1]) return arg;
    const value = params[m[1]];
    if (value === undefined) throw new Error(`argv parameter "${m[1]}" has no value`);
    return String(value);
  });
}

/**
 * Re-checks already typed values (a plan's params, e.g. read back from the approval store)
 * against the runbook, and fills defaults: the executors never trust a caller to have validated.
 */
export function checkParamValues(runbook: Pick<RunbookSpec, 'id' | 'params'>, values: Readonly<ParamValues>): ValidateParamsResult {
  const problems: string[] = [];
  const params: ParamValues = {};
  for (const key of Object.keys(values)) {
    if (!Object.hasOwn(runbook.params, key)) problems.push(`${key}: unknown parameter for ${runbook.id}`);
  }
  for (const [name, spec] of Object.entries(runbook.params)) {
    const value = Object.hasOwn(values, name) ? values[name] : spec.default;
    if (value === undefined) {
      problems.push(`${name}: is required (${spec.type})`);
      continue;
    }
    let problem: string | null = null;
    if (spec.type === 'integer' || spec.type === 'size' || spec.type === 'duration') {
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) problem = `${name}: expected a whole number, got ${describeValue(value)}`;
      else problem = checkRange(name, value, spec, spec.type === 'size' ? formatSize : spec.type === 'duration' ? formatMs : String, String(value));
    } else if (typeof value !== 'string') {
      problem = `${name}: expected text, got ${describeValue(value)}`;
    } else if (spec.type === 'enum') {
      problem = spec.values.includes(value) ? null : `${name}: expected one of ${spec.values.map((v) => JSON.stringify(v)).join(', ')}, got ${show(value)}`;
    } else {
      problem = checkString(name, value, spec);
    }
    if (problem !== null) problems.push(problem);
    else params[name] = value;
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, params };
}
