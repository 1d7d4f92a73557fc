// The dispatcher against a scripted in-memory sink: ordering per alert, per-channel spacing,
// backoff, Retry-After, permanent errors, plain-text resend, restarts, start/stop. Time is a fake
// clock that sleep() advances; no test waits on wall time. (The same paths through the real Web
// API client and nock are in alert-notifier.test.ts.)
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { contentText, hasRichForm, type OutboxContent } from '../../../src/delivery/outbox-content.js';
import { createOutboxDispatcher, enqueueOp, type OutboxDispatcherOptions } from '../../../src/delivery/outbox-dispatcher.js';
import { type MessageSink, MessageSinkError, type PostResult, type SendOptions } from '../../../src/delivery/sink.js';
import { countPendingOutbox, getAlertMessage, getOutboxEntry, insertAlertMessage } from '../../../src/store/outbox.js';
import { createSpillingOutbox } from '../../../src/store/outbox-spill.js';
import { createAlertNotifier } from '../../../src/alerts/alert-notifier.js';
import { captureLog, type FakeClock, fakeClock, slackConfig, T0, type TempDb, tempDb, transition } from '../slack/delivery/helpers.js';

interface SentCall {
  at: number;
  kind: 'post' | 'update';
  channel: string;
  text: string;
  blocks: number;
  threadTs?: string;
  ts?: string;
}

/** A sink that records calls (with the fake time) and answers from a script, then "ok". */
function scriptedSink(clock: FakeClock, script: (MessageSinkError | null)[] = []): MessageSink & { calls: SentCall[] } {
  const calls: SentCall[] = [];
  let n = 0;
  const answer = <T>(value: T): Promise<T> => {
    const next = script.shift();
    return next ? Promise.reject(next) : Promise.resolve(value);
  };
  return {
    calls,
    post(channel: string, content: OutboxContent, options: SendOptions = {}): Promise<PostResult> {
      const threadTs = options.threadTs;
      calls.push({ at: clock.now, kind: 'post', channel, text: contentText(content), blocks: shownBlocks(content, options), ...(threadTs ? { threadTs } : {}) });
      n += 1;
      return answer({ ts: `100.${n}`, channel: channel.replace('#', 'C_') });
    },
    update(channel: string, ts: string, content: OutboxContent, options: SendOptions = {}): Promise<{ ts: string }> {
      calls.push({ at: clock.now, kind: 'update', channel, text: contentText(content), blocks: shownBlocks(content, options), ts });
      return answer({ ts });
    },
  };
}

/** How many blocks the sink was asked to show: none when it was to send the summary alone. */
function shownBlocks(content: OutboxContent, options: SendOptions): number {
  return options.plain || !hasRichForm(content) ? 0 : 'notice' in content ? content.notice.blocks.length : 0;
}

const notice = (text: string): OutboxContent => ({ notice: { summary: [text], blocks: [{ type: 'text', text: [text] }] } });

let t: TempDb;
let clock: FakeClock;
beforeEach(() => {
  t = tempDb();
  clock = fakeClock();
});
afterEach(() => t.cleanup());

function dispatcher(sink: MessageSink, overrides: Partial<OutboxDispatcherOptions> = {}) {
  const log = captureLog();
  const d = createOutboxDispatcher({ db: t.db, sink, clock: clock.clock, logger: log.logger, sleep: clock.sleep, random: () => 0, ...overrides });
  return { d, log };
}

/** An alert: its parent post and details reply (as the notifier enqueues them). */
function alert(key: string, channel = '#ops'): void {
  insertAlertMessage(t.db, { messageKey: `${key}:0`, fingerprint: key, startedAt: 0, channel }, clock.now);
  enqueueOp(t.db, { orderingKey: key, messageKey: `${key}:0`, op: 'post', channel, content: notice(`${key} parent`) }, clock.now);
  enqueueOp(t.db, { orderingKey: key, messageKey: `${key}:0`, op: 'reply', channel, content: notice(`${key} details`) }, clock.now);
}

function update(key: string, text: string, op: 'update' | 'reply' = 'update', channel = '#ops'): void {
  enqueueOp(t.db, { orderingKey: key, messageKey: `${key}:0`, op, channel, content: notice(text) }, clock.now);
}

describe('outbox dispatcher', () => {
  it('posts the parent, stores its ts and channel id, then replies in its thread and updates it', async () => {
    const sink = scriptedSink(clock);
    const { d } = dispatcher(sink, { minIntervalPerChannelMs: 0 });
    alert('a');
    update('a', 'a updated');
    expect(await d.drain()).toEqual({ sent: 3, failed: 0, retrying: 0 });
    expect(sink.calls.map(({ kind, channel, text, threadTs, ts }) => ({ kind, channel, text, threadTs, ts }))).toEqual([
      { kind: 'post', channel: '#ops', text: 'a parent', threadTs: undefined, ts: undefined },
      { kind: 'post', channel: 'C_ops', text: 'a details', threadTs: '100.1', ts: undefined },
      { kind: 'update', channel: 'C_ops', text: 'a updated', threadTs: undefined, ts: '100.1' },
    ]);
    expect(getAlertMessage(t.db, 'a:0')).toMatchObject({ channelId: 'C_ops', parentTs: '100.1' });
    expect(countPendingOutbox(t.db)).toBe(0);
  });

  it('spaces messages to one channel at least minIntervalPerChannelMs apart, other channels in between', async () => {
    const sink = scriptedSink(clock);
    const { d } = dispatcher(sink);
    for (const key of ['a', 'b', 'c']) enqueueOp(t.db, { orderingKey: key, messageKey: null, op: 'post', channel: '#ops', content: notice(key) }, clock.now);
    enqueueOp(t.db, { orderingKey: 'd', messageKey: null, op: 'post', channel: '#other', content: notice('d') }, clock.now);
    await d.drain();
    const ops = sink.calls.filter((c) => c.channel === '#ops').map((c) => c.at);
    expect(ops).toHaveLength(3);
    for (let i = 1; i < ops.length; i++) expect(ops[i]! - ops[i - 1]!).toBeGreaterThanOrEqual(1100);
    // #other did not wait for #ops.
    expect(sink.calls.find((c) => c.channel === '#other')?.at).toBe(ops[0]);
    expect(sink.calls.map((c) => c.text)).toEqual(['a', 'd', 'b', 'c']);
  });

  it('honours Retry-After exactly, holds the channel meanwhile, and keeps the alert in order', async () => {
    const sink = scriptedSink(clock, [new MessageSinkError('rate_limited', 'rate limited', { retryAfterMs: 7000 })]);
    const { d } = dispatcher(sink, { minIntervalPerChannelMs: 0 });
    alert('a');
    enqueueOp(t.db, { orderingKey: 'b', messageKey: null, op: 'post', channel: '#ops', content: notice('b') }, clock.now);
    const start = clock.now;
    expect(await d.drain()).toEqual({ sent: 0, failed: 0, retrying: 1 });
    // Same channel: b waits too; the reply of a waits for its parent.
    expect(sink.calls.map((c) => c.text)).toEqual(['a parent']);
    expect(getOutboxEntry(t.db, 1)).toMatchObject({ nextAttemptAt: start + 7000, attempts: 0, lastError: 'rate_limited: rate limited' });
    clock.advance(6999);
    await d.drain();
    expect(sink.calls).toHaveLength(1);
    clock.advance(1);
    await d.drain();
    expect(sink.calls.map((c) => c.text)).toEqual(['a parent', 'a parent', 'a details', 'b']);
  });

  it('backs off exponentially with jitter on 5xx and network errors, and gives up after maxAttempts', async () => {
    const errors = Array.from({ length: 4 }, (_, i) => new MessageSinkError(i % 2 === 0 ? 'server_error' : 'network', `down ${i}`, { slackError: 'http_503' }));
    const sink = scriptedSink(clock, errors);
    const { d, log } = dispatcher(sink, { maxAttempts: 4, random: () => 0.5, retryBaseMs: 1000, minIntervalPerChannelMs: 0 });
    enqueueOp(t.db, { orderingKey: 'a', messageKey: null, op: 'post', channel: '#ops', content: notice('a') }, clock.now);
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      const before = clock.now;
      await d.drain();
      const entry = getOutboxEntry(t.db, 1)!;
      delays.push(entry.nextAttemptAt - before);
      clock.now = entry.nextAttemptAt;
    }
    // base * 2^(n-1), half fixed and half jitter: random 0.5 -> 3/4 of it.
    expect(delays).toEqual([750, 1500, 3000]);
    expect(await d.drain()).toEqual({ sent: 0, failed: 1, retrying: 0 });
    expect(getOutboxEntry(t.db, 1)).toMatchObject({ status: 'failed', attempts: 4 });
    expect(log.at('error')).toHaveLength(1);
    expect(log.at('warn')).toHaveLength(3);
  });

  it('fails a permanent error at once, logs it once per channel and error, and drops the ops that needed its parent', async () => {
    const notInChannel = () => new MessageSinkError('permanent', 'chat.postMessage: channel_not_found', { slackError: 'channel_not_found' });
    const sink = scriptedSink(clock, [notInChannel(), notInChannel()]);
    const { d, log } = dispatcher(sink, { minIntervalPerChannelMs: 0 });
    alert('a', '#gone');
    update('a', 'a updated', 'update', '#gone');
    alert('b', '#gone');
    expect(await d.drain()).toEqual({ sent: 0, failed: 5, retrying: 0 });
    expect(sink.calls.map((c) => c.text)).toEqual(['a parent', 'b parent']);
    expect(getOutboxEntry(t.db, 1)).toMatchObject({ status: 'failed', lastError: 'permanent: channel_not_found' });
    expect(getOutboxEntry(t.db, 2)).toMatchObject({ status: 'failed', lastError: expect.stringMatching(/^parent_not_posted/) as unknown });
    expect(log.at('error').map((e) => [e.msg, e.channel, e.slackError])).toEqual([
      ['Slack refused an outbox op for good; it will not be retried', '#gone', 'channel_not_found'],
    ]);
    // Nothing is retried later.
    clock.advance(24 * 3600_000);
    expect(await d.drain()).toEqual({ sent: 0, failed: 0, retrying: 0 });
    expect(countPendingOutbox(t.db)).toBe(0);
  });

  it('resends as plain text once when Slack refuses the blocks, and gives up if it refuses that too', async () => {
    const refuse = () => new MessageSinkError('invalid_blocks', 'chat.postMessage: invalid_blocks', { slackError: 'invalid_blocks' });
    const sink = scriptedSink(clock, [refuse(), null, refuse(), refuse()]);
    const { d, log } = dispatcher(sink, { minIntervalPerChannelMs: 0 });
    enqueueOp(t.db, { orderingKey: 'a', messageKey: null, op: 'post', channel: '#ops', content: notice('a') }, clock.now);
    expect(await d.drain()).toEqual({ sent: 1, failed: 0, retrying: 1 });
    expect(sink.calls.map((c) => [c.text, c.blocks])).toEqual([
      ['a', 1],
      ['a', 0],
    ]);
    enqueueOp(t.db, { orderingKey: 'b', messageKey: null, op: 'post', channel: '#ops', content: notice('b') }, clock.now);
    expect(await d.drain()).toEqual({ sent: 0, failed: 1, retrying: 1 });
    expect(sink.calls.slice(2).map((c) => [c.text, c.blocks])).toEqual([
      ['b', 1],
      ['b', 0],
    ]);
    expect(getOutboxEntry(t.db, 2)).toMatchObject({ status: 'failed', plainText: true, lastError: 'invalid_blocks: invalid_blocks' });
    expect(log.at('warn').map((e) => e.msg)).toEqual([
      'Slack refused the blocks of a message; resending it as plain text',
      'Slack refused the blocks of a message; resending it as plain text',
    ]);
  });

  it('carries on after a restart: waits out the stored retry time and resends what was mid-send', async () => {
    const sink = scriptedSink(clock, [new MessageSinkError('server_error', 'down', { slackError: 'http_500' })]);
    const first = dispatcher(sink, { minIntervalPerChannelMs: 0 });
    alert('a');
    await first.d.drain();
    const retryAt = getOutboxEntry(t.db, 1)!.nextAttemptAt;
    expect(retryAt).toBeGreaterThan(clock.now);

    const db = t.reopen();
    const second = createOutboxDispatcher({ db, sink, clock: clock.clock, logger: captureLog().logger, sleep: clock.sleep, minIntervalPerChannelMs: 0 });
    expect(await second.drain()).toEqual({ sent: 0, failed: 0, retrying: 0 });
    clock.now = retryAt;
    expect(await second.drain()).toEqual({ sent: 2, failed: 0, retrying: 0 });
    expect(sink.calls.map((c) => c.text)).toEqual(['a parent', 'a parent', 'a details']);

    // A process that died mid-send left the op `sending`: the next one sends it again.
    update('a', 'a updated');
    db.prepare(`UPDATE outbox SET status = 'sending' WHERE op = 'update'`).run();
    const log = captureLog();
    const third = createOutboxDispatcher({ db, sink, clock: clock.clock, logger: log.logger, sleep: clock.sleep, minIntervalPerChannelMs: 0 });
    expect(log.at('warn').map((e) => [e.msg, e.released])).toEqual([['Outbox ops interrupted by a restart will be sent again', 1]]);
    expect(await third.drain()).toEqual({ sent: 1, failed: 0, retrying: 0 });
  });

  it('start() delivers in the background and stop() lets the message in flight finish', async () => {
    let release: (() => void) | null = null;
    const posted: string[] = [];
    const sink: MessageSink = {
      post: (_channel, content) =>
        new Promise((resolve) => {
          posted.push(contentText(content));
          release = () => resolve({ ts: '1.1', channel: 'C1' });
        }),
      update: () => Promise.resolve({ ts: '1.1' }),
    };
    const { d } = dispatcher(sink, { minIntervalPerChannelMs: 0, pollIntervalMs: 5, clock: Date.now, sleep: undefined });
    enqueueOp(t.db, { orderingKey: 'a', messageKey: null, op: 'post', channel: '#ops', content: notice('a') }, Date.now());
    enqueueOp(t.db, { orderingKey: 'b', messageKey: null, op: 'post', channel: '#ops', content: notice('b') }, Date.now());
    d.start();
    await expect.poll(() => posted).toEqual(['a']);
    let stopped = false;
    const stopping = d.stop().then(() => {
      stopped = true;
    });
    await Promise.resolve();
    expect(stopped).toBe(false);
    expect(release).not.toBeNull();
    (release as unknown as () => void)();
    await stopping;
    // 'a' finished and was recorded; 'b' was not started.
    expect(getOutboxEntry(t.db, 1)?.status).toBe('sent');
    expect(getOutboxEntry(t.db, 2)?.status).toBe('pending');
    expect(posted).toEqual(['a']);
  });

  it('flush(deadline) stops the loop and sends what is due until the deadline; the rest stays queued', async () => {
    const sink = scriptedSink(clock);
    // 1.1 s spacing per channel: by the deadline (2.5 s) three of five ops to one channel fit.
    const { d } = dispatcher(sink, { minIntervalPerChannelMs: 1100 });
    for (const key of ['a', 'b', 'c', 'd', 'e']) {
      enqueueOp(t.db, { orderingKey: key, messageKey: null, op: 'post', channel: '#ops', content: notice(key) }, clock.now);
    }
    const result = await d.flush(clock.now + 2500);
    expect(result).toEqual({ sent: 3, failed: 0, retrying: 0 });
    expect(sink.calls.map((c) => c.text)).toEqual(['a', 'b', 'c']);
    expect(countPendingOutbox(t.db)).toBe(2);
    // Nothing was lost: a later dispatcher (the next start) sends the rest.
    const next = dispatcher(sink, { minIntervalPerChannelMs: 0 }).d;
    expect(await next.drain()).toEqual({ sent: 2, failed: 0, retrying: 0 });
    expect(sink.calls.map((c) => c.text)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('wake() makes the running loop pick up new ops before its next poll', async () => {
    const sink = scriptedSink(clock);
    const { d } = dispatcher(sink, { minIntervalPerChannelMs: 0, pollIntervalMs: 60_000 });
    d.start();
    await expect.poll(() => countPendingOutbox(t.db)).toBe(0);
    enqueueOp(t.db, { orderingKey: 'a', messageKey: null, op: 'post', channel: '#ops', content: notice('a') }, clock.now);
    d.wake();
    await expect.poll(() => sink.calls.length).toBe(1);
    await d.stop();
  });
});

describe('outbox dispatcher: alerts ahead of requests in the channel queue', () => {
  /** A remediation approval message, queued as the remediation code queues it (its own key). */
  function approvalMessage(n: number, channel = '#ops-memory'): void {
    const key = `remediation:${String(n).padStart(32, '0')}`;
    insertAlertMessage(t.db, { messageKey: key, fingerprint: key, startedAt: clock.now, channel }, clock.now);
    enqueueOp(t.db, { orderingKey: key, messageKey: key, op: 'post', channel, content: notice(`approval ${n}`) }, clock.now);
  }

  it('keeps alerts ahead of requests in the channel queue: 20 approval messages queued first do not push back an alert of the same channel', async () => {
    const sink = scriptedSink(clock);
    const { d } = dispatcher(sink);
    for (let n = 1; n <= 20; n++) approvalMessage(n);
    // The alert comes through the real notifier, after the 20 requests.
    createAlertNotifier({ db: t.db, config: slackConfig(), findingsFor: () => [], clock: clock.clock }).notify([transition()]);

    await d.drain();
    const order = sink.calls.map((call) => call.text);
    expect(order).toHaveLength(22);
    // The alert's post and its details reply go first (in their own order), then the requests in theirs.
    expect(order.slice(0, 2).map((text) => (text.startsWith('approval') ? text : 'alert'))).toEqual(['alert', 'alert']);
    expect(sink.calls[1]?.threadTs).toBe('100.1');
    expect(order.slice(2)).toEqual(Array.from({ length: 20 }, (_, i) => `approval ${i + 1}`));
    // Spacing per channel still holds for all of them.
    for (let i = 1; i < sink.calls.length; i++) expect((sink.calls[i]?.at ?? 0) - (sink.calls[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(1100);
  });

  it('does not reorder an ordering key: a remediation reply in an alert\'s thread stays behind the alert ops queued before it', async () => {
    const sink = scriptedSink(clock);
    const { d } = dispatcher(sink, { minIntervalPerChannelMs: 0 });
    const notifier = createAlertNotifier({ db: t.db, config: slackConfig(), findingsFor: () => [], clock: clock.clock });
    notifier.notify([transition({ event: 'pending', from: 'inactive', to: 'pending' })]);
    // A follow-up in the alert's thread, as remediation queues it (the alert's key, default priority) ...
    enqueueOp(t.db, { orderingKey: transition().fingerprint, messageKey: `${transition().fingerprint}:${T0}`, op: 'reply', channel: '#ops-memory', content: notice('fix applied') }, clock.now);
    // ... then the alert fires: its ops come after the follow-up in their key.
    notifier.notify([transition()]);
    approvalMessage(1);
    await d.drain();
    const texts = sink.calls.map((call) => call.text);
    const followup = texts.indexOf('fix applied');
    expect(followup).toBeGreaterThan(1);
    // Only the alert ops queued before it (post, details) precede it; the firing update and reply follow it.
    expect(sink.calls.slice(followup + 1).filter((call) => !call.text.startsWith('approval')).map((call) => call.kind)).toEqual(['update', 'post']);
  });
});

describe('outbox dispatcher: a database that refuses writes', () => {
  it('delivers the alerts queued while the database refuses writes, from memory, and moves them into it once it takes writes, without sending any twice', async () => {
    const sink = scriptedSink(clock);
    const refusals: string[] = [];
    const outbox = createSpillingOutbox(t.db, { onRefused: (err) => refusals.push(err.code) });
    const { d } = dispatcher(sink, { minIntervalPerChannelMs: 0, outbox });
    const notifier = createAlertNotifier({ db: t.db, config: slackConfig(), findingsFor: () => [], clock: clock.clock, outbox });
    t.db.pragma('query_only = ON');
    notifier.notify([transition({ event: 'pending', from: 'inactive', to: 'pending' })]);
    notifier.notify([transition()]);
    expect(await d.drain()).toEqual({ sent: 4, failed: 0, retrying: 0 });
    expect(sink.calls.map((c) => c.kind)).toEqual(['post', 'post', 'update', 'post']);
    expect(refusals.length).toBeGreaterThan(0);
    expect(countPendingOutbox(t.db)).toBe(0);

    t.db.pragma('query_only = OFF');
    expect(await d.drain()).toEqual({ sent: 0, failed: 0, retrying: 0 });
    expect(sink.calls).toHaveLength(4);
    const stored = t.db.prepare('SELECT op, status FROM outbox ORDER BY id').all();
    expect(stored).toEqual(['post', 'reply', 'update', 'reply'].map((op) => ({ op, status: 'sent' })));
    expect(getAlertMessage(t.db, `${transition().fingerprint}:${T0}`)).toMatchObject({ parentTs: '100.1' });
  });
});
