// startDigest as run-bot wires it: off when disabled or without a channel; otherwise the schedule
// queues the digest and its chart in the outbox at its time (fake timers), and stop() stops it.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';
import { startDigest } from '../../../src/digest/start-digest.js';
import { getDigestMarker } from '../../../src/store/digest.js';
import { listOutboxHeads } from '../../../src/store/outbox.js';
import { captureLog, tempDb, type TempDb } from '../slack/delivery/helpers.js';
import { fixtureFindings } from './digest-fixture.js';

describe('startDigest', () => {
  let store: TempDb;
  beforeEach(() => {
    store = tempDb();
  });
  afterEach(() => {
    vi.useRealTimers();
    store.cleanup();
  });

  const base = (digest: Record<string, unknown>, channels: Record<string, unknown> = { default: 'C0MEMWARD' }) => ({
    db: store.db,
    config: configSchema.parse({ slack: { channels }, digest }),
    logger: captureLog().logger,
    onEnqueued: () => undefined,
    findings: () => fixtureFindings(),
    hostname: () => 'box',
  });

  it('is off when disabled, or when there is no channel', () => {
    expect(startDigest(base({ enabled: false }))).toBeNull();
    expect(startDigest(base({}, {}))).toBeNull();
  });

  it('queues the digest and its chart at its time in digest.channel, and stop() ends the schedule', async () => {
    vi.useFakeTimers({ now: Date.parse('2026-11-10T07:59:00Z'), toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    let woken = 0;
    const handle = startDigest({ ...base({ timezone: 'Europe/Berlin', channel: '#digest' }), onEnqueued: () => (woken += 1) });
    expect(handle).not.toBeNull();
    await handle?.schedule.started;
    expect(handle?.schedule.nextRun()).toBe(Date.parse('2026-11-10T08:00:00Z'));
    await vi.advanceTimersByTimeAsync(2 * 60_000);
    const heads = listOutboxHeads(store.db);
    // One key: the post is its head, the chart (a reply) waits behind it.
    expect(heads).toEqual([expect.objectContaining({ op: 'post', channel: '#digest', status: 'pending' })]);
    expect(JSON.stringify(heads[0]?.payload)).toContain('Daily memory digest: box, 2026-11-10');
    expect(woken).toBe(1);
    expect(getDigestMarker(store.db, '2026-11-10', '#digest')).toMatchObject({ reason: 'schedule' });
    await handle?.stop();
    expect(handle?.schedule.nextRun()).toBeNull();
  });
});
