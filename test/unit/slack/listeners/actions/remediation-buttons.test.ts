// The remediation flow through the real listeners: `/mem run` and the Approve / Reject / fix
// buttons go through a real Bolt App (fake receiver, app.processEvent), answers go to the
// response_url (nock). Every refusal is an ephemeral answer, changes nothing and runs nothing
// (the fake Docker records every action; remediation_executions stays empty); a double click
// runs the remediation exactly once.
import { afterEach, describe, expect, it } from 'vitest';
import { ACTION } from '../../../../../src/slack/ids.js';
import { checkBlockKitLimits } from '../../../../../src/slack/render/block-kit-limits.js';
import { COMMAND_ERROR_TEXT } from '../../../../../src/slack/render/command-help.js';
import { approvalMessageKey } from '../../../../../src/remediate/remediation-views.js';
import { setAlertMessagePosted } from '../../../../../src/store/outbox.js';
import { getRequest, listAudit } from '../../../../../src/store/remediation.js';
import { CELERY_ID } from '../../../remediate/fake-docker.js';
import { executionRows } from '../../../remediate/helpers.js';
import {
  ADMIN,
  APPROVER,
  approveButtonValue,
  CELERY_NAME,
  type Harness,
  makeRemediation,
  OTHER_NAME,
  OUTSIDER,
  REQUESTER,
  SECOND,
  T0,
} from '../../../remediate/remediation-harness.js';
import { buildTestApp, buttonClick, expectRespond, slashCommand, type TestApp, useNock } from '../../bolt-test-kit.js';

useNock();

let t: TestApp | undefined;
afterEach(() => {
  t?.services.close();
  t = undefined;
});

function setup(): { app: TestApp; h: Harness } {
  t = buildTestApp();
  const h = makeRemediation(t.services.db);
  t.services.remediation = h.remediation;
  return { app: t, h };
}

type Body = Record<string, unknown>;

async function command(app: TestApp, text: string, user = REQUESTER): Promise<Body> {
  const responded = expectRespond();
  const acks = await app.receiver.send(slashCommand(text, { user_id: user }));
  expect(acks).toEqual([undefined]);
  const body = await responded;
  expect(body.response_type).toBe('ephemeral');
  expect(checkBlockKitLimits({ text: body.text as string, blocks: (body.blocks ?? []) as never })).toEqual([]);
  return body;
}

function click(actionId: string, value: string, user: string, messageTs = '1761555600.000100'): Body {
  return buttonClick(actionId, value, {
    user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: 'T0MEMWARD' },
    message: { type: 'message', ts: messageTs, text: 'approval' },
    container: { type: 'message', message_ts: messageTs, channel_id: 'C0MEMWARD', is_ephemeral: false },
  });
}

async function press(app: TestApp, actionId: string, value: string, user: string, messageTs?: string): Promise<Body> {
  const responded = expectRespond();
  const acks = await app.receiver.send(click(actionId, value, user, messageTs));
  // Ack first, with nothing in it: the answer goes through the response_url.
  expect(acks).toEqual([undefined]);
  const body = await responded;
  expect(body).toMatchObject({ response_type: 'ephemeral', replace_original: false });
  expect(checkBlockKitLimits({ text: body.text as string, blocks: (body.blocks ?? []) as never })).toEqual([]);
  return body;
}

/** `/mem run` through the listener; the request id from the approval message's Approve button. */
async function requested(app: TestApp, h: Harness, text: string, user = REQUESTER): Promise<string> {
  const before = h.ops.length;
  const body = await command(app, text, user);
  expect(body.text).toMatch(/^memwarden: requested /);
  const post = h.ops.slice(before).find((op) => op.op === 'post');
  return approveButtonValue(post);
}

function expectNothingRan(app: TestApp, h: Harness): void {
  expect(h.fake.actions).toEqual([]);
  expect(executionRows(app.services.db)).toBe(0);
}

const SHRINK = `run lower-celery-concurrency ${CELERY_NAME} concurrency=1`;
const RESTART = `run restart-celery-worker ${CELERY_NAME} grace=5s`;

describe('/mem run', () => {
  it('requests a remediation: an ephemeral answer, the approval message to the outbox, nothing run', async () => {
    const { app, h } = setup();
    const id = await requested(app, h, SHRINK);
    expect(getRequest(app.services.db, id)).toMatchObject({ status: 'pending', requestedBy: REQUESTER, params: { concurrency: 1 } });
    expect(h.ops.map((op) => [op.op, op.channel])).toEqual([['post', 'C0MEMWARD']]);
    expectNothingRan(app, h);
  });

  it('refuses injection attempts and bad parameters before anything is stored', async () => {
    const { app, h } = setup();
    const cases: [string, string][] = [
      [`run lower-celery-concurrency ${CELERY_NAME} concurrency=1; reboot`, 'parameters are written name=value (a lowercase name), not "reboot"'],
      [`run lower-celery-concurrency ${CELERY_NAME} concurrency=$(id)`, 'concurrency: expected a whole number written with the digits 0-9 only (such as 3), got "$(id)"'],
      [`run lower-celery-concurrency ${CELERY_NAME} concurrency=１`, 'concurrency: expected a whole number written with the digits 0-9 only (such as 3), got "１"'],
      [`run lower-celery-concurrency ${CELERY_NAME} --help`, 'parameters are written name=value (a lowercase name), not "--help"'],
      ['run --help', 'run needs a runbook and a container'],
      [`run lower-celery-concurrency ${CELERY_NAME} concurrency=1 concurrency=2`, 'concurrency is given twice: give each parameter once'],
      [`run lower-celery-concurrency ${CELERY_NAME} concurrency=1 reboot=1`, 'reboot: unknown parameter (lower-celery-concurrency takes concurrency)'],
      [`run lower-celery-concurrency ${CELERY_NAME} concurrency=65`, 'concurrency: must be at most 64, got 65'],
      [`run set-memory-limit ${CELERY_NAME} limit=1GiB;id`, 'limit: expected a size such as 512MiB or 2GiB'],
    ];
    for (const [text, says] of cases) {
      const body = await command(app, text);
      expect(String(body.text), text).toContain(says);
    }
    expect(app.services.db.prepare('SELECT count(*) AS n FROM remediation_requests').get()).toEqual({ n: 0 });
    expect(h.ops).toEqual([]);
    expectNothingRan(app, h);
  });

  it('refuses a target outside the runbook allowlist', async () => {
    const { app, h } = setup();
    const body = await command(app, `run restart-celery-worker ${OTHER_NAME}`);
    expect(body.text).toBe(`memwarden: nothing was changed. Runbook "restart-celery-worker" may not run on ${OTHER_NAME}: it is not on the runbook's list of targets.`);
    expect(h.ops).toEqual([]);
    expectNothingRan(app, h);
  });

  it('refuses everything while remediation is switched off, and only an admin switches', async () => {
    const { app, h } = setup();
    expect((await command(app, 'remediation off', OUTSIDER)).text).toMatch(/Only memwarden's admins/);
    expect((await command(app, 'remediation off', ADMIN)).text).toBe('memwarden: remediation switched off');
    const body = await command(app, SHRINK);
    expect(body.text).toMatch(/Remediation is switched off for everyone/);
    expect(h.ops).toEqual([]);
    expectNothingRan(app, h);
  });

  it('answers runbooks and audit', async () => {
    const { app, h } = setup();
    await requested(app, h, SHRINK);
    expect((await command(app, 'runbooks')).text).toBe('memwarden: 5 runbooks, 5 enabled; remediation on');
    expect((await command(app, 'audit 5')).text).toBe('memwarden: the last 1 remediation audit entries');
  });

  it('says remediation is not configured when the bot has none', async () => {
    t = buildTestApp();
    for (const text of [SHRINK, 'runbooks', 'audit', 'remediation on']) {
      expect((await command(t, text)).text).toBe('memwarden: remediation is not configured here');
    }
  });
});

describe('every remediation button', () => {
  it('says remediation is not configured when the bot has none', async () => {
    t = buildTestApp();
    for (const actionId of [ACTION.approveRemediation, ACTION.rejectRemediation, `${ACTION.requestRemediation}:0`]) {
      expect((await press(t, actionId, '0123456789abcdef0123456789abcdef', APPROVER)).text).toBe('memwarden: remediation is not configured here');
    }
  });

  it('answers with an error, and changes nothing, when the facade throws', async () => {
    const { app, h } = setup();
    const broken = new Error('database is locked');
    h.remediation.decide = () => Promise.reject(broken);
    h.remediation.requestFromRecommendation = () => Promise.reject(broken);
    for (const actionId of [ACTION.approveRemediation, ACTION.rejectRemediation, `${ACTION.requestRemediation}:0`]) {
      const body = await press(app, actionId, '0123456789abcdef0123456789abcdef', APPROVER);
      expect(body.text).toBe(COMMAND_ERROR_TEXT);
      expect(JSON.stringify(body)).not.toContain('database is locked');
    }
    expectNothingRan(app, h);
    expect(listAudit(app.services.db, { limit: 10 })).toEqual([]);
  });
});

describe('Approve and Reject', () => {
  it('an approver approves: it runs once, the approver is told, the audit has it', async () => {
    const { app, h } = setup();
    const id = await requested(app, h, SHRINK);
    const body = await press(app, ACTION.approveRemediation, id, APPROVER);
    expect(body.text).toMatch(/: succeeded: shrank worker@mwtest's pool from 4 to 1 children$/);
    expect(h.fake.actions).toHaveLength(1);
    expect(executionRows(app.services.db, id)).toBe(1);
    expect(listAudit(app.services.db, { requestId: id }).map((e) => e.action).reverse()).toEqual(['requested', 'approved', 'executing', 'succeeded']);
  });

  it('refuses an approver who is not in the policy', async () => {
    const { app, h } = setup();
    const id = await requested(app, h, SHRINK);
    const body = await press(app, ACTION.approveRemediation, id, OUTSIDER);
    expect(body.text).toMatch(/^memwarden: nothing was changed\. You are not an approver of runbook "lower-celery-concurrency"/);
    expect(getRequest(app.services.db, id)).toMatchObject({ status: 'pending', approvals: [] });
    expectNothingRan(app, h);
  });

  it("refusal texts show memwarden's own mentions of the approvers as mentions, not escaped (&lt;@U0…&gt;)", async () => {
    const { app, h } = setup();
    const id = await requested(app, h, SHRINK);
    const body = await press(app, ACTION.approveRemediation, id, OUTSIDER);
    const [block] = body.blocks as { text: { text: string } }[];
    expect(block?.text.text).toBe(
      '⚠️ *Nothing was changed.* You are not an approver of runbook "lower-celery-concurrency": ask one of <@U0ALICE01>, <@U0BOB0001>, <@U0CAROL01>, <!subteam^S0ONCALL>.',
    );
    expect(JSON.stringify(body)).not.toContain('&lt;@');
    // The fallback names them without markup: it never notifies anyone.
    expect(body.text).toBe('memwarden: nothing was changed. You are not an approver of runbook "lower-celery-concurrency": ask one of @U0ALICE01, @U0BOB0001, @U0CAROL01, @S0ONCALL.');
    // The audit keeps the reason as plain text.
    expect(listAudit(app.services.db, { requestId: id, limit: 1 })[0]?.detail).toBe(
      'You are not an approver of runbook "lower-celery-concurrency": ask one of @U0ALICE01, @U0BOB0001, @U0CAROL01, @S0ONCALL.',
    );
  });

  it('refuses the requester approving their own high-risk request; the Approve button asks for confirmation first', async () => {
    const { app, h } = setup();
    const id = await requested(app, h, RESTART);
    const approve = (h.ops[0]?.message.blocks.find((b) => b.type === 'actions') as { elements: { action_id: string; confirm?: unknown }[] }).elements[0];
    expect(approve).toMatchObject({ action_id: ACTION.approveRemediation, confirm: { title: { text: 'Approve a high-risk remediation?' }, confirm: { text: 'Approve and run' } } });
    const body = await press(app, ACTION.approveRemediation, id, REQUESTER);
    expect(body.text).toBe('memwarden: nothing was changed. You requested this high-risk remediation, so you cannot approve it yourself: another approver must.');
    expect(getRequest(app.services.db, id)?.status).toBe('pending');
    expectNothingRan(app, h);
  });

  it('refuses an expired request', async () => {
    const { app, h } = setup();
    const id = await requested(app, h, SHRINK);
    h.clock.now = T0 + 15 * 60_000;
    const body = await press(app, ACTION.approveRemediation, id, APPROVER);
    expect(body.text).toMatch(/This request expired at 2025-10-27T09:15:00.000Z/);
    expectNothingRan(app, h);
  });

  it('refuses a second click, by the same approver or another', async () => {
    const { app, h } = setup();
    const id = await requested(app, h, SHRINK);
    await press(app, ACTION.approveRemediation, id, APPROVER);
    expect(h.fake.actions).toHaveLength(1);
    expect((await press(app, ACTION.approveRemediation, id, APPROVER)).text).toBe('memwarden: nothing was changed. You already approved this request.');
    expect((await press(app, ACTION.approveRemediation, id, SECOND)).text).toMatch(/This request is already done \(it succeeded\): nothing was changed/);
    expect((await press(app, ACTION.rejectRemediation, id, SECOND)).text).toMatch(/already done/);
    expect(h.fake.actions).toHaveLength(1);
    expect(executionRows(app.services.db)).toBe(1);
  });

  it('a double click runs it exactly once', async () => {
    const { app, h } = setup();
    const id = await requested(app, h, SHRINK);
    const answers = [expectRespond(), expectRespond()];
    const first = app.receiver.dispatch(click(ACTION.approveRemediation, id, APPROVER));
    const second = app.receiver.dispatch(click(ACTION.approveRemediation, id, APPROVER));
    await Promise.all([first.done, second.done]);
    const texts = (await Promise.all(answers)).map((b) => String(b.text));
    expect(texts.filter((text) => text === 'memwarden: nothing was changed. You already approved this request.')).toHaveLength(1);
    expect(texts.filter((text) => /: succeeded: /.test(text))).toHaveLength(1);
    expect(h.fake.actions).toHaveLength(1);
    expect(executionRows(app.services.db, id)).toBe(1);
  });

  it('refuses forged or altered request ids in the button value', async () => {
    const { app, h } = setup();
    const id = await requested(app, h, SHRINK);
    for (const value of ['', 'x'.repeat(3000), '0'.repeat(32), id.toUpperCase(), `${id} `, `${id.slice(0, 31)}g`, '<!channel>', JSON.stringify({ runbook: 'restart-celery-worker', target: CELERY_ID })]) {
      const body = await press(app, ACTION.approveRemediation, value, APPROVER);
      expect(body.text, value.slice(0, 40)).toBe('memwarden: nothing was changed. This remediation request does not exist (the button may be from another memwarden, or altered): nothing was run.');
    }
    // A real id of another request, put on this request's message: refused too.
    const other = await requested(app, h, RESTART);
    setAlertMessagePosted(app.services.db, approvalMessageKey(id), 'C0MEMWARD', '1761555600.000100', T0);
    setAlertMessagePosted(app.services.db, approvalMessageKey(other), 'C0MEMWARD', '1761555600.000200', T0);
    const body = await press(app, ACTION.approveRemediation, other, APPROVER, '1761555600.000100');
    expect(body.text).toBe("memwarden: nothing was changed. This button is not on the approval message of that request (its value was changed): nothing was changed.");
    expect(getRequest(app.services.db, other)?.status).toBe('pending');
    expectNothingRan(app, h);
    expect(listAudit(app.services.db, { limit: 1 })[0]).toMatchObject({ action: 'refused', outcome: 'wrong-message', requestId: other });
  });

  it('refuses at approval when the target left the allowlist since the request', async () => {
    const { app, h } = setup();
    const id = await requested(app, h, SHRINK);
    h.fake.containers.get(CELERY_ID)!.labels = {};
    const body = await press(app, ACTION.approveRemediation, id, APPROVER);
    expect(body.text).toMatch(/may not run on bizcard-celery-worker: it is not on the runbook's list of targets\. Your approval was not recorded\./);
    expect(getRequest(app.services.db, id)).toMatchObject({ status: 'pending', approvals: [] });
    expectNothingRan(app, h);
  });

  it('refuses approvals while remediation is switched off; a rejection still works', async () => {
    const { app, h } = setup();
    const id = await requested(app, h, SHRINK);
    await command(app, 'remediation off', ADMIN);
    expect((await press(app, ACTION.approveRemediation, id, APPROVER)).text).toMatch(/Remediation is switched off for everyone/);
    expectNothingRan(app, h);
    expect((await press(app, ACTION.rejectRemediation, id, APPROVER)).text).toMatch(/^memwarden: rejected /);
    expect(getRequest(app.services.db, id)?.status).toBe('rejected');
    expectNothingRan(app, h);
  });

  it('refuses an approval when the runbook file changed since the request (parameters now out of range)', async () => {
    t = buildTestApp();
    const first = makeRemediation(t.services.db);
    t.services.remediation = first.remediation;
    const id = await requested(t, first, SHRINK);
    // The same runbook file reloaded with another text: the request was for the old one.
    const { enabledRunbook, shippedRunbooks } = await import('../../../remediate/remediation-harness.js');
    const changed = shippedRunbooks().map((rb) => (rb.id === 'lower-celery-concurrency' ? enabledRunbook(rb.id, { sha256: 'f'.repeat(64), params: { concurrency: { type: 'integer', min: 2, max: 64 } } }) : rb));
    const h = makeRemediation(t.services.db, { runbooks: changed, fake: first.fake });
    t.services.remediation = h.remediation;
    const body = await press(t, ACTION.approveRemediation, id, APPROVER);
    expect(body.text).toMatch(/has changed since this was requested \(file hash differs\)/);
    expectNothingRan(t, h);
  });
});

describe('a fix button under an alert', () => {
  it('an unknown or forged recommendation id requests nothing', async () => {
    const { app, h } = setup();
    for (const value of ['', '0'.repeat(32), 'lower-celery-concurrency|bizcard-celery-worker|concurrency=1']) {
      const body = await press(app, `${ACTION.requestRemediation}:0`, value, REQUESTER);
      expect(body.text).toMatch(/^memwarden: nothing was changed\. This button was not made by memwarden, or it is too old/);
    }
    expect(h.ops).toEqual([]);
    expectNothingRan(app, h);
  });
});
