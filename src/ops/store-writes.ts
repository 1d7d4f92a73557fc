// Whether the database takes writes: what /healthz reports and what the "cannot write" alert
// follows. Every refused write says so at once; only a poll whose writes all went through says
// it is over, so a database that takes some writes and refuses others does not flap.
// Plain data, no I/O: run-bot feeds it.
import type { StoreWriteState } from '../model/store-state.js';

export interface StoreWriteMonitor {
  state(): StoreWriteState;
  /** A write was refused at `at`, for `reason` (SQLite's words). */
  refused(reason: string, at: number): void;
  /** How many writes were refused so far (a poll compares it before and after). */
  refusals(): number;
  /** Every write of a poll went through. */
  pollWritten(at: number): void;
}

export function createStoreWriteMonitor(onChange: (state: StoreWriteState, previous: StoreWriteState, at: number) => void): StoreWriteMonitor {
  let state: StoreWriteState = { writable: true };
  let refusals = 0;
  const change = (next: StoreWriteState, at: number) => {
    const previous = state;
    state = next;
    onChange(next, previous, at);
  };
  return {
    state: () => state,
    refused(reason, at) {
      refusals += 1;
      if (state.writable) change({ writable: false, reason, since: at }, at);
    },
    refusals: () => refusals,
    pollWritten(at) {
      if (!state.writable) change({ writable: true }, at);
    },
  };
}
