// Retention of everything besides the samples (retention.ts rolls those up): the alert history,
// the outbox, the digest's markers and finished remediations. Every table of the schema has a
// rule here, so the database stops growing once each limit is reached; the test that reads the
// schema fails when a new table comes without one.
//
// Nothing that is still in use goes: an alert message stays while its alert is active, an op of
// the outbox refers to it, or a remediation may still reply in its thread; a request stays until
// it is final, verified and past the longest cooldown (recentRuns reads its execution). The
// audit log is never pruned: it is append-only by design (its triggers refuse deletes), and it
// carries what each finished request was (who, what, where, the outcome) after the request row
// is gone.
import type BetterSqlite3 from 'better-sqlite3';
import { pruneAlertHistory } from './alert-state.js';
import { perDatabase, type Database } from './database.js';
import { pruneOutbox } from './outbox.js';
import { pruneRecommendations } from './remediation-flow.js';
import { guard } from './store-error.js';

export interface RecordLimits {
  /** Alert transitions, ended silences, the Slack messages of alerts that are over. */
  alertsMs: number;
  /** Outbox ops sent or given up on. */
  outboxMs: number;
  /** The digest's sent-markers (at least its catch-up window and a day, or a restart resends a day). */
  digestMarkersMs: number;
  /** Finished remediation requests and what hangs off them; recommendations (fix buttons). */
  remediationsMs: number;
}

export interface PruneResult {
  alertHistory: number;
  alertMessages: number;
  outbox: number;
  digestMarkers: number;
  remediationRequests: number;
  recommendations: number;
}

/** Where each table's rows go. A table missing here fails the retention test. */
export const RETENTION_BY_TABLE: Readonly<Record<string, string>> = {
  host_samples: 'history.raw, then rolled up',
  container_samples: 'history.raw, then rolled up',
  group_samples: 'history.raw, then rolled up',
  host_rollups: 'history.rollups',
  container_rollups: 'history.rollups',
  group_rollups: 'history.rollups',
  containers: 'history.rollups after last seen (once no sample or rollup refers to it)',
  process_groups: 'history.rollups after last seen (once no sample or rollup refers to it)',
  images: 'history.rollups after last seen',
  alert_state: 'live state: a row per pending or firing alert, removed when it ends',
  alert_transitions: 'history.alerts',
  alert_silences: 'history.alerts after the silence ended',
  alert_messages: 'history.alerts, unless its alert is still active, an outbox op or a remediation still refers to it',
  outbox: 'history.outbox after it was sent or given up on (open ops are never pruned)',
  digest_sent: 'history.outbox, and at least digest.catchUpWithin + 1d',
  digest_schedules: 'live state: a row per digest channel',
  remediation_requests: 'history.remediations once final and verified, and at least the longest runbook cooldown',
  remediation_approvals: 'with its request',
  remediation_executions: 'with its request',
  remediation_followups: 'with its request',
  remediation_recommendations: 'history.remediations',
  remediation_switch: 'live state: one row',
  audit_log: 'kept: append-only by design (triggers refuse deletes)',
};

const FINAL = `('succeeded', 'failed', 'rejected', 'expired', 'not-executed')`;

interface Statements {
  deleteAlertMessages: BetterSqlite3.Statement;
  deleteDigestMarkers: BetterSqlite3.Statement;
  finishedRequests: BetterSqlite3.Statement;
  deleteApprovals: BetterSqlite3.Statement;
  deleteExecution: BetterSqlite3.Statement;
  deleteFollowup: BetterSqlite3.Statement;
  deleteApprovalMessage: BetterSqlite3.Statement;
  deleteRequest: BetterSqlite3.Statement;
}

/** Deletes what is past its limit at `now`, in one transaction; returns how many rows of each went. */
export function pruneRecords(db: Database, now: number, limits: RecordLimits): PruneResult {
  if (!Number.isFinite(now)) throw new RangeError(`now must be a time in ms, got ${now}`);
  for (const [name, ms] of Object.entries(limits)) {
    if (!(Number.isFinite(ms) && ms > 0)) throw new RangeError(`${name} must be a positive number of ms, got ${String(ms)}`);
  }
  const cutoff = (ms: number) => Math.floor(now - ms);
  return guard(db, () => {
    const s = statementsFor(db);
    return db.transaction((): PruneResult => {
      const result: PruneResult = { alertHistory: 0, alertMessages: 0, outbox: 0, digestMarkers: 0, remediationRequests: 0, recommendations: 0 };
      // Requests first: their approval messages are alert_messages rows pruned below.
      for (const { id } of s.finishedRequests.all({ cutoff: cutoff(limits.remediationsMs) }) as { id: string }[]) {
        s.deleteApprovals.run(id);
        s.deleteExecution.run(id);
        s.deleteFollowup.run(id);
        s.deleteApprovalMessage.run({ key: `remediation:${id}` });
        result.remediationRequests += s.deleteRequest.run(id).changes;
      }
      result.recommendations = pruneRecommendations(db, cutoff(limits.remediationsMs));
      result.alertHistory = pruneAlertHistory(db, cutoff(limits.alertsMs));
      result.outbox = pruneOutbox(db, cutoff(limits.outboxMs));
      result.alertMessages = s.deleteAlertMessages.run({ cutoff: cutoff(limits.alertsMs) }).changes;
      result.digestMarkers = s.deleteDigestMarkers.run({ cutoff: cutoff(limits.digestMarkersMs) }).changes;
      return result;
    }).immediate();
  });
}

const statementsFor = perDatabase((db): Statements => ({
  // The message of an alert episode that is over, of a digest, or of a request that is gone.
  deleteAlertMessages: db.prepare(`
    DELETE FROM alert_messages WHERE created_at < @cutoff AND updated_at < @cutoff
      AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.message_key = alert_messages.message_key AND o.status IN ('pending', 'sending'))
      AND NOT EXISTS (SELECT 1 FROM alert_state a WHERE a.fingerprint = alert_messages.fingerprint AND a.pending_since = alert_messages.started_at)
      AND NOT EXISTS (SELECT 1 FROM remediation_requests r WHERE 'remediation:' || r.id = alert_messages.message_key)
      AND NOT EXISTS (SELECT 1 FROM remediation_followups f WHERE f.alert_message_key = alert_messages.message_key)
      AND NOT EXISTS (SELECT 1 FROM remediation_recommendations c WHERE c.alert_message_key = alert_messages.message_key)`),
  deleteDigestMarkers: db.prepare('DELETE FROM digest_sent WHERE sent_at < @cutoff'),
  // Final, and nothing left to do for it: no verification due or running.
  finishedRequests: db.prepare(`
    SELECT r.id FROM remediation_requests r
    WHERE r.status IN ${FINAL} AND r.requested_at < @cutoff
      AND coalesce((SELECT max(e.started_at) FROM remediation_executions e WHERE e.request_id = r.id), 0) < @cutoff
      AND NOT EXISTS (SELECT 1 FROM remediation_followups f WHERE f.request_id = r.id AND f.verify_state IN ('due', 'running'))`),
  deleteApprovals: db.prepare('DELETE FROM remediation_approvals WHERE request_id = ?'),
  deleteExecution: db.prepare('DELETE FROM remediation_executions WHERE request_id = ?'),
  deleteFollowup: db.prepare('DELETE FROM remediation_followups WHERE request_id = ?'),
  // The key is the remediation code's approvalMessageKey(id); an op still queued for it keeps it.
  deleteApprovalMessage: db.prepare(`
    DELETE FROM alert_messages WHERE message_key = @key
      AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.message_key = @key AND o.status IN ('pending', 'sending'))`),
  deleteRequest: db.prepare('DELETE FROM remediation_requests WHERE id = ?'),
}));
