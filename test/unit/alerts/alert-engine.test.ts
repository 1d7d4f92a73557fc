// The engine against a real SQLite file in a temp dir, closed and reopened between rounds as a
// restarted memwarden would.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAlertEngine } from '../../../src/alerts/alert-engine.js';
import type { AlertTransition, HistoryReader } from '../../../src/model/alert.js';
import type { AlertRule } from '../../../src/model/alert-rule.js';
import type { Snapshot } from '../../../src/model/snapshot.js';
import { listAlertTransitions } from '../../../src/store/alert-state.js';
import { closeDatabase, openDatabase } from '../../../src/store/database.js';
import { GiB, makeContainer, makeHost, makeSnapshot, makeTempDir, MiB } from '../store/make-snapshot.js';
import { MINUTE, ruleFrom, rulesFrom, T0 } from './helpers.js';

const noHistory: HistoryReader = () => [];
let temp: ReturnType<typeof makeTempDir>;
let file: string;

beforeEach(() => {
  temp = makeTempDir();
  file = join(temp.dir, 'memwarden.db');
});
afterEach(() => temp.remove());

/** One round in a freshly opened database, closed afterwards: every round is a restart. */
function roundAfterRestart(rules: AlertRule[], now: number, snapshot: Snapshot, previous: Snapshot | null = null): AlertTransition[] {
  const db = openDatabase(file);
  try {
    return createAlertEngine({ db, rules, clock: () => now }).evaluate(snapshot, previous, noHistory);
  } finally {
    closeDatabase(db);
  }
}

function withState<T>(fn: (engine: ReturnType<typeof createAlertEngine>) => T, rules: AlertRule[], now = T0): T {
  const db = openDatabase(file);
  try {
    return fn(createAlertEngine({ db, rules, clock: () => now }));
  } finally {
    closeDatabase(db);
  }
}

const worker = (usage: number, extra: Partial<Snapshot> = {}, t = T0) =>
  makeSnapshot(t, { containers: [makeContainer({ name: 'bizcard-celery-worker', memoryUsageBytes: usage, memoryLimitBytes: null })], ...extra });

describe('createAlertEngine: restarts', () => {
  const rules = [ruleFrom('celery-2g', { kind: 'container-usage-bytes', warning: '2GB', for: '5m' })];

  it('neither repeats nor loses an alert across restarts', () => {
    const log: string[] = [];
    for (let minute = 0; minute <= 12; minute++) {
      const usage = minute <= 9 ? 2.57 * GiB : 1.2 * GiB;
      const now = T0 + minute * MINUTE;
      for (const t of roundAfterRestart(rules, now, worker(usage, {}, now))) log.push(`+${minute}m ${t.event}`);
      if (minute === 7) {
        // Mid-episode: the alert is there after a restart, firing since +5m.
        const active = withState((engine) => engine.activeAlerts(), rules);
        expect(active.map((a) => [a.ruleId, a.target.name, a.status, a.firingSince])).toEqual([['celery-2g', 'bizcard-celery-worker', 'firing', T0 + 5 * MINUTE]]);
      }
    }
    expect(log).toEqual(['+0m pending', '+5m firing', '+10m resolved']);
    const db = openDatabase(file);
    try {
      const stored = listAlertTransitions(db).map((t) => [t.event, t.at - T0]);
      expect(stored).toEqual([['resolved', 10 * MINUTE], ['firing', 5 * MINUTE], ['pending', 0]]);
    } finally {
      closeDatabase(db);
    }
    expect(withState((engine) => engine.activeAlerts(), rules)).toEqual([]);
  });

  it('keeps an OOM alert firing through a restart until keepFiringFor has passed without kills', () => {
    const oom = rulesFrom().filter((r) => r.id === 'oom-kill');
    const killed = worker(2 * GiB, { oomEvents: [{ containerId: 'x', containerName: 'bizcard-celery-worker', at: T0 }] });
    const events = (now: number, snapshot: Snapshot) => roundAfterRestart(oom, now, snapshot).map((t) => t.event);
    expect(events(T0, killed)).toEqual(['firing']);
    expect(events(T0 + 5 * MINUTE, worker(2 * GiB))).toEqual([]);
    expect(events(T0 + 9 * MINUTE, worker(2 * GiB))).toEqual([]);
    expect(events(T0 + 10 * MINUTE, worker(2 * GiB))).toEqual(['resolved']);
    expect(events(T0 + 11 * MINUTE, worker(2 * GiB))).toEqual([]);
  });

  it('resolves the alerts of a rule that was removed from the configuration', () => {
    expect(roundAfterRestart(rules, T0, worker(3 * GiB)).map((t) => t.event)).toEqual(['pending']);
    expect(roundAfterRestart(rules, T0 + 5 * MINUTE, worker(3 * GiB)).map((t) => t.event)).toEqual(['firing']);
    const after = roundAfterRestart([], T0 + 6 * MINUTE, worker(3 * GiB));
    expect(after.map((t) => [t.event, t.reason])).toEqual([['resolved', 'rule-removed']]);
  });
});

describe('createAlertEngine: targets', () => {
  const rules = [ruleFrom('big', { kind: 'container-usage-bytes', warning: '2GB' })];

  it('holds container alerts while Docker is unreachable and resolves them when the container is gone', () => {
    expect(roundAfterRestart(rules, T0, worker(3 * GiB)).map((t) => t.event)).toEqual(['firing']);
    const dockerDown = makeSnapshot(T0 + MINUTE, { docker: { reachable: false, error: 'connect ENOENT /var/run/docker.sock' } });
    expect(roundAfterRestart(rules, T0 + MINUTE, dockerDown)).toEqual([]);
    expect(withState((engine) => engine.activeAlerts().length, rules)).toBe(1);
    const gone = roundAfterRestart(rules, T0 + 2 * MINUTE, makeSnapshot(T0 + 2 * MINUTE));
    expect(gone.map((t) => [t.event, t.reason, t.summary])).toEqual([['resolved', 'target-gone', 'bizcard-celery-worker is gone (resolved)']]);
  });

  it('keeps the host alert when memwarden\'s own hostname changes (recreated container)', () => {
    const host = [ruleFrom('host-memory-used', { for: 0 })];
    const full = (name: string, t: number) => makeSnapshot(t, { hostname: name, host: makeHost({ totalBytes: 10 * GiB, usedBytes: 9 * GiB }) });
    expect(roundAfterRestart(host, T0, full('a1b2c3', T0)).map((t) => t.event)).toEqual(['firing']);
    expect(roundAfterRestart(host, T0 + MINUTE, full('d4e5f6', T0 + MINUTE))).toEqual([]);
  });
});

describe('createAlertEngine: silences', () => {
  const rules = [ruleFrom('big', { kind: 'container-usage-bytes', warning: '2GB' })];

  it('adds, lists, applies and removes silences', () => {
    const silence = withState(
      (engine) => engine.addSilence({ ruleId: 'big', target: 'bizcard-*', until: T0 + 30 * MINUTE, createdBy: 'U024BE7LH', reason: 'deploying the fix' }),
      rules,
    );
    expect(silence).toEqual({ id: 1, ruleId: 'big', target: 'bizcard-*', until: T0 + 30 * MINUTE, createdBy: 'U024BE7LH', reason: 'deploying the fix', createdAt: T0 });
    expect(withState((engine) => engine.listSilences(), rules)).toEqual([silence]);
    expect(withState((engine) => engine.listSilences(T0 + 30 * MINUTE), rules)).toEqual([]);

    const first = roundAfterRestart(rules, T0 + MINUTE, worker(3 * GiB));
    expect(first.map((t) => [t.event, t.silenced])).toEqual([['firing', true]]);
    expect(withState((engine) => engine.removeSilence(silence.id), rules)).toBe(true);
    expect(withState((engine) => engine.removeSilence(silence.id), rules)).toBe(false);
    // The firing was never shown: it is announced now that the silence is gone, once.
    expect(roundAfterRestart(rules, T0 + 2 * MINUTE, worker(3 * GiB)).map((t) => [t.event, t.from, t.silenced])).toEqual([['firing', 'firing', false]]);
    expect(roundAfterRestart(rules, T0 + 3 * MINUTE, worker(3 * GiB))).toEqual([]);
  });

  it('refuses silences that would silence everything, end in the past, or have no author or reason', () => {
    const add = (silence: Parameters<ReturnType<typeof createAlertEngine>['addSilence']>[0]) =>
      withState((engine) => () => engine.addSilence(silence), rules);
    const base = { until: T0 + MINUTE, createdBy: 'U1', reason: 'why' };
    expect(add({ ...base })).toThrow('a silence needs a rule id or a target (use target "*" for every target)');
    expect(add({ ...base, target: '*', until: T0 })).toThrow('a silence must end in the future');
    expect(add({ ...base, target: '*', createdBy: ' ' })).toThrow('a silence needs the name of who created it');
    expect(add({ ...base, target: '*', reason: '' })).toThrow('a silence needs a reason');
  });
});

describe('createAlertEngine: one round', () => {
  it('steps every rule on every target and stores the transitions in one go', () => {
    const snapshot = makeSnapshot(T0, {
      host: makeHost({ totalBytes: 11.68 * GiB, usedBytes: 6.6 * GiB }),
      containers: [
        makeContainer({ name: 'bizcard-celery-worker', memoryUsageBytes: 2.57 * GiB, memoryLimitBytes: null }),
        makeContainer({ name: 'bizcard-backend', memoryUsageBytes: 1.45 * GiB, memoryLimitBytes: null }),
        makeContainer({ name: 'bizcard-redis', memoryUsageBytes: 8 * MiB, memoryLimitBytes: null }),
      ],
    });
    const transitions = roundAfterRestart(rulesFrom(), T0, snapshot);
    expect(transitions.map((t) => [t.ruleId, t.target.name, t.event, t.severity]).sort()).toEqual([
      ['container-no-limit-large', 'bizcard-backend', 'pending', 'warning'],
      ['container-no-limit-large', 'bizcard-celery-worker', 'pending', 'critical'],
    ]);
    expect(transitions.find((t) => t.target.name === 'bizcard-celery-worker')?.summary).toBe(
      'bizcard-celery-worker has no memory limit and uses 22.0% of host RAM (2.57 GiB), above 20.0% (pending: fires if it lasts 5m)',
    );
  });
});

describe('createAlertEngine: a database that refuses writes', () => {
  const rules = [ruleFrom('celery-2g', { kind: 'container-usage-bytes', warning: '2GB', for: '5m' })];

  it('goes on evaluating from memory (no repeated or lost transition) and stores every round once the database takes writes again', () => {
    const db = openDatabase(file);
    const refused: string[] = [];
    let now = T0;
    try {
      const engine = createAlertEngine({ db, rules, clock: () => now, onSaveRefused: (err) => refused.push(err.code) });
      const log: string[] = [];
      const round = (minute: number, usage: number) => {
        now = T0 + minute * MINUTE;
        for (const t of engine.evaluate(worker(usage, {}, now), null, noHistory)) log.push(`+${minute}m ${t.event}`);
      };
      round(0, 2.57 * GiB);
      // The database turns read-only (as a full disk refuses writes): rounds 1..6 are refused.
      db.pragma('query_only = ON');
      for (let minute = 1; minute <= 6; minute++) round(minute, 2.57 * GiB);
      expect(refused.length).toBeGreaterThan(0);
      expect(new Set(refused)).toEqual(new Set(['store_unwritable']));
      expect(engine.activeAlerts().map((a) => [a.status, a.firingSince])).toEqual([['firing', T0 + 5 * MINUTE]]);
      expect(listAlertTransitions(db).map((t) => t.event)).toEqual(['pending']);

      db.pragma('query_only = OFF');
      round(7, 2.57 * GiB);
      round(12, 1.2 * GiB);
      expect(log).toEqual(['+0m pending', '+5m firing', '+12m resolved']);
      // Everything is in the database now, once each.
      expect(listAlertTransitions(db).map((t) => [t.event, t.at - T0])).toEqual([['resolved', 12 * MINUTE], ['firing', 5 * MINUTE], ['pending', 0]]);
    } finally {
      closeDatabase(db);
    }
    // And a restart carries on from the stored state: nothing is announced again.
    expect(roundAfterRestart(rules, T0 + 13 * MINUTE, worker(1.2 * GiB, {}, T0 + 13 * MINUTE))).toEqual([]);
  });

  it('removes from the database an alert that ended while its rounds were refused', () => {
    const db = openDatabase(file);
    let now = T0;
    try {
      const engine = createAlertEngine({ db, rules, clock: () => now });
      engine.evaluate(worker(2.57 * GiB), null, noHistory);
      db.pragma('query_only = ON');
      // pending -> cancelled (below the level before `for` elapsed): the alert is gone.
      now = T0 + MINUTE;
      expect(engine.evaluate(worker(1 * GiB, {}, now), null, noHistory).map((t) => t.event)).toEqual(['cancelled']);
      now = T0 + 2 * MINUTE;
      engine.evaluate(worker(1 * GiB, {}, now), null, noHistory);
      db.pragma('query_only = OFF');
      now = T0 + 3 * MINUTE;
      engine.evaluate(worker(1 * GiB, {}, now), null, noHistory);
      expect(db.prepare('SELECT count(*) AS n FROM alert_state').get()).toEqual({ n: 0 });
      expect(listAlertTransitions(db).map((t) => t.event)).toEqual(['cancelled', 'pending']);
    } finally {
      closeDatabase(db);
    }
  });
});
