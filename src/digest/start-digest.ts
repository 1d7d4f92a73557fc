// The daily digest, wired: the schedule (schedule.ts) sends through sendDigest (send-digest.ts)
// the digest built from the store (digest-data.ts). run-bot.ts calls startDigest once the outbox
// dispatcher exists, and stops it before the dispatcher.
import type { Config } from '../config/schema.js';
import { diagnoseOptions } from '../diagnose/options.js';
import type { Finding } from '../model/finding.js';
import type { Logger } from '../log/logger.js';
import type { Database } from '../store/database.js';
import { buildDigest } from './build-digest.js';
import type { Digest } from './digest-data.js';
import { loadDigestData } from './load-digest.js';
import { type DigestSchedule, startDigestSchedule } from './schedule.js';
import { sendDigest } from './send-digest.js';

export interface DigestSources {
  /** The current diagnosis, or null before the first snapshot. */
  findings: () => readonly Finding[] | null;
  /** The host's name (the latest snapshot's), or null before the first snapshot. */
  hostname: () => string | null;
}

/** Where the digest goes: digest.channel, else the default channel; null when there is neither. */
export function digestChannel(config: Pick<Config, 'digest' | 'slack'>): string | null {
  return config.digest.channel ?? config.slack.channels.default ?? null;
}

/** Today's digest (the 24 hours to `now`), from the store and the current diagnosis. */
export function digestNow(db: Database, config: Pick<Config, 'digest' | 'alerts' | 'diagnosis'>, sources: DigestSources, now: number): Digest {
  return buildDigest(
    loadDigestData(db, {
      now,
      tz: config.digest.timezone,
      hostname: sources.hostname(),
      findings: sources.findings(),
      leak: diagnoseOptions(config).leak,
    }),
  );
}

export interface StartDigestOptions extends DigestSources {
  db: Database;
  config: Config;
  logger: Logger;
  /** Epoch milliseconds; default Date.now. */
  clock?: () => number;
  /** The outbox dispatcher's wake(). */
  onEnqueued: () => void;
}

export interface DigestHandle {
  schedule: DigestSchedule;
  /** Cancels the schedule and waits for a digest being queued. */
  stop(): Promise<void>;
}

/** Starts the daily digest; null when it is disabled (digest.enabled) or has no channel. */
export function startDigest(options: StartDigestOptions): DigestHandle | null {
  const { db, config } = options;
  const logger = options.logger.child({ component: 'digest' });
  const clock = options.clock ?? Date.now;
  if (!config.digest.enabled) {
    logger.info({}, 'Daily digest is off (digest.enabled: false)');
    return null;
  }
  const channel = digestChannel(config);
  if (channel === null) {
    logger.warn({}, 'Daily digest is off: no channel (set digest.channel or slack.channels.default)');
    return null;
  }
  const schedule = startDigestSchedule({
    db,
    rule: config.digest.schedule,
    tz: config.digest.timezone,
    channel,
    catchUpWithinMs: config.digest.catchUpWithin,
    clock,
    logger,
    send: (day) => {
      sendDigest({ db, clock, logger, channel, build: () => digestNow(db, config, options, clock()), onEnqueued: options.onEnqueued }, day);
      return Promise.resolve();
    },
  });
  return {
    schedule,
    async stop() {
      await schedule.stop();
    },
  };
}
