// The digest's schedule rule as the configuration checks it: a cron expression in an IANA time
// zone, read exactly as node-schedule reads it. node-schedule hands a rule to its own cron parser
// (cron-parser, loaded here from node-schedule's install so both always agree) and, when that
// throws, silently retries the text as a one-off Date and returns null for anything else: so a
// rule is checked before it is scheduled, and a date ("2030-01-01") is refused instead of firing
// once. digest/schedule-rule.ts walks the checked rule's fire times with the same parser.
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
export const cronParser = createRequire(require.resolve('node-schedule'))('cron-parser') as CronParser;

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
