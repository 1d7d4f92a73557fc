// When the daily digest goes out: node-schedule's scheduleJob({ rule, tz }) fires it, and a row
// per day and channel in SQLite (store/digest.ts) makes it exactly one digest a day, whatever
// restarts happen. The day is claimed before `send` runs and given back only when `send` fails,
// so a crash in the middle of sending loses that day's digest rather than sending it twice
// (`send` only queues it in the outbox, a few milliseconds).
//
// A digest that fell due while memwarden was down is sent at start when it is less than
// `catchUpWithinMs` late, else skipped with a log line. Only a fire time after the schedule first
// ran counts as missed: the first start of memwarden is not a catch-up.
//
// DST follows node-schedule (its cron parser, in `tz`): a 02:30 rule runs at 03:30 on a
// spring-forward day and once on a fall-back day; the day a digest belongs to is the calendar
// day of its fire time in `tz`.
import schedule from 'node-schedule';
import type { Database } from '../store/database.js';
import { claimDigestDay, type DigestReason, digestScheduleStartedAt, getDigestMarker, releaseDigestDay } from '../store/digest.js';
import { lastFireTime, localDay } from './schedule-rule.js';

export interface ScheduleLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface DigestScheduleOptions {
  db: Database;
  /** Cron, checked by the config (config/digest-schema.ts). */
  rule: string;
  /** IANA zone of the rule and of the digest's day. */
  tz: string;
  /** The channel the digest goes to: one digest per day per channel. */
  channel: string;
  catchUpWithinMs: number;
  /** Epoch milliseconds. */
  clock: () => number;
  /** Sends the digest of `day` (YYYY-MM-DD in `tz`); a rejection gives the day back. */
  send: (day: string) => Promise<void>;
  logger: ScheduleLogger;
}

export interface DigestSchedule {
  /** The next fire time (epoch ms), or null once stopped. */
  nextRun(): number | null;
  /** Settles when the start's catch-up (if any) has been sent or skipped. */
  readonly started: Promise<void>;
  /** Cancels the job and waits for a digest being sent (gracefulShutdown, for this job only). */
  stop(): Promise<void>;
}

/** How far back a missed digest is looked for (longer downtimes are past any catch-up). */
const LOOK_BACK_MS = 8 * 86_400_000;

export class DigestScheduleError extends Error {
  override readonly name = 'DigestScheduleError';
  readonly code = 'digest_schedule_invalid';
}

export function startDigestSchedule(options: DigestScheduleOptions): DigestSchedule {
  const { db, rule, tz, channel, clock, logger } = options;
  const meta = { rule, tz, channel };
  let stopped = false;
  let chain: Promise<void> = Promise.resolve();

  /** One digest at a time, in the order asked; never rejects. */
  function runDigest(scheduledAt: number, reason: DigestReason): Promise<void> {
    const run = chain.then(async () => {
      if (stopped) return;
      const day = localDay(scheduledAt, tz);
      const claimed = claimDigestDay(db, { day, channel, scheduledAt, reason, sentAt: clock() });
      if (!claimed) {
        logger.info({ ...meta, day, reason }, 'Digest already sent for this day; not sending it again');
        return;
      }
      try {
        await options.send(day);
        logger.info({ ...meta, day, reason, scheduledAt: new Date(scheduledAt).toISOString() }, 'Digest sent');
      } catch (err) {
        releaseDigestDay(db, day, channel);
        logger.error({ ...meta, err, day, reason }, 'Digest could not be sent; it will be tried again at the next start if still in time');
      }
    });
    chain = run.catch((err: unknown) => logger.error({ ...meta, err }, 'Digest run failed'));
    return chain;
  }

  const startedAt = clock();
  const firstStarted = digestScheduleStartedAt(db, channel, startedAt);
  const job = schedule.scheduleJob({ rule, tz }, (fireDate: Date) => {
    const at = fireDate instanceof Date && Number.isFinite(fireDate.getTime()) ? fireDate.getTime() : clock();
    return runDigest(at, 'schedule');
  });
  if (job === null) throw new DigestScheduleError(`node-schedule cannot schedule the digest rule ${JSON.stringify(rule)} in ${tz}`);
  job.on('error', (err: unknown) => logger.error({ ...meta, err }, 'Digest job failed'));
  logger.info({ ...meta, next: job.nextInvocation()?.toISOString() ?? null }, 'Digest scheduled');

  const started = catchUp();

  async function catchUp(): Promise<void> {
    const missed = lastFireTime(rule, tz, Math.max(firstStarted, startedAt - LOOK_BACK_MS), startedAt);
    // At start, a fire time equal to now is the job's own (node-schedule fires it).
    if (missed === null || missed >= startedAt) return;
    const day = localDay(missed, tz);
    if (getDigestMarker(db, day, channel) !== null) return;
    const lateMs = startedAt - missed;
    const scheduledFor = new Date(missed).toISOString();
    if (lateMs < options.catchUpWithinMs) {
      logger.info({ ...meta, day, lateMs, scheduledFor }, 'Digest missed while memwarden was down: sending it now');
      await runDigest(missed, 'catch-up');
      return;
    }
    logger.warn({ ...meta, day, lateMs, catchUpWithinMs: options.catchUpWithinMs, scheduledFor }, 'Digest missed while memwarden was down: too late to catch up, skipped');
  }

  return {
    nextRun() {
      return stopped ? null : (job.nextInvocation()?.getTime() ?? null);
    },
    started,
    async stop() {
      if (stopped) return;
      stopped = true;
      job.cancel();
      await chain;
    },
  };
}
