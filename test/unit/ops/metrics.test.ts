// The /metrics module against real snapshots and a real SQLite store (rows written through the
// store's own functions), asserting on the parsed exposition text as Prometheus would read it.
import { join } from 'node:path';
import { register as globalRegister } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlertState } from '../../../src/model/alert.js';
import { type BotMetrics, createBotMetrics } from '../../../src/ops/metrics.js';
import { saveAlertRound } from '../../../src/store/alert-state.js';
import { closeDatabase, type Database, openDatabase } from '../../../src/store/database.js';
import { enqueueOutbox, markOutboxFailed, markOutboxSent } from '../../../src/store/outbox.js';
import { recordSnapshot } from '../../../src/store/samples.js';
import { claimExecution, createRequest, finishExecution, type NewRemediationRequest, recordDecision } from '../../../src/store/remediation.js';
import { GiB, MiB, makeContainer, makeGroup, makeHost, makeSnapshot, makeTempDir } from '../store/make-snapshot.js';

const T0 = Date.parse('2025-10-27T09:00:00.000Z');

// --- a small parser of the Prometheus text format (0.0.4) -------------------------------------

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Exposition {
  samples: Sample[];
  /** Metric family name -> declared type. */
  types: Map<string, string>;
  helps: Set<string>;
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
const SAMPLE_LINE = new RegExp(`^(${NAME})(?:\\{((?:${LABEL})(?:,${LABEL})*)?\\})? (\\S+)$`);
const LABEL_PAIR = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"/g;
// Go's ParseFloat, which Prometheus uses, accepts NaN and Inf in any case.
const VALUE = /^(?:[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|inf)|nan)$/i;

function parseExposition(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const helps = new Set<string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const comment = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (comment) {
      const [, kind, name = '', rest = ''] = comment;
      const seen = kind === 'HELP' ? helps.has(name) : types.has(name);
      if (seen) throw new Error(`${kind} twice for ${name}`);
      if (kind === 'HELP') helps.add(name);
      else types.set(name, rest);
      continue;
    }
    const match = SAMPLE_LINE.exec(line);
    if (!match) throw new Error(`not a sample line: ${JSON.stringify(line)}`);
    const [, name = '', labelText = '', valueText = ''] = match;
    if (!VALUE.test(valueText)) throw new Error(`bad value in ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    for (const [, key = '', raw = ''] of labelText.matchAll(LABEL_PAIR)) {
      if (key in labels) throw new Error(`label ${key} twice in ${line}`);
      labels[key] = raw.replace(/\\(["\\n])/g, (_m, c: string) => (c === 'n' ? '\n' : c));
    }
    samples.push({ name, labels, value: /nan/i.test(valueText) ? Number.NaN : Number(valueText.replace(/inf/i, 'Infinity')) });
  }
  return { samples, types, helps };
}

async function scrape(metrics: BotMetrics): Promise<Exposition> {
  return parseExposition(await metrics.render());
}

function series(e: Exposition, name: string): Sample[] {
  return e.samples.filter((s) => s.name === name);
}

/** The value of the one sample with exactly these labels; undefined when there is none. */
function valueOf(e: Exposition, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = JSON.stringify(Object.entries(labels).sort());
  const found = series(e, name).filter((s) => JSON.stringify(Object.entries(s.labels).sort()) === wanted);
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} ${wanted}`);
  return found[0]?.value;
}

// --- fixtures --------------------------------------------------------------------------------

let temp: ReturnType<typeof makeTempDir>;
let db: Database;
let now: number;
let metrics: BotMetrics;

beforeEach(() => {
  temp = makeTempDir();
  db = openDatabase(join(temp.dir, 'memwarden.db'));
  now = T0;
  metrics = createBotMetrics({ db, clock: () => now, topGroups: 50 });
});
afterEach(() => {
  closeDatabase(db);
  temp.remove();
});

function alertState(fingerprint: string, status: AlertState['status'], severity: AlertState['severity']): AlertState {
  return {
    fingerprint,
    ruleId: 'container-high',
    kind: 'container-limit-percent',
    target: { kind: 'container', name: 'api', containerId: 'a1'.repeat(32), containerName: 'api', labels: {} },
    status,
    severity,
    value: 91,
    threshold: 90,
    unit: 'percent',
    since: T0,
    startedAt: T0,
    firingSince: status === 'pending' ? null : T0,
    clearedAt: null,
    reportedValue: 91,
    lastNotifiedAt: null,
    firingNotified: false,
    evidence: {},
    updatedAt: T0,
  };
}

function request(runbookId: string): NewRemediationRequest {
  return {
    runbookId,
    runbookSha256: 'a3f1'.repeat(16),
    target: { containerId: 'c0ffee'.repeat(10) + 'abcd', name: 'bizcard-celery-worker' },
    params: {},
    requestedBy: 'U_ALICE',
    origin: 'command',
    dryRun: false,
    requiredApprovals: 1,
  };
}

/** Creates a request and drives it to `outcome` through the store's own transitions. */
function runRequest(runbookId: string, outcome: 'succeeded' | 'failed' | 'rejected' | 'pending' | 'executing'): void {
  const { id } = createRequest(db, request(runbookId), T0);
  if (outcome === 'pending') return;
  recordDecision(db, id, 'U_BOB', outcome === 'rejected' ? 'reject' : 'approve', T0 + 1000);
  if (outcome === 'rejected') return;
  expect(claimExecution(db, id, T0 + 2000)).toBe(true);
  if (outcome === 'executing') return;
  expect(finishExecution(db, id, { outcome }, T0 + 3000)).toBe(true);
}

const CONTAINER = { compose_project: 'acme' };

// --- tests -----------------------------------------------------------------------------------

describe('createBotMetrics: the snapshot', () => {
  it('exports the host figures in bytes, PSI as a 0-1 ratio and the kernel OOM kill counter', async () => {
    metrics.observeSnapshot(makeSnapshot(T0, { host: makeHost({ swapUsedBytes: 300 * MiB, oomKillCount: 7 }) }));
    const e = await scrape(metrics);

    expect(valueOf(e, 'memwarden_host_memory_total_bytes')).toBe(16 * GiB);
    expect(valueOf(e, 'memwarden_host_memory_used_bytes')).toBe(6 * GiB);
    expect(valueOf(e, 'memwarden_host_memory_free_bytes')).toBe(2 * GiB);
    expect(valueOf(e, 'memwarden_host_memory_available_bytes')).toBe(10 * GiB);
    expect(valueOf(e, 'memwarden_host_memory_buff_cache_bytes')).toBe(8 * GiB);
    expect(valueOf(e, 'memwarden_host_swap_total_bytes')).toBe(2 * GiB);
    expect(valueOf(e, 'memwarden_host_swap_used_bytes')).toBe(300 * MiB);
    expect(valueOf(e, 'memwarden_host_oom_kills_total')).toBe(7);
    expect(e.types.get('memwarden_host_oom_kills_total')).toBe('counter');
    // makeHost: some 0.5 / 0.25 / 0.1 %, full 0.1 / 0.05 / 0 %.
    const psi = Object.fromEntries(series(e, 'memwarden_host_memory_pressure_ratio').map((s) => [`${s.labels.kind}/${s.labels.window}`, s.value]));
    expect(psi).toEqual({ 'some/10s': 0.005, 'some/60s': 0.0025, 'some/300s': 0.001, 'full/10s': 0.001, 'full/60s': 0.0005, 'full/300s': 0 });
    expect(valueOf(e, 'memwarden_docker_up')).toBe(1);
  });

  it('exports each container with its compose labels, omitting a limit that does not exist', async () => {
    metrics.observeSnapshot(
      makeSnapshot(T0, {
        containers: [
          makeContainer({ name: 'api', memoryUsageBytes: 700 * MiB, memoryLimitBytes: 1 * GiB, oomKillCount: 2, restartCount: 3 }),
          makeContainer({ name: 'adhoc', composeProject: null, composeService: null, memoryUsageBytes: 50 * MiB, memoryLimitBytes: null }),
        ],
      }),
    );
    const e = await scrape(metrics);
    const api = { container: 'api', ...CONTAINER, compose_service: 'api' };
    const adhoc = { container: 'adhoc', compose_project: '', compose_service: '' };

    expect(valueOf(e, 'memwarden_container_memory_usage_bytes', api)).toBe(700 * MiB);
    expect(valueOf(e, 'memwarden_container_memory_limit_bytes', api)).toBe(1 * GiB);
    expect(valueOf(e, 'memwarden_container_oom_kills_total', api)).toBe(2);
    expect(valueOf(e, 'memwarden_container_restarts_total', api)).toBe(3);
    expect(valueOf(e, 'memwarden_container_memory_usage_bytes', adhoc)).toBe(50 * MiB);
    expect(valueOf(e, 'memwarden_container_restarts_total', adhoc)).toBe(0);
    // Unlimited: no limit series at all (a 0 would read as "limited to nothing").
    expect(series(e, 'memwarden_container_memory_limit_bytes').map((s) => s.labels.container)).toEqual(['api']);
  });

  it('exports process groups with their container, and PSS/USS only when every member was measured', async () => {
    metrics.observeSnapshot(
      makeSnapshot(T0, {
        processGroups: [
          makeGroup({ name: 'celery worker', kind: 'celery', containerId: 'c'.repeat(64), containerName: 'worker', pssBytes: 900 * MiB, rssBytes: 1200 * MiB, ussBytes: 600 * MiB }),
          makeGroup({ name: 'postgres', pssBytes: 300 * MiB, rssBytes: 500 * MiB, ussBytes: 100 * MiB, exact: false }),
          makeGroup({ name: 'sidecar', containerId: 'd'.repeat(64), containerName: null, pssBytes: 5 * MiB, rssBytes: 6 * MiB, ussBytes: 4 * MiB }),
        ],
      }),
    );
    const e = await scrape(metrics);
    const worker = { group: 'celery worker', container: 'worker' };

    expect(valueOf(e, 'memwarden_process_group_pss_bytes', worker)).toBe(900 * MiB);
    expect(valueOf(e, 'memwarden_process_group_rss_bytes', worker)).toBe(1200 * MiB);
    expect(valueOf(e, 'memwarden_process_group_uss_bytes', worker)).toBe(600 * MiB);
    // On the host: container "". Its PSS/USS counted unmeasured members at RSS (an upper bound),
    // so they are not known and not exported; RSS is.
    expect(valueOf(e, 'memwarden_process_group_rss_bytes', { group: 'postgres', container: '' })).toBe(500 * MiB);
    expect(valueOf(e, 'memwarden_process_group_pss_bytes', { group: 'postgres', container: '' })).toBeUndefined();
    expect(valueOf(e, 'memwarden_process_group_uss_bytes', { group: 'postgres', container: '' })).toBeUndefined();
    // In a container whose name is unknown: its short id, never "" (which would mean the host).
    expect(valueOf(e, 'memwarden_process_group_pss_bytes', { group: 'sidecar', container: 'dddddddddddd' })).toBe(5 * MiB);
  });

  it('sums groups that share a name and a container instead of keeping one of them', async () => {
    metrics.observeSnapshot(
      makeSnapshot(T0, {
        processGroups: [
          makeGroup({ name: 'python3 app.py', masterPid: 10, pssBytes: 100 * MiB, rssBytes: 150 * MiB, ussBytes: 80 * MiB }),
          makeGroup({ name: 'python3 app.py', masterPid: 20, pssBytes: 40 * MiB, rssBytes: 60 * MiB, ussBytes: 30 * MiB }),
          makeGroup({ name: 'node server.js', masterPid: 30, rssBytes: 70 * MiB }),
          makeGroup({ name: 'node server.js', masterPid: 40, rssBytes: 20 * MiB, exact: false }),
        ],
      }),
    );
    const e = await scrape(metrics);
    const labels = { group: 'python3 app.py', container: '' };
    expect(valueOf(e, 'memwarden_process_group_pss_bytes', labels)).toBe(140 * MiB);
    expect(valueOf(e, 'memwarden_process_group_rss_bytes', labels)).toBe(210 * MiB);
    expect(valueOf(e, 'memwarden_process_group_uss_bytes', labels)).toBe(110 * MiB);
    // One unmeasured part makes the sum's PSS/USS unknown too.
    const node = { group: 'node server.js', container: '' };
    expect(valueOf(e, 'memwarden_process_group_rss_bytes', node)).toBe(90 * MiB);
    expect(valueOf(e, 'memwarden_process_group_pss_bytes', node)).toBeUndefined();
    expect(valueOf(e, 'memwarden_process_group_uss_bytes', node)).toBeUndefined();
  });

  it('exports the poll.topGroups largest groups by PSS only, the ones history keeps', async () => {
    const few = createBotMetrics({ db, clock: () => now, topGroups: 2 });
    const groups = [
      makeGroup({ name: 'small', masterPid: 1, pssBytes: 1 * MiB }),
      makeGroup({ name: 'celery worker', masterPid: 2, pssBytes: 900 * MiB }),
      makeGroup({ name: 'tiny', masterPid: 3, pssBytes: 0.5 * MiB }),
      makeGroup({ name: 'postgres', masterPid: 4, pssBytes: 300 * MiB }),
    ];
    few.observeSnapshot(makeSnapshot(T0, { processGroups: groups }));
    const exported = series(await scrape(few), 'memwarden_process_group_pss_bytes').map((s) => s.labels.group);
    expect(exported.sort()).toEqual(['celery worker', 'postgres']);
    recordSnapshot(db, makeSnapshot(T0, { processGroups: groups }), 2);
    const kept = (db.prepare('SELECT name FROM process_groups ORDER BY name').all() as { name: string }[]).map((r) => r.name);
    expect(kept).toEqual(exported);
  });

  it('drops containers, groups and figures that the next snapshot no longer has', async () => {
    metrics.observeSnapshot(
      makeSnapshot(T0, {
        containers: [makeContainer({ name: 'api' }), makeContainer({ name: 'old-job', oomKillCount: 1 })],
        processGroups: [makeGroup({ name: 'gunicorn', kind: 'gunicorn' }), makeGroup({ name: 'cron' })],
      }),
    );
    const before = await scrape(metrics);
    expect(series(before, 'memwarden_container_memory_usage_bytes').map((s) => s.labels.container).sort()).toEqual(['api', 'old-job']);
    expect(valueOf(before, 'memwarden_host_oom_kills_total')).toBe(0);

    metrics.observeSnapshot(
      makeSnapshot(T0 + 30_000, {
        host: makeHost({ pressure: null, oomKillCount: null }),
        containers: [makeContainer({ name: 'api', memoryUsageBytes: 321 * MiB, oomKillCount: null })],
        processGroups: [makeGroup({ name: 'gunicorn', kind: 'gunicorn' })],
      }),
    );
    const after = await scrape(metrics);
    for (const name of ['memwarden_container_memory_usage_bytes', 'memwarden_container_memory_limit_bytes', 'memwarden_container_restarts_total']) {
      expect(series(after, name).map((s) => s.labels.container)).toEqual(['api']);
    }
    expect(valueOf(after, 'memwarden_container_memory_usage_bytes', { container: 'api', ...CONTAINER, compose_service: 'api' })).toBe(321 * MiB);
    for (const name of ['memwarden_process_group_pss_bytes', 'memwarden_process_group_rss_bytes', 'memwarden_process_group_uss_bytes']) {
      expect(series(after, name).map((s) => s.labels.group)).toEqual(['gunicorn']);
    }
    // Figures that became unknown are gone, not 0 and not their old value.
    expect(series(after, 'memwarden_container_oom_kills_total')).toEqual([]);
    expect(series(after, 'memwarden_host_memory_pressure_ratio')).toEqual([]);
    expect(series(after, 'memwarden_host_oom_kills_total')).toEqual([]);
    // The type line stays: the family is declared even when it has no series.
    expect(after.types.get('memwarden_host_oom_kills_total')).toBe('counter');
  });

  it('exports no snapshot figure before the first poll, and docker_up 0 with no containers when Docker is down', async () => {
    const empty = await scrape(metrics);
    for (const name of ['memwarden_host_memory_total_bytes', 'memwarden_host_oom_kills_total', 'memwarden_docker_up', 'memwarden_last_successful_poll_timestamp_seconds']) {
      expect(series(empty, name)).toEqual([]);
    }

    metrics.observeSnapshot(makeSnapshot(T0, { containers: [makeContainer({ name: 'api' })] }));
    metrics.observeSnapshot(makeSnapshot(T0 + 30_000, { docker: { reachable: false, error: 'connect ENOENT /var/run/docker.sock' }, containers: [] }));
    const down = await scrape(metrics);
    expect(valueOf(down, 'memwarden_docker_up')).toBe(0);
    expect(series(down, 'memwarden_container_memory_usage_bytes')).toEqual([]);
  });
});

describe('createBotMetrics: database writes', () => {
  it('exports whether the database takes writes and how many Slack ops are held in memory meanwhile, read at scrape time', async () => {
    let writable = true;
    let held = 0;
    const watched = createBotMetrics({ db, clock: () => now, topGroups: 50, storeWrites: { writable: () => writable, heldInMemory: () => held } });
    const before = await scrape(watched);
    expect([valueOf(before, 'memwarden_store_writable'), valueOf(before, 'memwarden_outbox_held_in_memory_messages')]).toEqual([1, 0]);
    writable = false;
    held = 3;
    const full = await scrape(watched);
    expect([valueOf(full, 'memwarden_store_writable'), valueOf(full, 'memwarden_outbox_held_in_memory_messages')]).toEqual([0, 3]);
  });
});

describe('createBotMetrics: polls', () => {
  it('counts polls by result, times successful ones in seconds and stamps the last success with the clock', async () => {
    const start = await scrape(metrics);
    expect(valueOf(start, 'memwarden_polls_total', { result: 'ok' })).toBe(0);
    expect(valueOf(start, 'memwarden_polls_total', { result: 'failed' })).toBe(0);

    now = T0 + 5_000;
    metrics.observeSnapshot(makeSnapshot(T0, { durationMs: 99.6 }));
    metrics.observePollFailure();
    now = T0 + 35_500;
    metrics.observeSnapshot(makeSnapshot(T0 + 30_000, { durationMs: 2690 }));
    now = T0 + 99_000; // the scrape's clock does not move the timestamp
    const e = await scrape(metrics);

    expect(valueOf(e, 'memwarden_polls_total', { result: 'ok' })).toBe(2);
    expect(valueOf(e, 'memwarden_polls_total', { result: 'failed' })).toBe(1);
    expect(valueOf(e, 'memwarden_last_successful_poll_timestamp_seconds')).toBe((T0 + 35_500) / 1000);
    expect(e.types.get('memwarden_poll_duration_seconds')).toBe('histogram');
    expect(valueOf(e, 'memwarden_poll_duration_seconds_count')).toBe(2);
    expect(valueOf(e, 'memwarden_poll_duration_seconds_sum')).toBeCloseTo(2.7896, 10);
    expect(valueOf(e, 'memwarden_poll_duration_seconds_bucket', { le: '0.01' })).toBe(0);
    expect(valueOf(e, 'memwarden_poll_duration_seconds_bucket', { le: '0.1' })).toBe(1);
    expect(valueOf(e, 'memwarden_poll_duration_seconds_bucket', { le: '2.5' })).toBe(1);
    expect(valueOf(e, 'memwarden_poll_duration_seconds_bucket', { le: '5' })).toBe(2);
    expect(valueOf(e, 'memwarden_poll_duration_seconds_bucket', { le: '10' })).toBe(2);
    expect(valueOf(e, 'memwarden_poll_duration_seconds_bucket', { le: '+Inf' })).toBe(2);
  });

  it('does not let a non-finite duration into the histogram (or throw into the poll loop)', async () => {
    expect(() => metrics.observeSnapshot(makeSnapshot(T0, { durationMs: Number.NaN }))).not.toThrow();
    const e = await scrape(metrics);
    expect(valueOf(e, 'memwarden_poll_duration_seconds_count')).toBe(0);
    expect(valueOf(e, 'memwarden_polls_total', { result: 'ok' })).toBe(1);
  });
});

describe('createBotMetrics: the store, read at scrape time', () => {
  it('counts alerts by state and severity, every known combination exported', async () => {
    saveAlertRound(db, {
      upserts: [alertState('f1', 'firing', 'critical'), alertState('f2', 'pending', 'warning'), alertState('f3', 'resolved', 'warning'), alertState('f4', 'resolved', 'warning')],
      deletes: [],
      transitions: [],
    });
    const e = await scrape(metrics);
    const counts = Object.fromEntries(series(e, 'memwarden_alerts').map((s) => [`${s.labels.state}/${s.labels.severity}`, s.value]));
    expect(counts).toEqual({
      'pending/warning': 1,
      'pending/critical': 0,
      'firing/warning': 0,
      'firing/critical': 1,
      'resolved/warning': 2,
      'resolved/critical': 0,
    });

    // Read per scrape, not cached: a change in the store shows in the next scrape.
    saveAlertRound(db, { upserts: [alertState('f2', 'firing', 'warning')], deletes: ['f1', 'f3'], transitions: [] });
    const next = await scrape(metrics);
    expect(valueOf(next, 'memwarden_alerts', { state: 'firing', severity: 'critical' })).toBe(0);
    expect(valueOf(next, 'memwarden_alerts', { state: 'firing', severity: 'warning' })).toBe(1);
    expect(valueOf(next, 'memwarden_alerts', { state: 'pending', severity: 'warning' })).toBe(0);
    expect(valueOf(next, 'memwarden_alerts', { state: 'resolved', severity: 'warning' })).toBe(1);
  });

  it('counts finished remediation requests by runbook and final status, and open ones by status', async () => {
    runRequest('celery-lower-concurrency', 'succeeded');
    runRequest('celery-lower-concurrency', 'succeeded');
    runRequest('celery-lower-concurrency', 'rejected');
    runRequest('celery-lower-concurrency', 'pending');
    runRequest('restart-container', 'failed');
    runRequest('restart-container', 'executing');
    const e = await scrape(metrics);

    expect(e.types.get('memwarden_remediation_requests_total')).toBe('counter');
    const finished = Object.fromEntries(series(e, 'memwarden_remediation_requests_total').map((s) => [`${s.labels.runbook}/${s.labels.status}`, s.value]));
    expect(finished).toEqual({
      'celery-lower-concurrency/succeeded': 2,
      'celery-lower-concurrency/failed': 0,
      'celery-lower-concurrency/rejected': 1,
      'celery-lower-concurrency/expired': 0,
      'celery-lower-concurrency/not-executed': 0,
      'restart-container/succeeded': 0,
      'restart-container/failed': 1,
      'restart-container/rejected': 0,
      'restart-container/expired': 0,
      'restart-container/not-executed': 0,
    });
    const open = Object.fromEntries(series(e, 'memwarden_remediation_requests_open').map((s) => [`${s.labels.runbook}/${s.labels.status}`, s.value]));
    expect(open).toEqual({ 'celery-lower-concurrency/pending': 1, 'restart-container/executing': 1 });
  });

  it('reports the outbox depth and the age of its oldest unsent op from the clock', async () => {
    const first = enqueueOutbox(db, { orderingKey: 'a', messageKey: null, op: 'post', channel: '#ops', payload: { text: '1' } }, T0);
    const second = enqueueOutbox(db, { orderingKey: 'b', messageKey: null, op: 'post', channel: '#ops', payload: { text: '2' } }, T0 + 30_000);
    enqueueOutbox(db, { orderingKey: 'c', messageKey: null, op: 'post', channel: '#ops', payload: { text: '3' } }, T0 + 60_000);
    markOutboxSent(db, first, '1700000000.000100', T0 + 1_000);
    // Waiting for a retry is still waiting.
    markOutboxFailed(db, second, { error: 'ratelimited', nextAttemptAt: T0 + 200_000 }, T0 + 31_000);
    now = T0 + 120_000;
    const e = await scrape(metrics);
    expect(valueOf(e, 'memwarden_outbox_pending_messages')).toBe(2);
    expect(valueOf(e, 'memwarden_outbox_oldest_pending_age_seconds')).toBe(90);

    now = T0 + 150_500;
    expect(valueOf(await scrape(metrics), 'memwarden_outbox_oldest_pending_age_seconds')).toBe(120.5);
  });

  it('reports an empty store as zeros: nothing waiting is known, not unknown', async () => {
    const e = await scrape(metrics);
    expect(valueOf(e, 'memwarden_outbox_pending_messages')).toBe(0);
    expect(valueOf(e, 'memwarden_outbox_oldest_pending_age_seconds')).toBe(0);
    expect(series(e, 'memwarden_remediation_requests_total')).toEqual([]);
    expect(valueOf(e, 'memwarden_metrics_store_errors_total')).toBe(0);
  });

  it('still renders when the store cannot be read, leaving the store metrics out and counting the failures', async () => {
    saveAlertRound(db, { upserts: [alertState('f1', 'firing', 'critical')], deletes: [], transitions: [] });
    metrics.observeSnapshot(makeSnapshot(T0));
    closeDatabase(db);
    const e = await scrape(metrics);

    for (const name of ['memwarden_alerts', 'memwarden_remediation_requests_total', 'memwarden_remediation_requests_open', 'memwarden_outbox_pending_messages', 'memwarden_outbox_oldest_pending_age_seconds']) {
      expect(series(e, name)).toEqual([]);
    }
    // One failure per store-backed metric, counted in the scrape that missed them.
    expect(valueOf(e, 'memwarden_metrics_store_errors_total')).toBe(5);
    expect(valueOf(e, 'memwarden_host_memory_total_bytes')).toBe(16 * GiB);
    expect(valueOf(e, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  });
});

describe('createBotMetrics: the exposition', () => {
  it('is checked by a parser that rejects malformed lines (so the validity test below can fail)', () => {
    expect(() => parseExposition('memwarden_x{a="b} 1')).toThrow(/not a sample line/);
    expect(() => parseExposition('memwarden_x{a="b"} 1 2 3')).toThrow(/not a sample line/);
    expect(() => parseExposition('memwarden_x{a=b} 1')).toThrow(/not a sample line/);
    expect(() => parseExposition('memwarden_x 12abc')).toThrow(/bad value/);
    expect(() => parseExposition('memwarden-x 1')).toThrow(/not a sample line/);
    expect(parseExposition('memwarden_x{a="q\\"uote",b=""} 1.5e3').samples).toEqual([{ name: 'memwarden_x', labels: { a: 'q"uote', b: '' }, value: 1500 }]);
  });

  it('is valid text format with every sample in a declared family, the default process metrics included', async () => {
    saveAlertRound(db, { upserts: [alertState('f1', 'firing', 'critical')], deletes: [], transitions: [] });
    runRequest('celery-lower-concurrency', 'succeeded');
    enqueueOutbox(db, { orderingKey: 'a', messageKey: null, op: 'post', channel: '#ops', payload: {} }, T0);
    metrics.observeSnapshot(
      makeSnapshot(T0, { containers: [makeContainer({ name: 'api' })], processGroups: [makeGroup({ name: 'gunicorn', containerId: 'a'.repeat(64), containerName: 'api' })] }),
    );
    metrics.observePollFailure();
    const text = await metrics.render();

    expect(metrics.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    const e = parseExposition(text); // throws on any malformed line
    expect(e.samples.length).toBeGreaterThan(50);
    for (const sample of e.samples) {
      const family = [sample.name, sample.name.replace(/_(bucket|sum|count)$/, '')].find((n) => e.types.has(n));
      expect(family, sample.name).toBeDefined();
      expect(e.helps.has(family ?? ''), sample.name).toBe(true);
    }
    const ours = [...e.types.keys()].filter((n) => n.startsWith('memwarden_'));
    expect(ours.every((n) => /_(bytes|seconds|ratio|total|up|messages)$|^memwarden_alerts$|_requests_open$/.test(n)), ours.join(' ')).toBe(true);
    expect(valueOf(e, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(valueOf(e, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    expect(series(e, 'nodejs_heap_space_size_used_bytes').length).toBeGreaterThan(0);
  });

  it('keeps each instance in its own registry, away from prom-client’s global one', async () => {
    const other = createBotMetrics({ db, clock: () => now, topGroups: 50 });
    metrics.observeSnapshot(makeSnapshot(T0, { host: makeHost({ totalBytes: 8 * GiB }) }));
    other.observeSnapshot(makeSnapshot(T0, { host: makeHost({ totalBytes: 32 * GiB }) }));

    expect(valueOf(await scrape(metrics), 'memwarden_host_memory_total_bytes')).toBe(8 * GiB);
    expect(valueOf(await scrape(other), 'memwarden_host_memory_total_bytes')).toBe(32 * GiB);
    expect(globalRegister.getMetricsAsArray().filter((m) => m.name.startsWith('memwarden_'))).toEqual([]);
  });
});
