// The OOM event subscription against a fake dockerode whose getEvents hands out streams the test
// writes to, and a hand-driven reconnect scheduler (no timers, no sleeps).
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseOomEvent, watchOomEvents } from '../../../src/collect/docker-events.js';

const ID = '4c6e8a0b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f1a3c5e7b9d0f2a4c';
const T = 1_761_555_600; // 2025-10-27T09:00:00Z in seconds

/** An `oom` event as Docker Engine 20.10 sends it (one JSON object per line). */
function oomLine(id = ID, name = 'bizcard-celery-worker', seconds = T, nanos = 123_000_000): string {
  return `${JSON.stringify({
    status: 'oom',
    id,
    from: 'bizcard/backend:latest',
    Type: 'container',
    Action: 'oom',
    Actor: { ID: id, Attributes: { image: 'bizcard/backend:latest', name, 'com.docker.compose.service': 'celery-worker' } },
    scope: 'local',
    time: seconds,
    timeNano: seconds * 1e9 + nanos,
  })}\n`;
}

function fakeDocker() {
  const calls: unknown[] = [];
  const streams: PassThrough[] = [];
  const failures: Error[] = [];
  return {
    calls,
    streams,
    failures,
    docker: {
      getEvents(options?: unknown) {
        calls.push(options);
        const failure = failures.shift();
        if (failure) return Promise.reject(failure);
        const stream = new PassThrough();
        streams.push(stream);
        return Promise.resolve(stream);
      },
    } as never,
  };
}

function manualScheduler() {
  const pending: { fn: () => void; ms: number; cancelled: boolean }[] = [];
  return {
    pending,
    schedule(fn: () => void, ms: number) {
      const entry = { fn, ms, cancelled: false };
      pending.push(entry);
      return { cancel: () => (entry.cancelled = true) };
    },
    /** Runs the next scheduled reconnect; returns its delay. */
    runNext(): number {
      const entry = pending.shift();
      if (!entry) throw new Error('nothing scheduled');
      if (!entry.cancelled) entry.fn();
      return entry.ms;
    },
  };
}

/** Lets promise callbacks and stream events run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('parseOomEvent', () => {
  it('reads the container id, name and time of an oom event', () => {
    expect(parseOomEvent(oomLine().trim())).toEqual({
      event: { containerId: ID, containerName: 'bizcard-celery-worker', at: T * 1000 + 123 },
      key: `${ID}:${T * 1e9 + 123_000_000}`,
    });
  });

  it('ignores other events and garbage', () => {
    expect(parseOomEvent(JSON.stringify({ Type: 'container', Action: 'die', Actor: { ID: ID } }))).toBeNull();
    expect(parseOomEvent(JSON.stringify({ Type: 'network', Action: 'oom', Actor: { ID: ID }, time: T }))).toBeNull();
    expect(parseOomEvent('{"Action":"oom"')).toBeNull();
    expect(parseOomEvent('null')).toBeNull();
    expect(parseOomEvent(JSON.stringify({ Action: 'oom', Actor: { ID: ID } }))).toBeNull();
  });
});

describe('watchOomEvents', () => {
  it('subscribes with the oom filter, accumulates events split across chunks, and drains them', async () => {
    const fake = fakeDocker();
    const scheduler = manualScheduler();
    const watcher = watchOomEvents({ docker: fake.docker, schedule: scheduler.schedule, clock: () => T * 1000 });
    await settle();
    expect(fake.calls).toEqual([{ filters: { type: ['container'], event: ['oom'] } }]);
    expect(watcher.connected()).toBe(true);
    const two = oomLine() + oomLine(ID, 'bizcard-celery-worker', T + 1);
    fake.streams[0]?.write(two.slice(0, 50));
    fake.streams[0]?.write(two.slice(50));
    await settle();
    expect(watcher.drain().map((e) => e.at)).toEqual([T * 1000 + 123, (T + 1) * 1000 + 123]);
    expect(watcher.drain()).toEqual([]);
    watcher.stop();
  });

  it('reconnects with exponential backoff when Docker goes away, replaying since the loss without duplicates', async () => {
    const fake = fakeDocker();
    const scheduler = manualScheduler();
    let now = T * 1000;
    const watcher = watchOomEvents({ docker: fake.docker, schedule: scheduler.schedule, clock: () => now, initialBackoffMs: 1000, maxBackoffMs: 4000 });
    await settle();
    fake.streams[0]?.write(oomLine());
    await settle();
    now = (T + 10) * 1000;
    fake.streams[0]?.end(); // the daemon restarted
    await settle();
    expect(watcher.connected()).toBe(false);
    fake.failures.push(new Error('connect ENOENT /var/run/docker.sock'), new Error('connect ENOENT /var/run/docker.sock'), new Error('connect ENOENT'));
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      delays.push(scheduler.runNext());
      await settle();
    }
    expect(delays).toEqual([1000, 2000, 4000, 4000]);
    expect(watcher.connected()).toBe(true);
    expect(fake.calls.at(-1)).toEqual({ since: T + 9, filters: { type: ['container'], event: ['oom'] } });
    // The replay repeats the event seen before the loss: it is not counted twice.
    fake.streams[1]?.write(oomLine() + oomLine('e5'.repeat(32), 'ocr-job', T + 5));
    await settle();
    expect(watcher.drain().map((e) => e.containerName)).toEqual(['bizcard-celery-worker', 'ocr-job']);
    // After a good connection the backoff starts again at the first step.
    fake.streams[1]?.destroy(new Error('read ECONNRESET'));
    await settle();
    expect(scheduler.pending.at(-1)?.ms).toBe(1000);
    watcher.stop();
  });

  it('stops: closes the stream and cancels a pending reconnect', async () => {
    const fake = fakeDocker();
    const scheduler = manualScheduler();
    const watcher = watchOomEvents({ docker: fake.docker, schedule: scheduler.schedule });
    await settle();
    fake.streams[0]?.end();
    await settle();
    expect(scheduler.pending).toHaveLength(1);
    watcher.stop();
    scheduler.runNext();
    await settle();
    expect(fake.calls).toHaveLength(1);
    const second = watchOomEvents({ docker: fake.docker, schedule: scheduler.schedule });
    await settle();
    second.stop();
    expect(fake.streams[1]?.destroyed).toBe(true);
  });

  it('keeps at most maxBuffered events when nobody drains', async () => {
    const fake = fakeDocker();
    const watcher = watchOomEvents({ docker: fake.docker, schedule: manualScheduler().schedule, maxBuffered: 3 });
    await settle();
    fake.streams[0]?.write([1, 2, 3, 4, 5].map((i) => oomLine(ID, 'w', T + i)).join(''));
    await settle();
    expect(watcher.drain().map((e) => (e.at - 123) / 1000 - T)).toEqual([3, 4, 5]);
    watcher.stop();
  });
});
