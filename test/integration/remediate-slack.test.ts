// Approved remediations end to end against the real things: a real Celery worker (concurrency 4,
// labelled com.memwarden.remediate=true) on the real Docker engine, real SQLite, memwarden's
// Slack app in HTTP mode on a random local port receiving REAL signed requests (a slash command,
// button clicks as block_actions), and the real outbox dispatcher and Web API client. Only Slack
// itself is nock (chat.postMessage / chat.update and the response_url); net connect is disabled
// except for the loopback; requests on the Docker socket go around nock (docker-around-nock.ts).
//
// The shipped runbooks are copied with `enabled: true` and an approver listed (U0APPROVER; the
// requester U0REQUEST1 is listed too, so the high-risk self-approval rule is exercised for real).
// Every effect is checked by an independent measurement: the pool by the master's children in
// /proc AND `celery inspect stats`; limits and restarts by `docker inspect`; the audit by
// `memwarden audit --json` (its command function). Time is the real clock plus an offset that a
// test moves forward past verify.after instead of sleeping.
// First: it must hold node's own http.request before nock patches it.
import { routeUnixSocketsAroundNock } from './docker-around-nock.js';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { App } from '@slack/bolt';
import Dockerode from 'dockerode';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { AlertEngine } from '../../src/alerts/alert-engine.js';
import { auditCommand } from '../../src/cli/audit-command.js';
import { collectProcesses } from '../../src/collect/processes.js';
import { collectSnapshot } from '../../src/collect/collect-snapshot.js';
import { configSchema } from '../../src/config/schema.js';
import { createLogger } from '../../src/log/logger.js';
import { loadRunbooks } from '../../src/remediate/load-runbooks.js';
import { createRemediation, type Remediation } from '../../src/remediate/remediation.js';
import type { Runbook } from '../../src/remediate/runbook-schema.js';
import type { BotServices } from '../../src/slack/bot-services.js';
import { createSlackApp, HTTP_EVENTS_PATH } from '../../src/slack/create-app.js';
import { createOutboxDispatcher, enqueueOp, type OutboxDispatcher } from '../../src/delivery/outbox-dispatcher.js';
import { createOutboxWebClient, createWebApiSink } from '../../src/slack/delivery/web-api-sink.js';
import { ACTION } from '../../src/slack/ids.js';
import { closeDatabase, type Database, openDatabase } from '../../src/store/database.js';
import { listAudit } from '../../src/store/remediation.js';
import { type CeleryWorkerHandle, celeryPoolStats, describeWithEnv, docker, startCeleryWorker, uniqueName, waitForPoolStats, waitUntil } from './test-env.js';

const SIGNING_SECRET = 'integration-signing-secret-remediate-0123';
const BOT_TOKEN = 'xoxb-0000-remediate';
const SLACK = 'https://slack.test';
const HOOKS = 'https://hooks.slack.test';
const RESPONSE_PATH = '/actions/T0MEMWARD/42/remediate';
const CHANNEL = 'C0MEMWARD';
const APPROVER = 'U0APPROVER';
const REQUESTER = 'U0REQUEST1';
const LABEL = { 'com.memwarden.remediate': 'true' };
const MiB = 1024 * 1024;
const REPO = resolve(import.meta.dirname, '../..');

interface SlackCall {
  method: 'chat.postMessage' | 'chat.update';
  body: Record<string, unknown>;
  ts: string;
}

type Block = { type: string; elements?: { action_id?: string; value?: string; confirm?: unknown }[] };

describeWithEnv('approved remediations through Slack on a real Celery worker', () => {
  const api = new Dockerode();
  let worker: CeleryWorkerHandle;
  let containerId = '';
  let dataDir = '';
  let runbookDir = '';
  let runbooks: ReadonlyMap<string, Runbook>;
  let db: Database;
  let remediation: Remediation;
  let dispatcher: OutboxDispatcher;
  let app: App;
  let url = '';
  let offset = 0;
  const clock = () => Date.now() + offset;
  const calls: SlackCall[] = [];
  const unmatched: string[] = [];
  const onNoMatch = (req: { method?: string; href?: string; path?: string }) => unmatched.push(`${req.method ?? '?'} ${req.href ?? req.path ?? '?'}`);
  let tsCounter = 0;

  // --- Slack, faked ---

  function parseForm(body: unknown): Record<string, unknown> {
    const record: Record<string, unknown> = typeof body === 'string' ? Object.fromEntries(new URLSearchParams(body)) : { ...(body as Record<string, unknown>) };
    if (typeof record.blocks === 'string') record.blocks = JSON.parse(record.blocks) as unknown;
    return record;
  }

  function mockWebApi(): void {
    for (const method of ['chat.postMessage', 'chat.update'] as const) {
      nock(SLACK, { reqheaders: { authorization: `Bearer ${BOT_TOKEN}` } })
        .persist()
        .post(`/api/${method}`)
        .reply(200, (_uri, raw) => {
          const body = parseForm(raw);
          const ts = method === 'chat.update' ? String(body.ts) : `1761555600.${String(++tsCounter).padStart(6, '0')}`;
          calls.push({ method, body, ts });
          return { ok: true, channel: CHANNEL, ts };
        });
    }
  }

  function expectRespond(): Promise<Record<string, unknown>> {
    return new Promise((resolveBody) => {
      nock(HOOKS)
        .post(RESPONSE_PATH)
        .reply(200, (_uri, body) => {
          resolveBody(body as Record<string, unknown>);
          return 'ok';
        });
    });
  }

  function signed(body: string): Record<string, string> {
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = createHmac('sha256', SIGNING_SECRET).update(`v0:${timestamp}:${body}`).digest('hex');
    return { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': `v0=${signature}` };
  }

  async function post(body: string): Promise<number> {
    const response = await fetch(url, { method: 'POST', headers: signed(body), body });
    await response.text();
    return response.status;
  }

  /** A real signed `/mem <text>`; resolves with the ephemeral answer from the response_url. */
  async function slash(text: string, user: string): Promise<Record<string, unknown>> {
    const answered = expectRespond();
    const body = new URLSearchParams({
      token: 'unused',
      team_id: 'T0MEMWARD',
      team_domain: 'acme',
      channel_id: CHANNEL,
      channel_name: 'ops',
      user_id: user,
      user_name: user.toLowerCase(),
      command: '/mem',
      text,
      api_app_id: 'A0MEMWARD',
      is_enterprise_install: 'false',
      response_url: `${HOOKS}${RESPONSE_PATH}`,
      trigger_id: '1.2.3',
    }).toString();
    expect(await post(body)).toBe(200);
    return answered;
  }

  /** A real signed block_actions click on the approval message (ts) by `user`. */
  async function clickButton(actionId: string, value: string, user: string, messageTs: string): Promise<Record<string, unknown>> {
    const answered = expectRespond();
    const payload = {
      type: 'block_actions',
      user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: 'T0MEMWARD' },
      api_app_id: 'A0MEMWARD',
      token: 'unused',
      container: { type: 'message', message_ts: messageTs, channel_id: CHANNEL, is_ephemeral: false },
      trigger_id: '1.2.3',
      team: { id: 'T0MEMWARD', domain: 'acme' },
      enterprise: null,
      is_enterprise_install: false,
      channel: { id: CHANNEL, name: 'ops' },
      message: { type: 'message', ts: messageTs, text: 'approval' },
      response_url: `${HOOKS}${RESPONSE_PATH}`,
      actions: [{ type: 'button', action_id: actionId, block_id: 'approval_actions', text: { type: 'plain_text', text: 'Approve' }, value, action_ts: '1761555660.000200' }],
    };
    expect(await post(new URLSearchParams({ payload: JSON.stringify(payload) }).toString())).toBe(200);
    return answered;
  }

  /** The newest approval message posted, its request id (the Approve button's value) and ts. */
  function approvalMessage(since: number): { requestId: string; ts: string; blocks: Block[] } {
    const posted = calls.slice(since).find((c) => c.method === 'chat.postMessage' && c.body.thread_ts === undefined);
    if (!posted) throw new Error('no approval message was posted');
    const blocks = posted.body.blocks as Block[];
    const approve = blocks.find((b) => b.type === 'actions')?.elements?.find((e) => e.action_id === ACTION.approveRemediation);
    if (!approve?.value) throw new Error('the approval message has no Approve button');
    return { requestId: approve.value, ts: posted.ts, blocks };
  }

  function threadReplies(ts: string, since: number): string[] {
    return calls.slice(since).filter((c) => c.method === 'chat.postMessage' && c.body.thread_ts === ts).map((c) => String(c.body.text));
  }

  // --- independent measurements ---

  async function procChildren(): Promise<number[] | undefined> {
    const { processes, groups } = await collectProcesses({ procRoot: '/proc', withSmaps: false, containerNames: new Map([[containerId, worker.container]]) });
    const group = groups.find((g) => g.kind === 'celery' && g.containerId === containerId);
    if (!group) return undefined;
    return processes.filter((p) => p.ppid === group.masterPid).map((p) => p.pid);
  }

  async function waitForPool(size: number): Promise<number> {
    return waitUntil(`${size} pool children in /proc`, async () => ((await procChildren())?.length === size ? size : undefined), { timeoutMs: 30_000, intervalMs: 200 });
  }

  const inspectStatsProcesses = () => celeryPoolStats(worker.container, worker.node).processes;
  const waitForStatsProcesses = async (size: number) => (await waitForPoolStats(worker.container, worker.node, size)).processes;

  function inspect(): { Memory: number; MemorySwap: number; StartedAt: string } {
    const info = JSON.parse(docker(['inspect', worker.container]))[0] as { HostConfig: { Memory: number; MemorySwap: number }; State: { StartedAt: string } };
    return { Memory: info.HostConfig.Memory, MemorySwap: info.HostConfig.MemorySwap, StartedAt: info.State.StartedAt };
  }

  function auditJson(): { action: string; requestId: string | null; runbookId: string | null; runbookSha256: string | null; beforeBytes: number | null; afterBytes: number | null; outcome: string | null }[] {
    let out = '';
    const code = auditCommand({ config: { dataDir }, io: { out: (text) => (out += text), err: () => {} }, color: false }, { json: true, n: '500' });
    expect(code).toBe(0);
    return (JSON.parse(out) as { entries: ReturnType<typeof auditJson> }).entries;
  }

  /** Request, approve (by U0APPROVER), wait until it ran; returns the request id and the message ts. */
  async function requestAndApprove(text: string): Promise<{ requestId: string; ts: string; blocks: Block[]; answer: Record<string, unknown>; since: number }> {
    const since = calls.length;
    const requested = await slash(text, REQUESTER);
    expect(requested.text, String(requested.text)).toMatch(/^memwarden: requested /);
    await dispatcher.drain();
    const message = approvalMessage(since);
    const answer = await clickButton(ACTION.approveRemediation, message.requestId, APPROVER, message.ts);
    await dispatcher.drain();
    return { ...message, answer, since };
  }

  async function verifyAfter(ms: number): Promise<void> {
    offset += ms + 1_000;
    await remediation.tick(clock());
    await dispatcher.drain();
  }

  let unrouteDocker: () => void = () => {};

  beforeAll(async () => {
    unrouteDocker = routeUnixSocketsAroundNock();
    nock.disableNetConnect();
    // Only the app's own server on the loopback.
    nock.enableNetConnect('127.0.0.1');
    nock.emitter.on('no match', onNoMatch);
    mockWebApi();

    worker = await startCeleryWorker(uniqueName('rs'), { concurrency: 4, labels: LABEL });
    containerId = docker(['inspect', '-f', '{{.Id}}', worker.container]);
    await waitForPool(4);

    runbookDir = mkdtempSync(join(tmpdir(), 'mw-runbooks-'));
    for (const file of readdirSync(join(REPO, 'commands')).filter((f) => f.endsWith('.yml'))) {
      const text = readFileSync(join(REPO, 'commands', file), 'utf8')
        .replace(/^enabled: false/m, 'enabled: true')
        .replace(/users: \[\]/, `users: [${APPROVER}, ${REQUESTER}]`);
      writeFileSync(join(runbookDir, file), text);
    }
    runbooks = loadRunbooks(runbookDir, { displayRoot: runbookDir }).byId;
    expect([...runbooks.values()].every((rb) => rb.enabled && rb.approval.required === 1)).toBe(true);

    dataDir = mkdtempSync(join(tmpdir(), 'mw-remediate-'));
    db = openDatabase(join(dataDir, 'memwarden.db'));
    const config = configSchema.parse({
      slack: { botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET, apiUrl: `${SLACK}/api/`, channels: { default: CHANNEL }, admins: [APPROVER] },
      dataDir,
    });
    const logger = createLogger({ level: 'silent', format: 'json', isTty: false });
    const takeSnapshot = () => collectSnapshot({ docker: api, procRoot: '/proc', cgroupRoot: '/sys/fs/cgroup', withProcesses: true, timeoutMs: 10_000 });
    dispatcher = createOutboxDispatcher({
      db,
      sink: createWebApiSink(createOutboxWebClient({ token: BOT_TOKEN, slackApiUrl: `${SLACK}/api/`, timeoutMs: 5_000 })),
      clock: Date.now,
      logger,
      minIntervalPerChannelMs: 0,
    });
    remediation = createRemediation({
      db,
      docker: api,
      config,
      runbooks: [...runbooks.values()],
      clock,
      logger,
      cgroupRoot: '/sys/fs/cgroup',
      procRoot: '/proc',
      groupsOf: () => Promise.resolve([]),
      enqueue: (op) => {
        enqueueOp(db, op, Date.now());
      },
      takeSnapshot,
      // Verifications run when a test moves the clock and ticks, not on a real timer.
      schedule: () => () => {},
    });
    remediation.recover();
    const alerts: AlertEngine = { evaluate: () => [], addSilence: () => { throw new Error('not here'); }, removeSilence: () => false, listSilences: () => [], activeAlerts: () => [] };
    const silenceNotes = { silenced: () => { throw new Error('not here'); }, ended: () => { throw new Error('not here'); } };
    const services: BotServices = { config, clock, latestSnapshot: () => null, takeSnapshot, history: () => [], alerts, groupsOf: () => Promise.resolve([]), silenceNotes, diagnose: () => [], remediation };
    app = createSlackApp({ config, logger, services, identity: { botId: 'B0MEMWARD', botUserId: 'U0MEMWARD', teamId: 'T0MEMWARD', enterpriseId: null } });
    const server = (await app.start({ port: 0, host: '127.0.0.1' })) as Server;
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${HTTP_EVENTS_PATH}`;
  });

  afterEach(() => {
    // nock reports the requests to the app's own server, which it let through, as "no match" too.
    const stray = unmatched.splice(0).filter((request) => !request.includes('//127.0.0.1:'));
    expect(stray, 'requests without a nock mock').toEqual([]);
  });

  afterAll(async () => {
    await app?.stop();
    await remediation?.stop();
    await dispatcher?.stop();
    if (db?.open) closeDatabase(db);
    worker?.stop();
    nock.cleanAll();
    nock.emitter.off('no match', onNoMatch);
    nock.enableNetConnect();
    unrouteDocker();
    for (const dir of [dataDir, runbookDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('/mem run lower-celery-concurrency, approved in Slack: the pool shrinks to 1, the thread and the audit say so, the verification confirms it', async () => {
    expect(inspectStatsProcesses()).toBe(4);
    const { requestId, ts, blocks, answer, since } = await requestAndApprove(`run lower-celery-concurrency ${worker.container} concurrency=1`);
    // The dry run in the approval message: exactly what would be executed.
    expect(JSON.stringify(blocks)).toContain(`celery -A mwtest control pool_shrink 3 -d ${worker.node} -j -t 10`);
    expect(answer.text).toBe(`memwarden: lower-celery-concurrency on ${worker.container}: succeeded: shrank ${worker.node}'s pool from 4 to 1 children`);

    expect(await waitForPool(1)).toBe(1);
    expect(await waitForStatsProcesses(1)).toBe(1);

    // The approval message was updated, and its thread has the start and the result.
    expect(calls.slice(since).some((c) => c.method === 'chat.update' && c.body.ts === ts && JSON.stringify(c.body.blocks).includes('✅ *Done*'))).toBe(true);
    const replies = threadReplies(ts, since);
    expect(replies[0]).toBe(`memwarden: running Lower a Celery worker's concurrency on ${worker.container}`);
    expect(replies[1]).toBe(`memwarden: Lower a Celery worker's concurrency on ${worker.container}: applied: shrank ${worker.node}'s pool from 4 to 1 children`);

    await verifyAfter(30_000);
    expect(threadReplies(ts, since)[2]).toBe(`memwarden: verified Lower a Celery worker's concurrency on ${worker.container}: pool size 4 children → 1 child: goal met (pool size of 1 child)`);

    const sha = runbooks.get('lower-celery-concurrency')?.sha256;
    const entries = auditJson().filter((e) => e.requestId === requestId);
    expect(entries.map((e) => e.action)).toEqual(['requested', 'approved', 'executing', 'succeeded', 'verified']);
    for (const entry of entries) expect(entry).toMatchObject({ runbookId: 'lower-celery-concurrency', runbookSha256: sha });
    const succeeded = entries[3];
    expect(succeeded?.beforeBytes).toBeGreaterThan(32 * MiB);
    expect(succeeded?.afterBytes).toBeGreaterThan(16 * MiB);
    // Fewer children, less memory.
    expect(succeeded?.afterBytes ?? Infinity).toBeLessThan(succeeded?.beforeBytes ?? 0);
    expect(listAudit(db, { requestId }).map((e) => e.action).reverse()).toEqual(['requested', 'approved', 'executing', 'succeeded', 'verified']);
    // The verification's verdict is audited with what it compared.
    expect(entries[4]).toMatchObject({ outcome: 'goal-met', detail: 'pool size 4 children → 1 child: goal met (pool size of 1 child)' });
  });

  it('grow-celery-pool back to 4 the same way', async () => {
    const { requestId, ts, answer, since } = await requestAndApprove(`run grow-celery-pool ${worker.container} concurrency=4`);
    expect(answer.text).toMatch(/: succeeded: /);
    expect(await waitForPool(4)).toBe(4);
    expect(await waitForStatsProcesses(4)).toBe(4);
    await verifyAfter(30_000);
    expect(threadReplies(ts, since).at(-1)).toBe(`memwarden: verified Grow a Celery worker's pool on ${worker.container}: pool size 1 child → 4 children: goal met (pool size of 4 children)`);
    expect(auditJson().filter((e) => e.requestId === requestId).map((e) => e.action)).toEqual(['requested', 'approved', 'executing', 'succeeded', 'verified']);
  });

  it('set-memory-limit below the usage is refused at the request: nothing is posted, nothing changes in docker inspect', async () => {
    const before = inspect();
    const since = calls.length;
    const answer = await slash(`run set-memory-limit ${worker.container} limit=64MiB`, REQUESTER);
    expect(answer.text).toMatch(new RegExp(`^memwarden: nothing was changed\\. Runbook "set-memory-limit" cannot run on ${worker.container} now: set-memory-limit 64 MiB is below ${worker.container}'s current usage of [\\d.]+ MiB\\.$`));
    await dispatcher.drain();
    expect(calls.slice(since)).toEqual([]);
    expect(inspect()).toEqual(before);
    expect(auditJson().at(-1)).toMatchObject({ action: 'refused', outcome: 'plan-refused', runbookId: 'set-memory-limit' });
  });

  it('restart-celery-worker: a high-risk approval behind a confirm dialog; the requester cannot approve it, another approver does', async () => {
    const since = calls.length;
    const started = inspect().StartedAt;
    const requested = await slash(`run restart-celery-worker ${worker.container} grace=5s`, REQUESTER);
    expect(requested.text).toMatch(/^memwarden: requested Restart a Celery worker container/);
    await dispatcher.drain();
    const { requestId, ts, blocks } = approvalMessage(since);
    const approve = blocks.find((b) => b.type === 'actions')?.elements?.find((e) => e.action_id === ACTION.approveRemediation);
    expect(approve?.confirm).toMatchObject({ title: { text: 'Approve a high-risk remediation?' }, confirm: { text: 'Approve and run' }, deny: { text: 'Cancel' } });

    const own = await clickButton(ACTION.approveRemediation, requestId, REQUESTER, ts);
    expect(own.text).toBe('memwarden: nothing was changed. You requested this high-risk remediation, so you cannot approve it yourself: another approver must.');
    expect(inspect().StartedAt).toBe(started);

    const approved = await clickButton(ACTION.approveRemediation, requestId, APPROVER, ts);
    expect(approved.text).toMatch(/^memwarden: restart-celery-worker on .*: succeeded: restarted /);
    expect(inspect().StartedAt).not.toBe(started);
    expect(await waitForPool(4)).toBe(4);
    await dispatcher.drain();
    await verifyAfter(60_000);
    const replies = threadReplies(ts, since);
    expect(replies.some((r) => r.startsWith(`memwarden: Restart a Celery worker container on ${worker.container}: applied: restarted ${worker.container} (grace 5s)`))).toBe(true);
    expect(replies.at(-1)).toMatch(new RegExp(`^memwarden: verified Restart a Celery worker container on ${worker.container}: process group PSS [\\d.]+ MiB → [\\d.]+ MiB: goal (NOT )?met`));
    const audit = auditJson().filter((e) => e.requestId === requestId);
    expect(audit.map((e) => [e.action, e.outcome])).toEqual([
      ['requested', null],
      ['refused', 'self-approval'],
      ['approved', null],
      ['executing', null],
      ['succeeded', 'succeeded'],
      ['verified', expect.stringMatching(/^goal-(not-)?met$/)],
    ]);
  });
});
