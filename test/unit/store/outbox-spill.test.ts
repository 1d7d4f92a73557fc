// The outbox's in-memory spill on a real SQLite file whose connection is made read-only
// (PRAGMA query_only: every write is refused with SQLITE_READONLY, as a full disk refuses them
// with SQLITE_FULL): what is written while the database refuses, where it is sent from, how it
// moves back, and that nothing is sent twice or out of order.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { payloadText } from '../delivery/payload.js';
import type { OutboxContent } from '../../../src/delivery/outbox-content.js';
import { enqueueOp } from '../../../src/delivery/outbox-dispatcher.js';
import { getAlertMessage, getOutboxEntry, insertAlertMessage, listOutboxEntries, type OutboxEntry } from '../../../src/store/outbox.js';
import { createSpillingOutbox, type SpillingOutbox } from '../../../src/store/outbox-spill.js';
import type { StoreError } from '../../../src/store/store-error.js';
import { T0, type TempDb, tempDb } from '../slack/delivery/helpers.js';

let t: TempDb;
let outbox: SpillingOutbox;
let refused: StoreError[];
let movedBack: number[];
beforeEach(() => {
  t = tempDb();
  refused = [];
  movedBack = [];
  outbox = createSpillingOutbox(t.db, { onRefused: (err) => refused.push(err), onMovedBack: (n) => movedBack.push(n) });
});
afterEach(() => t.cleanup());

const notice = (text: string): OutboxContent => ({ notice: { summary: [text], blocks: [] } });
const refuseWrites = (on: boolean) => t.db.pragma(`query_only = ${on ? 'ON' : 'OFF'}`);
const texts = (entries: OutboxEntry[]) => entries.map((e) => `${e.op} ${payloadText(e.payload)} ${e.status}`);

/** An alert's post and details reply, as the notifier writes them. */
function alert(key: string): void {
  outbox.write((db) =>
    db.transaction(() => {
      insertAlertMessage(db, { messageKey: `${key}:0`, fingerprint: key, startedAt: 0, channel: 'C1' }, T0);
      enqueueOp(db, { orderingKey: key, messageKey: `${key}:0`, op: 'post', channel: 'C1', priority: 'alert', content: notice(`${key} parent`) }, T0);
      enqueueOp(db, { orderingKey: key, messageKey: `${key}:0`, op: 'reply', channel: 'C1', priority: 'alert', content: notice(`${key} details`) }, T0);
    })(),
  );
}

/** Claims and "sends" everything due, as the dispatcher would, with ts 1.<n>. */
function sendAll(): string[] {
  const sent: string[] = [];
  for (let held = outbox.claimNextDue(T0, new Set()); held; held = outbox.claimNextDue(T0, new Set())) {
    sent.push(`${held.inMemory ? 'memory' : 'db'}: ${payloadText(held.entry.payload)}`);
    outbox.markSent(held, `1.${sent.length}`, 'C1', T0 + 1);
  }
  return sent;
}

describe('the outbox while the database refuses writes', () => {
  it('holds new ops in memory, sends them from there, and moves them into the database as they are once it takes writes again', () => {
    refuseWrites(true);
    alert('a');
    expect(refused.map((err) => err.code)).toEqual(['store_unwritable']);
    expect(refused[0]?.message).toMatch(/SQLITE_READONLY/);
    expect(sendAll()).toEqual(['memory: a parent', 'memory: a details']);
    expect(outbox.alertMessage('a:0')).toMatchObject({ parentTs: '1.1', channelId: 'C1' });
    expect(outbox.unsent()).toEqual([]);
    expect(outbox.heldCount()).toBe(2);

    // Still refused: nothing moves, nothing is lost.
    expect(outbox.moveBack(T0 + 2)).toBeNull();
    refuseWrites(false);
    expect(outbox.moveBack(T0 + 3)).toBe(2);
    expect(movedBack).toEqual([2]);
    expect(texts(listOutboxEntries(t.db))).toEqual(['post a parent sent', 'reply a details sent']);
    expect(getAlertMessage(t.db, 'a:0')).toMatchObject({ parentTs: '1.1', channelId: 'C1' });
    expect(outbox.heldCount()).toBe(0);
    // Moved back as sent: nothing goes out a second time.
    expect(sendAll()).toEqual([]);
  });

  it('keeps a key in order across the two: an op in memory waits while its key has an op open in the database', () => {
    alert('a'); // in the database, not sent yet
    refuseWrites(true);
    outbox.write((db) => enqueueOp(db, { orderingKey: 'a', messageKey: 'a:0', op: 'update', channel: 'C1', priority: 'alert', content: notice('a update') }, T0));
    alert('b');
    // The database cannot record a claim, so its ops wait; b has nothing open there and goes.
    expect(sendAll()).toEqual(['memory: b parent', 'memory: b details']);
    refuseWrites(false);
    expect(outbox.moveBack(T0 + 2)).toBe(3);
    expect(sendAll()).toEqual(['db: a parent', 'db: a details', 'db: a update']);
  });

  it('writes new ops to memory while memory holds any, even when the database would take them (they would overtake)', () => {
    refuseWrites(true);
    alert('a');
    refuseWrites(false);
    outbox.write((db) => enqueueOp(db, { orderingKey: 'a', messageKey: 'a:0', op: 'update', channel: 'C1', content: notice('a update') }, T0));
    expect(listOutboxEntries(t.db)).toEqual([]);
    expect(outbox.moveBack(T0)).toBe(3);
    expect(texts(listOutboxEntries(t.db))).toEqual(['post a parent pending', 'reply a details pending', 'update a update pending']);
  });

  it('keeps a result the database could not record in memory and applies it later: the op is never sent twice', () => {
    alert('a');
    const held = outbox.claimNextDue(T0, new Set());
    expect(held?.inMemory).toBe(false);
    refuseWrites(true);
    outbox.markSent(held!, '1.1', 'C1', T0 + 1);
    // Still `sending` in the database, so neither it nor the rest of its key is claimed again...
    expect(getOutboxEntry(t.db, held!.entry.id)?.status).toBe('sending');
    expect(outbox.claimNextDue(T0, new Set())).toBeNull();
    // ...but its ts is known for what follows in its thread.
    expect(outbox.alertMessage('a:0')).toMatchObject({ parentTs: '1.1' });
    refuseWrites(false);
    expect(outbox.moveBack(T0 + 2)).toBe(0);
    expect(getOutboxEntry(t.db, held!.entry.id)).toMatchObject({ status: 'sent', resultTs: '1.1' });
    expect(getAlertMessage(t.db, 'a:0')).toMatchObject({ parentTs: '1.1' });
    expect(sendAll()).toEqual(['db: a details']);
  });

  it('applies a failure the database could not record when it takes writes again (the op is retried, not lost)', () => {
    alert('a');
    const held = outbox.claimNextDue(T0, new Set());
    refuseWrites(true);
    outbox.markFailed(held!, { error: 'server_error: http_500', nextAttemptAt: T0 + 1000 }, T0);
    refuseWrites(false);
    outbox.moveBack(T0);
    expect(getOutboxEntry(t.db, held!.entry.id)).toMatchObject({ status: 'pending', attempts: 1, nextAttemptAt: T0 + 1000 });
  });

  it('lists what is held and not yet sent (what a shutdown now would lose)', () => {
    refuseWrites(true);
    alert('a');
    expect(texts(outbox.unsent())).toEqual(['post a parent pending', 'reply a details pending']);
  });

  it('throws what is not a refusal (a bug, a constraint) instead of hiding it in memory', () => {
    alert('a');
    expect(() => alert('a')).toThrow(/UNIQUE constraint failed: alert_messages.message_key/);
    expect(refused).toEqual([]);
    expect(outbox.heldCount()).toBe(0);
  });
});
