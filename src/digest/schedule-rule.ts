// The digest's schedule rule: a cron expression in an IANA time zone, read exactly as
// node-schedule reads it. node-schedule hands a rule to its own cron parser (cron-parser, loaded
// here from node-schedule's install so both always agree) and, when that throws, silently
// retries the text as a one-off Date and returns null for anything else: so a rule is checked
// here before it is scheduled, and a date ("2030-01-01") is refused instead of firing once.
import { createRequire } from 'node:module';
import schedule from 'node-schedule';

interface CronIterator {
  next(): { toDate(): Date };
}
interface CronParser {
  parseExpression(expression: string, options: { currentDate?: Date; tz?: string }): CronIterator;
}

const require = createRequire(import.meta.url);
// node-schedule's own copy, whatever version it depends on: the parser that will run the rule.
const cronParser = createRequire(require.resolve('node-schedule'))('cron-parser') as CronParser;

/** Five fields (minute hour day month weekday), six with seconds first, or a macro like @daily. */
const CRON_SHAPE = /^(?:@(?:yearly|annually|monthly|weekly|daily|hourly)|\S+(?:\s+\S+){4,5})$/i;

/** The zone's canonical IANA name ("europe/berlin" -> "Europe/Berlin"), or null when unknown. */
export function canonicalTimeZone(zone: string): string | null {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

/** The zone this host runs in, as Intl sees it (TZ, else /etc/localtime); UTC when it says nothing. */
export function hostTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/**
 * Why node-schedule would not run `rule` in `tz` (one sentence), or null when it would: the
 * expression is parsed by node-schedule's parser, then a job is really created and cancelled,
 * since scheduleJob answers a rule it cannot use with null and no reason.
 */
export function checkScheduleRule(rule: string, tz: string): string | null {
  const text = rule.trim();
  if (!CRON_SHAPE.test(text)) return `expected a cron expression such as "0 9 * * *" (minute hour day month weekday), got ${JSON.stringify(rule)}`;
  try {
    cronParser.parseExpression(text, { tz });
  } catch (err) {
    return `not a valid cron expression: ${(err as Error).message} (in ${JSON.stringify(rule)})`;
  }
  const job = schedule.scheduleJob({ rule: text, tz }, () => undefined);
  if (job === null) return `node-schedule cannot schedule ${JSON.stringify(rule)} (it would never run)`;
  job.cancel();
  return null;
}

/** At most this many fire times are walked when looking back (a rule every few seconds). */
const MAX_STEPS = 2000;

/**
 * The latest time at or before `now` the rule fired (or would have), no earlier than `fromMs`;
 * null when there is none. Walked forward with next(), the direction node-schedule itself uses:
 * cron-parser's prev() misses the run that a spring-forward moves (02:30 -> 03:30).
 */
export function lastFireTime(rule: string, tz: string, fromMs: number, now: number): number | null {
  const walk = (start: number): { last: number | null; complete: boolean } => {
    // currentDate is exclusive: start one millisecond early so a fire exactly at `start` counts.
    const iterator = cronParser.parseExpression(rule.trim(), { currentDate: new Date(start - 1), tz });
    let last: number | null = null;
    for (let step = 0; step < MAX_STEPS; step++) {
      const t = iterator.next().toDate().getTime();
      if (t > now) return { last, complete: true };
      last = t;
    }
    return { last, complete: false };
  };
  let result = walk(fromMs);
  // A frequent rule: walk ever shorter final spans until one holds fewer than MAX_STEPS fires.
  for (const span of [86_400_000, 3_600_000, 60_000]) {
    if (result.complete) break;
    const shorter = walk(Math.max(fromMs, now - span));
    result = { last: shorter.last ?? result.last, complete: shorter.complete };
  }
  return result.last;
}

const dayFormats = new Map<string, Intl.DateTimeFormat>();

/** The calendar day of `ms` in `tz`, as YYYY-MM-DD: what a digest is named by. */
export function localDay(ms: number, tz: string): string {
  let format = dayFormats.get(tz);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' });
    dayFormats.set(tz, format);
  }
  const parts = Object.fromEntries(format.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day}`;
}
