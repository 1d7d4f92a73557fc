// Retention of every table besides the samples (retention.test.ts has those), on a real SQLite
// file: what is past its limit goes, what is still in use stays, the audit log is never touched,
// and a table without a retention rule fails here.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlertState } from '../../../src/model/alert.js';
import { configSchema } from '../../../src/config/schema.js';
import { retentionLimits } from '../../../src/run-bot.js';
import { saveAlertRound } from '../../../src/store/alert-state.js';
import { closeDatabase, type Database, openDatabase } from '../../../src/store/database.js';
import { claimDigestDay } from '../../../src/store/digest.js';
import { enqueueOutbox, getAlertMessage, insertAlertMessage, markOutboxSent } from '../../../src/store/outbox.js';
import { pruneRecords, type RecordLimits, RETENTION_BY_TABLE } from '../../../src/store/prune-records.js';
import { getRecommendation, insertFollowup, recommendationId, scheduleVerification } from '../../../src/store/remediation-flow.js';
import { claimExecution, createRequest, finishExecution, getRequest, listAudit, recordDecision } from '../../../src/store/remediation.js';
import { makeTempDir } from './make-snapshot.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-06-01T00:00:00.000Z');
const OLD = NOW - 40 * DAY;
const LIMITS: RecordLimits = { alertsMs: 35 * DAY, outboxMs: 7 * DAY, digestMarkersMs: 8 * DAY, remediationsMs: 30 * DAY };

let temp: ReturnType<typeof makeTempDir>;
let db: Database;
beforeEach(() => {
  temp = makeTempDir();
  db = openDatabase(join(temp.dir, 'memwarden.db'));
});
afterEach(() => {
  closeDatabase(db);
  temp.remove();
});

const count = (table: string) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

function request(at: number, end: 'rejected' | 'approved' | 'succeeded' | 'pending' | 'executing') {
  const r = createRequest(db, { runbookId: 'r', runbookSha256: 's', target: { containerId: 'c', name: 'w' }, params: {}, requestedBy: 'U1', origin: 'command', dryRun: false, requiredApprovals: 1 }, at);
  insertAlertMessage(db, { messageKey: `remediation:${r.id}`, fingerprint: `remediation:${r.id}`, startedAt: at, channel: 'C1' }, at);
  insertFollowup(db, { requestId: r.id, channel: 'C1', view: {} }, at);
  if (end === 'pending') return r.id;
  recordDecision(db, r.id, 'U2', end === 'rejected' ? 'reject' : 'approve', at + 1);
  if (end === 'rejected' || end === 'approved') return r.id;
  claimExecution(db, r.id, at + 2);
  if (end === 'succeeded') finishExecution(db, r.id, { outcome: 'succeeded' }, at + 3);
  return r.id;
}

function activeState(fingerprint: string, startedAt: number): AlertState {
  return {
    fingerprint, ruleId: 'host-memory-used', kind: 'host-used-percent', target: { kind: 'host', name: 'host', containerId: null, containerName: null, labels: {} },
    status: 'firing', severity: 'warning', value: 90, threshold: 85, unit: 'percent', since: startedAt, startedAt, firingSince: startedAt, clearedAt: null,
    reportedValue: 90, lastNotifiedAt: startedAt, firingNotified: true, evidence: {}, updatedAt: startedAt,
  };
}

describe('retention of every table', () => {
  it('has a rule for every table of the schema (a new table must say how long it keeps its rows)', () => {
    const tables = (db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((t) => t.name);
    expect(tables).toEqual(Object.keys(RETENTION_BY_TABLE).sort());
    expect(RETENTION_BY_TABLE.audit_log).toMatch(/^kept: append-only/);
  });

  it('prunes finished requests past the limit with their approvals, executions, follow-ups and approval messages; keeps open, recent and still-verifying ones; never touches the audit log', () => {
    const oldRejected = request(OLD, 'rejected');
    const oldSucceeded = request(OLD, 'succeeded');
    const oldVerifying = request(OLD, 'succeeded');
    scheduleVerification(db, oldVerifying, NOW + 60_000, OLD + 4);
    const oldExecuting = request(OLD, 'executing');
    const oldPending = request(OLD, 'pending');
    const recent = request(NOW - DAY, 'succeeded');
    const audit = listAudit(db, { limit: 1000 });

    const result = pruneRecords(db, NOW, LIMITS);
    expect(result.remediationRequests).toBe(2);
    for (const id of [oldRejected, oldSucceeded]) {
      expect(getRequest(db, id)).toBeNull();
      expect(getAlertMessage(db, `remediation:${id}`)).toBeNull();
    }
    for (const id of [oldVerifying, oldExecuting, oldPending, recent]) expect(getRequest(db, id)).not.toBeNull();
    expect(count('remediation_approvals')).toBe(3);
    expect(count('remediation_executions')).toBe(3);
    expect(count('remediation_followups')).toBe(4);
    expect(listAudit(db, { limit: 1000 })).toEqual(audit);
  });

  it('keeps a finished request whose execution is younger than the limit (a cooldown reads it)', () => {
    const id = request(OLD, 'approved');
    // Requested long ago, executed within the limit: the execution's start is what counts.
    claimExecution(db, id, NOW - DAY);
    finishExecution(db, id, { outcome: 'failed' }, NOW - DAY + 1);
    expect(pruneRecords(db, NOW, LIMITS).remediationRequests).toBe(0);
  });

  it('prunes alert messages of alerts that are over, keeps those still in use', () => {
    for (const key of ['over', 'active', 'queued', 'button']) insertAlertMessage(db, { messageKey: `${key}:${OLD}`, fingerprint: key, startedAt: OLD, channel: 'C1' }, OLD);
    saveAlertRound(db, { upserts: [activeState('active', OLD)], deletes: [], transitions: [] });
    enqueueOutbox(db, { orderingKey: 'queued', messageKey: `queued:${OLD}`, op: 'update', channel: 'C1', payload: {} }, NOW);
    recommendationId(db, { dedupeKey: 'd', fingerprint: 'button', alertMessageKey: `button:${OLD}`, runbookId: 'r', targetContainerId: null, targetName: 'w', params: {}, title: 't', estimatedSavingsBytes: null }, NOW - DAY);

    expect(pruneRecords(db, NOW, LIMITS).alertMessages).toBe(1);
    expect(getAlertMessage(db, `over:${OLD}`)).toBeNull();
    for (const key of ['active', 'queued', 'button']) expect(getAlertMessage(db, `${key}:${OLD}`)).not.toBeNull();
  });

  it('prunes done outbox ops, old recommendations and digest markers by their own limits; open ops stay', () => {
    const sent = enqueueOutbox(db, { orderingKey: 'a', messageKey: null, op: 'post', channel: 'C1', payload: {} }, OLD);
    markOutboxSent(db, sent, '1.1', NOW - 8 * DAY);
    enqueueOutbox(db, { orderingKey: 'b', messageKey: null, op: 'post', channel: 'C1', payload: {} }, OLD);
    const rec = (at: number, key: string) =>
      recommendationId(db, { dedupeKey: key, fingerprint: 'f', alertMessageKey: 'm', runbookId: 'r', targetContainerId: null, targetName: 'w', params: {}, title: 't', estimatedSavingsBytes: null }, at);
    const oldRec = rec(NOW - 31 * DAY, 'old');
    const newRec = rec(NOW - 29 * DAY, 'new');
    for (const [day, at] of [['2026-05-20', NOW - 12 * DAY], ['2026-05-28', NOW - 4 * DAY]] as const) {
      claimDigestDay(db, { day, channel: 'C1', scheduledAt: at, reason: 'schedule', sentAt: at });
    }

    expect(pruneRecords(db, NOW, LIMITS)).toEqual({ alertHistory: 0, alertMessages: 0, outbox: 1, digestMarkers: 1, remediationRequests: 0, recommendations: 1 });
    expect(count('outbox')).toBe(1);
    expect(getRecommendation(db, oldRec)).toBeNull();
    expect(getRecommendation(db, newRec)).not.toBeNull();
    expect((db.prepare('SELECT day FROM digest_sent').all() as { day: string }[]).map((r) => r.day)).toEqual(['2026-05-28']);
  });

  it('refuses a limit that is not a positive time and deletes nothing', () => {
    request(OLD, 'rejected');
    expect(() => pruneRecords(db, NOW, { ...LIMITS, outboxMs: 0 })).toThrow(/outboxMs must be a positive number of ms, got 0/);
    expect(() => pruneRecords(db, NOW, { ...LIMITS, alertsMs: Number.NaN })).toThrow(RangeError);
    expect(count('remediation_requests')).toBe(1);
  });
});

describe('retentionLimits', () => {
  it('takes history.* and keeps what other features read: the longest cooldown, the digest catch-up window plus a day', () => {
    const config = configSchema.parse({ history: { outbox: '1h', remediations: '1d' }, digest: { catchUpWithin: '3d' } });
    const limits = retentionLimits(config, [{ cooldownMs: 15 * 60_000 }, { cooldownMs: 3 * DAY }]);
    expect(limits.records).toEqual({ alertsMs: 35 * DAY, outboxMs: 3_600_000, digestMarkersMs: 4 * DAY, remediationsMs: 3 * DAY });
    expect(limits.samples).toEqual({ rawMs: 48 * 3_600_000, rollupMs: 35 * DAY, rollupIntervalMs: 5 * 60_000 });
  });

  it('refuses limits too short for what reads them, naming the key', () => {
    const problems = configSchema.safeParse({ history: { alerts: '1d', outbox: '5m', remediations: '2h' } });
    expect(problems.success).toBe(false);
    expect(problems.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      'history.alerts: expected at least 2d (the digest compares two days of alerts)',
      'history.outbox: expected at least 1h',
      'history.remediations: expected at least 1d',
    ]);
  });
});
