// Sending a digest: through the real outbox and dispatcher to the real Web API client, with Slack
// faked by nock (no network, every mock used, no request without one): the post, then the chart
// as the next op of the same key, into its thread with files.uploadV2 (getUploadURLExternal, the
// upload, completeUploadExternal with the post's channel id and ts). No polling: the dispatcher
// sends the chart once the post has its ts. And the ways it can go wrong, and console mode.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildDigest } from '../../../src/digest/build-digest.js';
import type { Digest } from '../../../src/digest/digest-data.js';
import { loadDigestData } from '../../../src/digest/load-digest.js';
import { sendDigest, type SendDigestDeps } from '../../../src/digest/send-digest.js';
import { createConsoleSink } from '../../../src/console/console-sink.js';
import type { MessageSink } from '../../../src/delivery/sink.js';
import { createOutboxDispatcher } from '../../../src/delivery/outbox-dispatcher.js';
import { createOutboxWebClient, createWebApiSink } from '../../../src/slack/delivery/web-api-sink.js';
import { getOutboxEntry, listOutboxEntries } from '../../../src/store/outbox.js';
import { BOT_TOKEN, captureLog, type CapturedLog, fakeClock, parseSlackBody, SLACK_API_URL, SLACK_ORIGIN, tempDb, type TempDb, useSlackNock } from '../slack/delivery/helpers.js';
import { makeTempDir } from '../store/make-snapshot.js';
import { FIXTURE_LEAK, fixtureFindings, NOW, seedDigestFixture, TZ } from './digest-fixture.js';
import { PNG_SIGNATURE, pngSize } from './png.js';

const FILES_ORIGIN = 'https://files.slack.test';
const POST_TS = '1761552000.000100';

let digest: Digest;
beforeAll(() => {
  const store = tempDb();
  try {
    seedDigestFixture(store.db);
    digest = buildDigest(loadDigestData(store.db, { now: NOW, tz: TZ, hostname: 'box', findings: fixtureFindings(), leak: FIXTURE_LEAK }));
  } finally {
    store.cleanup();
  }
});

describe('sendDigest to Slack', () => {
  useSlackNock();
  let store: TempDb;
  let log: CapturedLog;
  const clock = fakeClock(NOW);
  const client = () => createOutboxWebClient({ token: BOT_TOKEN, slackApiUrl: SLACK_API_URL, timeoutMs: 2000 });
  const dispatcher = (sink = createWebApiSink(client())) => createOutboxDispatcher({ db: store.db, sink, clock: clock.clock, logger: log.logger, sleep: clock.sleep, random: () => 0 });

  beforeEach(() => {
    store = tempDb();
    log = captureLog();
  });
  afterEach(() => store.cleanup());

  function deps(overrides: Partial<SendDigestDeps> = {}): SendDigestDeps {
    return { db: store.db, clock: clock.clock, logger: log.logger, channel: '#ops-memory', build: () => digest, ...overrides };
  }

  function expectPost(reply: Record<string, unknown> = { ok: true, channel: 'C0OPS', ts: POST_TS }): Record<string, unknown>[] {
    const bodies: Record<string, unknown>[] = [];
    nock(SLACK_ORIGIN, { reqheaders: { authorization: `Bearer ${BOT_TOKEN}` } })
      .post('/api/chat.postMessage', (body: unknown) => {
        bodies.push(parseSlackBody(body));
        return true;
      })
      .reply(200, reply, { 'content-type': 'application/json' });
    return bodies;
  }

  it('queues the digest and its chart in one go; the dispatcher posts the digest, then uploads the chart into its thread', async () => {
    const posts = expectPost();
    const calls: { step: string; body: Record<string, unknown> }[] = [];
    nock(SLACK_ORIGIN, { reqheaders: { authorization: `Bearer ${BOT_TOKEN}` } })
      .post('/api/files.getUploadURLExternal', (body: unknown) => {
        calls.push({ step: 'getUploadURLExternal', body: parseSlackBody(body) });
        return true;
      })
      .reply(200, { ok: true, upload_url: `${FILES_ORIGIN}/upload/v1/CHART`, file_id: 'F0CHART01' }, { 'content-type': 'application/json' })
      .post('/api/files.completeUploadExternal', (body: unknown) => {
        calls.push({ step: 'completeUploadExternal', body: parseSlackBody(body) });
        return true;
      })
      .reply(200, { ok: true, files: [{ id: 'F0CHART01', title: 'Memory, 24 hours to 2025-10-27' }] }, { 'content-type': 'application/json' });
    let uploaded = '';
    nock(FILES_ORIGIN)
      .post('/upload/v1/CHART', (body: unknown) => {
        uploaded = String(body);
        calls.push({ step: 'upload', body: {} });
        return true;
      })
      .reply(200, 'OK');

    const sent = sendDigest(deps(), '2025-10-27');
    expect(listOutboxEntries(store.db).map((e) => [e.op, e.orderingKey === sent.messageKey, Object.keys(e.payload as object)])).toEqual([
      ['post', true, ['notice']],
      ['reply', true, ['chart']],
    ]);
    expect(await dispatcher().drain()).toEqual({ sent: 2, failed: 0, retrying: 0 });

    expect(posts).toHaveLength(1);
    expect(posts[0]).toMatchObject({ channel: '#ops-memory', text: expect.stringContaining('memwarden digest for box, 2025-10-27') as unknown });
    expect(JSON.stringify(posts[0]?.blocks)).toContain('chart of the day in the thread');
    expect(getOutboxEntry(store.db, sent.outboxId)).toMatchObject({ status: 'sent', resultTs: POST_TS });

    expect(calls.map((c) => c.step)).toEqual(['getUploadURLExternal', 'upload', 'completeUploadExternal']);
    const length = Number(calls[0]?.body.length);
    expect(calls[0]?.body).toMatchObject({ filename: 'memwarden-digest-2025-10-27.png' });
    expect(String(calls[0]?.body.alt_text)).toContain('host used memory against its RAM');
    expect(length).toBeGreaterThan(10_000);
    // The PNG itself went to the upload URL, in a multipart body (nock shows binary bodies as hex).
    const multipart = Buffer.from(uploaded, 'hex');
    expect(multipart.includes(PNG_SIGNATURE)).toBe(true);
    expect(multipart.length).toBeGreaterThan(length);
    // The thread: the channel id and ts Slack answered the post with.
    expect(calls[2]?.body).toMatchObject({ channel_id: 'C0OPS', thread_ts: POST_TS });
    expect(JSON.parse(String(calls[2]?.body.files))).toEqual([{ id: 'F0CHART01', title: 'Memory, 24 hours to 2025-10-27' }]);
  });

  it('posts the digest when the chart cannot be drawn, and logs why', async () => {
    const posts = expectPost();
    sendDigest(deps(), '2025-10-27');
    const sink = createWebApiSink(client(), {
      renderChart: () => {
        throw new Error('resvg: out of memory');
      },
    });
    expect(await dispatcher(sink).drain()).toEqual({ sent: 1, failed: 1, retrying: 0 });
    expect(posts).toHaveLength(1);
    expect(log.at('error')).toEqual([
      expect.objectContaining({ msg: 'Slack refused an outbox op for good; it will not be retried', slackError: 'chart_render_failed', error: 'permanent: chart_render_failed' }),
    ]);
  });

  it('posts the digest when the upload fails, and logs it', async () => {
    const posts = expectPost();
    nock(SLACK_ORIGIN).post('/api/files.getUploadURLExternal').reply(200, { ok: false, error: 'missing_scope' }, { 'content-type': 'application/json' });
    sendDigest(deps(), '2025-10-27');
    expect(await dispatcher().drain()).toEqual({ sent: 1, failed: 1, retrying: 0 });
    expect(posts).toHaveLength(1);
    expect(log.at('error')).toEqual([expect.objectContaining({ msg: 'Slack refused an outbox op for good; it will not be retried', slackError: 'missing_scope' })]);
  });

  it('does not upload the chart when Slack refuses the digest itself', async () => {
    expectPost({ ok: false, error: 'channel_not_found' });
    const sent = sendDigest(deps(), '2025-10-27');
    expect(await dispatcher().drain()).toEqual({ sent: 0, failed: 2, retrying: 0 });
    expect(listOutboxEntries(store.db).filter((e) => e.orderingKey === sent.messageKey).map((e) => [e.op, e.status, e.lastError])).toEqual([
      ['post', 'failed', 'permanent: channel_not_found'],
      ['reply', 'failed', 'parent_not_posted: the alert message this op refers to was never posted'],
    ]);
  });

  it('keeps both queued while nothing sends them: they go out with the next start', () => {
    const sent = sendDigest(deps(), '2025-10-27');
    expect(getOutboxEntry(store.db, sent.outboxId)?.status).toBe('pending');
    expect(listOutboxEntries(store.db).map((e) => e.status)).toEqual(['pending', 'pending']);
  });
});

describe('sendDigest in console mode', () => {
  let store: TempDb;
  const data = makeTempDir();
  beforeEach(() => {
    store = tempDb();
  });
  afterEach(() => store.cleanup());
  afterAll(() => data.remove());

  it('prints the digest and writes the chart to the data directory, printing its path', async () => {
    const lines: string[] = [];
    const clock = fakeClock(NOW);
    const log = captureLog();
    const sink: MessageSink = createConsoleSink((text) => lines.push(text), { chartDir: data.dir });
    const dispatcher = createOutboxDispatcher({ db: store.db, sink, clock: clock.clock, logger: log.logger, sleep: clock.sleep });
    sendDigest({ db: store.db, clock: clock.clock, logger: log.logger, channel: 'console', build: () => digest }, '2025-10-27');
    expect(await dispatcher.drain()).toEqual({ sent: 2, failed: 0, retrying: 0 });
    const path = join(data.dir, 'memwarden-digest-2025-10-27.png');
    expect(existsSync(path)).toBe(true);
    expect(pngSize(readFileSync(path))).toEqual({ width: 1200, height: 600 });
    expect(lines[0]).toContain('Daily memory digest: box, 2025-10-27');
    expect(lines[1]).toBe(`    ↳ chart in console, thread console-1: ${path} (1200×600 PNG)`);
  });
});
