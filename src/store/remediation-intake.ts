// What the intake of a new remediation request reads before storing it: the requests a person or a
// runbook made lately (the request rate limits) and a pending request identical to the new one
// (collapsed into it, so approvers are not asked twice for the same thing).
import type BetterSqlite3 from 'better-sqlite3';
import { perDatabase, type Database } from './database.js';
import { getRequest } from './remediation.js';
import type { RemediationRequest } from '../model/remediation.js';
import { guard } from './store-error.js';

export interface RequestTimesQuery {
  since: number;
  requestedBy?: string;
  runbookId?: string;
}

/** When the matching requests were made (epoch ms, oldest first), after `since`. */
export function requestTimesSince(db: Database, query: RequestTimesQuery): number[] {
  return guard(db, () => {
    const s = statementsFor(db);
    const rows = (
      query.requestedBy !== undefined
        ? s.byRequester.all({ requested_by: query.requestedBy, since: query.since })
        : query.runbookId !== undefined
          ? s.byRunbook.all({ runbook_id: query.runbookId, since: query.since })
          : []
    ) as { requested_at: number }[];
    return rows.map((row) => row.requested_at);
  });
}

export interface RequestTwin {
  runbookId: string;
  targetContainerId: string;
  params: Record<string, unknown>;
  dryRun: boolean;
}

/** A request still waiting for approval (and not expired at `now`) that asks exactly the same. */
export function findPendingTwin(db: Database, twin: RequestTwin, now: number): RemediationRequest | null {
  const wanted = canonicalJson(twin.params);
  return guard(db, () => {
    const rows = statementsFor(db).pending.all({ runbook_id: twin.runbookId, target_container_id: twin.targetContainerId, dry_run: twin.dryRun ? 1 : 0, now }) as { id: string }[];
    for (const { id } of rows) {
      const request = getRequest(db, id);
      if (request && canonicalJson(request.params) === wanted) return request;
    }
    return null;
  });
}

/** JSON with object keys sorted, so {a, b} and {b, a} compare equal. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

interface Statements {
  byRequester: BetterSqlite3.Statement;
  byRunbook: BetterSqlite3.Statement;
  pending: BetterSqlite3.Statement;
}

const statementsFor = perDatabase(
  (db): Statements => ({
    byRequester: db.prepare('SELECT requested_at FROM remediation_requests WHERE requested_by = @requested_by AND requested_at > @since ORDER BY requested_at'),
    byRunbook: db.prepare('SELECT requested_at FROM remediation_requests WHERE runbook_id = @runbook_id AND requested_at > @since ORDER BY requested_at'),
    pending: db.prepare(`
      SELECT id FROM remediation_requests
      WHERE runbook_id = @runbook_id AND target_container_id = @target_container_id AND dry_run = @dry_run
        AND status = 'pending' AND expires_at > @now
      ORDER BY requested_at`),
  }),
);
