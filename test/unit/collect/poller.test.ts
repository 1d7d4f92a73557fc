import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { startPoller } from '../../../src/collect/poller.js';
import type { Snapshot } from '../../../src/model/snapshot.js';

const silent = pino({ level: 'silent' });

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('startPoller', () => {
  it('never runs two polls at once, even when a poll outlasts the interval', async () => {
    let running = 0;
    let maxRunning = 0;
    let polls = 0;
    const gates = [deferred(), deferred(), deferred()];
    const done = deferred();
    const poller = startPoller({
      intervalMs: 1,
      logger: silent,
      collect: async () => {
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        const gate = gates[polls];
        polls += 1;
        if (gate) await gate.promise;
        running -= 1;
        if (polls === 3) done.resolve();
        return { durationMs: 1, containers: [], errors: [] } as unknown as Snapshot;
      },
      onSnapshot: () => {},
    });
    // Release the polls one by one; with a 1 ms interval overlapping polls would show up here.
    for (const gate of gates) {
      await new Promise((r) => setTimeout(r, 20));
      gate.resolve();
    }
    await done.promise;
    await poller.stop();
    expect(maxRunning).toBe(1);
    expect(poller.pollCount()).toBeGreaterThanOrEqual(3);
  });

  it('keeps polling after a failed poll or a failing consumer, and records the last success', async () => {
    let calls = 0;
    const seen: number[] = [];
    const enough = deferred();
    const poller = startPoller({
      intervalMs: 1,
      logger: silent,
      collect: async () => {
        calls += 1;
        if (calls === 1) throw new Error('source down');
        return { durationMs: calls, containers: [], errors: [] } as unknown as Snapshot;
      },
      onSnapshot: (snapshot) => {
        seen.push(snapshot.durationMs);
        if (snapshot.durationMs === 2) throw new Error('consumer failed');
        if (seen.length >= 2) enough.resolve();
      },
    });
    await enough.promise;
    await poller.stop();
    expect(seen.slice(0, 2)).toEqual([2, 3]);
    expect(poller.lastSuccessAt()).toBeInstanceOf(Date);
  });

  it('stop() waits for the poll in flight and starts no new one', async () => {
    const gate = deferred();
    const started = deferred();
    let polls = 0;
    let finished = false;
    const poller = startPoller({
      intervalMs: 1,
      logger: silent,
      collect: async () => {
        polls += 1;
        started.resolve();
        await gate.promise;
        finished = true;
        return { durationMs: 1, containers: [], errors: [] } as unknown as Snapshot;
      },
      onSnapshot: () => {},
    });
    await started.promise;
    const stopping = poller.stop();
    gate.resolve();
    await stopping;
    expect(finished).toBe(true);
    await new Promise((r) => setTimeout(r, 20));
    expect(polls).toBe(1);
  });
});
