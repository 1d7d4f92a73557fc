// Small read-only aggregates for the /metrics endpoint (src/ops/metrics-store.ts) that the other
// store modules have no function for. Alert counts and the outbox depth come from
// loadAlertStates and countPendingOutbox; only what those cannot answer is here. Each query is an
// aggregate over an indexed or small table, so a scrape every few seconds costs next to nothing.
import type BetterSqlite3 from 'better-sqlite3';
import type { RequestStatus } from '../model/remediation.js';
import { perDatabase, type Database } from './database.js';
import { guard } from './store-error.js';

export interface RemediationRequestCount {
  runbookId: string;
  status: RequestStatus;
  count: number;
}

interface Statements {
  requestCounts: BetterSqlite3.Statement;
  oldestOpenOutbox: BetterSqlite3.Statement;
}

/** Remediation requests per runbook and current status (requests are never deleted). */
export function countRemediationRequests(db: Database): RemediationRequestCount[] {
  return guard(db, () =>
    (statementsFor(db).requestCounts.all() as { runbook_id: string; status: string; n: number }[]).map((row) => ({
      runbookId: row.runbook_id,
      status: row.status as RequestStatus,
      count: row.n,
    })),
  );
}

/**
 * created_at (epoch ms) of the oldest outbox op not yet sent or given up on — the same set
 * countPendingOutbox counts (pending or sending) — or null when there is none.
 */
export function oldestOpenOutboxCreatedAt(db: Database): number | null {
  return guard(db, () => (statementsFor(db).oldestOpenOutbox.get() as { at: number | null }).at);
}

const statementsFor = perDatabase((db): Statements => {
  return {
    requestCounts: db.prepare(
      'SELECT runbook_id, status, count(*) AS n FROM remediation_requests GROUP BY runbook_id, status ORDER BY runbook_id, status',
    ),
    oldestOpenOutbox: db.prepare("SELECT min(created_at) AS at FROM outbox WHERE status IN ('pending', 'sending')"),
  };
});
