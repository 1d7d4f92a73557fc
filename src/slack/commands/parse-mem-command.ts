// `/mem <subcommand> [args]` text -> one command, or a usage error saying what was wrong.
// Pure and total: any text (10 000 characters, mentions, unicode, odd spacing) gives a result,
// never an exception. Names are kept as typed; the handlers look them up. `run` checks only the
// shape of its words (a runbook id, a container name, name=value pairs, each name once); what a
// value means is the runbook's to decide (validateParams), after the handler looked it up.
import { SILENCE_LIMIT_MS } from '../../config/schema.js';
import { MAX_PARAM_VALUE_CHARS, PARAM_NAME } from '../../remediate/runbook-params.js';
import { RUNBOOK_ID } from '../../remediate/runbook-schema.js';

export const HISTORY_WINDOWS = ['6h', '24h', '7d'] as const;
export type HistoryWindow = (typeof HISTORY_WINDOWS)[number];

export const HISTORY_WINDOW_MS: Record<HistoryWindow, number> = {
  '6h': 6 * 3_600_000,
  '24h': 24 * 3_600_000,
  '7d': 7 * 86_400_000,
};

export const SUBCOMMANDS = [
  'status',
  'top',
  'containers',
  'diagnose',
  'history',
  'alerts',
  'silence',
  'unsilence',
  'run',
  'runbooks',
  'audit',
  'remediation',
  'digest',
  'help',
] as const;
export type Subcommand = (typeof SUBCOMMANDS)[number];

export const TOP_DEFAULT = 10;
export const TOP_MAX = 50;
/** Longest silence /mem accepts (an admin's): long enough for a holiday, short enough not to be forgotten. */
export const SILENCE_MAX_MS = SILENCE_LIMIT_MS;
const SILENCE_MIN_MS = 60_000;
export const AUDIT_DEFAULT = 10;
export const AUDIT_MAX_ENTRIES = 50;
/** Parameters `/mem run` takes at most (runbooks declare a handful). */
export const RUN_MAX_PARAMS = 16;
/** A container name as Docker allows it ([a-zA-Z0-9][a-zA-Z0-9_.-]+), so never an option. */
const CONTAINER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
/** Longer input is refused before it is looked at. */
export const MAX_TEXT_LENGTH = 1000;
const MAX_NAME_LENGTH = 200;

export type MemCommand =
  | { kind: 'help' }
  | { kind: 'status'; public: boolean }
  | { kind: 'top'; limit: number }
  | { kind: 'containers' }
  | { kind: 'diagnose'; container: string | null }
  | { kind: 'history'; target: { kind: 'host' } | { kind: 'container'; name: string }; window: HistoryWindow }
  | { kind: 'alerts' }
  /** selector: a fingerprint prefix of an active alert, or a rule id (the handler decides which). */
  | { kind: 'silence'; selector: string; durationMs: number; duration: string; reason: string | null }
  | { kind: 'unsilence'; id: number }
  /** params: name -> value exactly as typed (validated against the runbook by the handler). */
  | { kind: 'run'; runbook: string; target: string; params: Record<string, string> }
  | { kind: 'runbooks' }
  | { kind: 'audit'; limit: number }
  | { kind: 'remediation'; on: boolean }
  | { kind: 'digest' };

export interface UsageError {
  /** One sentence, safe to show after escaping (user text in it is quoted and shortened). */
  message: string;
  /** The subcommand whose usage to show; null for the overview. */
  subcommand: Subcommand | null;
}

export type ParseResult = { ok: true; command: MemCommand } | { ok: false; error: UsageError };

/** One line of usage per subcommand, shown by `help` and after a usage error. */
export const USAGE: Record<Subcommand, string> = {
  status: 'status [public] — host, containers, top process groups and active alerts (public: post it to the channel)',
  top: `top [n] — the n largest process groups by PSS (default ${TOP_DEFAULT}, at most ${TOP_MAX})`,
  containers: 'containers — every container with its usage, limit and status',
  diagnose: 'diagnose [container] — what uses the memory, why, and what each fix would save',
  history: 'history <container|host> [6h|24h|7d] — min/avg/max and a sparkline (default 24h)',
  alerts: 'alerts — active alerts and silences',
  silence: 'silence <alert-id|rule-id> <duration> [reason] — e.g. `silence 3f2a 4h deploying` (duration: 30m, 4h, 2d; up to 24h unless memwarden is set up otherwise, 30d for its admins)',
  unsilence: 'unsilence <silence-id> — end a silence early (ids are listed by `alerts`; whoever set it, admins and whoever may silence)',
  run: 'run <runbook> <container> [param=value ...] — request a remediation, e.g. `run lower-celery-concurrency worker concurrency=2`; its approvers approve it in the channel',
  runbooks: 'runbooks — what memwarden may do, who approves it, and whether remediation is on',
  audit: `audit [n] — the last n remediation audit entries (default ${AUDIT_DEFAULT}, at most ${AUDIT_MAX_ENTRIES})`,
  remediation: 'remediation on|off — switch every remediation on or off (admins only)',
  digest: 'digest — the daily memory digest of the last 24 hours, now (the chart comes with the scheduled one)',
  help: 'help — this list',
};

export function parseMemCommand(text: string): ParseResult {
  if (text.length > MAX_TEXT_LENGTH) {
    return usageError(`that is ${text.length} characters; /mem takes at most ${MAX_TEXT_LENGTH}`, null);
  }
  const words = decodeEntities(text).trim().split(/\s+/u).filter((word) => word !== '');
  const [first, ...args] = words;
  if (first === undefined) return { ok: true, command: { kind: 'help' } };
  const name = first.toLowerCase();
  if (!isSubcommand(name)) return usageError(`unknown subcommand ${quote(first)}`, null);

  switch (name) {
    case 'help':
      return { ok: true, command: { kind: 'help' } };
    case 'status': {
      if (args.length === 0) return { ok: true, command: { kind: 'status', public: false } };
      if (args.length === 1 && args[0]?.toLowerCase() === 'public') return { ok: true, command: { kind: 'status', public: true } };
      return usageError(`status takes only "public", not ${quote(args.join(' '))}`, name);
    }
    case 'top': {
      if (args.length === 0) return { ok: true, command: { kind: 'top', limit: TOP_DEFAULT } };
      const n = args.length === 1 ? parseCount(args[0] as string) : null;
      if (n === null || n < 1 || n > TOP_MAX) return usageError(`top takes a number from 1 to ${TOP_MAX}, not ${quote(args.join(' '))}`, name);
      return { ok: true, command: { kind: 'top', limit: n } };
    }
    case 'containers':
    case 'alerts':
    case 'digest':
      if (args.length > 0) return usageError(`${name} takes no arguments, not ${quote(args.join(' '))}`, name);
      return { ok: true, command: { kind: name } };
    case 'diagnose': {
      if (args.length === 0) return { ok: true, command: { kind: 'diagnose', container: null } };
      if (args.length > 1) return usageError(`diagnose takes one container name, not ${quote(args.join(' '))}`, name);
      const container = args[0] as string;
      if (container.length > MAX_NAME_LENGTH) return usageError('that container name is too long', name);
      return { ok: true, command: { kind: 'diagnose', container } };
    }
    case 'history':
      return parseHistory(args);
    case 'silence':
      return parseSilence(args);
    case 'unsilence': {
      const id = args.length === 1 ? parseCount(args[0] as string) : null;
      if (id === null || id < 1) {
        return usageError(args.length === 0 ? 'unsilence needs the id of a silence' : `unsilence takes one silence id (a number), not ${quote(args.join(' '))}`, name);
      }
      return { ok: true, command: { kind: 'unsilence', id } };
    }
    case 'run':
      return parseRun(args);
    case 'runbooks':
      if (args.length > 0) return usageError(`runbooks takes no arguments, not ${quote(args.join(' '))}`, name);
      return { ok: true, command: { kind: 'runbooks' } };
    case 'audit': {
      if (args.length === 0) return { ok: true, command: { kind: 'audit', limit: AUDIT_DEFAULT } };
      const n = args.length === 1 ? parseCount(args[0] as string) : null;
      if (n === null || n < 1 || n > AUDIT_MAX_ENTRIES) return usageError(`audit takes a number from 1 to ${AUDIT_MAX_ENTRIES}, not ${quote(args.join(' '))}`, name);
      return { ok: true, command: { kind: 'audit', limit: n } };
    }
    case 'remediation': {
      const word = args.length === 1 ? (args[0] as string).toLowerCase() : null;
      if (word !== 'on' && word !== 'off') return usageError(`remediation takes "on" or "off", not ${quote(args.join(' '))}`, name);
      return { ok: true, command: { kind: 'remediation', on: word === 'on' } };
    }
  }
}

function parseRun(args: string[]): ParseResult {
  const [runbook, target, ...assignments] = args;
  if (runbook === undefined || target === undefined) return usageError('run needs a runbook and a container (`/mem runbooks` lists the runbooks)', 'run');
  if (!RUNBOOK_ID.test(runbook)) return usageError(`${quote(runbook)} is not a runbook id (lowercase letters, digits and dashes)`, 'run');
  if (!CONTAINER_NAME.test(target)) return usageError(`${quote(target)} is not a container name`, 'run');
  if (assignments.length > RUN_MAX_PARAMS) return usageError(`run takes at most ${RUN_MAX_PARAMS} parameters`, 'run');
  // A map without a prototype: a name such as "constructor" is just a name.
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const word of assignments) {
    const at = word.indexOf('=');
    const key = at < 0 ? word : word.slice(0, at);
    const value = at < 0 ? '' : word.slice(at + 1);
    if (at < 0 || !PARAM_NAME.test(key)) return usageError(`parameters are written name=value (a lowercase name), not ${quote(word)}`, 'run');
    if (value === '') return usageError(`${key}= needs a value`, 'run');
    if ([...value].length > MAX_PARAM_VALUE_CHARS) return usageError(`the value of ${key} is longer than ${MAX_PARAM_VALUE_CHARS} characters`, 'run');
    if (/\p{Cc}/u.test(value)) return usageError(`the value of ${key} contains control characters`, 'run');
    if (Object.hasOwn(params, key)) return usageError(`${key} is given twice: give each parameter once`, 'run');
    params[key] = value;
  }
  return { ok: true, command: { kind: 'run', runbook, target, params: { ...params } } };
}

function parseHistory(args: string[]): ParseResult {
  const [target, window, ...extra] = args;
  if (target === undefined) return usageError('history needs a container name or "host"', 'history');
  if (extra.length > 0) return usageError(`history takes a target and a window, not ${quote(args.join(' '))}`, 'history');
  if (target.length > MAX_NAME_LENGTH) return usageError('that container name is too long', 'history');
  const chosen = window === undefined ? '24h' : window.toLowerCase();
  if (!(HISTORY_WINDOWS as readonly string[]).includes(chosen)) {
    return usageError(`the window must be one of ${HISTORY_WINDOWS.join(', ')}, not ${quote(window ?? '')}`, 'history');
  }
  return {
    ok: true,
    command: {
      kind: 'history',
      target: target.toLowerCase() === 'host' ? { kind: 'host' } : { kind: 'container', name: target },
      window: chosen as HistoryWindow,
    },
  };
}

function parseSilence(args: string[]): ParseResult {
  const [selector, duration, ...reasonWords] = args;
  if (selector === undefined || duration === undefined) {
    return usageError('silence needs an alert id (or a rule id) and a duration', 'silence');
  }
  if (!/^[a-z0-9][a-z0-9_.-]{0,63}$/i.test(selector)) {
    return usageError(`${quote(selector)} is neither an alert id nor a rule id`, 'silence');
  }
  const durationMs = parseSilenceDuration(duration);
  if (durationMs === null) return usageError(`the duration must look like 30m, 4h or 2d, not ${quote(duration)}`, 'silence');
  if (durationMs < SILENCE_MIN_MS || durationMs > SILENCE_MAX_MS) {
    return usageError(`a silence lasts from 1 minute to 30 days, not ${quote(duration)}`, 'silence');
  }
  const reason = reasonWords.join(' ');
  return {
    ok: true,
    command: { kind: 'silence', selector, durationMs, duration: duration.toLowerCase(), reason: reason === '' ? null : reason },
  };
}

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** "30m", "4h", "2d", "1w": a whole number and a unit (a bare number is refused: seconds or minutes?). */
export function parseSilenceDuration(text: string): number | null {
  const match = /^(\d{1,6})([mhdw])$/i.exec(text);
  if (!match) return null;
  const unit = UNIT_MS[(match[2] as string).toLowerCase()] as number;
  return Number(match[1]) * unit;
}

function parseCount(text: string): number | null {
  return /^\d{1,6}$/.test(text) ? Number(text) : null;
}

function isSubcommand(word: string): word is Subcommand {
  return (SUBCOMMANDS as readonly string[]).includes(word);
}

function usageError(message: string, subcommand: Subcommand | null): ParseResult {
  return { ok: false, error: { message, subcommand } };
}

/** Quoted and cut to 40 characters, so an error never repeats a whole hostile input. */
function quote(text: string): string {
  const chars = [...text];
  return `"${chars.length > 40 ? `${chars.slice(0, 39).join('')}…` : text}"`;
}

/** Slack sends &, < and > in command text as HTML entities. */
function decodeEntities(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}
