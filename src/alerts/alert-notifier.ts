// Alert transitions -> outbox ops of notices (alert-notices.ts). One parent message per alert
// episode, kept up to date in place; its thread gets the details once and a line per transition
// that matters:
//
//   first transition (pending or firing)  post the parent (channel by severity) + details reply
//   pending value change (updated)        update the parent
//   severity-changed, firing, resolved    update the parent + timeline reply
//   cancelled                             update the parent
//   silenced (any event)                  update the parent (it says until when), no reply
//   unsilenced                            the next unsilenced transition updates it back
//
// Nothing is sent here: the ops go to the outbox in one transaction per transition, and the
// dispatcher delivers them in order, ahead of the channel's other messages (priority 'alert').
// notify() never throws: a broken findings source or store is logged and the rest carries on.
import type { AlertState, AlertTarget, AlertTransition } from '../model/alert.js';
import { silenceMatches } from './targets.js';
import type { Config } from '../config/schema.js';
import type { Finding } from '../model/finding.js';
import { listActiveSilences, loadAlertStates } from '../store/alert-state.js';
import type { Database } from '../store/database.js';
import { getAlertMessage, inOutboxTransaction, insertAlertMessage } from '../store/outbox.js';
import type { OutboxWriter } from '../store/outbox-spill.js';
import { type DeliveryLogger, enqueueOp } from '../delivery/outbox-dispatcher.js';
import { alertDetailsNotice, alertParentNotice, alertTimelineNotice } from './alert-notices.js';
import { type AlertViewModel, buildAlertViewModel } from './alert-view.js';

export interface AlertNotifierOptions {
  db: Database;
  config: Pick<Config, 'slack'>;
  /** The diagnosis findings about a target (may be empty). */
  findingsFor: (target: AlertTarget) => Finding[];
  logger?: DeliveryLogger;
  /** Epoch milliseconds; when ops are enqueued. Default Date.now. */
  clock?: () => number;
  /** Called after ops were enqueued (e.g. the dispatcher's wake). */
  onEnqueued?: () => void;
  /** Opaque ids for the recommendation buttons, aligned with vm.recommendations. */
  recommendationIds?: (vm: AlertViewModel) => string[];
  /**
   * Where the ops go: the dispatcher's outbox, which holds them in memory while the database
   * refuses writes. Default: `db` itself.
   */
  outbox?: OutboxWriter;
}

export interface AlertNotifier {
  notify(transitions: readonly AlertTransition[]): void;
}

/** Which alert message a transition belongs to: one per fingerprint and episode. */
export function alertMessageKey(transition: Pick<AlertTransition, 'fingerprint' | 'startedAt'>): string {
  return `${transition.fingerprint}:${transition.startedAt}`;
}

const REPLY_EVENTS = new Set<AlertTransition['event']>(['severity-changed', 'firing', 'resolved']);

export function createAlertNotifier(options: AlertNotifierOptions): AlertNotifier {
  const { db, config } = options;
  const clock = options.clock ?? Date.now;
  const logger = options.logger;
  const warnedNoChannel = new Set<string>();
  const outbox: OutboxWriter = options.outbox ?? { write: (write) => write(db), alertMessage: (key) => getAlertMessage(db, key) };

  function channelFor(severity: AlertTransition['severity']): string | undefined {
    const channels = config.slack.channels;
    return (severity === 'critical' ? channels.critical : channels.warning) ?? channels.default;
  }

  function findings(target: AlertTarget): Finding[] {
    try {
      return options.findingsFor(target);
    } catch (err) {
      logger?.warn({ err, target: target.name }, 'Findings for an alert could not be read; sending the alert without them');
      return [];
    }
  }

  function silencedUntil(t: AlertTransition): number | null {
    if (!t.silenced) return null;
    const ends = listActiveSilences(db, t.at)
      .filter((silence) => silenceMatches(silence, t.ruleId, t.target, t.at))
      .map((silence) => silence.until);
    // The silence is gone by now (removed since the round): show the alert as not silenced.
    return ends.length > 0 ? Math.max(...ends) : null;
  }

  function viewModel(t: AlertTransition, states: Map<string, AlertState>): AlertViewModel {
    const state = states.get(t.fingerprint);
    const firingSince = state && state.startedAt === t.startedAt ? state.firingSince : null;
    const vm = buildAlertViewModel(t, findings(t.target), {
      silencedUntil: silencedUntil(t),
      criticalMention: config.slack.criticalMention ?? null,
      firingSince: firingSince ?? (t.event === 'firing' ? t.at : null),
    });
    if (options.recommendationIds) {
      const ids = options.recommendationIds(vm);
      return buildAlertViewModel(t, vm.findings, {
        silencedUntil: vm.silencedUntil,
        criticalMention: config.slack.criticalMention ?? null,
        firingSince: vm.firingSince,
        recommendationIds: ids,
      });
    }
    return vm;
  }

  function handle(t: AlertTransition, states: Map<string, AlertState>): boolean {
    const messageKey = alertMessageKey(t);
    const existing = outbox.alertMessage(messageKey);
    const now = clock();

    if (!existing) {
      // Nothing was posted for this episode yet. A silenced or finished alert starts no message;
      // a firing announced only under a silence is announced again when the silence ends.
      if (t.silenced || t.event === 'cancelled' || t.event === 'resolved') {
        logger?.debug({ fingerprint: t.fingerprint, event: t.event, silenced: t.silenced }, 'Alert transition without a Slack message; nothing to post');
        return false;
      }
      const channel = channelFor(t.severity);
      if (channel === undefined) {
        if (!warnedNoChannel.has(t.severity)) {
          warnedNoChannel.add(t.severity);
          logger?.warn({ severity: t.severity }, 'No Slack channel configured for these alerts (slack.channels); they are not posted');
        }
        return false;
      }
      const vm = viewModel(t, states);
      const parent = alertParentNotice(vm);
      const details = alertDetailsNotice(vm);
      outbox.write((target) =>
        inOutboxTransaction(target, () => {
          insertAlertMessage(target, { messageKey, fingerprint: t.fingerprint, startedAt: t.startedAt, channel }, now);
          enqueueOp(target, { orderingKey: t.fingerprint, messageKey, op: 'post', channel, priority: 'alert', content: { notice: parent } }, now);
          enqueueOp(target, { orderingKey: t.fingerprint, messageKey, op: 'reply', channel, priority: 'alert', content: { notice: details } }, now);
        }),
      );
      return true;
    }

    const vm = viewModel(t, states);
    const channel = existing.channel;
    const parent = alertParentNotice(vm);
    const timeline = !t.silenced && REPLY_EVENTS.has(t.event) ? alertTimelineNotice(t, { criticalMention: config.slack.criticalMention ?? null }) : null;
    outbox.write((target) =>
      inOutboxTransaction(target, () => {
        enqueueOp(target, { orderingKey: t.fingerprint, messageKey, op: 'update', channel, priority: 'alert', content: { notice: parent } }, now);
        if (timeline) enqueueOp(target, { orderingKey: t.fingerprint, messageKey, op: 'reply', channel, priority: 'alert', content: { notice: timeline } }, now);
      }),
    );
    return true;
  }

  return {
    notify(transitions) {
      if (transitions.length === 0) return;
      let states = new Map<string, AlertState>();
      try {
        states = new Map(loadAlertStates(db).map((state) => [state.fingerprint, state]));
      } catch (err) {
        logger?.warn({ err }, 'Alert states could not be read; firing times may be missing from messages');
      }
      let enqueued = false;
      for (const t of transitions) {
        try {
          enqueued = handle(t, states) || enqueued;
        } catch (err) {
          logger?.error({ err, fingerprint: t.fingerprint, event: t.event }, 'Alert transition could not be queued for Slack');
        }
      }
      if (enqueued) options.onEnqueued?.();
    },
  };
}
