// The digest's schedule rule in time: when it last fired and which local day a moment is in.
// The rule itself is checked by the configuration (config/schedule-values.ts), with the same
// cron parser node-schedule runs it with.
import { cronParser } from '../config/schedule-values.js';
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
