// The Remediation facade end to end without Slack: a request is checked against the runbook, the
// live target and the policy and announced with its dry run; the approval runs it exactly once
// through the executors; the result and, after verify.after, the re-measured figures go to the
// approval message's thread and the originating alert's; a due verification survives a restart.
// Docker is fake-docker.ts, /proc is test/fixtures/proc, the clock is fake.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlertTransition } from '../../../src/model/alert.js';
import type { Finding } from '../../../src/model/finding.js';
import { checkBlockKitLimits } from '../../../src/slack/render/block-kit-limits.js';
import { buildAlertViewModel } from '../../../src/alerts/alert-view.js';
import { approvalMessageKey } from '../../../src/remediate/remediation-views.js';
import { closeDatabase, openDatabase } from '../../../src/store/database.js';
import { insertAlertMessage } from '../../../src/store/outbox.js';
import { getRequest, listAudit } from '../../../src/store/remediation.js';
import { getFollowup } from '../../../src/store/remediation-flow.js';
import { CELERY_ID, MiB, NODE, OTHER_NAME } from './fake-docker.js';
import { executionRows, makeTempDb, type TempDb } from './helpers.js';
import type { RemediationAnswer } from '../../../src/remediate/remediation.js';
import {
  slackText,
  ADMIN,
  APPROVER,
  approveButtonValue,
  CELERY_NAME,
  CHANNEL,
  type Harness,
  makeRemediation,
  OUTSIDER,
  remediationConfig,
  REQUESTER,
  SECOND,
  T0,
} from './remediation-harness.js';

let t: TempDb;
beforeEach(() => {
  t = makeTempDb();
});
afterEach(() => t.close());

function texts(value: unknown): string {
  return JSON.stringify(value);
}

async function requestShrink(h: Harness, params: Record<string, string> = { concurrency: '1' }) {
  return h.remediation.request({ user: REQUESTER, runbookId: 'lower-celery-concurrency', target: CELERY_NAME, rawParams: params, channel: CHANNEL });
}

describe('requesting', () => {
  it('stores the request and posts the approval message with the dry run: exactly what would be executed', async () => {
    const h = makeRemediation(t.db);
    const answer = await requestShrink(h);
    expect(answer).toMatchObject({ ok: true, code: null });
    const requestId = answer.requestId ?? '';
    expect(getRequest(t.db, requestId)).toMatchObject({ status: 'pending', target: { containerId: CELERY_ID, name: CELERY_NAME }, params: { concurrency: 1 }, requestedBy: REQUESTER });
    expect(h.ops).toHaveLength(1);
    const [post] = h.ops;
    expect(post).toMatchObject({ op: 'post', channel: CHANNEL, orderingKey: approvalMessageKey(requestId), messageKey: approvalMessageKey(requestId) });
    expect(checkBlockKitLimits(post!.message)).toEqual([]);
    const shown = texts(post!.message.blocks);
    expect(shown).toContain(`celery -A mwtest control pool_shrink 3 -d ${NODE} -j -t 10`);
    expect(shown).toContain('concurrency = 1');
    expect(shown).toContain('pool 4 children');
    // The buttons carry the request id and nothing else.
    expect(approveButtonValue(post)).toBe(requestId);
    // Nothing ran: only reads.
    expect(h.fake.actions).toEqual([]);
    expect(slackText(answer)).toContain('requested Lower a Celery worker');
  });

  it('refuses what does not fit, changing nothing: bad parameters, unknown runbooks and containers, the allowlist, a plan Docker would refuse', async () => {
    const h = makeRemediation(t.db);
    const run = (runbookId: string, target: string, rawParams: Record<string, string>) => () => h.remediation.request({ user: REQUESTER, runbookId, target, rawParams, channel: CHANNEL });
    const cases: [string, () => Promise<RemediationAnswer>, RegExp][] = [
      ['invalid-params', () => requestShrink(h, { concurrency: '1;' }), /concurrency: expected a whole number written with the digits 0-9 only/],
      ['invalid-params', () => requestShrink(h, { concurrency: '$(id)' }), /got "\$\(id\)"/],
      ['invalid-params', () => requestShrink(h, { concurrency: '１' }), /digits 0-9 only/],
      ['invalid-params', () => requestShrink(h, { concurrency: '65' }), /must be at most 64/],
      ['invalid-params', () => requestShrink(h, { concurrency: '0' }), /must be at least 1/],
      ['invalid-params', () => requestShrink(h, { concurrency: '1', reboot: 'now' }), /reboot: unknown parameter/],
      ['invalid-params', () => requestShrink(h, {}), /concurrency: is required/],
      ['unknown-runbook', run('rm-rf', CELERY_NAME, {}), /There is no runbook "rm-rf"/],
      ['target-not-found', run('lower-celery-concurrency', 'nope', { concurrency: '1' }), new RegExp(`no container named "nope".*may run on: ${CELERY_NAME}`)],
      ['target-not-allowed', run('restart-celery-worker', OTHER_NAME, {}), /may not run on bizcard-db: it is not on the runbook's list of targets/],
      ['plan-refused', run('set-memory-limit', CELERY_NAME, { limit: '64MiB' }), /64 MiB is below bizcard-celery-worker's current usage of 230 MiB/],
      ['plan-refused', () => requestShrink(h, { concurrency: '4' }), /nothing to do/i],
    ];
    for (const [code, act, reason] of cases) {
      const answer = await act();
      expect(answer, code).toMatchObject({ ok: false, code });
      expect(slackText(answer)).toMatch(reason);
      expect(slackText(answer)).toMatch(/^memwarden: nothing was changed\./);
    }
    expect(t.db.prepare('SELECT count(*) AS n FROM remediation_requests').get()).toEqual({ n: 0 });
    expect(h.ops).toEqual([]);
    expect(h.fake.actions).toEqual([]);
    expect(listAudit(t.db, { limit: 100 }).map((e) => [e.action, e.outcome])).toEqual(cases.map(([code]) => ['refused', code]).reverse());
  });

  it('in dry-run-only mode every request is a dry run: approving it shows what would run and runs nothing', async () => {
    const h = makeRemediation(t.db, { config: remediationConfig({ dryRunOnly: true }) });
    const answer = await requestShrink(h);
    expect(texts(h.ops[0]?.message.blocks)).toContain('Dry run');
    const decided = await h.remediation.decide({ requestId: answer.requestId ?? '', user: APPROVER, decision: 'approve' });
    expect(decided).toMatchObject({ ok: true });
    expect(h.fake.actions).toEqual([]);
    expect(getRequest(t.db, answer.requestId ?? '')?.status).toBe('succeeded');
    expect(h.ops.map((op) => op.op)).toEqual(['post', 'update', 'reply', 'update', 'reply']);
    expect(h.ops[4]?.message.text).toContain('dry run: nothing was executed; it would run exec in bizcard-celery-worker: celery -A mwtest control pool_shrink 3');
    expect(h.scheduled).toEqual([]);
  });
});

describe('approving and verifying', () => {
  it('runs the approved shrink once, reports it in the thread, verifies the pool after verify.after, and audits it all', async () => {
    const h = makeRemediation(t.db);
    const { requestId } = await requestShrink(h);
    const id = requestId ?? '';
    h.clock.now = T0 + 60_000;
    const answer = await h.remediation.decide({ requestId: id, user: APPROVER, decision: 'approve' });
    expect(answer).toMatchObject({ ok: true, requestId: id });
    expect(slackText(answer)).toContain('succeeded');
    expect(h.fake.actions).toEqual([`exec ${CELERY_ID} ${JSON.stringify(['celery', '-A', 'mwtest', 'control', 'pool_shrink', '3', '-d', NODE, '-j', '-t', '10'])}`]);
    expect(h.fake.containers.get(CELERY_ID)?.children).toHaveLength(1);
    expect(executionRows(t.db, id)).toBe(1);

    // post, update (running), reply (started), update (done), reply (result)
    expect(h.ops.map((op) => op.op)).toEqual(['post', 'update', 'reply', 'update', 'reply']);
    for (const op of h.ops) expect(checkBlockKitLimits(op.message), op.message.text).toEqual([]);
    const result = h.ops[4]?.message;
    expect(result?.text).toBe(`memwarden: Lower a Celery worker's concurrency on ${CELERY_NAME}: applied: shrank ${NODE}'s pool from 4 to 1 children`);
    expect(texts(result?.blocks)).toContain('4 children → 1 child');
    expect(texts(h.ops[3]?.message.blocks)).toContain('✅ *Done*, approved by <@U0BOB0001>');

    // The verification is armed for verify.after (30s) and persisted.
    expect(h.scheduled.map((s) => s.at)).toEqual([T0 + 60_000 + 30_000]);
    expect(getFollowup(t.db, id)).toMatchObject({ verifyState: 'due', verifyAt: T0 + 90_000 });
    await h.remediation.tick(T0 + 89_000);
    expect(h.ops).toHaveLength(5);
    h.clock.now = T0 + 90_000;
    await h.remediation.tick(h.clock.now);
    expect(h.ops).toHaveLength(6);
    const verification = h.ops[5];
    expect(verification).toMatchObject({ op: 'reply', messageKey: approvalMessageKey(id) });
    expect(verification?.message.text).toBe(`memwarden: verified Lower a Celery worker's concurrency on ${CELERY_NAME}: pool size 4 children → 1 child: goal met (pool size of 1 child)`);
    expect(texts(verification?.message.blocks)).toMatch(/Group PSS\*\\n[\d.]+ MiB → [\d.]+ MiB/);
    expect(getFollowup(t.db, id)).toMatchObject({ verifyState: 'done', verification: { goalMet: true, before: 4, after: 1 } });
    // Once only.
    await h.remediation.tick(T0 + 200_000);
    expect(h.ops).toHaveLength(6);

    const audit = listAudit(t.db).reverse();
    expect(audit.map((e) => [e.action, e.actor])).toEqual([
      ['requested', REQUESTER],
      ['approved', APPROVER],
      ['executing', 'memwarden'],
      ['succeeded', 'memwarden'],
      ['verified', 'memwarden'],
    ]);
    expect(audit[3]).toMatchObject({ runbookSha256: expect.stringMatching(/^[0-9a-f]{64}$/), beforeBytes: 230 * MiB, afterBytes: 230 * MiB, detail: `shrank ${NODE}'s pool from 4 to 1 children` });
  });

  it('plans again at the approval from the target as it is then: usage that grew past the limit since the request refuses, without an update', async () => {
    const h = makeRemediation(t.db);
    const asked = await h.remediation.request({ user: REQUESTER, runbookId: 'set-memory-limit', target: CELERY_NAME, rawParams: { limit: '256MiB' }, channel: CHANNEL });
    expect(asked).toMatchObject({ ok: true });
    const container = h.fake.containers.get(CELERY_ID);
    if (container) container.usage = 300 * MiB;
    await h.remediation.decide({ requestId: asked.requestId ?? '', user: APPROVER, decision: 'approve' });
    expect(getRequest(t.db, asked.requestId ?? '')?.statusDetail).toBe(`refused: set-memory-limit 256 MiB is below ${CELERY_NAME}'s current usage of 300 MiB`);
    expect(h.fake.actions).toEqual([]);
  });

  it('runs what the live state calls for when the pool changed since the approval message, and says so', async () => {
    const h = makeRemediation(t.db);
    const { requestId } = await requestShrink(h);
    const container = h.fake.containers.get(CELERY_ID);
    if (container) container.children = [902, 903, 904];
    await h.remediation.decide({ requestId: requestId ?? '', user: APPROVER, decision: 'approve' });
    expect(h.fake.actions).toEqual([`exec ${CELERY_ID} ${JSON.stringify(['celery', '-A', 'mwtest', 'control', 'pool_shrink', '2', '-d', NODE, '-j', '-t', '10'])}`]);
    const result = h.ops.find((op) => op.op === 'reply' && op.message.text.includes('applied'));
    expect(texts(result?.message.blocks)).toContain('The target changed since the approval message');
  });

  it('keeps a due verification across a restart, and runs it once', async () => {
    const first = makeRemediation(t.db);
    const { requestId } = await requestShrink(first);
    await first.remediation.decide({ requestId: requestId ?? '', user: APPROVER, decision: 'approve' });
    await first.remediation.stop();
    closeDatabase(t.db);
    t.db = openDatabase(t.file);

    const second = makeRemediation(t.db, { fake: first.fake, clock: first.clock });
    second.remediation.recover();
    expect(second.scheduled.map((s) => s.at)).toEqual([T0 + 30_000]);
    second.clock.now = T0 + 30_000;
    await second.remediation.tick(second.clock.now);
    expect(second.ops.filter((op) => op.message.text.startsWith('memwarden: verified'))).toHaveLength(1);
    await second.remediation.tick(T0 + 100_000);
    expect(second.ops.filter((op) => op.message.text.startsWith('memwarden: verified'))).toHaveLength(1);
  });

  it('needs the required number of approvers, and a rejection ends it without running', async () => {
    const h = makeRemediation(t.db);
    const { requestId } = await requestShrink(h);
    const id = requestId ?? '';
    const rejected = await h.remediation.decide({ requestId: id, user: SECOND, decision: 'reject' });
    expect(rejected).toMatchObject({ ok: true });
    expect(slackText(rejected)).toContain('rejected');
    expect(getRequest(t.db, id)?.status).toBe('rejected');
    expect(texts(h.ops.at(-1)?.message.blocks)).toContain('🚫 *Rejected* by <@U0CAROL01>');
    const late = await h.remediation.decide({ requestId: id, user: APPROVER, decision: 'approve' });
    expect(late).toMatchObject({ ok: false, code: 'not-pending' });
    expect(h.fake.actions).toEqual([]);
  });

  it('expires unapproved requests on tick and says so in the approval message', async () => {
    const h = makeRemediation(t.db);
    const { requestId } = await requestShrink(h);
    h.clock.now = T0 + 15 * 60_000;
    await h.remediation.tick(h.clock.now);
    expect(getRequest(t.db, requestId ?? '')?.status).toBe('expired');
    expect(h.ops.at(-1)).toMatchObject({ op: 'update' });
    expect(texts(h.ops.at(-1)?.message.blocks)).toContain('⌛ *Expired*');
  });

  it('lets a running remediation finish when stopping, and refuses new work meanwhile', async () => {
    const h = makeRemediation(t.db);
    const { requestId } = await requestShrink(h);
    const running = h.remediation.decide({ requestId: requestId ?? '', user: APPROVER, decision: 'approve' });
    const stopped = h.remediation.stop();
    const late = await requestShrink(h);
    expect(late).toMatchObject({ ok: false, code: 'shutting-down' });
    await stopped;
    expect(await running).toMatchObject({ ok: true });
    expect(getRequest(t.db, requestId ?? '')?.status).toBe('succeeded');
  });
});

describe('fixes offered under an alert', () => {
  const transition: AlertTransition = {
    event: 'firing',
    fingerprint: '0123456789abcdef',
    ruleId: 'container-near-limit',
    kind: 'container-limit-percent',
    target: { kind: 'container', name: CELERY_NAME, containerId: CELERY_ID, containerName: CELERY_NAME, labels: {} },
    from: 'pending',
    to: 'firing',
    severity: 'warning',
    previousSeverity: null,
    value: 88.4,
    threshold: 85,
    unit: 'percent',
    startedAt: T0 - 600_000,
    at: T0,
    silenced: false,
    reason: null,
    summary: `${CELERY_NAME} uses 88.4% of its limit`,
    evidence: {},
  };
  const findings: Finding[] = [
    {
      code: 'prefork-concurrency',
      severity: 'warning',
      target: { kind: 'group', name: NODE },
      summary: '4 children, 2 fit',
      evidence: {},
      recommendations: [
        { title: `Lower the Celery concurrency of ${NODE} from 4 to 2`, priority: 'high', estimatedSavingsBytes: 120 * MiB, runbook: 'lower-celery-concurrency', params: { concurrency: 2 }, detail: 'd' },
        { title: 'Load models lazily', priority: 'high', estimatedSavingsBytes: null, runbook: null, detail: 'd' },
        { title: 'Raise it', priority: 'high', estimatedSavingsBytes: null, runbook: 'set-memory-limit', params: { limit: 1 }, detail: 'out of range: no button' },
      ],
    },
  ];

  it('stores one opaque id per runnable recommendation, the same on every update of the message', () => {
    const h = makeRemediation(t.db);
    const vm = buildAlertViewModel(transition, findings);
    const ids = h.remediation.recommendationIdsFor(vm);
    expect(ids).toHaveLength(3);
    expect(ids[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(ids.slice(1)).toEqual(['', '']);
    expect(h.remediation.recommendationIdsFor(vm)).toEqual(ids);
  });

  it('a click requests it with what was stored, shows the measured estimate, and the alert thread hears the verification', async () => {
    const h = makeRemediation(t.db);
    const vm = buildAlertViewModel(transition, findings);
    const [id] = h.remediation.recommendationIdsFor(vm);
    insertAlertMessage(t.db, { messageKey: `${transition.fingerprint}:${transition.startedAt}`, fingerprint: transition.fingerprint, startedAt: transition.startedAt, channel: '#ops' }, T0);
    const answer = await h.remediation.requestFromRecommendation({ user: REQUESTER, recommendationId: id ?? '', channel: CHANNEL });
    expect(answer).toMatchObject({ ok: true });
    expect(getRequest(t.db, answer.requestId ?? '')).toMatchObject({ origin: transition.fingerprint, params: { concurrency: 2 } });
    expect(texts(h.ops[0]?.message.blocks)).toContain('frees about *120 MiB*');
    await h.remediation.decide({ requestId: answer.requestId ?? '', user: APPROVER, decision: 'approve' });
    h.clock.now = T0 + 30_000;
    await h.remediation.tick(h.clock.now);
    const toAlert = h.ops.filter((op) => op.messageKey === `${transition.fingerprint}:${transition.startedAt}`);
    expect(toAlert).toHaveLength(1);
    expect(toAlert[0]).toMatchObject({ op: 'reply', orderingKey: transition.fingerprint, channel: '#ops' });
    expect(toAlert[0]?.message.text).toContain('pool size 4 children → 2 children: goal met');
  });

  it('a forged or unknown recommendation id requests nothing', async () => {
    const h = makeRemediation(t.db);
    for (const value of ['', 'x'.repeat(5000), '0'.repeat(32), `${'a'.repeat(31)}G`]) {
      const answer = await h.remediation.requestFromRecommendation({ user: REQUESTER, recommendationId: value, channel: CHANNEL });
      expect(answer).toMatchObject({ ok: false, code: 'unknown-recommendation' });
    }
    expect(h.ops).toEqual([]);
    expect(t.db.prepare('SELECT count(*) AS n FROM remediation_requests').get()).toEqual({ n: 0 });
  });
});

describe('the switch and the listings', () => {
  it('only admins switch remediation; off refuses requests, on allows them again', async () => {
    const h = makeRemediation(t.db);
    expect(h.remediation.setSwitch(false, OUTSIDER)).toMatchObject({ ok: false, code: 'not-admin' });
    expect(h.remediation.switches().enabled).toBe(true);
    expect(h.remediation.setSwitch(false, ADMIN)).toMatchObject({ ok: true });
    expect(await requestShrink(h)).toMatchObject({ ok: false, code: 'remediation-off' });
    h.remediation.setSwitch(true, ADMIN);
    expect(await requestShrink(h)).toMatchObject({ ok: true });
  });

  it('remediation.enabled: false in the config wins even after an admin toggled remediation in Slack (an emergency stop by editing the file)', async () => {
    // An admin switched it off and on again while the file said true...
    const before = makeRemediation(t.db);
    expect(before.remediation.setSwitch(false, ADMIN)).toMatchObject({ ok: true });
    expect(before.remediation.setSwitch(true, ADMIN)).toMatchObject({ ok: true });
    // ...then someone edits the file to false and restarts memwarden: it is off, and stays off.
    const h = makeRemediation(t.db, { config: remediationConfig({ enabled: false }) });
    expect(h.remediation.switches()).toMatchObject({ enabled: false, offInConfig: true });
    const refused = await requestShrink(h);
    expect(refused).toMatchObject({ ok: false, code: 'remediation-off' });
    expect(slackText(refused)).toContain('remediation.enabled: false');
    const on = h.remediation.setSwitch(true, ADMIN);
    expect(on).toMatchObject({ ok: false, code: 'remediation-off' });
    expect(JSON.stringify(on.notice)).toContain('change the file and restart memwarden');
    expect(h.remediation.switches().enabled).toBe(false);
    expect(h.fake.actions).toEqual([]);
  });

  it('lists the runbooks with who may approve them, and the audit newest first', async () => {
    const h = makeRemediation(t.db);
    expect(h.remediation.runbooks().map((rb) => [rb.id, rb.risk, rb.enabled])).toEqual([
      ['celery-pool-restart', 'low', true],
      ['grow-celery-pool', 'low', true],
      ['lower-celery-concurrency', 'low', true],
      ['restart-celery-worker', 'high', true],
      ['set-memory-limit', 'high', true],
    ]);
    expect(h.remediation.runbooks().find((rb) => rb.id === 'set-memory-limit')?.params).toEqual([{ name: 'limit', describe: 'size 6 MiB–64 GiB' }]);
    await requestShrink(h);
    expect(h.remediation.audit(1).map((e) => e.action)).toEqual(['requested']);
  });
});
