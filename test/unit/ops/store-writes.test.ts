// Whether the database takes writes, as /healthz and the "cannot write" alert see it.
import { describe, expect, it } from 'vitest';
import { createStoreWriteMonitor } from '../../../src/ops/store-writes.js';
import type { StoreWriteState } from '../../../src/model/store-state.js';

describe('createStoreWriteMonitor', () => {
  it('turns unwritable at the first refused write and writable only after a poll whose writes all went through', () => {
    const changes: [StoreWriteState, StoreWriteState, number][] = [];
    const monitor = createStoreWriteMonitor((state, previous, at) => changes.push([state, previous, at]));
    expect(monitor.state()).toEqual({ writable: true });
    monitor.pollWritten(1);
    expect(changes).toEqual([]);

    monitor.refused('SQLITE_FULL: database or disk is full', 10);
    monitor.refused('SQLITE_IOERR_WRITE: disk I/O error', 11);
    // The first reason and time stay: one episode, one alert.
    expect(monitor.state()).toEqual({ writable: false, reason: 'SQLITE_FULL: database or disk is full', since: 10 });
    expect(monitor.refusals()).toBe(2);

    monitor.pollWritten(20);
    expect(monitor.state()).toEqual({ writable: true });
    expect(changes).toEqual([
      [{ writable: false, reason: 'SQLITE_FULL: database or disk is full', since: 10 }, { writable: true }, 10],
      [{ writable: true }, { writable: false, reason: 'SQLITE_FULL: database or disk is full', since: 10 }, 20],
    ]);
  });
});
