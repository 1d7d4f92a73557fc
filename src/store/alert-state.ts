// Alert state, transition history and silences in SQLite (migration 2). One evaluation round is
// written in one transaction, so a crash leaves either the round before or the round after:
// after a restart an alert is neither announced twice nor lost.
import type BetterSqlite3 from 'better-sqlite3';
import type { AlertState, AlertTarget, AlertTransition, Evidence, HistoryReader, NewSilence, Silence } from '../model/alert.js';
import { parseJsonOr, perDatabase, type Database } from './database.js';
import { queryHistory } from './history.js';
import { guard } from './store-error.js';

export interface AlertRound {
  upserts: readonly AlertState[];
  /** Fingerprints whose alert went inactive. */
  deletes: readonly string[];
  transitions: readonly AlertTransition[];
}

interface StateRow {
  fingerprint: string;
  rule_id: string;
  kind: string;
  target: string;
  state: string;
  severity: string;
  value: number;
  threshold: number;
  unit: string;
  since: number;
  pending_since: number;
  firing_since: number | null;
  cleared_at: number | null;
  reported_value: number;
  last_notified: number | null;
  firing_notified: number;
  evidence: string;
  updated_at: number;
}

interface TransitionRow {
  id: number;
  at: number;
  fingerprint: string;
  rule_id: string;
  kind: string;
  event: string;
  from_state: string;
  to_state: string;
  severity: string;
  previous_severity: string | null;
  value: number;
  threshold: number;
  unit: string;
  started_at: number;
  silenced: number;
  reason: string | null;
  summary: string;
  target: string;
  evidence: string;
}

interface SilenceRow {
  id: number;
  rule_id: string | null;
  target: string | null;
  until: number;
  created_by: string;
  reason: string;
  created_at: number;
}

interface Statements {
  loadStates: BetterSqlite3.Statement;
  upsertState: BetterSqlite3.Statement;
  deleteState: BetterSqlite3.Statement;
  insertTransition: BetterSqlite3.Statement;
  insertSilence: BetterSqlite3.Statement;
  deleteSilence: BetterSqlite3.Statement;
  activeSilences: BetterSqlite3.Statement;
  pruneTransitions: BetterSqlite3.Statement;
  pruneSilences: BetterSqlite3.Statement;
  saveRound: BetterSqlite3.Transaction<(round: AlertRound) => void>;
}

/** Every stored alert (pending, firing, or resolved in the last round), by fingerprint. */
export function loadAlertStates(db: Database): AlertState[] {
  return guard(db, () => (statementsFor(db).loadStates.all() as StateRow[]).map(stateFromRow));
}

/** Stores one evaluation round (state changes and transitions) in one transaction. */
export function saveAlertRound(db: Database, round: AlertRound): void {
  if (round.upserts.length === 0 && round.deletes.length === 0 && round.transitions.length === 0) return;
  guard(db, () => statementsFor(db).saveRound.immediate(round));
}

export interface TransitionQuery {
  fingerprint?: string;
  /** Only transitions at or after this time. */
  sinceMs?: number;
  /** Newest first, at most this many (default 100). */
  limit?: number;
}

/** Stored transitions, newest first. */
export function listAlertTransitions(db: Database, query: TransitionQuery = {}): AlertTransition[] {
  const limit = Math.max(1, Math.min(10_000, Math.floor(query.limit ?? 100)));
  const where: string[] = [];
  const params: Record<string, unknown> = { limit };
  if (query.fingerprint !== undefined) {
    where.push('fingerprint = @fingerprint');
    params.fingerprint = query.fingerprint;
  }
  if (query.sinceMs !== undefined) {
    where.push('at >= @since');
    params.since = query.sinceMs;
  }
  const sql = `SELECT * FROM alert_transitions ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY at DESC, id DESC LIMIT @limit`;
  return guard(db, () => (db.prepare(sql).all(params) as TransitionRow[]).map(transitionFromRow));
}

/** Deletes transitions older than `beforeMs` and silences that ended before it; returns rows removed. */
export function pruneAlertHistory(db: Database, beforeMs: number): number {
  return guard(db, () => {
    const s = statementsFor(db);
    return s.pruneTransitions.run(beforeMs).changes + s.pruneSilences.run(beforeMs).changes;
  });
}

export function insertSilence(db: Database, silence: NewSilence, now: number): Silence {
  const row = {
    rule_id: silence.ruleId ?? null,
    target: silence.target ?? null,
    until: silence.until,
    created_by: silence.createdBy,
    reason: silence.reason,
    created_at: now,
  };
  const id = guard(db, () => Number(statementsFor(db).insertSilence.run(row).lastInsertRowid));
  return silenceFromRow({ id, ...row });
}

/** Removes a silence; false when there was none with that id. */
export function deleteSilence(db: Database, id: number): boolean {
  return guard(db, () => statementsFor(db).deleteSilence.run(id).changes > 0);
}

/** Silences still in force at `now`, ending soonest first. */
export function listActiveSilences(db: Database, now: number): Silence[] {
  return guard(db, () => (statementsFor(db).activeSilences.all(now) as SilenceRow[]).map(silenceFromRow));
}

/** The alert engine's HistoryReader over the samples and rollups of this database. */
export function storeHistoryReader(db: Database): HistoryReader {
  return (target, fromMs, toMs) =>
    queryHistory(db, target.kind === 'host' ? { kind: 'host' } : { kind: target.kind, name: target.name }, fromMs, toMs);
}

const NO_TARGET: AlertTarget = { kind: 'host', name: 'unknown', containerId: null, containerName: null, labels: {} };

function stateFromRow(row: StateRow): AlertState {
  return {
    fingerprint: row.fingerprint,
    ruleId: row.rule_id,
    kind: row.kind as AlertState['kind'],
    target: parseJsonOr<AlertTarget>(row.target, NO_TARGET),
    status: row.state as AlertState['status'],
    severity: row.severity as AlertState['severity'],
    value: row.value,
    threshold: row.threshold,
    unit: row.unit as AlertState['unit'],
    since: row.since,
    startedAt: row.pending_since,
    firingSince: row.firing_since,
    clearedAt: row.cleared_at,
    reportedValue: row.reported_value,
    lastNotifiedAt: row.last_notified,
    firingNotified: row.firing_notified === 1,
    evidence: parseJsonOr<Evidence>(row.evidence, {}),
    updatedAt: row.updated_at,
  };
}

function stateToRow(state: AlertState): StateRow {
  return {
    fingerprint: state.fingerprint,
    rule_id: state.ruleId,
    kind: state.kind,
    target: JSON.stringify(state.target),
    state: state.status,
    severity: state.severity,
    value: state.value,
    threshold: state.threshold,
    unit: state.unit,
    since: state.since,
    pending_since: state.startedAt,
    firing_since: state.firingSince,
    cleared_at: state.clearedAt,
    reported_value: state.reportedValue,
    last_notified: state.lastNotifiedAt,
    firing_notified: state.firingNotified ? 1 : 0,
    evidence: JSON.stringify(state.evidence),
    updated_at: state.updatedAt,
  };
}

function transitionToRow(t: AlertTransition): Omit<TransitionRow, 'id'> {
  return {
    at: t.at,
    fingerprint: t.fingerprint,
    rule_id: t.ruleId,
    kind: t.kind,
    event: t.event,
    from_state: t.from,
    to_state: t.to,
    severity: t.severity,
    previous_severity: t.previousSeverity,
    value: t.value,
    threshold: t.threshold,
    unit: t.unit,
    started_at: t.startedAt,
    silenced: t.silenced ? 1 : 0,
    reason: t.reason,
    summary: t.summary,
    target: JSON.stringify(t.target),
    evidence: JSON.stringify(t.evidence),
  };
}

function transitionFromRow(row: TransitionRow): AlertTransition {
  return {
    event: row.event as AlertTransition['event'],
    fingerprint: row.fingerprint,
    ruleId: row.rule_id,
    kind: row.kind as AlertTransition['kind'],
    target: parseJsonOr<AlertTarget>(row.target, NO_TARGET),
    from: row.from_state as AlertTransition['from'],
    to: row.to_state as AlertTransition['to'],
    severity: row.severity as AlertTransition['severity'],
    previousSeverity: row.previous_severity as AlertTransition['previousSeverity'],
    value: row.value,
    threshold: row.threshold,
    unit: row.unit as AlertTransition['unit'],
    startedAt: row.started_at,
    at: row.at,
    silenced: row.silenced === 1,
    reason: row.reason as AlertTransition['reason'],
    summary: row.summary,
    evidence: parseJsonOr<Evidence>(row.evidence, {}),
  };
}

function silenceFromRow(row: SilenceRow): Silence {
  return {
    id: row.id,
    ruleId: row.rule_id,
    target: row.target,
    until: row.until,
    createdBy: row.created_by,
    reason: row.reason,
    createdAt: row.created_at,
  };
}

const statementsFor = perDatabase((db): Statements => {
  const s: Omit<Statements, 'saveRound'> = {
    loadStates: db.prepare('SELECT * FROM alert_state ORDER BY fingerprint'),
    upsertState: db.prepare(`
      INSERT OR REPLACE INTO alert_state
        (fingerprint, rule_id, kind, target, state, severity, value, threshold, unit, since, pending_since,
         firing_since, cleared_at, reported_value, last_notified, firing_notified, evidence, updated_at)
      VALUES (@fingerprint, @rule_id, @kind, @target, @state, @severity, @value, @threshold, @unit, @since, @pending_since,
         @firing_since, @cleared_at, @reported_value, @last_notified, @firing_notified, @evidence, @updated_at)`),
    deleteState: db.prepare('DELETE FROM alert_state WHERE fingerprint = ?'),
    insertTransition: db.prepare(`
      INSERT INTO alert_transitions
        (at, fingerprint, rule_id, kind, event, from_state, to_state, severity, previous_severity, value, threshold,
         unit, started_at, silenced, reason, summary, target, evidence)
      VALUES (@at, @fingerprint, @rule_id, @kind, @event, @from_state, @to_state, @severity, @previous_severity, @value,
         @threshold, @unit, @started_at, @silenced, @reason, @summary, @target, @evidence)`),
    insertSilence: db.prepare(`
      INSERT INTO alert_silences (rule_id, target, until, created_by, reason, created_at)
      VALUES (@rule_id, @target, @until, @created_by, @reason, @created_at)`),
    deleteSilence: db.prepare('DELETE FROM alert_silences WHERE id = ?'),
    activeSilences: db.prepare('SELECT * FROM alert_silences WHERE until > ? ORDER BY until, id'),
    pruneTransitions: db.prepare('DELETE FROM alert_transitions WHERE at < ?'),
    pruneSilences: db.prepare('DELETE FROM alert_silences WHERE until < ?'),
  };
  const saveRound = db.transaction((round: AlertRound) => {
    for (const fingerprint of round.deletes) s.deleteState.run(fingerprint);
    for (const state of round.upserts) s.upsertState.run(stateToRow(state));
    for (const transition of round.transitions) s.insertTransition.run(transitionToRow(transition));
  });
  return { ...s, saveRound };
});
