// A synthetic 48 hours on a 16 GiB Docker host, recorded through the real store (recordSnapshot,
// saveAlertRound, appendAudit) into a real SQLite file: the digest's fixture. Deterministic (no
// randomness, no wall clock). The 24 hours of the digest end at NOW, 09:00 in Europe/Berlin.
//
// What happened in the last 24 hours (the day before was quieter):
// - celery-worker grows steadily, ~60 MiB/h from 1.2 GiB: a leak suspect and the top grower;
// - ml-inference hits its 1.5 GiB limit at NOW - 9h30, is OOM-killed once and restarted;
// - api is restarted by an approved remediation at NOW - 3h56 (1.4 GiB -> 700 MiB);
// - alerts: near-limit and oom-kill on ml-inference, a host warning that fired silenced, and
//   the leak alert on celery-worker that still fires.
import type { AlertState, AlertTarget, AlertTransition } from '../../../src/model/alert.js';
import type { RuleKind, RuleUnit } from '../../../src/model/alert-rule.js';
import type { Finding } from '../../../src/model/finding.js';
import type { LeakTerms } from '../../../src/signals/leak.js';
import { saveAlertRound } from '../../../src/store/alert-state.js';
import type { Database } from '../../../src/store/database.js';
import { appendAudit } from '../../../src/store/remediation.js';
import { recordSnapshot } from '../../../src/store/samples.js';
import { GiB, MiB, makeContainer, makeHost, makeSnapshot } from '../store/make-snapshot.js';

export const NOW = Date.parse('2025-10-27T08:00:00.000Z'); // 09:00 CET
export const TZ = 'Europe/Berlin';
export const HOUR = 3_600_000;
export const MINUTE = 60_000;
const STEP = 5 * MINUTE;

export const FIXTURE_LEAK: LeakTerms = { minSlopePerHour: 50 * MiB, minFit: 0.8, minPoints: 12, windowMs: 2 * HOUR };

/** Hours before NOW: 0 at NOW, 24 at the start of the digest's day. */
const ago = (t: number) => (NOW - t) / HOUR;
const wave = (t: number, amplitude: number, periodHours = 24, phase = 0) => amplitude * Math.sin(((t / HOUR + phase) / periodHours) * 2 * Math.PI);

function apiUsage(t: number): number {
  const h = ago(t);
  if (h < 3 + 56 / 60) return 700 * MiB + (3.93 - h) * 20 * MiB; // restarted, slowly warming up
  return 900 * MiB + wave(t, 250 * MiB) + (h < 24 ? 200 * MiB : 0) + (24 - Math.min(h, 24)) * 10 * MiB;
}

function celeryUsage(t: number): number {
  const h = ago(t);
  // Flat the day before; growing ~60 MiB/h through the last 24 hours.
  return h >= 24 ? 1.15 * GiB + wave(t, 20 * MiB, 6) : 1.2 * GiB + (24 - h) * 60 * MiB + wave(t, 8 * MiB, 3);
}

function mlUsage(t: number): number {
  const h = ago(t);
  if (h >= 24) return 700 * MiB + wave(t, 60 * MiB, 8);
  if (h > 9.5 && h < 10.5) return 1.45 * GiB; // at its limit, then killed
  return 800 * MiB + wave(t, 90 * MiB, 8);
}

export function fixtureSnapshot(t: number) {
  const h = ago(t);
  const containers = [
    makeContainer({ name: 'api', memoryUsageBytes: Math.round(apiUsage(t)), memoryLimitBytes: 2 * GiB, restartCount: h < 3.93 ? 1 : 0 }),
    makeContainer({ name: 'celery-worker', memoryUsageBytes: Math.round(celeryUsage(t)), memoryLimitBytes: 3 * GiB }),
    makeContainer({
      name: 'ml-inference',
      memoryUsageBytes: Math.round(mlUsage(t)),
      memoryLimitBytes: 1.5 * GiB,
      oomKillCount: h < 9.5 ? 1 : 0,
      restartCount: h < 9.5 ? 3 : 2,
    }),
    makeContainer({ name: 'postgres', memoryUsageBytes: Math.round(1.5 * GiB + wave(t, 40 * MiB, 12)), memoryLimitBytes: null }),
    makeContainer({ name: 'redis', memoryUsageBytes: Math.round(120 * MiB + wave(t, 10 * MiB, 6)), memoryLimitBytes: 512 * MiB }),
    makeContainer({ name: 'nginx', memoryUsageBytes: Math.round(40 * MiB), memoryLimitBytes: 256 * MiB }),
  ];
  const containerTotal = containers.reduce((sum, c) => sum + c.memoryUsageBytes, 0);
  const used = Math.round(2.5 * GiB + containerTotal + wave(t, 300 * MiB, 24, 6));
  const pressure = h < 24 && h > 9.3 && h < 10.6 ? 4.5 : 0.3 + Math.max(0, wave(t, 0.4, 24, 6));
  return makeSnapshot(t, {
    hostname: 'box',
    host: makeHost({
      totalBytes: 16 * GiB,
      usedBytes: used,
      availableBytes: 16 * GiB - used,
      swapTotalBytes: 2 * GiB,
      swapUsedBytes: Math.round(h < 24 ? 300 * MiB + (24 - h) * 4 * MiB : 250 * MiB),
      pressure: { some: { avg10: pressure, avg60: pressure, avg300: pressure }, full: { avg10: pressure / 5, avg60: pressure / 5, avg300: 0 } },
      oomKillCount: h < 9.5 ? 4 : 3,
    }),
    containers,
  });
}

function target(kind: 'host' | 'container', name: string): AlertTarget {
  return { kind, name, containerId: kind === 'container' ? `${name}-id` : null, containerName: kind === 'container' ? name : null, labels: {} };
}

interface Episode {
  ruleId: string;
  kind: RuleKind;
  unit: RuleUnit;
  target: AlertTarget;
  severity: 'warning' | 'critical';
  value: number;
  threshold: number;
  /** Hours before NOW. */
  firing: number;
  resolved: number | null;
  silenced?: boolean;
}

const EPISODES: Episode[] = [
  // The day before: one short near-limit alert on api.
  { ruleId: 'container-near-limit', kind: 'container-limit-percent', unit: 'percent', target: target('container', 'api'), severity: 'warning', value: 86, threshold: 85, firing: 30, resolved: 29.5 },
  // The last 24 hours.
  { ruleId: 'container-near-limit', kind: 'container-limit-percent', unit: 'percent', target: target('container', 'ml-inference'), severity: 'critical', value: 96.7, threshold: 95, firing: 10.4, resolved: 9.4 },
  { ruleId: 'oom-kill', kind: 'oom-kill', unit: 'count', target: target('container', 'ml-inference'), severity: 'critical', value: 1, threshold: 1, firing: 9.5, resolved: 9.5 - 10 / 60 },
  { ruleId: 'host-memory-used', kind: 'host-used-percent', unit: 'percent', target: target('host', 'box'), severity: 'warning', value: 86.2, threshold: 85, firing: 3, resolved: 2.5, silenced: true },
  { ruleId: 'memory-leak-suspected', kind: 'memory-leak', unit: 'bytes-per-hour', target: target('container', 'celery-worker'), severity: 'warning', value: 60 * MiB, threshold: 50 * MiB, firing: 5, resolved: null },
];

function transition(e: Episode, event: 'firing' | 'resolved', at: number, fingerprint: string): AlertTransition {
  return {
    event,
    fingerprint,
    ruleId: e.ruleId,
    kind: e.kind,
    target: e.target,
    from: event === 'firing' ? 'pending' : 'firing',
    to: event === 'firing' ? 'firing' : 'resolved',
    severity: e.severity,
    previousSeverity: null,
    value: e.value,
    threshold: e.threshold,
    unit: e.unit,
    startedAt: NOW - e.firing * HOUR - MINUTE,
    at,
    silenced: e.silenced === true,
    reason: event === 'resolved' ? 'cleared' : null,
    summary: `${e.target.name}: ${e.ruleId}`,
    evidence: {},
  };
}

function seedAlerts(db: Database): void {
  EPISODES.forEach((e, index) => {
    const fingerprint = `${index.toString(16).padStart(2, '0')}${'f'.repeat(14)}`;
    const firingAt = NOW - e.firing * HOUR;
    const transitions = [transition(e, 'firing', firingAt, fingerprint)];
    if (e.resolved !== null) transitions.push(transition(e, 'resolved', NOW - e.resolved * HOUR, fingerprint));
    const upserts: AlertState[] =
      e.resolved === null
        ? [
            {
              fingerprint,
              ruleId: e.ruleId,
              kind: e.kind,
              target: e.target,
              status: 'firing',
              severity: e.severity,
              value: e.value,
              threshold: e.threshold,
              unit: e.unit,
              since: firingAt,
              startedAt: firingAt - MINUTE,
              firingSince: firingAt,
              clearedAt: null,
              reportedValue: e.value,
              lastNotifiedAt: firingAt,
              firingNotified: true,
              evidence: {},
              updatedAt: NOW - MINUTE,
            },
          ]
        : [];
    saveAlertRound(db, { upserts, deletes: [], transitions });
  });
}

function seedAudit(db: Database): void {
  const requestId = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
  const base = { requestId, runbookId: 'docker-restart', runbookSha256: 'f'.repeat(64), target: 'api', targetContainerId: 'api-id', params: {} };
  const at = (hours: number) => NOW - hours * HOUR;
  appendAudit(db, { ...base, at: at(4), actor: 'U0ALICE01', action: 'requested', detail: 'needs 1 approval; origin command' });
  appendAudit(db, { ...base, at: at(3.98), actor: 'U0BOB0001', action: 'approved' });
  appendAudit(db, { ...base, at: at(3.95), actor: 'memwarden', action: 'executing', detail: 'started; approved by U0BOB0001' });
  appendAudit(db, {
    ...base,
    at: at(3.93),
    actor: 'memwarden',
    action: 'succeeded',
    outcome: 'succeeded',
    beforeBytes: Math.round(1.4 * GiB),
    afterBytes: 700 * MiB,
    detail: 'restarted api in 1.8s',
  });
}

/** Records the 48 hours, the alerts and the audit into `db`. */
export function seedDigestFixture(db: Database): void {
  for (let t = NOW - 48 * HOUR + STEP; t <= NOW; t += STEP) recordSnapshot(db, fixtureSnapshot(t));
  seedAlerts(db);
  seedAudit(db);
}

/** The diagnosis of the fixture's last snapshot, as diagnose() would shape it (savings measured or null). */
export function fixtureFindings(): Finding[] {
  return [
    {
      code: 'memory-leak-suspected',
      severity: 'warning',
      target: { kind: 'container', name: 'celery-worker' },
      summary: 'celery-worker grows 60 MiB/h',
      evidence: {},
      recommendations: [
        { title: 'Recycle Celery children with worker_max_memory_per_child', priority: 'high', estimatedSavingsBytes: Math.round(1.1 * GiB), runbook: 'celery-pool-restart', detail: 'Restarting the pool frees what the children accumulated.' },
      ],
    },
    {
      code: 'container-no-memory-limit',
      severity: 'warning',
      target: { kind: 'container', name: 'postgres' },
      summary: 'postgres has no memory limit',
      evidence: {},
      recommendations: [{ title: 'Set a memory limit of 2 GiB', priority: 'medium', estimatedSavingsBytes: null, runbook: 'docker-update-memory', detail: 'p99 of 7 days × 1.3.' }],
    },
    {
      code: 'prefork-concurrency',
      severity: 'info',
      target: { kind: 'group', name: 'celery-worker' },
      summary: 'celery pool of 8',
      evidence: {},
      recommendations: [{ title: 'Lower the Celery pool from 8 to 4', priority: 'medium', estimatedSavingsBytes: 600 * MiB, runbook: 'celery-pool-shrink', detail: 'Each child holds 150 MiB PSS.' }],
    },
  ];
}
