// memwarden's own "cannot write its database" alert: one critical message per episode, ahead of
// the other messages, resolved in place with a reply in its thread; within Block Kit's limits.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderStoreAlertParent, renderStoreAlertResolved } from './render/rendered-notices.js';
import { createStoreAlert, STORE_ALERT_KEY } from '../../../src/alerts/store-alert.js';
import { getAlertMessage, listOutboxEntries } from '../../../src/store/outbox.js';
import { slackConfig, T0, type TempDb, tempDb } from './delivery/helpers.js';
import { allTexts, expectWithinLimits } from './render/render-kit.js';
import { payloadSlackMessage } from '../delivery/payload.js';

let t: TempDb;
beforeEach(() => {
  t = tempDb();
});
afterEach(() => t.cleanup());

const REASON = 'SQLITE_FULL: database or disk is full';
const view = { reason: REASON, since: T0, resolvedAt: null, file: '/data/memwarden.db', mention: 'S0ONCALL1' };

describe('the "cannot write its database" alert', () => {
  it('says what, since when and where, with the critical mention, and once resolved for how long', () => {
    const parent = renderStoreAlertParent(view);
    expect(parent.text).toBe(`memwarden cannot write its database (${REASON}) <!subteam^S0ONCALL1>`);
    expect(allTexts(parent).join('\n')).toContain('Alerts are still evaluated and sent');
    expect(allTexts(parent).join('\n')).toContain('`/data/memwarden.db`');
    const resolved = renderStoreAlertParent({ ...view, resolvedAt: T0 + 125_000 });
    expect(resolved.text).toBe(`Resolved: memwarden cannot write its database (${REASON})`);
    expect(allTexts(resolved).join('\n')).not.toContain('subteam');
    expect(renderStoreAlertResolved({ ...view, resolvedAt: T0 + 125_000 }).text).toBe('✅ memwarden can write its database again, after 2m');
    expectWithinLimits(parent, resolved, renderStoreAlertParent({ ...view, reason: 'x'.repeat(5000), file: '/'.repeat(5000) }));
  });

  it('posts once per episode to the critical channel as an alert, then updates it and replies in its thread when writes work again', () => {
    const alert = createStoreAlert({ outbox: { write: (write) => write(t.db), alertMessage: (key) => getAlertMessage(t.db, key) }, config: slackConfig(), file: '/data/memwarden.db' });
    const failing = { writable: false as const, reason: REASON, since: T0 };
    alert.changed(failing, { writable: true }, T0);
    alert.changed({ writable: true }, failing, T0 + 60_000);
    // A second "writable" without an episode in between posts nothing.
    alert.changed({ writable: true }, { writable: true }, T0 + 61_000);
    const ops = listOutboxEntries(t.db).map((e) => ({ key: e.orderingKey, op: e.op, channel: e.channel, priority: e.priority, text: payloadSlackMessage(e.payload).text }));
    expect(ops).toEqual([
      { key: STORE_ALERT_KEY, op: 'post', channel: '#ops-critical', priority: 'alert', text: `memwarden cannot write its database (${REASON}) <!subteam^S0ONCALL1>` },
      { key: STORE_ALERT_KEY, op: 'update', channel: '#ops-critical', priority: 'alert', text: `Resolved: memwarden cannot write its database (${REASON})` },
      { key: STORE_ALERT_KEY, op: 'reply', channel: '#ops-critical', priority: 'alert', text: '✅ memwarden can write its database again, after 1m' },
    ]);
    expect(getAlertMessage(t.db, `${STORE_ALERT_KEY}:${T0}`)).toMatchObject({ channel: '#ops-critical', startedAt: T0 });
  });
});
