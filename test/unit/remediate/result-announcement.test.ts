// A result is told once, from what the store has: a crash between storing an execution's outcome
// and queueing its messages must not leave the approval message on "Running" for ever, and the
// verification that follows is part of the audit log.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { approvalMessageKey } from '../../../src/remediate/remediation-views.js';
import { closeDatabase, openDatabase } from '../../../src/store/database.js';
import { getRequest, listAudit } from '../../../src/store/remediation.js';
import { MiB, NODE } from './fake-docker.js';
import { makeTempDb, type TempDb } from './helpers.js';
import { APPROVER, CELERY_NAME, CHANNEL, type Harness, makeRemediation, REQUESTER, T0 } from './remediation-harness.js';

let t: TempDb;
beforeEach(() => {
  t = makeTempDb();
});
afterEach(() => t.close());

async function requestShrink(h: Harness): Promise<string> {
  const asked = await h.remediation.request({ user: REQUESTER, runbookId: 'lower-celery-concurrency', target: CELERY_NAME, rawParams: { concurrency: '1' }, channel: CHANNEL });
  expect(asked).toMatchObject({ ok: true });
  return asked.requestId ?? '';
}

const isResult = (text: string) => text.includes(`applied: shrank ${NODE}'s pool from 4 to 1 children`);

describe('announcing a result', () => {
  it('defect: a crash between finishExecution and the announcement left the approval message on "Running" for ever: the next start announces the stored result, once', async () => {
    const first = makeRemediation(t.db, { crashOn: (op) => op.op === 'reply' && isResult(op.message.text) });
    const id = await requestShrink(first);
    await expect(first.remediation.decide({ requestId: id, user: APPROVER, decision: 'approve' })).rejects.toThrow('crash (test)');
    // The store has the outcome; Slack heard only "started".
    expect(getRequest(t.db, id)?.status).toBe('succeeded');
    expect(first.ops.filter((op) => isResult(op.message.text))).toEqual([]);
    expect(first.fake.actions).toHaveLength(1);

    // The restart.
    closeDatabase(t.db);
    t.db = openDatabase(t.file);
    const second = makeRemediation(t.db, { fake: first.fake, clock: first.clock });
    second.remediation.recover();
    const results = second.ops.filter((op) => op.messageKey === approvalMessageKey(id) && op.op === 'reply' && isResult(op.message.text));
    expect(results).toHaveLength(1);
    const approval = second.ops.find((op) => op.messageKey === approvalMessageKey(id) && op.op === 'update');
    expect(JSON.stringify(approval?.message.blocks)).toContain('✅ *Done*');
    expect(JSON.stringify(approval?.message.blocks)).not.toContain('Running');
    // Its verification is armed, as it would have been.
    expect(second.scheduled).toHaveLength(1);
    // Told once: another start says nothing more, and nothing ran again.
    second.remediation.recover();
    const third = makeRemediation(t.db, { fake: first.fake, clock: first.clock });
    third.remediation.recover();
    expect(second.ops.filter((op) => isResult(op.message.text))).toHaveLength(1);
    expect(third.ops).toEqual([]);
    expect(first.fake.actions).toHaveLength(1);
  });

  it('defect: verification results were not in the audit log: the verdict is audited with the figures it compared', async () => {
    const h = makeRemediation(t.db);
    const id = await requestShrink(h);
    await h.remediation.decide({ requestId: id, user: APPROVER, decision: 'approve' });
    h.clock.now = T0 + 30_000;
    await h.remediation.tick(h.clock.now);
    const [verified] = listAudit(t.db, { requestId: id, limit: 1 });
    expect(verified).toMatchObject({
      action: 'verified',
      actor: 'memwarden',
      outcome: 'goal-met',
      beforeBytes: 230 * MiB,
      afterBytes: 230 * MiB,
      detail: 'pool size 4 children → 1 child: goal met (pool size of 1 child)',
    });
  });
});
