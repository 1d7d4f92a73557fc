// The Slack side of remediation (migration 5): what an alert's fix button stands for, and what
// happens to a request after it was made (its approval message, the verification that is due).
//
// A fix button's value is the id of a recommendation row: 128 random bits, so a value cannot be
// guessed, and the runbook, target and parameters are read back from here, never from the click.
// The same recommendation on the same alert message keeps its id (dedupe_key), so updating the
// message does not mint new rows.
//
// Verifications are rows that are due at a time: claimDueVerifications moves due -> running in
// one transaction (one verifier per row, across processes), finishVerification running -> done;
// a restart puts rows left running back to due (releaseRunningVerifications), so a verification
// is neither lost nor, once done, repeated.
import { randomBytes } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import { parseJsonOr, perDatabase, type Database } from './database.js';
import { appendAudit } from './remediation.js';
import type { NewAuditEntry } from '../model/remediation.js';
import { guard } from './store-error.js';

export interface NewRecommendation {
  /** Identifies the button: the alert message, the recommendation's place, what it runs. */
  dedupeKey: string;
  fingerprint: string;
  /** The alert message (alert_messages.message_key) whose thread hears how it went. */
  alertMessageKey: string;
  runbookId: string;
  targetContainerId: string | null;
  targetName: string;
  /** Typed values (sizes in bytes), as the diagnosis computed them. */
  params: Record<string, number | string>;
  title: string;
  estimatedSavingsBytes: number | null;
}

export interface StoredRecommendation extends NewRecommendation {
  id: string;
  createdAt: number;
}

export type VerifyState = 'none' | 'due' | 'running' | 'done';

export interface Followup {
  requestId: string;
  channel: string;
  /** Opaque to the store (the approval message's view model). */
  view: unknown;
  alertMessageKey: string | null;
  alertFingerprint: string | null;
  verifyState: VerifyState;
  verifyAt: number | null;
  before: unknown;
  verification: unknown;
  /** When the execution's result was queued for Slack; null: not yet. */
  announcedAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface NewFollowup {
  requestId: string;
  channel: string;
  view: unknown;
  alertMessageKey?: string | null;
  alertFingerprint?: string | null;
}

const RECOMMENDATION_ID = /^[0-9a-f]{32}$/;

/** Whether `text` has the shape of a recommendation id; anything else is refused before a lookup. */
export function isRecommendationId(text: string): boolean {
  return RECOMMENDATION_ID.test(text);
}

/** The id of this recommendation: the existing one for the same dedupe key, else a new one. */
export function recommendationId(db: Database, rec: NewRecommendation, now: number): string {
  return guard(db, () =>
    db.transaction(() => {
      const s = statementsFor(db);
      const existing = s.recByKey.get(rec.dedupeKey) as { id: string } | undefined;
      if (existing) return existing.id;
      const id = randomBytes(16).toString('hex');
      s.insertRec.run({
        id,
        dedupe_key: rec.dedupeKey,
        fingerprint: rec.fingerprint,
        alert_message_key: rec.alertMessageKey,
        runbook_id: rec.runbookId,
        target_container_id: rec.targetContainerId,
        target_name: rec.targetName,
        params: JSON.stringify(rec.params),
        title: rec.title,
        estimated_savings_bytes: rec.estimatedSavingsBytes,
        created_at: now,
      });
      return id;
    }).immediate(),
  );
}

/** The stored recommendation, or null for an unknown or malformed id. */
export function getRecommendation(db: Database, id: string): StoredRecommendation | null {
  if (!isRecommendationId(id)) return null;
  return guard(db, () => {
    const row = statementsFor(db).recById.get(id) as RecommendationRow | undefined;
    return row ? recommendationFromRow(row) : null;
  });
}

/** Deletes recommendations created before `beforeMs` (their buttons then say so); returns how many. */
export function pruneRecommendations(db: Database, beforeMs: number): number {
  return guard(db, () => statementsFor(db).pruneRecs.run(beforeMs).changes);
}

export function insertFollowup(db: Database, followup: NewFollowup, now: number): void {
  guard(db, () =>
    statementsFor(db).insertFollowup.run({
      request_id: followup.requestId,
      channel: followup.channel,
      view: JSON.stringify(followup.view),
      alert_message_key: followup.alertMessageKey ?? null,
      alert_fingerprint: followup.alertFingerprint ?? null,
      now,
    }),
  );
}

export function getFollowup(db: Database, requestId: string): Followup | null {
  return guard(db, () => {
    const row = statementsFor(db).getFollowup.get(requestId) as FollowupRow | undefined;
    return row ? followupFromRow(row) : null;
  });
}

/** Records what was measured just before the run. */
export function setFollowupBefore(db: Database, requestId: string, before: unknown, now: number): void {
  guard(db, () => statementsFor(db).setBefore.run({ request_id: requestId, before: JSON.stringify(before), now }));
}

/** Makes the verification due at `at` (only from 'none': a run is verified once). */
export function scheduleVerification(db: Database, requestId: string, at: number, now: number): boolean {
  return guard(db, () => statementsFor(db).schedule.run({ request_id: requestId, at, now }).changes === 1);
}

/** Due verifications (verify_at <= now), now marked running; each is returned to one caller only. */
export function claimDueVerifications(db: Database, now: number): Followup[] {
  return guard(db, () =>
    db.transaction(() => {
      const s = statementsFor(db);
      const claimed: Followup[] = [];
      for (const row of s.due.all(now) as FollowupRow[]) {
        if (s.claim.run({ request_id: row.request_id, now }).changes === 1) claimed.push(followupFromRow({ ...row, verify_state: 'running', updated_at: now }));
      }
      return claimed;
    }).immediate(),
  );
}

/** Stores the verification's result and, in the same transaction, its audit row (when given). */
export function finishVerification(db: Database, requestId: string, verification: unknown, now: number, audit?: NewAuditEntry): boolean {
  return guard(db, () =>
    db.transaction(() => {
      const finished = statementsFor(db).finish.run({ request_id: requestId, verification: JSON.stringify(verification), now }).changes === 1;
      if (finished && audit) appendAudit(db, audit);
      return finished;
    }).immediate(),
  );
}

/**
 * Runs `announce` (which queues the result's messages) and marks the result announced in one
 * transaction: either both happen or neither, so a crash never leaves a result half told and a
 * restart never tells one twice. False when it was announced already.
 */
export function announceOnce(db: Database, requestId: string, now: number, announce: () => void): boolean {
  return guard(db, () =>
    db.transaction(() => {
      if (statementsFor(db).markAnnounced.run({ request_id: requestId, now }).changes !== 1) return false;
      announce();
      return true;
    }).immediate(),
  );
}

/** Requests whose execution ended (or never started after its approval) and whose result was never announced. */
export function unannouncedResults(db: Database): string[] {
  return guard(db, () => (statementsFor(db).unannounced.all() as { request_id: string }[]).map((row) => row.request_id));
}

/** Verifications a stopped process left running are due again; returns how many. Call at start. */
export function releaseRunningVerifications(db: Database, now: number): number {
  return guard(db, () => statementsFor(db).release.run({ now }).changes);
}

/** The earliest time a verification that has not started is due, or null. */
export function nextVerificationAt(db: Database): number | null {
  return guard(db, () => (statementsFor(db).next.get() as { at: number | null }).at);
}

// ---------------------------------------------------------------------------------------------

interface RecommendationRow {
  id: string;
  dedupe_key: string;
  fingerprint: string;
  alert_message_key: string;
  runbook_id: string;
  target_container_id: string | null;
  target_name: string;
  params: string;
  title: string;
  estimated_savings_bytes: number | null;
  created_at: number;
}

interface FollowupRow {
  request_id: string;
  channel: string;
  view: string;
  alert_message_key: string | null;
  alert_fingerprint: string | null;
  verify_state: string;
  verify_at: number | null;
  before: string | null;
  verification: string | null;
  announced_at: number | null;
  created_at: number;
  updated_at: number;
}

interface Statements {
  recByKey: BetterSqlite3.Statement;
  recById: BetterSqlite3.Statement;
  insertRec: BetterSqlite3.Statement;
  pruneRecs: BetterSqlite3.Statement;
  insertFollowup: BetterSqlite3.Statement;
  getFollowup: BetterSqlite3.Statement;
  setBefore: BetterSqlite3.Statement;
  schedule: BetterSqlite3.Statement;
  due: BetterSqlite3.Statement;
  claim: BetterSqlite3.Statement;
  finish: BetterSqlite3.Statement;
  release: BetterSqlite3.Statement;
  next: BetterSqlite3.Statement;
  markAnnounced: BetterSqlite3.Statement;
  unannounced: BetterSqlite3.Statement;
}

const statementsFor = perDatabase((db): Statements => {
  return {
    recByKey: db.prepare('SELECT id FROM remediation_recommendations WHERE dedupe_key = ?'),
    recById: db.prepare('SELECT * FROM remediation_recommendations WHERE id = ?'),
    insertRec: db.prepare(`
      INSERT INTO remediation_recommendations
        (id, dedupe_key, fingerprint, alert_message_key, runbook_id, target_container_id, target_name, params, title,
         estimated_savings_bytes, created_at)
      VALUES (@id, @dedupe_key, @fingerprint, @alert_message_key, @runbook_id, @target_container_id, @target_name, @params,
         @title, @estimated_savings_bytes, @created_at)`),
    pruneRecs: db.prepare('DELETE FROM remediation_recommendations WHERE created_at < ?'),
    insertFollowup: db.prepare(`
      INSERT INTO remediation_followups (request_id, channel, view, alert_message_key, alert_fingerprint, created_at, updated_at)
      VALUES (@request_id, @channel, @view, @alert_message_key, @alert_fingerprint, @now, @now)`),
    getFollowup: db.prepare('SELECT * FROM remediation_followups WHERE request_id = ?'),
    setBefore: db.prepare('UPDATE remediation_followups SET before = @before, updated_at = @now WHERE request_id = @request_id'),
    schedule: db.prepare(`
      UPDATE remediation_followups SET verify_state = 'due', verify_at = @at, updated_at = @now
      WHERE request_id = @request_id AND verify_state = 'none'`),
    due: db.prepare("SELECT * FROM remediation_followups WHERE verify_state = 'due' AND verify_at <= ? ORDER BY verify_at, request_id"),
    claim: db.prepare(`
      UPDATE remediation_followups SET verify_state = 'running', updated_at = @now
      WHERE request_id = @request_id AND verify_state = 'due'`),
    finish: db.prepare(`
      UPDATE remediation_followups SET verify_state = 'done', verification = @verification, updated_at = @now
      WHERE request_id = @request_id AND verify_state = 'running'`),
    release: db.prepare("UPDATE remediation_followups SET verify_state = 'due', updated_at = @now WHERE verify_state = 'running'"),
    next: db.prepare("SELECT min(verify_at) AS at FROM remediation_followups WHERE verify_state = 'due'"),
    markAnnounced: db.prepare('UPDATE remediation_followups SET announced_at = @now, updated_at = @now WHERE request_id = @request_id AND announced_at IS NULL'),
    unannounced: db.prepare(`
      SELECT f.request_id FROM remediation_followups f JOIN remediation_requests r ON r.id = f.request_id
      WHERE f.announced_at IS NULL AND r.status IN ('succeeded', 'failed', 'not-executed')
      ORDER BY f.created_at, f.request_id`),
  };
});

function parseJson(text: string | null): unknown {
  return text === null ? null : parseJsonOr<unknown>(text, null);
}

function recommendationFromRow(row: RecommendationRow): StoredRecommendation {
  const params = parseJson(row.params);
  return {
    id: row.id,
    dedupeKey: row.dedupe_key,
    fingerprint: row.fingerprint,
    alertMessageKey: row.alert_message_key,
    runbookId: row.runbook_id,
    targetContainerId: row.target_container_id,
    targetName: row.target_name,
    params: params !== null && typeof params === 'object' && !Array.isArray(params) ? (params as Record<string, number | string>) : {},
    title: row.title,
    estimatedSavingsBytes: row.estimated_savings_bytes,
    createdAt: row.created_at,
  };
}

function followupFromRow(row: FollowupRow): Followup {
  return {
    requestId: row.request_id,
    channel: row.channel,
    view: parseJson(row.view),
    alertMessageKey: row.alert_message_key,
    alertFingerprint: row.alert_fingerprint,
    verifyState: row.verify_state as VerifyState,
    verifyAt: row.verify_at,
    before: parseJson(row.before),
    verification: parseJson(row.verification),
    announcedAt: row.announced_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
