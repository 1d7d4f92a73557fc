// A memwarden that is killed while a remediation runs. The child process approves through the
// real approval service; its executor announces itself and never returns; the test SIGKILLs it.
// After the "restart" (the file reopened), recover() must mark the request as possibly applied
// and no later click may run it again.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeDatabase, openDatabase } from '../../../src/store/database.js';
import { getExecution, getRequest, INTERRUPTED_OUTCOME, listAudit } from '../../../src/store/remediation.js';
import { spawnChild } from './child-process.js';
import { executionRows, makeRunbook, makeService, makeTempDb, type TempDb } from './helpers.js';

let t: TempDb;
beforeEach(() => {
  t = makeTempDb();
});
afterEach(() => t.close());

describe('crash recovery', () => {
  it('never runs a request twice after memwarden was killed while running it', async () => {
    const runbook = makeRunbook({ approval: { required: 1 } });
    const before = makeService(t.db, [runbook], { clock: () => Date.now() });
    const requested = before.service.request({ runbookId: runbook.id, target: { containerId: 'c'.repeat(64), name: 'bizcard-celery-worker' }, targetAllowed: true, params: { concurrency: 4 }, requestedBy: 'U_REQ', origin: 'command' });
    if (!requested.ok) throw new Error(requested.reason);
    const id = requested.request.id;
    closeDatabase(t.db);

    const child = spawnChild(['approve-and-hang', t.file, id, 'U_ALICE', JSON.stringify(runbook)]);
    try {
      expect(await child.line('executing ')).toBe(`executing ${id}`);
    } finally {
      child.process.kill('SIGKILL');
    }
    expect(await child.exited).toEqual({ code: null, signal: 'SIGKILL' });

    // The restart.
    t.db = openDatabase(t.file);
    expect(getRequest(t.db, id)?.status).toBe('executing');
    expect(executionRows(t.db, id)).toBe(1);

    const after = makeService(t.db, [runbook], { clock: () => Date.now() });
    const recovered = after.service.recover();
    expect(recovered).toMatchObject([{ previousStatus: 'executing', request: { id, status: 'failed', statusDetail: INTERRUPTED_OUTCOME } }]);
    expect(getExecution(t.db, id)).toMatchObject({ outcome: 'interrupted' });
    expect(after.logger.lines).toContainEqual(expect.objectContaining({ level: 'warn', msg: 'Remediation interrupted by a restart' }));

    // Slack redelivers the click, and another approver clicks too: neither runs it.
    for (const user of ['U_ALICE', 'U_BOB']) {
      const outcome = await after.service.decide(id, user, 'approve');
      expect(outcome).toMatchObject({ ok: false });
    }
    expect(after.executed).toHaveLength(0);
    expect(executionRows(t.db, id)).toBe(1);

    const actions = listAudit(t.db, { requestId: id }).map((e) => `${e.action}:${e.actor}`).reverse();
    expect(actions).toEqual(['requested:U_REQ', 'approved:U_ALICE', 'executing:memwarden', 'failed:memwarden', 'refused:U_ALICE', 'refused:U_BOB']);
    expect(listAudit(t.db, { requestId: id }).find((e) => e.action === 'failed')?.outcome).toBe(INTERRUPTED_OUTCOME);
  }, 60_000);
});
