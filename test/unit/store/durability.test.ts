// An OS crash or a power loss must not roll back an approval or an execution claim after the
// action ran: the remediation transactions (request, decision, claim, finish) commit with
// synchronous=FULL, which in WAL mode syncs the WAL at every commit. `synchronous` is per
// connection, so this reads what is in force inside each of those transactions, on the
// connection openDatabase hands out, through a temporary trigger on the audit log (every one of
// them appends its audit row in the same transaction).
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeDatabase, type Database, openDatabase } from '../../../src/store/database.js';
import { claimExecution, createRequest, finishExecution, recordDecision } from '../../../src/store/remediation.js';
import { enqueueOutbox } from '../../../src/store/outbox.js';
import { SHA, T0, WORKER } from '../remediate/helpers.js';
import { makeTempDir } from './make-snapshot.js';

const FULL = 2;

let temp: ReturnType<typeof makeTempDir>;
let db: Database;

beforeEach(() => {
  temp = makeTempDir();
  db = openDatabase(join(temp.dir, 'memwarden.db'));
  db.exec(`
    CREATE TEMP TABLE seen_sync (what TEXT, level INTEGER);
    CREATE TEMP TRIGGER audit_sync AFTER INSERT ON main.audit_log
    BEGIN INSERT INTO seen_sync SELECT NEW.action, synchronous FROM pragma_synchronous; END;
    CREATE TEMP TRIGGER outbox_sync AFTER INSERT ON main.outbox
    BEGIN INSERT INTO seen_sync SELECT 'outbox', synchronous FROM pragma_synchronous; END;`);
});
afterEach(() => {
  closeDatabase(db);
  temp.remove();
});

describe('durable remediation transactions', () => {
  it('request, decision, claim and finish commit with synchronous=FULL (not NORMAL: a crash could roll back an approval after the action ran)', () => {
    const request = createRequest(
      db,
      { runbookId: 'celery-lower-concurrency', runbookSha256: SHA, target: WORKER, params: { concurrency: 4 }, requestedBy: 'U_REQ', origin: 'command', dryRun: false, requiredApprovals: 1 },
      T0,
    );
    expect(recordDecision(db, request.id, 'U_APPROVER', 'approve', T0 + 1).recorded).toBe(true);
    expect(claimExecution(db, request.id, T0 + 2)).toBe(true);
    expect(finishExecution(db, request.id, { outcome: 'succeeded' }, T0 + 3)).toBe(true);
    enqueueOutbox(db, { orderingKey: 'k', messageKey: null, op: 'post', channel: 'C1', payload: {} }, T0 + 4);

    const seen = db.prepare('SELECT what, level FROM temp.seen_sync').all() as { what: string; level: number }[];
    expect(seen).toEqual(['requested', 'approved', 'executing', 'succeeded', 'outbox'].map((what) => ({ what, level: FULL })));
  });
});
