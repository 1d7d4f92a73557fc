// store/outbox.ts on a real SQLite file: ordering per key, claiming, retries, supersede, restart.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  claimNextDue,
  countPendingOutbox,
  enqueueOutbox,
  getAlertMessage,
  getOutboxEntry,
  hasOpenPost,
  insertAlertMessage,
  latestAlertMessage,
  listOutboxHeads,
  markOutboxFailed,
  markOutboxSent,
  type NewOutboxEntry,
  pruneOutbox,
  releaseClaimedOutbox,
  setAlertMessagePosted,
} from '../../../../src/store/outbox.js';
import { T0, type TempDb, tempDb } from './helpers.js';

let t: TempDb;
beforeEach(() => {
  t = tempDb();
});
afterEach(() => t.cleanup());

function op(orderingKey: string, op: NewOutboxEntry['op'], channel = '#ops', messageKey: string | null = `${orderingKey}:1`): NewOutboxEntry {
  return { orderingKey, messageKey, op, channel, payload: { message: { text: `${orderingKey} ${op}`, blocks: [] } } };
}

describe('outbox store', () => {
  it('claims only the head of each ordering key, oldest first, and never a later op of a key before an earlier one', () => {
    const a1 = enqueueOutbox(t.db, op('a', 'post'), T0);
    const b1 = enqueueOutbox(t.db, op('b', 'post'), T0);
    const a2 = enqueueOutbox(t.db, op('a', 'reply'), T0);
    expect(listOutboxHeads(t.db).map((e) => e.id)).toEqual([a1, b1]);

    const first = claimNextDue(t.db, T0);
    expect(first).toMatchObject({ id: a1, status: 'sending', op: 'post', payload: { message: { text: 'a post', blocks: [] } } });
    // a1 is being sent: a2 waits for it, b1 is next.
    expect(claimNextDue(t.db, T0)?.id).toBe(b1);
    expect(claimNextDue(t.db, T0)).toBeNull();

    // a1 fails and waits for a retry: a2 still waits (no overtaking).
    markOutboxFailed(t.db, a1, { error: 'server_error: http_500', nextAttemptAt: T0 + 1000 }, T0);
    expect(claimNextDue(t.db, T0 + 999)).toBeNull();
    expect(getOutboxEntry(t.db, a1)).toMatchObject({ status: 'pending', attempts: 1, nextAttemptAt: T0 + 1000, lastError: 'server_error: http_500' });
    expect(claimNextDue(t.db, T0 + 1000)?.id).toBe(a1);
    markOutboxSent(t.db, a1, '111.222', T0 + 1000);
    expect(getOutboxEntry(t.db, a1)).toMatchObject({ status: 'sent', resultTs: '111.222', lastError: null });
    expect(claimNextDue(t.db, T0 + 1000)?.id).toBe(a2);
    expect(countPendingOutbox(t.db)).toBe(2); // a2 and b1 are being sent
  });

  it('skips heads on channels that must wait, without claiming anything behind them', () => {
    const slow = enqueueOutbox(t.db, op('a', 'post', '#slow'), T0);
    enqueueOutbox(t.db, op('a', 'reply', '#fast'), T0);
    const fast = enqueueOutbox(t.db, op('b', 'post', '#fast'), T0);
    expect(claimNextDue(t.db, T0, { skipChannels: new Set(['#slow']) })?.id).toBe(fast);
    expect(claimNextDue(t.db, T0, { skipChannels: new Set(['#slow']) })).toBeNull();
    expect(claimNextDue(t.db, T0)?.id).toBe(slow);
  });

  it('counts rate limits apart from failed attempts, and switches to plain text when told', () => {
    const id = enqueueOutbox(t.db, op('a', 'post'), T0);
    claimNextDue(t.db, T0);
    markOutboxFailed(t.db, id, { error: 'rate_limited: ratelimited', nextAttemptAt: T0 + 1000, countAttempt: false }, T0);
    expect(getOutboxEntry(t.db, id)).toMatchObject({ attempts: 0, plainText: false });
    claimNextDue(t.db, T0 + 1000);
    markOutboxFailed(t.db, id, { error: 'invalid_blocks: invalid_blocks', nextAttemptAt: T0 + 1000, countAttempt: false, plainText: true }, T0 + 1000);
    expect(getOutboxEntry(t.db, id)).toMatchObject({ attempts: 0, plainText: true, status: 'pending' });
    claimNextDue(t.db, T0 + 1000);
    markOutboxFailed(t.db, id, { error: 'permanent: channel_not_found', nextAttemptAt: null }, T0 + 1000);
    expect(getOutboxEntry(t.db, id)).toMatchObject({ status: 'failed', attempts: 1, lastError: 'permanent: channel_not_found', plainText: true });
    expect(countPendingOutbox(t.db)).toBe(0);
  });

  it('lets a new update supersede the queued updates of the same message, never one being sent', () => {
    const post = enqueueOutbox(t.db, op('a', 'post'), T0);
    const u1 = enqueueOutbox(t.db, op('a', 'update'), T0);
    const reply = enqueueOutbox(t.db, op('a', 'reply'), T0);
    const u2 = enqueueOutbox(t.db, op('a', 'update'), T0);
    expect(getOutboxEntry(t.db, u1)?.status).toBe('superseded');
    expect(getOutboxEntry(t.db, u2)?.status).toBe('pending');
    // Another message's updates are not touched.
    const other = enqueueOutbox(t.db, op('b', 'update'), T0);
    for (const id of [post, reply]) {
      expect(claimNextDue(t.db, T0)?.id).toBe(id);
      markOutboxSent(t.db, id, 'ts', T0);
    }
    const sending = claimNextDue(t.db, T0);
    expect([u2, other]).toContain(sending?.id);
    enqueueOutbox(t.db, op('a', 'update'), T0);
    expect(getOutboxEntry(t.db, u2)?.status).toBe(sending?.id === u2 ? 'sending' : 'superseded');
  });

  it('survives a restart: the state is in the file, and ops left mid-send are released', () => {
    const id = enqueueOutbox(t.db, op('a', 'post'), T0);
    enqueueOutbox(t.db, op('a', 'reply'), T0);
    claimNextDue(t.db, T0);
    const db = t.reopen();
    expect(countPendingOutbox(db)).toBe(2);
    expect(claimNextDue(db, T0)).toBeNull(); // still marked sending
    expect(releaseClaimedOutbox(db, T0 + 5)).toBe(1);
    expect(claimNextDue(db, T0 + 5)?.id).toBe(id);
  });

  it('keeps alert messages per fingerprint and episode, with the ts and channel id once posted', () => {
    insertAlertMessage(t.db, { messageKey: 'fp:1', fingerprint: 'fp', startedAt: 1, channel: '#ops' }, T0);
    insertAlertMessage(t.db, { messageKey: 'fp:2', fingerprint: 'fp', startedAt: 2, channel: '#ops' }, T0);
    expect(getAlertMessage(t.db, 'fp:1')).toMatchObject({ channel: '#ops', channelId: null, parentTs: null });
    setAlertMessagePosted(t.db, 'fp:1', 'C0OPS', '123.456', T0 + 1);
    expect(getAlertMessage(t.db, 'fp:1')).toMatchObject({ channelId: 'C0OPS', parentTs: '123.456', updatedAt: T0 + 1 });
    expect(latestAlertMessage(t.db, 'fp')?.messageKey).toBe('fp:2');
    expect(getAlertMessage(t.db, 'nope')).toBeNull();
    enqueueOutbox(t.db, op('fp', 'post', '#ops', 'fp:2'), T0);
    expect(hasOpenPost(t.db, 'fp:2')).toBe(true);
    expect(hasOpenPost(t.db, 'fp:1')).toBe(false);
  });

  it('prunes only finished ops older than the cut-off', () => {
    const sent = enqueueOutbox(t.db, op('a', 'post'), T0);
    claimNextDue(t.db, T0);
    markOutboxSent(t.db, sent, 'ts', T0);
    enqueueOutbox(t.db, op('b', 'post'), T0);
    expect(pruneOutbox(t.db, T0 + 1)).toBe(1);
    expect(getOutboxEntry(t.db, sent)).toBeNull();
    expect(countPendingOutbox(t.db)).toBe(1);
  });

  it('refuses an update or reply that names no message', () => {
    expect(() => enqueueOutbox(t.db, op('a', 'reply', '#ops', null), T0)).toThrow(/CHECK constraint failed/);
  });
});
