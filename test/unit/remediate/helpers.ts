// Builders for the approval tests: a runbook as the runbook schema will produce it (only the
// fields the policy reads, plus a title), a temp database file, and a logger that keeps lines.
import { join } from 'node:path';
import type { ApprovalService, ApprovalServiceOptions, ExecutionReport, ServiceLogger } from '../../../src/remediate/approval-service.js';
import { createApprovalService } from '../../../src/remediate/approval-service.js';
import type { PolicyRunbook } from '../../../src/remediate/policy.js';
import { closeDatabase, type Database, openDatabase } from '../../../src/store/database.js';
import type { RemediationRequest, RemediationTarget } from '../../../src/model/remediation.js';
import { makeTempDir } from '../store/make-snapshot.js';

export const T0 = Date.parse('2025-10-27T09:00:00.000Z');
export const MINUTE = 60_000;
export const SHA = 'a3f1'.repeat(16);
export const WORKER = { containerId: 'c0ffee'.repeat(10) + 'abcd', name: 'bizcard-celery-worker' };

export function makeRunbook(overrides: Omit<Partial<PolicyRunbook>, 'approval'> & { approval?: Partial<PolicyRunbook['approval']> } = {}): PolicyRunbook {
  const { approval, ...rest } = overrides;
  return {
    id: 'celery-lower-concurrency',
    title: 'Lower the Celery pool size',
    risk: 'low',
    cooldownMs: 30 * MINUTE,
    maxRunsPerHour: 2,
    timeoutMs: 60_000,
    enabled: true,
    sha256: SHA,
    ...rest,
    approval: {
      approvers: { users: ['U_ALICE', 'U_BOB', 'U_CAROL'], groups: ['S_ONCALL'] },
      required: 1,
      allowSelfApproval: false,
      ...approval,
    },
  };
}

export interface LogLine {
  level: 'info' | 'warn' | 'error';
  obj: object;
  msg: string;
}

export function makeLogger(): ServiceLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  return {
    lines,
    info: (obj, msg) => lines.push({ level: 'info', obj, msg }),
    warn: (obj, msg) => lines.push({ level: 'warn', obj, msg }),
    error: (obj, msg) => lines.push({ level: 'error', obj, msg }),
  };
}

export interface TempDb {
  file: string;
  /** Replace it to simulate a restart (close() closes whatever is here). */
  db: Database;
  close: () => void;
}

export function makeTempDb(): TempDb {
  const temp = makeTempDir();
  const file = join(temp.dir, 'memwarden.db');
  const handle: TempDb = {
    file,
    db: openDatabase(file),
    close: () => {
      closeDatabase(handle.db);
      temp.remove();
    },
  };
  return handle;
}

/** Rows in remediation_executions: what "executed" means to the store. */
export function executionRows(db: Database, requestId?: string): number {
  const row = (
    requestId === undefined
      ? db.prepare('SELECT count(*) AS n FROM remediation_executions').get()
      : db.prepare('SELECT count(*) AS n FROM remediation_executions WHERE request_id = ?').get(requestId)
  ) as { n: number };
  return row.n;
}

export interface Harness {
  service: ApprovalService;
  executed: RemediationRequest[];
  groupLookups: string[];
  logger: ReturnType<typeof makeLogger>;
  clock: { now: number };
}

/** A service over `db` whose executor records what it was asked to run. */
export function makeService(
  db: Database,
  runbooks: PolicyRunbook[] = [makeRunbook()],
  overrides: Partial<ApprovalServiceOptions<PolicyRunbook, RemediationTarget>> = {},
): Harness {
  const clock = { now: T0 };
  const executed: RemediationRequest[] = [];
  const groupLookups: string[] = [];
  const logger = makeLogger();
  const byId = new Map(runbooks.map((r) => [r.id, r]));
  const service = createApprovalService<PolicyRunbook, RemediationTarget>({
    db,
    clock: () => clock.now,
    runbook: (id) => byId.get(id),
    // "Reading the target" gives back the stored one; the allowlist is its name.
    inspect: (request) => Promise.resolve({ ok: true, live: request.target }),
    targetAllowed: (_runbook, target) => target.name.startsWith('bizcard-'),
    groupsOf: (user) => {
      groupLookups.push(user);
      return Promise.resolve(user === 'U_GRACE' ? ['S_ONCALL', 'S_OTHER'] : ['S_OTHER']);
    },
    execute: (request): Promise<ExecutionReport> => {
      executed.push(request);
      return Promise.resolve({ ok: true, summary: 'pool lowered from 8 to 4', beforeBytes: 2_760_000_000, afterBytes: 1_380_000_000 });
    },
    logger,
    ...overrides,
  });
  return { service, executed, groupLookups, logger, clock };
}
