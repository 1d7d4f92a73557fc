// The schema of a runbook (commands/<id>.yml): an approved remediation written as data and
// reviewed like code. Everything an executor may do is fixed here: the kind of action, the
// containers it may touch (an allowlist), the typed parameters a human may fill in, who approves
// it, and how often it may run. Loading is strict (load-runbooks.ts); parameters typed in Slack
// go through validateParams (runbook-params.ts) before anything runs; the allowlist
// is matched by runbook-target.ts.
import { z } from 'zod';
import { formatIssues, knownKeysAt } from '../config/format-issues.js';
import { describeValue, durationSchema, SLACK_GROUP, SLACK_USER, sizeSchema } from '../config/value-schemas.js';
import {
  checkString,
  type DurationParamSpec,
  formatMs,
  type IntegerParamSpec,
  MAX_PARAM_VALUE_CHARS,
  PARAM_NAME,
  PARAM_TYPES,
  type ParamSpec,
  type ParamType,
  PLACEHOLDER,
  type SizeParamSpec,
  type StringParamSpec,
} from './runbook-params.js';

export const RUNBOOK_KINDS = [
  'celery.pool-shrink',
  'celery.pool-grow',
  'celery.pool-restart',
  'celery.autoscale',
  'docker.restart',
  'docker.update-memory',
  'docker.exec',
] as const;
export type RunbookKind = (typeof RUNBOOK_KINDS)[number];

export const VERIFY_METRICS = ['container-usage', 'group-pss', 'pool-size'] as const;
export type VerifyMetric = (typeof VERIFY_METRICS)[number];

/** Docker refuses a memory limit below 6 MiB (moby daemon/daemon_unix.go linuxMinMemory). */
export const DOCKER_MIN_MEMORY_BYTES = 6 * 1024 * 1024;

/** Runbooks are data a human reads in review: ids are short, lowercase, dash-separated. */
export const RUNBOOK_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;
/** A container name (docker: [a-zA-Z0-9][a-zA-Z0-9_.-]+) with `*` and `?` wildcards. */
const CONTAINER_GLOB = /^[A-Za-z0-9_.*?-]{1,128}$/;
const LABEL_KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$/;
/** A Celery app as -A takes it: a module path, optionally `:attribute`. */
export const CELERY_APP = /^[A-Za-z_][A-Za-z0-9_.]*(?::[A-Za-z_][A-Za-z0-9_.]*)?$/;
/** A Celery node name (worker@host); never starting with "-", so it cannot pose as an option. */
export const CELERY_NODE = /^[A-Za-z0-9_][A-Za-z0-9_.@%-]{0,199}$/;
const MAX_ARGV = 64;
const MAX_ARG_CHARS = 4096;

export type VerifyExpectation =
  | { type: 'decrease' }
  | { type: 'pool-size-equals-param'; param: string }
  | { type: 'below-param'; param: string };

/** The parameters each kind reads; a runbook may declare no others (docker.exec: those its argv uses). */
const KIND_PARAMS: Record<RunbookKind, { name: string; type: ParamType; required: boolean }[] | null> = {
  'celery.pool-shrink': [{ name: 'concurrency', type: 'integer', required: true }],
  'celery.pool-grow': [{ name: 'concurrency', type: 'integer', required: true }],
  'celery.pool-restart': [],
  'celery.autoscale': [
    { name: 'max', type: 'integer', required: true },
    { name: 'min', type: 'integer', required: true },
  ],
  'docker.restart': [{ name: 'grace', type: 'duration', required: false }],
  'docker.update-memory': [{ name: 'limit', type: 'size', required: true }],
  'docker.exec': null,
};

export function isCeleryKind(kind: RunbookKind): boolean {
  return kind.startsWith('celery.');
}

/** Where cross-field rules report: a zod refinement context, or parseRunbookSpec's list. */
interface IssueSink {
  addIssue(issue: { code: 'custom'; message: string; path: PropertyKey[]; input?: unknown }): void;
}

function custom(ctx: IssueSink, path: PropertyKey[], message: string, input?: unknown): void {
  ctx.addIssue({ code: 'custom', message, path, input });
}

/** Parses `value` with `schema`, re-reporting its issues under `path`; undefined when absent or invalid. */
function field<T>(ctx: z.RefinementCtx, schema: z.ZodType<T>, value: unknown, path: string): T | undefined {
  if (value === undefined) return undefined;
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    // formatIssues words it as the config loader does; the path is re-added by addIssue.
    const [line = issue.message] = formatIssues([{ ...issue, path: [] }]);
    const message =
      issue.code === 'invalid_type' && issue.expected === 'int'
        ? `expected a whole number, got ${describeValue(value)}`
        : issue.code === 'too_small' && issue.origin === 'array'
          ? `must list at least ${String(issue.minimum)}`
          : line.replace(/^\(top level\): /, '');
    custom(ctx, [path, ...issue.path], message, value);
  }
  return undefined;
}

const wholeNumber = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const rawParamSpec = z
  .strictObject({
    type: z.enum(PARAM_TYPES),
    description: z.string().min(1).max(300).optional(),
    min: z.unknown().optional(),
    max: z.unknown().optional(),
    default: z.unknown().optional(),
    values: z.unknown().optional(),
    pattern: z.unknown().optional(),
  })
  .transform((raw, ctx): ParamSpec => {
    const only = (key: 'min' | 'max' | 'values' | 'pattern', types: readonly ParamType[]): void => {
      if (raw[key] !== undefined && !types.includes(raw.type)) {
        custom(ctx, [key], `only for parameters of type ${types.join(' or ')}, not ${raw.type}`, raw[key]);
      }
    };
    only('min', ['integer', 'size', 'duration']);
    only('max', ['integer', 'size', 'duration']);
    only('values', ['enum']);
    only('pattern', ['string']);
    const description = raw.description === undefined ? {} : { description: raw.description };
    switch (raw.type) {
      case 'integer':
      case 'size':
      case 'duration': {
        const schema = raw.type === 'integer' ? wholeNumber : raw.type === 'size' ? sizeSchema : durationSchema;
        const min = field(ctx, schema, raw.min, 'min');
        const max = field(ctx, schema, raw.max, 'max');
        const def = field(ctx, schema, raw.default, 'default');
        if (min !== undefined && max !== undefined && min > max) custom(ctx, ['max'], `must be at least min (${String(raw.min)})`, raw.max);
        if (def !== undefined && min !== undefined && def < min) custom(ctx, ['default'], `is below min (${String(raw.min)})`, raw.default);
        if (def !== undefined && max !== undefined && def > max) custom(ctx, ['default'], `is above max (${String(raw.max)})`, raw.default);
        return {
          type: raw.type,
          ...description,
          ...(min === undefined ? {} : { min }),
          ...(max === undefined ? {} : { max }),
          ...(def === undefined ? {} : { default: def }),
        };
      }
      case 'string': {
        const pattern = field(ctx, z.string().min(1).max(500), raw.pattern, 'pattern');
        if (raw.pattern === undefined) custom(ctx, ['pattern'], 'is required for a string parameter (the whole value must match it)');
        if (pattern !== undefined) {
          try {
            new RegExp(`^(?:${pattern})$`, 'u');
          } catch (err) {
            custom(ctx, ['pattern'], `is not a valid regular expression: ${(err as Error).message}`, raw.pattern);
          }
        }
        const def = field(ctx, z.string(), raw.default, 'default');
        const spec: StringParamSpec = { type: 'string', ...description, pattern: pattern ?? '' };
        if (def !== undefined) {
          const problem = pattern === undefined ? null : checkString('default', def, spec);
          if (problem !== null) custom(ctx, ['default'], problem.replace(/^default: /, ''), raw.default);
          spec.default = def;
        }
        return spec;
      }
      case 'enum': {
        const values = field(ctx, z.array(z.string().min(1).max(MAX_PARAM_VALUE_CHARS)).min(1).max(50), raw.values, 'values');
        if (raw.values === undefined) custom(ctx, ['values'], 'is required for an enum parameter');
        if (values !== undefined && new Set(values).size !== values.length) custom(ctx, ['values'], 'lists a value twice', raw.values);
        const def = field(ctx, z.string(), raw.default, 'default');
        if (def !== undefined && values !== undefined && !values.includes(def)) {
          custom(ctx, ['default'], `must be one of ${values.map((v) => JSON.stringify(v)).join(', ')}`, raw.default);
        }
        return { type: 'enum', ...description, values: values ?? [], ...(def === undefined ? {} : { default: def }) };
      }
    }
  });

const slackList = (pattern: RegExp, what: string) =>
  z
    .array(z.string().regex(pattern, `expected ${what}`))
    .max(100)
    .refine((list) => new Set(list).size === list.length, 'lists someone twice')
    .default([]);

const verifySchema = z
  .strictObject({
    after: durationSchema,
    metric: z.enum(VERIFY_METRICS),
    expect: z.string().transform((text, ctx): VerifyExpectation => {
      const trimmed = text.trim();
      if (trimmed === 'decrease') return { type: 'decrease' };
      const m = /^(pool-size-equals-param|below-param):\s*([a-z][a-z0-9_]{0,31})$/.exec(trimmed);
      if (m?.[1] && m[2]) return { type: m[1] as 'pool-size-equals-param' | 'below-param', param: m[2] };
      custom(ctx, [], `expected "decrease", "pool-size-equals-param: <param>" or "below-param: <param>", got ${describeValue(text)}`, text);
      return z.NEVER;
    }),
  })
  .optional();

const runbookObject = z.strictObject({
  id: z.string().regex(RUNBOOK_ID, 'expected lowercase letters, digits and dashes (the file name without .yml)'),
  title: z.string().min(1).max(100),
  description: z.string().min(1).max(3000),
  kind: z.enum(RUNBOOK_KINDS),
  target: z.strictObject({
    containers: z.array(z.string()).max(100).optional(),
    labels: z.record(z.string(), z.string({ error: (issue) => `expected a string, got ${describeValue(issue.input)} (quote it: "true")` })).optional(),
  }),
  params: z.record(z.string(), rawParamSpec).default({}),
  risk: z.enum(['low', 'high']),
  approval: z.strictObject({
    approvers: z
      .strictObject({
        users: slackList(SLACK_USER, 'a Slack user id such as "U0123ABCD"'),
        groups: slackList(SLACK_GROUP, 'a Slack user group id such as "S0123ABCD" or a handle such as "@oncall"'),
      })
      .prefault({}),
    required: z.number().int().min(1).max(10),
    allowSelfApproval: z.boolean().default(false),
  }),
  cooldown: durationSchema.default(15 * 60_000),
  maxRunsPerHour: z.number().int().min(1).max(60).default(2),
  timeout: durationSchema.default(60_000),
  verify: verifySchema,
  enabled: z.boolean().default(false),
  celery: z
    .strictObject({
      app: z
        .string()
        .refine((v) => v === 'auto' || CELERY_APP.test(v), { error: (iss) => `expected "auto" or a Celery app such as "proj" or "proj.celery:app", got ${describeValue(iss.input)}` })
        .default('auto'),
      node: z
        .string()
        .refine((v) => v === 'auto' || CELERY_NODE.test(v), { error: (iss) => `expected "auto" or a node name such as "worker@host", got ${describeValue(iss.input)}` })
        .default('auto'),
    })
    .optional(),
  argv: z.array(z.string().max(MAX_ARG_CHARS)).min(1).max(MAX_ARGV).optional(),
});

type RawRunbook = z.output<typeof runbookObject>;

/** A runbook as validated, before the loader records where it came from. */
export interface RunbookSpec {
  id: string;
  title: string;
  description: string;
  kind: RunbookKind;
  /** A container may be touched only when it matches: a name glob (if any are listed) AND every label (if any). */
  target: { containers: string[]; labels: Record<string, string> };
  params: Record<string, ParamSpec>;
  risk: 'low' | 'high';
  approval: {
    approvers: { users: string[]; groups: string[] };
    required: number;
    allowSelfApproval: boolean;
  };
  /** `cooldown`: milliseconds between two runs on the same target. */
  cooldownMs: number;
  maxRunsPerHour: number;
  /** `timeout`: milliseconds the executor may take, end to end. */
  timeoutMs: number;
  /** `verify.after` in milliseconds. */
  verify: { afterMs: number; metric: VerifyMetric; expect: VerifyExpectation } | null;
  enabled: boolean;
  /** Celery kinds only; "auto" reads the value from the worker's command line. */
  celery: { app: string; node: string } | null;
  /** docker.exec only: the fixed argv, parameters as whole arguments "{{name}}". */
  argv: string[] | null;
}

/**
 * Plain, JSON-serialisable data: it travels in plans, the approval store and the audit. Its
 * shape satisfies policy.ts's PolicyRunbook as it is.
 */
export interface Runbook extends RunbookSpec {
  /** The file as named in messages (commands/x.yml). */
  file: string;
  /** sha256 of the file's bytes, hex: a request is valid only for the exact text it was made for. */
  sha256: string;
}

/**
 * Issues as "path: message" lines (formatIssues, as for the config), with "did you mean" hints
 * for misspelt keys and lists worded as lists.
 */
export function formatRunbookIssues(issues: readonly RunbookIssue[]): string[] {
  const worded = issues.map((issue): RunbookIssue =>
    issue.code === 'too_small' && issue.origin === 'array'
      ? { code: 'custom', path: issue.path, message: `must list at least ${String(issue.minimum)}`, input: undefined }
      : issue.code === 'too_big' && issue.origin === 'array'
        ? { code: 'custom', path: issue.path, message: `may list at most ${String(issue.maximum)}`, input: undefined }
        : issue,
  );
  return formatIssues(worded, { knownKeysAt: (path) => knownKeysAt(runbookObject, path) });
}

/** The runbook's fields (what the YAML may say); cross-field rules are parseRunbookSpec's. */
export const runbookSchema = runbookObject;

type RunbookField = keyof RawRunbook;

/** Issues as zod reports them, so formatIssues words them like config problems. */
export type RunbookIssue = z.core.$ZodIssue;

export type ParseRunbookSpecResult = { ok: true; spec: RunbookSpec } | { ok: false; issues: RunbookIssue[] };

/**
 * Validates a parsed YAML value as a runbook: the fields (runbookSchema), then the rules across
 * fields (kind vs params, approvers vs enabled, the allowlist, argv placeholders). The cross
 * rules run on every field that parsed even when others did not, so a file's problems are all
 * reported at once.
 */
export function parseRunbookSpec(raw: unknown): ParseRunbookSpecResult {
  const base = runbookObject.safeParse(raw, { reportInput: true });
  const issues: RunbookIssue[] = base.success ? [] : [...base.error.issues];
  let view: Partial<RawRunbook> = {};
  if (base.success) view = base.data;
  else if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    for (const key of Object.keys(runbookObject.shape) as RunbookField[]) {
      const parsed = runbookObject.shape[key].safeParse((raw as Record<string, unknown>)[key]);
      if (parsed.success) Object.assign(view, { [key]: parsed.data });
    }
  }
  const sink: IssueSink = { addIssue: (issue) => issues.push(issue as RunbookIssue) };
  checkPrototypeKeys(raw, sink);
  const present = new Set(typeof raw === 'object' && raw !== null ? Object.keys(raw) : []);
  checkRunbook(view, present, sink);
  if (!base.success || issues.length > 0) return { ok: false, issues };
  const rb = base.data;
  return {
    ok: true,
    spec: {
      id: rb.id,
      title: rb.title,
      description: rb.description,
      kind: rb.kind,
      target: { containers: rb.target.containers ?? [], labels: { ...rb.target.labels } },
      params: rb.params,
      risk: rb.risk,
      approval: rb.approval,
      cooldownMs: rb.cooldown,
      maxRunsPerHour: rb.maxRunsPerHour,
      timeoutMs: rb.timeout,
      verify: rb.verify ? { afterMs: rb.verify.after, metric: rb.verify.metric, expect: rb.verify.expect } : null,
      enabled: rb.enabled,
      celery: isCeleryKind(rb.kind) ? { app: rb.celery?.app ?? 'auto', node: rb.celery?.node ?? 'auto' } : null,
      argv: rb.kind === 'docker.exec' ? (rb.argv ?? []) : null,
    },
  };
}

/** The mappings whose keys are names a runbook chooses (zod records), and what a key there names. */
const NAMED_MAPPINGS: readonly { path: readonly string[]; what: string }[] = [
  { path: ['params'], what: 'a parameter name' },
  { path: ['target', 'labels'], what: 'a label key' },
];

/**
 * zod's record leaves out a "__proto__" key (assigning it would replace the object's prototype),
 * and without a word: the runbook would run with a parameter or an allowlist label fewer than its
 * reviewers read. Refused here instead, from the YAML's own keys. (Fixed-key mappings report it
 * as an unknown key already.)
 */
function checkPrototypeKeys(raw: unknown, ctx: IssueSink): void {
  for (const { path, what } of NAMED_MAPPINGS) {
    let node: unknown = raw;
    for (const key of path) node = typeof node === 'object' && node !== null && Object.hasOwn(node, key) ? (node as Record<string, unknown>)[key] : undefined;
    if (typeof node === 'object' && node !== null && !Array.isArray(node) && Object.hasOwn(node, '__proto__')) {
      custom(ctx, [...path, '__proto__'], `"__proto__" cannot be ${what} (memwarden would lose it: no object can hold that key)`);
    }
  }
}

function checkRunbook(rb: Partial<RawRunbook>, present: ReadonlySet<string>, ctx: IssueSink): void {
  if (rb.target) checkTarget(rb.target, ctx);
  if (rb.kind && rb.params) checkParams(rb.kind, rb.params, rb.timeout, ctx);

  if (rb.approval) {
    const { approvers, required, allowSelfApproval } = rb.approval;
    const approverCount = approvers.users.length + approvers.groups.length;
    if (rb.enabled === true && approverCount === 0) {
      custom(ctx, ['enabled'], 'a runbook cannot be enabled without approvers: list approval.approvers.users or .groups first', rb.enabled);
    }
    if (approvers.groups.length === 0 && approvers.users.length > 0 && required > approvers.users.length) {
      custom(ctx, ['approval', 'required'], `needs ${required} approvals but only ${approvers.users.length} approver${approvers.users.length === 1 ? ' is' : 's are'} listed`, required);
    }
    if (rb.risk === 'high' && allowSelfApproval) {
      custom(ctx, ['approval', 'allowSelfApproval'], 'must be false for a high-risk runbook: someone other than the requester approves it', allowSelfApproval);
    }
  }
  if (rb.timeout !== undefined && (rb.timeout < 1000 || rb.timeout > 30 * 60_000)) custom(ctx, ['timeout'], `must be between 1s and 30m, got ${formatMs(rb.timeout)}`, rb.timeout);
  if (rb.verify && (rb.verify.after < 0 || rb.verify.after > 24 * 3_600_000)) custom(ctx, ['verify', 'after'], `must be between 0s and 24h, got ${formatMs(rb.verify.after)}`, rb.verify.after);

  if (rb.kind !== undefined) {
    if (isCeleryKind(rb.kind)) {
      if (rb.argv !== undefined) custom(ctx, ['argv'], `only for kind docker.exec, not ${rb.kind}`);
    } else {
      if (rb.celery !== undefined) custom(ctx, ['celery'], `only for celery.* kinds, not ${rb.kind}`);
      if (rb.kind !== 'docker.exec' && rb.argv !== undefined) custom(ctx, ['argv'], `only for kind docker.exec, not ${rb.kind}`);
      if (rb.kind === 'docker.exec' && !present.has('argv')) {
        custom(ctx, ['argv'], 'is required for kind docker.exec: the fixed command, one argument per element');
      }
    }
  }
  if (rb.argv !== undefined && (rb.kind === undefined || rb.kind === 'docker.exec')) checkArgv(rb.params, rb.argv, ctx);

  if (rb.verify && rb.params) {
    const { expect, metric } = rb.verify;
    if (expect.type !== 'decrease') {
      const spec = rb.params[expect.param];
      if (spec === undefined) custom(ctx, ['verify', 'expect'], `names the parameter "${expect.param}", which this runbook does not declare`);
      else if (expect.type === 'pool-size-equals-param' && (metric !== 'pool-size' || spec.type !== 'integer')) {
        custom(ctx, ['verify', 'expect'], 'pool-size-equals-param needs metric pool-size and an integer parameter');
      } else if (expect.type === 'below-param' && (metric === 'pool-size' ? spec.type !== 'integer' : spec.type !== 'size')) {
        custom(ctx, ['verify', 'expect'], `below-param with metric ${metric} needs ${metric === 'pool-size' ? 'an integer' : 'a size'} parameter`);
      }
    }
  }
  if (rb.verify && rb.kind && rb.verify.metric === 'pool-size' && !isCeleryKind(rb.kind) && rb.kind !== 'docker.restart') {
    custom(ctx, ['verify', 'metric'], `pool-size is only measurable for Celery workers, not for kind ${rb.kind}`);
  }
}

function checkTarget(target: RawRunbook['target'], ctx: IssueSink): void {
  const containers = target.containers ?? [];
  const labels = Object.entries(target.labels ?? {});
  if (containers.length === 0 && labels.length === 0) {
    custom(ctx, ['target'], 'the allowlist is empty: list containers (names or globs) and/or labels; nothing outside it can ever be touched');
  }
  containers.forEach((glob, i) => {
    if (!CONTAINER_GLOB.test(glob)) {
      custom(ctx, ['target', 'containers', i], `expected a container name or glob (letters, digits, "_", ".", "-", with "*" and "?" wildcards), got ${describeValue(glob)}`, glob);
    } else if (!/[A-Za-z0-9]/.test(glob)) {
      custom(ctx, ['target', 'containers', i], `${JSON.stringify(glob)} matches every container: name them, or use a label`, glob);
    }
  });
  if (new Set(containers).size !== containers.length) custom(ctx, ['target', 'containers'], 'lists a container twice');
  for (const [key] of labels) {
    if (!LABEL_KEY.test(key)) custom(ctx, ['target', 'labels'], `${describeValue(key)} is not a Docker label key such as "com.memwarden.remediate"`, key);
  }
}

function checkParams(kind: RunbookKind, params: Record<string, ParamSpec>, timeout: number | undefined, ctx: IssueSink): void {
  const expected = KIND_PARAMS[kind];
  for (const [name, spec] of Object.entries(params)) {
    if (!PARAM_NAME.test(name)) {
      custom(ctx, ['params', name], 'a parameter name is lowercase letters, digits and "_", starting with a letter (at most 32)');
      continue;
    }
    if (expected === null) continue; // docker.exec: checked against argv
    const wanted = expected.find((p) => p.name === name);
    if (wanted === undefined) {
      const takes = expected.length === 0 ? 'no parameters' : `only ${expected.map((p) => p.name).join(', ')}`;
      custom(ctx, ['params', name], `kind ${kind} takes ${takes}`);
    } else if (spec.type !== wanted.type) {
      custom(ctx, ['params', name, 'type'], `must be ${wanted.type} for kind ${kind}`, spec.type);
    }
  }
  for (const wanted of expected ?? []) {
    if (wanted.required && params[wanted.name] === undefined) {
      custom(ctx, ['params', wanted.name], `is required for kind ${kind} (type ${wanted.type})`);
    }
  }
  const bounded = (name: string): (IntegerParamSpec | SizeParamSpec | DurationParamSpec) | undefined => {
    const spec = params[name];
    return spec && (spec.type === 'integer' || spec.type === 'size' || spec.type === 'duration') ? spec : undefined;
  };
  switch (kind) {
    case 'celery.pool-shrink':
    case 'celery.pool-grow': {
      const spec = bounded('concurrency');
      // A pool of 0 children runs nothing; growing without a cap could fork hundreds of copies.
      if (spec && (spec.min === undefined || spec.min < 1)) custom(ctx, ['params', 'concurrency', 'min'], 'must be at least 1: a pool of 0 runs no task', spec.min);
      if (spec && kind === 'celery.pool-grow' && spec.max === undefined) custom(ctx, ['params', 'concurrency', 'max'], 'is required for kind celery.pool-grow: cap the pool size');
      break;
    }
    case 'celery.autoscale': {
      const max = bounded('max');
      const min = bounded('min');
      if (max && max.max === undefined) custom(ctx, ['params', 'max', 'max'], 'is required for kind celery.autoscale: cap the pool size');
      if (max && (max.min === undefined || max.min < 1)) custom(ctx, ['params', 'max', 'min'], 'must be at least 1', max.min);
      if (min && min.min === undefined) custom(ctx, ['params', 'min', 'min'], 'is required (0 or more)');
      break;
    }
    case 'docker.update-memory': {
      const spec = bounded('limit');
      if (spec && (spec.min === undefined || spec.min < DOCKER_MIN_MEMORY_BYTES)) {
        custom(ctx, ['params', 'limit', 'min'], 'must be at least 6MiB (Docker refuses anything smaller)', spec.min);
      }
      break;
    }
    case 'docker.restart': {
      const spec = bounded('grace');
      const longest = spec?.max ?? spec?.default ?? 10_000;
      if (timeout !== undefined && longest + 5_000 > timeout) {
        custom(ctx, ['timeout'], `must exceed the longest grace period (${String(longest / 1000)}s) by at least 5s: Docker waits that long before it kills`, timeout);
      }
      break;
    }
    default:
      break;
  }
}

function checkArgv(params: Record<string, ParamSpec> | undefined, argv: readonly string[], ctx: IssueSink): void {
  const used = new Set<string>();
  argv.forEach((arg, i) => {
    if (arg.includes('\0')) {
      custom(ctx, ['argv', i], 'contains a NUL character', arg);
      return;
    }
    const whole = PLACEHOLDER.exec(arg);
    if (whole?.[1]) {
      if (i === 0) custom(ctx, ['argv', 0], 'the program is fixed: a parameter may not name it', arg);
      if (params && params[whole[1]] === undefined) custom(ctx, ['argv', i], `uses the parameter "${whole[1]}", which params does not declare`, arg);
      used.add(whole[1]);
    } else if (arg.includes('{{') || arg.includes('}}')) {
      custom(ctx, ['argv', i], `embeds a placeholder inside other text (${describeValue(arg)}): a parameter may only be a whole argument, written exactly "{{name}}"`, arg);
    }
  });
  for (const name of Object.keys(params ?? {})) {
    if (PARAM_NAME.test(name) && !used.has(name)) custom(ctx, ['params', name], 'is declared but argv never uses it');
  }
}
