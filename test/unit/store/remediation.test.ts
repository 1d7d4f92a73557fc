// The remediation store against real SQLite files: exactly-once claims across connections and
// processes, crash recovery, expiry, and an audit log that cannot be rewritten.
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeDatabase, type Database, openDatabase } from '../../../src/store/database.js';
import { MIGRATIONS } from '../../../src/store/migrations.js';
import {
  appendAudit,
  claimExecution,
  createRequest,
  DEFAULT_REQUEST_TTL_MS,
  expireRequests,
  finishExecution,
  getExecution,
  getRemediationSwitch,
  getRequest,
  INTERRUPTED_OUTCOME,
  isRequestId,
  listAudit,
  NOT_STARTED_DETAIL,
  type NewRemediationRequest,
  recentRuns,
  recordDecision,
  recoverInterrupted,
  remediationEnabled,
  setRemediationSwitch,
} from '../../../src/store/remediation.js';
import { spawnChild } from '../remediate/child-process.js';
import { MINUTE, SHA, T0, WORKER } from '../remediate/helpers.js';
import { makeTempDir } from './make-snapshot.js';

let temp: ReturnType<typeof makeTempDir>;
let file: string;
let db: Database;

beforeEach(() => {
  temp = makeTempDir();
  file = join(temp.dir, 'memwarden.db');
  db = openDatabase(file);
});
afterEach(() => {
  closeDatabase(db);
  temp.remove();
});

function newRequest(overrides: Partial<NewRemediationRequest> = {}): NewRemediationRequest {
  return {
    runbookId: 'celery-lower-concurrency',
    runbookSha256: SHA,
    target: WORKER,
    params: { concurrency: 4 },
    requestedBy: 'U_REQ',
    origin: '0123456789abcdef',
    dryRun: false,
    requiredApprovals: 1,
    ...overrides,
  };
}

/** A request approved by U_ALICE (required 1), ready to claim. */
function approvedRequest(overrides: Partial<NewRemediationRequest> = {}, now = T0) {
  const request = createRequest(db, newRequest(overrides), now);
  const record = recordDecision(db, request.id, 'U_ALICE', 'approve', now + 1);
  expect(record).toMatchObject({ recorded: true, reached: true });
  return request;
}

function statusOf(id: string, on: Database = db): string | undefined {
  return getRequest(on, id)?.status;
}

describe('createRequest / getRequest', () => {
  it('stores a request with an opaque 128-bit id and reads it back whole', () => {
    const request = createRequest(db, newRequest({ channel: 'C1', messageTs: '1730000000.000100' }), T0);
    expect(request.id).toMatch(/^[0-9a-f]{32}$/);
    expect(getRequest(db, request.id)).toEqual({
      id: request.id,
      runbookId: 'celery-lower-concurrency',
      runbookSha256: SHA,
      target: WORKER,
      params: { concurrency: 4 },
      requestedBy: 'U_REQ',
      requestedAt: T0,
      expiresAt: T0 + DEFAULT_REQUEST_TTL_MS,
      status: 'pending',
      origin: '0123456789abcdef',
      channel: 'C1',
      messageTs: '1730000000.000100',
      dryRun: false,
      requiredApprovals: 1,
      decidedAt: null,
      statusDetail: null,
      approvals: [],
    });
    expect(DEFAULT_REQUEST_TTL_MS).toBe(15 * MINUTE);
    expect(listAudit(db)).toMatchObject([{ action: 'requested', actor: 'U_REQ', requestId: request.id, runbookSha256: SHA, target: WORKER.name, params: { concurrency: 4 } }]);
  });

  it('never hands out the same id twice', () => {
    const ids = new Set(Array.from({ length: 500 }, () => createRequest(db, newRequest(), T0).id));
    expect(ids.size).toBe(500);
  });

  it('returns null for an unknown, altered or malformed id, and looks nothing up for the malformed', () => {
    const { id } = createRequest(db, newRequest(), T0);
    const altered = `${id.slice(0, -1)}${id.endsWith('0') ? '1' : '0'}`;
    for (const bad of [altered, '0'.repeat(32), id.toUpperCase(), `${id} `, `${id}00`, "' OR 1=1 --", '', 'x'.repeat(10_000)]) {
      expect(getRequest(db, bad)).toBeNull();
    }
    expect(isRequestId(id)).toBe(true);
    expect(isRequestId(id.toUpperCase())).toBe(false);
  });

  it('refuses a request that needs no approval or never expires', () => {
    expect(() => createRequest(db, newRequest({ requiredApprovals: 0 }), T0)).toThrow(RangeError);
    expect(() => createRequest(db, newRequest({ ttlMs: 0 }), T0)).toThrow(RangeError);
  });
});

describe('recordDecision', () => {
  it('counts approvals and reports reaching the required count exactly once', () => {
    const { id } = createRequest(db, newRequest({ requiredApprovals: 2 }), T0);
    expect(recordDecision(db, id, 'U_ALICE', 'approve', T0 + 1)).toMatchObject({ recorded: true, approvals: 1, required: 2, reached: false, request: { status: 'pending' } });
    expect(recordDecision(db, id, 'U_BOB', 'approve', T0 + 2)).toMatchObject({ recorded: true, approvals: 2, required: 2, reached: true, request: { status: 'approved', decidedAt: T0 + 2 } });
    expect(recordDecision(db, id, 'U_CAROL', 'approve', T0 + 3)).toMatchObject({ recorded: false, reason: 'not-pending' });
    expect(getRequest(db, id)?.approvals).toEqual([
      { user: 'U_ALICE', decision: 'approve', at: T0 + 1 },
      { user: 'U_BOB', decision: 'approve', at: T0 + 2 },
    ]);
    expect(listAudit(db).map((e) => [e.action, e.actor, e.detail])).toEqual([
      ['approved', 'U_BOB', 'approval 2 of 2: approved'],
      ['approved', 'U_ALICE', 'approval 1 of 2'],
      ['requested', 'U_REQ', expect.stringContaining('needs 2 approvals')],
    ]);
  });

  it('refuses the same person twice (UNIQUE request, user), an unknown id and an expired request', () => {
    const { id } = createRequest(db, newRequest({ requiredApprovals: 2 }), T0);
    recordDecision(db, id, 'U_ALICE', 'approve', T0 + 1);
    expect(recordDecision(db, id, 'U_ALICE', 'approve', T0 + 2)).toMatchObject({ recorded: false, reason: 'duplicate' });
    expect(recordDecision(db, id, 'U_ALICE', 'reject', T0 + 2)).toMatchObject({ recorded: false, reason: 'duplicate' });
    expect(recordDecision(db, 'e'.repeat(32), 'U_ALICE', 'approve', T0)).toEqual({ recorded: false, reason: 'unknown', request: null });
    expect(recordDecision(db, 'not an id', 'U_ALICE', 'approve', T0)).toEqual({ recorded: false, reason: 'unknown', request: null });
    expect(recordDecision(db, id, 'U_BOB', 'approve', T0 + DEFAULT_REQUEST_TTL_MS)).toMatchObject({ recorded: false, reason: 'expired' });
    expect(getRequest(db, id)).toMatchObject({ status: 'pending', approvals: [{ user: 'U_ALICE' }] });
    expect(() => db.prepare("INSERT INTO remediation_approvals VALUES (?, 'U_ALICE', 'reject', 0)").run(id)).toThrow(/UNIQUE|PRIMARY KEY/);
  });

  it('rejects on the first rejection', () => {
    const { id } = createRequest(db, newRequest({ requiredApprovals: 2 }), T0);
    recordDecision(db, id, 'U_ALICE', 'approve', T0 + 1);
    expect(recordDecision(db, id, 'U_BOB', 'reject', T0 + 2)).toMatchObject({ recorded: true, reached: false, request: { status: 'rejected', statusDetail: 'rejected by U_BOB' } });
    expect(claimExecution(db, id, T0 + 3)).toBe(false);
  });
});

describe('claimExecution', () => {
  it('is true once, then false for every later call on the same connection', () => {
    const { id } = approvedRequest();
    expect(claimExecution(db, id, T0 + 2)).toBe(true);
    for (let i = 0; i < 5; i++) expect(claimExecution(db, id, T0 + 3 + i)).toBe(false);
    expect(statusOf(id)).toBe('executing');
    expect(getExecution(db, id)).toEqual({ requestId: id, startedAt: T0 + 2, finishedAt: null, outcome: null, result: null });
    expect(listAudit(db).filter((e) => e.action === 'executing')).toHaveLength(1);
  });

  it('refuses a request that is not approved, and an unknown or malformed id', () => {
    const pending = createRequest(db, newRequest({ requiredApprovals: 2 }), T0);
    expect(claimExecution(db, pending.id, T0)).toBe(false);
    expect(claimExecution(db, 'a'.repeat(32), T0)).toBe(false);
    expect(claimExecution(db, 'nope', T0)).toBe(false);
    expect(getExecution(db, pending.id)).toBeNull();
  });

  it('rolls back the status change when an execution row already exists (the idempotency key)', () => {
    const { id } = approvedRequest();
    // An execution row without the status change: as if written by a buggy or older writer.
    db.prepare('INSERT INTO remediation_executions (request_id, started_at) VALUES (?, ?)').run(id, T0);
    expect(claimExecution(db, id, T0 + 2)).toBe(false);
    expect(statusOf(id)).toBe('approved');
    expect(listAudit(db).filter((e) => e.action === 'executing')).toEqual([]);
  });

  it('gives true to exactly one of two connections to the same file', () => {
    const other = openDatabase(file);
    try {
      const ids = Array.from({ length: 20 }, (_, i) => approvedRequest({}, T0 + i).id);
      for (const [i, id] of ids.entries()) {
        const [first, second] = i % 2 === 0 ? [db, other] : [other, db];
        const results = [claimExecution(first, id, T0 + 100), claimExecution(second, id, T0 + 100)];
        expect(results.filter(Boolean)).toHaveLength(1);
        expect(statusOf(id, other)).toBe('executing');
      }
      expect(other.prepare('SELECT count(*) AS n FROM remediation_executions').get()).toEqual({ n: 20 });
    } finally {
      closeDatabase(other);
    }
  });

  it('gives true to exactly one of several processes racing on the same file', async () => {
    const { id } = approvedRequest();
    const children = Array.from({ length: 4 }, () => spawnChild(['claim', file, id]));
    try {
      await Promise.all(children.map((child) => child.line('ready')));
      for (const child of children) child.process.stdin.write('go\n');
      const answers = await Promise.all(children.map((child) => child.line('claimed:')));
      expect(answers.filter((a) => a === 'claimed:true')).toHaveLength(1);
      expect(answers.filter((a) => a === 'claimed:false')).toHaveLength(3);
      const exits = await Promise.all(children.map((child) => child.exited));
      expect(exits.every((e) => e.code === 0)).toBe(true);
    } finally {
      for (const child of children) if (child.process.exitCode === null) child.process.kill('SIGKILL');
    }
    expect(db.prepare('SELECT count(*) AS n FROM remediation_executions WHERE request_id = ?').get(id)).toEqual({ n: 1 });
    expect(listAudit(db).filter((e) => e.action === 'executing')).toHaveLength(1);
  }, 60_000);
});

describe('finishExecution', () => {
  it('records the outcome, the result and memory before and after, once', () => {
    const { id } = approvedRequest();
    claimExecution(db, id, T0 + 2);
    const finish = { outcome: 'succeeded' as const, result: { ok: true, pool: [8, 4] }, detail: 'pool lowered from 8 to 4', beforeBytes: 2_760_000_000, afterBytes: 1_380_000_000 };
    expect(finishExecution(db, id, finish, T0 + 3)).toBe(true);
    expect(finishExecution(db, id, { outcome: 'failed' }, T0 + 4)).toBe(false);
    expect(getRequest(db, id)).toMatchObject({ status: 'succeeded', statusDetail: 'pool lowered from 8 to 4' });
    expect(getExecution(db, id)).toEqual({ requestId: id, startedAt: T0 + 2, finishedAt: T0 + 3, outcome: 'succeeded', result: { ok: true, pool: [8, 4] } });
    expect(listAudit(db, { limit: 1 })).toMatchObject([
      { action: 'succeeded', outcome: 'succeeded', beforeBytes: 2_760_000_000, afterBytes: 1_380_000_000, runbookSha256: SHA, target: WORKER.name, targetContainerId: WORKER.containerId },
    ]);
  });

  it('does nothing for a request that was never claimed', () => {
    const { id } = approvedRequest();
    expect(finishExecution(db, id, { outcome: 'succeeded' }, T0 + 3)).toBe(false);
    expect(statusOf(id)).toBe('approved');
  });
});

describe('recoverInterrupted', () => {
  it('marks a request left executing as failed (it may have run) and never lets it be claimed again', () => {
    const { id } = approvedRequest();
    claimExecution(db, id, T0 + 2);
    closeDatabase(db);
    db = openDatabase(file); // the restart

    const recovered = recoverInterrupted(db, T0 + 10 * MINUTE);
    expect(recovered).toMatchObject([{ previousStatus: 'executing', request: { id, status: 'failed', statusDetail: INTERRUPTED_OUTCOME } }]);
    expect(getExecution(db, id)).toMatchObject({ finishedAt: T0 + 10 * MINUTE, outcome: 'interrupted', result: { interrupted: true, message: INTERRUPTED_OUTCOME } });
    expect(INTERRUPTED_OUTCOME).toBe('interrupted: may or may not have taken effect — verify before retrying');
    expect(claimExecution(db, id, T0 + 11 * MINUTE)).toBe(false);
    expect(recordDecision(db, id, 'U_BOB', 'approve', T0 + 11 * MINUTE)).toMatchObject({ recorded: false, reason: 'not-pending' });
    expect(listAudit(db, { limit: 1 })).toMatchObject([{ action: 'failed', actor: 'memwarden', outcome: INTERRUPTED_OUTCOME }]);
    expect(recoverInterrupted(db, T0 + 12 * MINUTE)).toEqual([]);
  });

  it('closes a request approved but never claimed as not-executed, saying nothing ran', () => {
    const { id } = approvedRequest();
    const recovered = recoverInterrupted(db, T0 + MINUTE);
    expect(recovered).toMatchObject([{ previousStatus: 'approved', request: { id, status: 'not-executed', statusDetail: NOT_STARTED_DETAIL } }]);
    expect(getExecution(db, id)).toBeNull();
    expect(claimExecution(db, id, T0 + 2 * MINUTE)).toBe(false);
    expect(listAudit(db, { limit: 1 })).toMatchObject([{ action: 'not-executed', detail: NOT_STARTED_DETAIL }]);
  });

  it('leaves pending and finished requests alone', () => {
    const pending = createRequest(db, newRequest(), T0);
    const done = approvedRequest();
    claimExecution(db, done.id, T0 + 2);
    finishExecution(db, done.id, { outcome: 'failed', detail: 'container gone' }, T0 + 3);
    expect(recoverInterrupted(db, T0 + MINUTE)).toEqual([]);
    expect(statusOf(pending.id)).toBe('pending');
    expect(statusOf(done.id)).toBe('failed');
  });
});

describe('expireRequests', () => {
  it('expires pending requests at their expiry, once, with an audit row', () => {
    const early = createRequest(db, newRequest({ ttlMs: 5 * MINUTE }), T0);
    const late = createRequest(db, newRequest(), T0);
    expect(expireRequests(db, T0 + 5 * MINUTE - 1)).toEqual([]);
    expect(expireRequests(db, T0 + 5 * MINUTE).map((r) => r.id)).toEqual([early.id]);
    expect(expireRequests(db, T0 + 5 * MINUTE)).toEqual([]);
    expect(getRequest(db, early.id)).toMatchObject({ status: 'expired', decidedAt: T0 + 5 * MINUTE });
    expect(statusOf(late.id)).toBe('pending');
    expect(listAudit(db, { limit: 1 })).toMatchObject([{ action: 'expired', actor: 'memwarden', requestId: early.id, detail: 'expired with 0 of 1 approvals: it did not run' }]);
  });

  it('does not expire an approved request', () => {
    const { id } = approvedRequest();
    expect(expireRequests(db, T0 + DEFAULT_REQUEST_TTL_MS * 2)).toEqual([]);
    expect(statusOf(id)).toBe('approved');
  });
});

describe('recentRuns', () => {
  it('lists real runs of the runbook on the target since a time, newest first, whatever their outcome', () => {
    const claim = (overrides: Partial<NewRemediationRequest>, at: number) => {
      const { id } = approvedRequest(overrides, at);
      claimExecution(db, id, at + 10);
      return id;
    };
    const failed = claim({}, T0);
    finishExecution(db, failed, { outcome: 'failed' }, T0 + 20);
    claim({}, T0 + MINUTE);
    claim({ dryRun: true }, T0 + 2 * MINUTE);
    claim({ target: { containerId: 'x', name: 'bizcard-web' } }, T0 + 3 * MINUTE);
    claim({ runbookId: 'restart-worker' }, T0 + 4 * MINUTE);
    expect(recentRuns(db, 'celery-lower-concurrency', WORKER.name, T0)).toEqual([T0 + MINUTE + 10, T0 + 10]);
    expect(recentRuns(db, 'celery-lower-concurrency', WORKER.name, T0 + 11)).toEqual([T0 + MINUTE + 10]);
  });
});

describe('the remediation switch', () => {
  it('is on until switched off, and every switch is audited', () => {
    expect(getRemediationSwitch(db)).toEqual({ enabled: true, changedBy: null, changedAt: null });
    expect(setRemediationSwitch(db, false, 'U_ADMIN', T0)).toEqual({ enabled: false, changedBy: 'U_ADMIN', changedAt: T0 });
    expect(remediationEnabled(db)).toBe(false);
    setRemediationSwitch(db, true, 'U_ADMIN2', T0 + 1);
    expect(getRemediationSwitch(db)).toEqual({ enabled: true, changedBy: 'U_ADMIN2', changedAt: T0 + 1 });
    expect(listAudit(db).map((e) => [e.action, e.actor])).toEqual([
      ['switched-on', 'U_ADMIN2'],
      ['switched-off', 'U_ADMIN'],
    ]);
  });

  it('survives a restart', () => {
    setRemediationSwitch(db, false, 'U_ADMIN', T0);
    closeDatabase(db);
    db = openDatabase(file);
    expect(remediationEnabled(db)).toBe(false);
  });
});

describe('the audit log', () => {
  it('lists entries newest first, with a limit', () => {
    for (let i = 0; i < 5; i++) appendAudit(db, { at: T0 + i, actor: `U_${i}`, action: 'refused', outcome: 'not-approver', detail: `try ${i}` });
    expect(listAudit(db, { limit: 2 }).map((e) => e.actor)).toEqual(['U_4', 'U_3']);
    expect(listAudit(db)).toHaveLength(5);
  });

  it('cannot be updated, deleted or replaced, by memwarden or by anyone else opening the file', () => {
    const id = appendAudit(db, { at: T0, actor: 'U_ALICE', action: 'approved', requestId: 'a'.repeat(32), detail: 'approval 1 of 1' });
    const raw = new BetterSqlite3(file);
    try {
      for (const on of [db, raw]) {
        expect(() => on.prepare("UPDATE audit_log SET actor = 'U_MALLORY' WHERE id = ?").run(id)).toThrow('audit_log is append-only: rows cannot be updated');
        expect(() => on.prepare('DELETE FROM audit_log WHERE id = ?').run(id)).toThrow('audit_log is append-only: rows cannot be deleted');
        expect(() => on.prepare('DELETE FROM audit_log').run()).toThrow('append-only');
        expect(() => on.prepare("INSERT OR REPLACE INTO audit_log (id, at, actor, action) VALUES (?, 0, 'U_MALLORY', 'approved')").run(id)).toThrow(
          'audit_log is append-only: rows cannot be replaced',
        );
      }
      expect(() => raw.prepare("UPDATE audit_log SET actor = 'x'").run()).toThrow(expect.objectContaining({ code: 'SQLITE_CONSTRAINT_TRIGGER' }));
    } finally {
      raw.close();
    }
    expect(listAudit(db)).toMatchObject([{ id, actor: 'U_ALICE', action: 'approved', detail: 'approval 1 of 1' }]);
  });

  it('keeps every row and its id through migration 8 (rebuilt for the verified action), and ids go on counting after the last one ever used', () => {
    const v6 = join(file, '..', 'v6.db');
    const old = openDatabase(v6, { migrations: MIGRATIONS.slice(0, 6) });
    for (let i = 0; i < 3; i++) appendAudit(old, { at: T0 + i, actor: `U_${i}`, action: 'refused', outcome: 'not-approver' });
    // An id handed out and gone (before the triggers existed nobody could delete; AUTOINCREMENT remembers anyway).
    old.prepare("INSERT INTO audit_log (id, at, actor, action) VALUES (10, 0, 'U_X', 'refused')").run();
    closeDatabase(old);
    const migrated = openDatabase(v6);
    try {
      expect(listAudit(migrated).map((e) => e.id)).toEqual([10, 3, 2, 1]);
      expect(appendAudit(migrated, { at: T0, actor: 'memwarden', action: 'verified', outcome: 'goal-met' })).toBe(11);
      expect(() => migrated.prepare('DELETE FROM audit_log').run()).toThrow('append-only');
    } finally {
      closeDatabase(migrated);
    }
  });

  it('accepts only known actions', () => {
    expect(() => db.prepare("INSERT INTO audit_log (at, actor, action) VALUES (0, 'x', 'deleted-evidence')").run()).toThrow(/CHECK/);
  });
});
