import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlertState, AlertTransition } from '../../../src/model/alert.js';
import {
  deleteSilence,
  insertSilence,
  listActiveSilences,
  listAlertTransitions,
  loadAlertStates,
  pruneAlertHistory,
  saveAlertRound,
  storeHistoryReader,
} from '../../../src/store/alert-state.js';
import { closeDatabase, openDatabase } from '../../../src/store/database.js';
import { MIGRATIONS } from '../../../src/store/migrations.js';
import { recordSnapshot } from '../../../src/store/samples.js';
import { makeTempDb, type TempDb } from '../remediate/helpers.js';
import { GiB, makeContainer, makeSnapshot } from './make-snapshot.js';

const T0 = Date.parse('2025-10-27T09:00:00.000Z');

function makeState(overrides: Partial<AlertState> = {}): AlertState {
  return {
    fingerprint: '0123456789abcdef',
    ruleId: 'container-no-limit-large',
    kind: 'container-unlimited-host-percent',
    target: { kind: 'container', name: 'bizcard-celery-worker', containerId: 'a1'.repeat(32), containerName: 'bizcard-celery-worker', labels: { app: 'bizcard' } },
    status: 'firing',
    severity: 'critical',
    value: 22.0034,
    threshold: 20,
    unit: 'percent',
    since: T0 + 300_000,
    startedAt: T0,
    firingSince: T0 + 300_000,
    clearedAt: null,
    reportedValue: 22,
    lastNotifiedAt: T0 + 300_000,
    firingNotified: true,
    evidence: { usageBytes: 2.57 * GiB, hostTotalBytes: 11.68 * GiB },
    updatedAt: T0 + 300_000,
    ...overrides,
  };
}

function makeTransition(state: AlertState, overrides: Partial<AlertTransition> = {}): AlertTransition {
  return {
    event: 'firing',
    fingerprint: state.fingerprint,
    ruleId: state.ruleId,
    kind: state.kind,
    target: state.target,
    from: 'pending',
    to: 'firing',
    severity: state.severity,
    previousSeverity: null,
    value: state.value,
    threshold: state.threshold,
    unit: state.unit,
    startedAt: state.startedAt,
    at: state.since,
    silenced: false,
    reason: null,
    summary: 'bizcard-celery-worker has no memory limit and uses 22.0% of host RAM (2.57 GiB), above 20.0% for 5m',
    evidence: state.evidence,
    ...overrides,
  };
}

let store: TempDb;
beforeEach(() => {
  store = makeTempDb();
});
afterEach(() => store.close());

describe('migration 2', () => {
  it('is appended after the samples schema and creates the alert tables', () => {
    expect(MIGRATIONS.length).toBeGreaterThanOrEqual(2);
    const tables = (store.db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE 'alert_%' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
    // Later migrations may add more alert_* tables (alert_messages for delivery); these three are migration 2's.
    expect(tables).toEqual(expect.arrayContaining(['alert_silences', 'alert_state', 'alert_transitions']));
  });
});

describe('alert state', () => {
  it('round-trips every field through a reopened file', () => {
    const state = makeState();
    saveAlertRound(store.db, { upserts: [state], deletes: [], transitions: [makeTransition(state)] });
    closeDatabase(store.db);
    store.db = openDatabase(store.file);
    expect(loadAlertStates(store.db)).toEqual([state]);
    expect(listAlertTransitions(store.db)).toEqual([makeTransition(state)]);
  });

  it('replaces a state by fingerprint and deletes states that went inactive', () => {
    const a = makeState();
    const b = makeState({ fingerprint: 'fedcba9876543210', status: 'pending', firingSince: null, firingNotified: false, lastNotifiedAt: null });
    saveAlertRound(store.db, { upserts: [a, b], deletes: [], transitions: [] });
    saveAlertRound(store.db, { upserts: [{ ...a, status: 'resolved', since: T0 + 900_000 }], deletes: [b.fingerprint], transitions: [] });
    expect(loadAlertStates(store.db).map((s) => [s.fingerprint, s.status, s.since])).toEqual([[a.fingerprint, 'resolved', T0 + 900_000]]);
  });

  it('writes a round in one transaction: a failing row leaves nothing behind', () => {
    const state = makeState();
    const broken = makeTransition(state, { value: Number.NaN }); // NaN is stored as NULL: NOT NULL fails
    expect(() => saveAlertRound(store.db, { upserts: [state], deletes: [], transitions: [makeTransition(state), broken] })).toThrow(/NOT NULL/);
    expect(loadAlertStates(store.db)).toEqual([]);
    expect(listAlertTransitions(store.db)).toEqual([]);
  });

  it('lists transitions newest first, by fingerprint and time, and prunes old ones', () => {
    const state = makeState();
    const other = makeState({ fingerprint: 'ffffffffffffffff' });
    saveAlertRound(store.db, {
      upserts: [],
      deletes: [],
      transitions: [
        makeTransition(state, { event: 'pending', from: 'inactive', to: 'pending', at: T0 }),
        makeTransition(state, { at: T0 + 300_000 }),
        makeTransition(other, { at: T0 + 60_000 }),
      ],
    });
    expect(listAlertTransitions(store.db).map((t) => t.at - T0)).toEqual([300_000, 60_000, 0]);
    expect(listAlertTransitions(store.db, { fingerprint: state.fingerprint, sinceMs: T0 + 1 }).map((t) => t.event)).toEqual(['firing']);
    expect(listAlertTransitions(store.db, { limit: 1 })).toHaveLength(1);
    expect(pruneAlertHistory(store.db, T0 + 60_000)).toBe(1);
    expect(listAlertTransitions(store.db)).toHaveLength(2);
  });
});

describe('silences', () => {
  it('inserts, lists only those in force, deletes, and refuses one without rule and target', () => {
    const s1 = insertSilence(store.db, { ruleId: 'oom-kill', until: T0 + 3_600_000, createdBy: 'U024BE7LH', reason: 'known OOM loop' }, T0);
    const s2 = insertSilence(store.db, { target: 'bizcard-*', until: T0 + 600_000, createdBy: 'U024BE7LH', reason: 'deploy' }, T0);
    expect(s1).toEqual({ id: 1, ruleId: 'oom-kill', target: null, until: T0 + 3_600_000, createdBy: 'U024BE7LH', reason: 'known OOM loop', createdAt: T0 });
    expect(listActiveSilences(store.db, T0).map((s) => s.id)).toEqual([s2.id, s1.id]);
    expect(listActiveSilences(store.db, T0 + 600_000).map((s) => s.id)).toEqual([s1.id]);
    expect(deleteSilence(store.db, s1.id)).toBe(true);
    expect(deleteSilence(store.db, s1.id)).toBe(false);
    expect(() => insertSilence(store.db, { until: T0 + 1, createdBy: 'U1', reason: 'x' }, T0)).toThrow(/CHECK constraint failed/);
    expect(pruneAlertHistory(store.db, T0 + 600_001)).toBe(1);
  });
});

describe('storeHistoryReader', () => {
  it('reads container usage history for the alert rules', () => {
    for (let i = 0; i < 3; i++) {
      recordSnapshot(store.db, makeSnapshot(T0 + i * 60_000, { containers: [makeContainer({ name: 'api', memoryUsageBytes: (1 + i) * GiB })] }));
    }
    const read = storeHistoryReader(store.db);
    expect(read({ kind: 'container', name: 'api' }, T0, T0 + 120_000).map((p) => [p.t - T0, p.avg / GiB])).toEqual([
      [0, 1],
      [60_000, 2],
      [120_000, 3],
    ]);
    expect(read({ kind: 'host', name: 'box' }, T0, T0 + 120_000)).toHaveLength(3);
  });
});
