// Remediation requests, approvals, executions, the audit log and the global switch (migration 3).
//
// Every state change is one IMMEDIATE transaction that also appends its audit row, so the audit
// log cannot miss a change and a crash leaves either the state before or the state after. The
// write lock is taken at BEGIN, so two connections (two memwardens, or a click racing a retry)
// serialise on it and the second sees the first's commit.
//
// Exactly once: claimExecution moves a request approved -> executing and inserts its
// remediation_executions row (PRIMARY KEY request_id: the idempotency key) in one transaction,
// before the executor is called. A request therefore runs at most once; the price is that after
// a crash a request found `executing` may or may not have taken effect, and recoverInterrupted
// marks it failed ("interrupted") rather than ever running it a second time.
import type { AuditAction, RemediationTarget, RemediationRequest, Execution, NewAuditEntry, AuditEntry, RemediationSwitchState } from '../model/remediation.js';
import { randomBytes } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import { parseJsonOr, perDatabase, type Database } from './database.js';
import type { Decision, RequestStatus } from '../model/remediation.js';
import { guard } from './store-error.js';
export const DEFAULT_REQUEST_TTL_MS = 15 * 60_000;

/** Who the audit log names for what memwarden does on its own (expiry, recovery, execution). */
export const SYSTEM_ACTOR = 'memwarden';

export const INTERRUPTED_OUTCOME = 'interrupted: may or may not have taken effect — verify before retrying';
export const NOT_STARTED_DETAIL = 'memwarden stopped after the approval and before the execution started: nothing was run; request it again if it is still needed';

export interface NewRemediationRequest {
  runbookId: string;
  runbookSha256: string;
  target: RemediationTarget;
  params: Record<string, unknown>;
  requestedBy: string;
  /** The alert fingerprint it came from, or 'command'. */
  origin: string;
  dryRun: boolean;
  requiredApprovals: number;
  /** Default 15 minutes. */
  ttlMs?: number;
  channel?: string | null;
  messageTs?: string | null;
}

export type DecisionRecord =
  | {
      recorded: true;
      decision: Decision;
      /** Approvals recorded so far, this one included. */
      approvals: number;
      required: number;
      /** True for exactly one call per request: the one whose approval made it `approved`. */
      reached: boolean;
      request: RemediationRequest;
    }
  | { recorded: false; reason: 'unknown' | 'duplicate' | 'not-pending' | 'expired'; request: RemediationRequest | null };

export interface ExecutionFinish {
  outcome: 'succeeded' | 'failed';
  /** Stored as JSON on the execution row. */
  result?: unknown;
  detail?: string | null;
  beforeBytes?: number | null;
  afterBytes?: number | null;
}

export interface RecoveredRequest {
  request: RemediationRequest;
  /** 'executing' (it may have run: now failed) or 'approved' (it never ran: now not-executed). */
  previousStatus: 'executing' | 'approved';
}

const REQUEST_ID = /^[0-9a-f]{32}$/;

/** Whether `text` has the shape of a request id; anything else is refused before a lookup. */
export function isRequestId(text: string): boolean {
  return REQUEST_ID.test(text);
}

/** A fresh opaque request id: 128 bits from the OS CSPRNG, as 32 lowercase hex digits. */
export function newRequestId(): string {
  return randomBytes(16).toString('hex');
}

export function createRequest(db: Database, input: NewRemediationRequest, now: number): RemediationRequest {
  if (!Number.isInteger(input.requiredApprovals) || input.requiredApprovals < 1) {
    throw new RangeError(`a remediation needs at least one approval, got ${input.requiredApprovals}`);
  }
  const ttl = input.ttlMs ?? DEFAULT_REQUEST_TTL_MS;
  if (!Number.isFinite(ttl) || ttl <= 0) throw new RangeError(`a request must expire in the future, got a ttl of ${ttl} ms`);
  const row: RequestRow = {
    id: newRequestId(),
    runbook_id: input.runbookId,
    runbook_sha256: input.runbookSha256,
    target_container_id: input.target.containerId,
    target_name: input.target.name,
    params: JSON.stringify(input.params),
    requested_by: input.requestedBy,
    requested_at: now,
    expires_at: now + ttl,
    status: 'pending',
    origin: input.origin,
    channel: input.channel ?? null,
    message_ts: input.messageTs ?? null,
    dry_run: input.dryRun ? 1 : 0,
    required_approvals: input.requiredApprovals,
    decided_at: null,
    status_detail: null,
  };
  const request = requestFromRow(row, []);
  write(db, () => {
    const s = statementsFor(db);
    s.insertRequest.run(row);
    insertAudit(s, auditFor(request, 'requested', input.requestedBy, now, {
      detail: `${input.dryRun ? 'dry run; ' : ''}needs ${input.requiredApprovals} approval${input.requiredApprovals === 1 ? '' : 's'}; expires ${new Date(row.expires_at).toISOString()}; origin ${input.origin}`,
    }));
  });
  return request;
}

/**
 * The stored request, or null for an unknown or malformed id. This is the only way a Slack
 * button's value becomes a target and parameters: the value is an id, never the data itself.
 */
export function getRequest(db: Database, id: string): RemediationRequest | null {
  if (!isRequestId(id)) return null;
  return guard(db, () => readRequest(statementsFor(db), id));
}

export function getExecution(db: Database, requestId: string): Execution | null {
  return guard(db, () => {
    const row = statementsFor(db).getExecution.get(requestId) as ExecutionRow | undefined;
    return row ? executionFromRow(row) : null;
  });
}

/**
 * Records one person's decision, atomically. One rejection rejects the request; approvals
 * accumulate until `required_approvals` distinct people approved, which makes it `approved`.
 * Refused (recorded: false, nothing written) when the request is unknown, no longer pending,
 * past its expiry, or this person already decided.
 */
export function recordDecision(db: Database, id: string, user: string, decision: Decision, now: number): DecisionRecord {
  if (!isRequestId(id)) return { recorded: false, reason: 'unknown', request: null };
  return write(db, (): DecisionRecord => {
    const s = statementsFor(db);
    const before = readRequest(s, id);
    if (!before) return { recorded: false, reason: 'unknown', request: null };
    if (before.approvals.some((a) => a.user === user)) return { recorded: false, reason: 'duplicate', request: before };
    if (before.status !== 'pending') return { recorded: false, reason: 'not-pending', request: before };
    if (now >= before.expiresAt) return { recorded: false, reason: 'expired', request: before };

    s.insertApproval.run({ request_id: id, user_id: user, decision, at: now });
    const approvals = before.approvals.filter((a) => a.decision === 'approve').length + (decision === 'approve' ? 1 : 0);
    const required = before.requiredApprovals;
    let reached = false;
    if (decision === 'reject') {
      s.setStatus.run({ id, from: 'pending', to: 'rejected', at: now, detail: `rejected by ${user}` });
    } else if (approvals >= required) {
      reached = s.setStatus.run({ id, from: 'pending', to: 'approved', at: now, detail: null }).changes === 1;
    }
    const request = readRequest(s, id) ?? before;
    insertAudit(s, auditFor(request, decision === 'approve' ? 'approved' : 'rejected', user, now, {
      detail: decision === 'approve' ? `approval ${approvals} of ${required}${reached ? ': approved' : ''}` : 'rejected: it will not run',
    }));
    return { recorded: true, decision, approvals, required, reached, request };
  });
}

/**
 * Claims the right to execute an approved request: approved -> executing plus the execution row,
 * in one transaction. True for exactly one caller per request, across connections and processes;
 * false for every other (already claimed, not approved, unknown).
 */
export function claimExecution(db: Database, id: string, now: number, actor: string = SYSTEM_ACTOR): boolean {
  if (!isRequestId(id)) return false;
  try {
    return write(db, () => {
      const s = statementsFor(db);
      if (s.setStatus.run({ id, from: 'approved', to: 'executing', at: null, detail: null }).changes !== 1) return false;
      // A conflict here means an execution row exists already: roll the status change back.
      s.insertExecution.run({ request_id: id, started_at: now });
      const request = readRequest(s, id);
      if (request) {
        const approvers = request.approvals.filter((a) => a.decision === 'approve').map((a) => a.user);
        insertAudit(s, auditFor(request, 'executing', actor, now, {
          detail: `${request.dryRun ? 'dry run ' : ''}started; approved by ${approvers.join(', ')}`,
        }));
      }
      return true;
    });
  } catch (err) {
    if (isUniqueViolation(err)) return false;
    throw err;
  }
}

/** Records how a claimed execution ended; false when it was not running (already finished or recovered). */
export function finishExecution(db: Database, id: string, finish: ExecutionFinish, now: number, actor: string = SYSTEM_ACTOR): boolean {
  return write(db, () => {
    const s = statementsFor(db);
    const updated = s.finishExecution.run({
      request_id: id,
      finished_at: now,
      outcome: finish.outcome,
      result: JSON.stringify(finish.result ?? null),
    });
    if (updated.changes !== 1) return false;
    s.setStatus.run({ id, from: 'executing', to: finish.outcome, at: null, detail: finish.detail ?? null });
    const request = readRequest(s, id);
    if (request) {
      insertAudit(s, auditFor(request, finish.outcome, actor, now, {
        outcome: finish.outcome,
        beforeBytes: finish.beforeBytes ?? null,
        afterBytes: finish.afterBytes ?? null,
        detail: finish.detail ?? null,
      }));
    }
    return true;
  });
}

/**
 * Run once at start, before any click is handled. What a crash left behind:
 * - `executing`: the execution row was written before the executor was called, so it MAY have
 *   run. It becomes `failed` with outcome INTERRUPTED_OUTCOME and is never run again (its
 *   execution row stays, so it cannot be claimed a second time). Only if, against the invariant,
 *   no execution row exists is it known not to have run: then `not-executed`.
 * - `approved` (approval recorded, execution never claimed): nothing ran; `not-executed` with
 *   NOT_STARTED_DETAIL. It is not retried on its own: the approvers approved a run then, not now.
 */
export function recoverInterrupted(db: Database, now: number): RecoveredRequest[] {
  return write(db, () => {
    const s = statementsFor(db);
    const recovered: RecoveredRequest[] = [];
    for (const { id, status } of s.unfinished.all() as { id: string; status: 'executing' | 'approved' }[]) {
      if (status === 'executing') {
        const execution = s.getExecution.get(id) as ExecutionRow | undefined;
        if (execution) {
          s.finishExecution.run({
            request_id: id,
            finished_at: now,
            outcome: 'interrupted',
            result: JSON.stringify({ interrupted: true, message: INTERRUPTED_OUTCOME }),
          });
          s.setStatus.run({ id, from: 'executing', to: 'failed', at: null, detail: INTERRUPTED_OUTCOME });
          const request = readRequest(s, id);
          if (request) {
            insertAudit(s, auditFor(request, 'failed', SYSTEM_ACTOR, now, { outcome: INTERRUPTED_OUTCOME, detail: `found running at start (started ${new Date(execution.started_at).toISOString()}); will not be run again` }));
            recovered.push({ request, previousStatus: status });
          }
          continue;
        }
      }
      const detail = status === 'executing' ? 'found running at start without an execution record: nothing was run' : NOT_STARTED_DETAIL;
      s.setStatus.run({ id, from: status, to: 'not-executed', at: null, detail });
      const request = readRequest(s, id);
      if (request) {
        insertAudit(s, auditFor(request, 'not-executed', SYSTEM_ACTOR, now, { outcome: 'not-executed', detail }));
        recovered.push({ request, previousStatus: status });
      }
    }
    return recovered;
  });
}

/** Pending requests past their expiry become `expired`; returns them (to update their messages). */
export function expireRequests(db: Database, now: number): RemediationRequest[] {
  return write(db, () => {
    const s = statementsFor(db);
    const expired: RemediationRequest[] = [];
    for (const { id } of s.duePending.all(now) as { id: string }[]) {
      if (s.setStatus.run({ id, from: 'pending', to: 'expired', at: now, detail: 'no decision before it expired' }).changes !== 1) continue;
      const request = readRequest(s, id);
      if (!request) continue;
      const approvals = request.approvals.filter((a) => a.decision === 'approve').length;
      insertAudit(s, auditFor(request, 'expired', SYSTEM_ACTOR, now, {
        outcome: 'expired',
        detail: `expired with ${approvals} of ${request.requiredApprovals} approvals: it did not run`,
      }));
      expired.push(request);
    }
    return expired;
  });
}

/** Appends one audit row (e.g. a refusal); returns its id. Rows are never updated or deleted. */
export function appendAudit(db: Database, entry: NewAuditEntry): number {
  return guard(db, () => insertAudit(statementsFor(db), entry));
}

export interface AuditQuery {
  /** Newest first, at most this many (default 50, at most 10 000). */
  limit?: number;
  requestId?: string;
}

/** Audit rows, newest first (in the order they were written). */
export function listAudit(db: Database, query: AuditQuery = {}): AuditEntry[] {
  const limit = Math.max(1, Math.min(10_000, Math.floor(query.limit ?? 50)));
  return guard(db, () => {
    const rows = (
      query.requestId === undefined
        ? db.prepare('SELECT * FROM audit_log ORDER BY id DESC LIMIT ?').all(limit)
        : db.prepare('SELECT * FROM audit_log WHERE request_id = ? ORDER BY id DESC LIMIT ?').all(query.requestId, limit)
    ) as AuditRow[];
    return rows.map(auditFromRow);
  });
}

/**
 * Start times of the runbook's real executions (dry runs excluded: they change nothing) on the
 * target since `sinceMs`, newest first, whatever their outcome: a failed run counts towards the
 * cooldown and the hourly limit as much as a successful one.
 */
export function recentRuns(db: Database, runbookId: string, targetName: string, sinceMs: number): number[] {
  return guard(db, () =>
    (statementsFor(db).recentRuns.all({ runbook_id: runbookId, target_name: targetName, since: sinceMs }) as { started_at: number }[]).map(
      (row) => row.started_at,
    ),
  );
}

/** The admin's global switch, with an audit row. */
export function setRemediationSwitch(db: Database, on: boolean, by: string, now: number): RemediationSwitchState {
  write(db, () => {
    const s = statementsFor(db);
    s.setSwitch.run({ enabled: on ? 1 : 0, changed_by: by, changed_at: now });
    insertAudit(s, { at: now, actor: by, action: on ? 'switched-on' : 'switched-off', detail: `remediation switched ${on ? 'on' : 'off'}` });
  });
  return { enabled: on, changedBy: by, changedAt: now };
}

export function getRemediationSwitch(db: Database): RemediationSwitchState {
  return guard(db, () => {
    const row = statementsFor(db).getSwitch.get() as { enabled: number; changed_by: string; changed_at: number } | undefined;
    // Never switched: on. Each runbook still has to be enabled and each run approved.
    return row ? { enabled: row.enabled === 1, changedBy: row.changed_by, changedAt: row.changed_at } : { enabled: true, changedBy: null, changedAt: null };
  });
}

export function remediationEnabled(db: Database): boolean {
  return getRemediationSwitch(db).enabled;
}

// ---------------------------------------------------------------------------------------------

interface RequestRow {
  id: string;
  runbook_id: string;
  runbook_sha256: string;
  target_container_id: string;
  target_name: string;
  params: string;
  requested_by: string;
  requested_at: number;
  expires_at: number;
  status: string;
  origin: string;
  channel: string | null;
  message_ts: string | null;
  dry_run: number;
  required_approvals: number;
  decided_at: number | null;
  status_detail: string | null;
}

interface ApprovalRow {
  user_id: string;
  decision: string;
  at: number;
}

interface ExecutionRow {
  request_id: string;
  started_at: number;
  finished_at: number | null;
  outcome: string | null;
  result: string | null;
}

interface AuditRow {
  id: number;
  at: number;
  actor: string;
  action: string;
  request_id: string | null;
  runbook_id: string | null;
  runbook_sha256: string | null;
  target: string | null;
  target_container_id: string | null;
  params: string | null;
  outcome: string | null;
  before_bytes: number | null;
  after_bytes: number | null;
  detail: string | null;
}

interface Statements {
  insertRequest: BetterSqlite3.Statement;
  getRequest: BetterSqlite3.Statement;
  getApprovals: BetterSqlite3.Statement;
  insertApproval: BetterSqlite3.Statement;
  setStatus: BetterSqlite3.Statement;
  insertExecution: BetterSqlite3.Statement;
  getExecution: BetterSqlite3.Statement;
  finishExecution: BetterSqlite3.Statement;
  unfinished: BetterSqlite3.Statement;
  duePending: BetterSqlite3.Statement;
  insertAudit: BetterSqlite3.Statement;
  recentRuns: BetterSqlite3.Statement;
  setSwitch: BetterSqlite3.Statement;
  getSwitch: BetterSqlite3.Statement;
}

const statementsFor = perDatabase((db): Statements => {
  return {
    insertRequest: db.prepare(`
      INSERT INTO remediation_requests
        (id, runbook_id, runbook_sha256, target_container_id, target_name, params, requested_by, requested_at, expires_at,
         status, origin, channel, message_ts, dry_run, required_approvals, decided_at, status_detail)
      VALUES (@id, @runbook_id, @runbook_sha256, @target_container_id, @target_name, @params, @requested_by, @requested_at,
         @expires_at, @status, @origin, @channel, @message_ts, @dry_run, @required_approvals, @decided_at, @status_detail)`),
    getRequest: db.prepare('SELECT * FROM remediation_requests WHERE id = ?'),
    // rowid order is insertion order; WITHOUT ROWID tables have none, so order by time, then user.
    getApprovals: db.prepare('SELECT user_id, decision, at FROM remediation_approvals WHERE request_id = ? ORDER BY at, user_id'),
    insertApproval: db.prepare(
      'INSERT INTO remediation_approvals (request_id, user_id, decision, at) VALUES (@request_id, @user_id, @decision, @at)',
    ),
    // Every status change names the status it expects to leave: a stale caller changes nothing.
    setStatus: db.prepare(`
      UPDATE remediation_requests
      SET status = @to, decided_at = coalesce(@at, decided_at), status_detail = coalesce(@detail, status_detail)
      WHERE id = @id AND status = @from`),
    insertExecution: db.prepare('INSERT INTO remediation_executions (request_id, started_at) VALUES (@request_id, @started_at)'),
    getExecution: db.prepare('SELECT * FROM remediation_executions WHERE request_id = ?'),
    finishExecution: db.prepare(`
      UPDATE remediation_executions SET finished_at = @finished_at, outcome = @outcome, result = @result
      WHERE request_id = @request_id AND finished_at IS NULL`),
    unfinished: db.prepare("SELECT id, status FROM remediation_requests WHERE status IN ('executing', 'approved') ORDER BY requested_at, id"),
    duePending: db.prepare("SELECT id FROM remediation_requests WHERE status = 'pending' AND expires_at <= ? ORDER BY expires_at, id"),
    insertAudit: db.prepare(`
      INSERT INTO audit_log
        (at, actor, action, request_id, runbook_id, runbook_sha256, target, target_container_id, params, outcome,
         before_bytes, after_bytes, detail)
      VALUES (@at, @actor, @action, @request_id, @runbook_id, @runbook_sha256, @target, @target_container_id, @params,
         @outcome, @before_bytes, @after_bytes, @detail)`),
    recentRuns: db.prepare(`
      SELECT e.started_at FROM remediation_executions e JOIN remediation_requests r ON r.id = e.request_id
      WHERE r.runbook_id = @runbook_id AND r.target_name = @target_name AND r.dry_run = 0 AND e.started_at >= @since
      ORDER BY e.started_at DESC`),
    setSwitch: db.prepare(`
      INSERT INTO remediation_switch (id, enabled, changed_by, changed_at) VALUES (1, @enabled, @changed_by, @changed_at)
      ON CONFLICT (id) DO UPDATE SET enabled = excluded.enabled, changed_by = excluded.changed_by, changed_at = excluded.changed_at`),
    getSwitch: db.prepare('SELECT enabled, changed_by, changed_at FROM remediation_switch WHERE id = 1'),
  };
});

function readRequest(s: Statements, id: string): RemediationRequest | null {
  const row = s.getRequest.get(id) as RequestRow | undefined;
  if (!row) return null;
  return requestFromRow(row, s.getApprovals.all(id) as ApprovalRow[]);
}

function insertAudit(s: Statements, entry: NewAuditEntry): number {
  return Number(
    s.insertAudit.run({
      at: entry.at,
      actor: entry.actor,
      action: entry.action,
      request_id: entry.requestId ?? null,
      runbook_id: entry.runbookId ?? null,
      runbook_sha256: entry.runbookSha256 ?? null,
      target: entry.target ?? null,
      target_container_id: entry.targetContainerId ?? null,
      params: entry.params === undefined || entry.params === null ? null : JSON.stringify(entry.params),
      outcome: entry.outcome ?? null,
      before_bytes: entry.beforeBytes ?? null,
      after_bytes: entry.afterBytes ?? null,
      detail: entry.detail ?? null,
    }).lastInsertRowid,
  );
}

/** An audit entry about `request`, carrying its runbook, hash, target and parameters. */
export function auditFor(
  request: RemediationRequest,
  action: AuditAction,
  actor: string,
  at: number,
  extra: Pick<NewAuditEntry, 'outcome' | 'beforeBytes' | 'afterBytes' | 'detail'> = {},
): NewAuditEntry {
  return {
    at,
    actor,
    action,
    requestId: request.id,
    runbookId: request.runbookId,
    runbookSha256: request.runbookSha256,
    target: request.target.name,
    targetContainerId: request.target.containerId,
    params: request.params,
    ...extra,
  };
}

/** One IMMEDIATE transaction: the write lock is taken before the first read. */
function write<T>(db: Database, fn: () => T): T {
  return guard(db, () => db.transaction(fn).immediate());
}

function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

function parseJson(text: string | null): unknown {
  return text === null ? null : parseJsonOr<unknown>(text, text);
}

function requestFromRow(row: RequestRow, approvals: readonly ApprovalRow[]): RemediationRequest {
  const params = parseJson(row.params);
  return {
    id: row.id,
    runbookId: row.runbook_id,
    runbookSha256: row.runbook_sha256,
    target: { containerId: row.target_container_id, name: row.target_name },
    params: params !== null && typeof params === 'object' && !Array.isArray(params) ? (params as Record<string, unknown>) : {},
    requestedBy: row.requested_by,
    requestedAt: row.requested_at,
    expiresAt: row.expires_at,
    status: row.status as RequestStatus,
    origin: row.origin,
    channel: row.channel,
    messageTs: row.message_ts,
    dryRun: row.dry_run === 1,
    requiredApprovals: row.required_approvals,
    decidedAt: row.decided_at,
    statusDetail: row.status_detail,
    approvals: approvals.map((a) => ({ user: a.user_id, decision: a.decision as Decision, at: a.at })),
  };
}

function executionFromRow(row: ExecutionRow): Execution {
  return {
    requestId: row.request_id,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    outcome: row.outcome,
    result: parseJson(row.result),
  };
}

function auditFromRow(row: AuditRow): AuditEntry {
  return {
    id: row.id,
    at: row.at,
    actor: row.actor,
    action: row.action as AuditAction,
    requestId: row.request_id,
    runbookId: row.runbook_id,
    runbookSha256: row.runbook_sha256,
    target: row.target,
    targetContainerId: row.target_container_id,
    params: parseJson(row.params),
    outcome: row.outcome,
    beforeBytes: row.before_bytes,
    afterBytes: row.after_bytes,
    detail: row.detail,
  };
}
