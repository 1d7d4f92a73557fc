// The "memwarden cannot write its database" alert: posted (critical channel, ahead of the other
// messages) when the database first refuses a write, updated and answered in its thread when a
// poll's writes all go through again. It goes through the outbox like every message, so while
// the database refuses writes it is held in memory and sent from there.
import type { Config } from '../config/schema.js';
import type { StoreWriteState } from '../model/store-state.js';
import { inOutboxTransaction, insertAlertMessage } from '../store/outbox.js';
import type { OutboxWriter } from '../store/outbox-spill.js';
import { enqueueOp } from '../delivery/outbox-dispatcher.js';
import { type StoreAlertView, storeAlertParentNotice, storeAlertResolvedNotice } from './store-alert-notices.js';

/** Its outbox ordering key (and fingerprint): one alert per process at a time, in order. */
export const STORE_ALERT_KEY = 'memwarden:store';

export interface StoreAlertOptions {
  outbox: OutboxWriter;
  config: Pick<Config, 'slack'>;
  /** The database file, named in the message. */
  file: string;
  /** Called after ops were enqueued (the dispatcher's wake). */
  onEnqueued?: () => void;
  logger?: { error: (meta: Record<string, unknown>, msg: string) => void };
}

export interface StoreAlert {
  changed(state: StoreWriteState, previous: StoreWriteState, at: number): void;
}

export function createStoreAlert(options: StoreAlertOptions): StoreAlert {
  const { outbox, config } = options;
  const channels = config.slack.channels;
  /** The episode being reported: where its message went. */
  let open: { view: StoreAlertView; messageKey: string; channel: string } | null = null;

  function enqueue(fn: Parameters<OutboxWriter['write']>[0]): void {
    try {
      outbox.write(fn);
      options.onEnqueued?.();
    } catch (err) {
      options.logger?.error({ err }, 'The store alert could not be queued for Slack');
    }
  }

  return {
    changed(state, previous, at) {
      if (!state.writable && previous.writable) {
        const channel = channels.critical ?? channels.default;
        if (channel === undefined) return;
        const view: StoreAlertView = { reason: state.reason, since: state.since, resolvedAt: null, file: options.file, mention: config.slack.criticalMention ?? null };
        const messageKey = `${STORE_ALERT_KEY}:${state.since}`;
        open = { view, messageKey, channel };
        const notice = storeAlertParentNotice(view);
        enqueue((db) =>
          inOutboxTransaction(db, () => {
            insertAlertMessage(db, { messageKey, fingerprint: STORE_ALERT_KEY, startedAt: state.since, channel }, at);
            enqueueOp(db, { orderingKey: STORE_ALERT_KEY, messageKey, op: 'post', channel, priority: 'alert', content: { notice } }, at);
          }),
        );
        return;
      }
      if (state.writable && !previous.writable && open !== null) {
        const { messageKey, channel } = open;
        const view = { ...open.view, resolvedAt: at };
        open = null;
        const parent = storeAlertParentNotice(view);
        const reply = storeAlertResolvedNotice(view);
        enqueue((db) =>
          inOutboxTransaction(db, () => {
            enqueueOp(db, { orderingKey: STORE_ALERT_KEY, messageKey, op: 'update', channel, priority: 'alert', content: { notice: parent } }, at);
            enqueueOp(db, { orderingKey: STORE_ALERT_KEY, messageKey, op: 'reply', channel, priority: 'alert', content: { notice: reply } }, at);
          }),
        );
      }
    },
  };
}
