// Silences said out loud. A silenced alert posts nothing, so whoever silences it (or ends a
// silence early) is named where the channel sees it: a reply in the thread of the alert it was
// set on (or, when ended, of each active alert it covered), else a post in the alert channels,
// which is also where a rule-wide silence goes. Through the outbox like every message, under the
// alert's ordering key so a reply never overtakes the alert it answers. Never throws: a note that
// cannot be queued is logged, and the silence stands.
import type { AlertEngine } from './alert-engine.js';
import { silenceMatches } from './targets.js';
import type { AlertState, Silence } from '../model/alert.js';
import type { Config } from '../config/schema.js';
import type { Database } from '../store/database.js';
import { getAlertMessage, inOutboxTransaction } from '../store/outbox.js';
import { alertMessageKey } from './alert-notifier.js';
import { type DeliveryLogger, enqueueOp } from '../delivery/outbox-dispatcher.js';
import type { Notice } from '../model/notice.js';
import { silenceEndedNotice, silenceNotice } from './silence-notices.js';

/** Threads one ended silence replies to at most: a rule on a glob can cover many alerts. */
const MAX_THREADS = 5;

export interface SilenceNotes {
  /** `silence` was just added; `alert` is the one it was set on (null for a rule-wide silence). */
  silenced(input: { silence: Silence; duration: string; alert: AlertState | null }): void;
  /** `silence` was ended early by `by` (a Slack user id). */
  ended(input: { silence: Silence; by: string }): void;
}

export interface SilenceNotesOptions {
  db: Database;
  config: Pick<Config, 'slack'>;
  /** The active alerts (an ended silence is noted in their threads). */
  alerts: Pick<AlertEngine, 'activeAlerts'>;
  /** Epoch milliseconds. */
  clock: () => number;
  logger?: DeliveryLogger;
  /** Called after a note was queued (the dispatcher's wake). */
  onEnqueued?: () => void;
}

interface Where {
  thread: { fingerprint: string; messageKey: string; channel: string } | null;
  channel: string;
}

export function createSilenceNotes(options: SilenceNotesOptions): SilenceNotes {
  const { db, config, logger } = options;

  /** Where the alert channels are: one post per distinct channel warnings and critical alerts go to. */
  function alertChannels(): string[] {
    const { channels } = config.slack;
    return [...new Set([channels.warning ?? channels.default, channels.critical ?? channels.default].filter((c): c is string => c !== undefined))];
  }

  function threadOf(alert: AlertState): Where | null {
    const messageKey = alertMessageKey(alert);
    const posted = getAlertMessage(db, messageKey);
    return posted ? { thread: { fingerprint: alert.fingerprint, messageKey, channel: posted.channel }, channel: posted.channel } : null;
  }

  function queue(where: readonly Where[], notice: Notice, silence: Silence, what: string): void {
    if (where.length === 0) {
      logger?.warn({ silenceId: silence.id, what }, 'No Slack channel configured for alerts (slack.channels); the silence note is not posted');
      return;
    }
    const now = options.clock();
    inOutboxTransaction(db, () => {
      for (const w of where) {
        if (w.thread) enqueueOp(db, { orderingKey: w.thread.fingerprint, messageKey: w.thread.messageKey, op: 'reply', channel: w.thread.channel, content: { notice } }, now);
        else enqueueOp(db, { orderingKey: `silence:${silence.id}`, messageKey: null, op: 'post', channel: w.channel, content: { notice } }, now);
      }
    });
    options.onEnqueued?.();
  }

  function inChannels(): Where[] {
    return alertChannels().map((channel) => ({ thread: null, channel }));
  }

  function guarded(what: string, silence: Silence, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      logger?.error({ err, silenceId: silence.id, what }, 'Silence note could not be queued for Slack; the silence stands');
    }
  }

  return {
    silenced({ silence, duration, alert }) {
      guarded('silenced', silence, () => {
        // A host alert's silence names no target (the host has one per rule), yet it was set on that alert.
        const thread = alert !== null ? threadOf(alert) : null;
        queue(thread ? [thread] : inChannels(), silenceNotice({ silence, duration }), silence, 'silenced');
      });
    },

    ended({ silence, by }) {
      guarded('ended', silence, () => {
        const now = options.clock();
        const threads =
          silence.target === null
            ? []
            : options.alerts
                .activeAlerts()
                .filter((alert) => silenceMatches(silence, alert.ruleId, alert.target, now))
                .map(threadOf)
                .filter((where): where is Where => where !== null)
                .slice(0, MAX_THREADS);
        queue(threads.length > 0 ? threads : inChannels(), silenceEndedNotice(silence, by), silence, 'ended');
      });
    },
  };
}
