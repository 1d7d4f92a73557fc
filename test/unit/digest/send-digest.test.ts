// Sending a digest: through the real outbox and dispatcher to the real Web API client, with Slack
// faked by nock (no network, every mock used, no request without one): the post, then the chart
// into its thread with files.uploadV2 (getUploadURLExternal, the upload, completeUploadExternal
// with the post's channel id and ts). And the ways it can go wrong, and console mode.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildDigest } from '../../../src/digest/build-digest.js';
import type { Digest } from '../../../src/digest/digest-data.js';
import { loadDigestData } from '../../../src/digest/load-digest.js';
import { createFileChartSink, sendDigest, type SendDigestDeps } from '../../../src/digest/send-digest.js';
import { createSlackChartSink } from '../../../src/slack/delivery/chart-upload.js';
import { createConsoleSink } from '../../../src/slack/delivery/console-sink.js';
import type { MessageSink } from '../../../src/slack/delivery/message-sink.js';
import { createOutboxDispatcher, type OutboxDispatcher } from '../../../src/slack/delivery/outbox-dispatcher.js';
import { createOutboxWebClient, createWebApiSink } from '../../../src/slack/delivery/web-api-sink.js';
import { getOutboxEntry } from '../../../src/store/outbox.js';
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
  let dispatcher: OutboxDispatcher;
  const clock = fakeClock(NOW);
  const client = () => createOutboxWebClient({ token: BOT_TOKEN, slackApiUrl: SLACK_API_URL, timeoutMs: 2000 });

  beforeEach(() => {
    store = tempDb();
    log = captureLog();
    dispatcher = createOutboxDispatcher({ db: store.db, sink: createWebApiSink(client()), clock: clock.clock, logger: log.logger, sleep: clock.sleep, random: () => 0 });
  });
  afterEach(async () => {
    await dispatcher.stop();
    store.cleanup();
  });

  function deps(overrides: Partial<SendDigestDeps> = {}): SendDigestDeps {
    return {
      db: store.db,
      clock: clock.clock,
      logger: log.logger,
      channel: '#ops-memory',
      build: () => digest,
      chartSink: createSlackChartSink(client()),
      // Each look at the outbox lets the dispatcher send what is due: no timers, no waiting.
      sleep: async () => {
        await dispatcher.drain();
      },
      ...overrides,
    };
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

  it('posts the digest through the outbox, then uploads the chart into its thread', async () => {
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

    const sent = await sendDigest(deps(), '2025-10-27');
    await dispatcher.drain();
    await expect(sent.chart).resolves.toEqual({ status: 'delivered', where: 'F0CHART01' });

    expect(posts).toHaveLength(1);
    expect(posts[0]).toMatchObject({ channel: '#ops-memory', text: sent.message.text });
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

  it('posts the digest when the chart cannot be rendered, and logs why', async () => {
    const posts = expectPost();
    const sent = await sendDigest(
      deps({
        renderChart: () => {
          throw new Error('resvg: out of memory');
        },
      }),
      '2025-10-27',
    );
    await expect(sent.chart).resolves.toEqual({ status: 'failed', error: 'resvg: out of memory' });
    await dispatcher.drain();
    expect(posts).toHaveLength(1);
    expect(log.at('error')).toEqual([expect.objectContaining({ msg: 'Digest chart could not be rendered; the digest goes without it', day: '2025-10-27' })]);
  });

  it('posts the digest when the upload fails, and logs it', async () => {
    const posts = expectPost();
    nock(SLACK_ORIGIN).post('/api/files.getUploadURLExternal').reply(200, { ok: false, error: 'missing_scope' }, { 'content-type': 'application/json' });
    const sent = await sendDigest(deps(), '2025-10-27');
    await expect(sent.chart).resolves.toMatchObject({ status: 'failed', error: 'files.uploadV2: missing_scope' });
    expect(posts).toHaveLength(1);
    expect(log.at('error').map((e) => e.msg)).toContain('Digest chart upload failed; the digest was posted without it');
  });

  it('skips the chart when Slack refuses the digest itself', async () => {
    expectPost({ ok: false, error: 'channel_not_found' });
    const sent = await sendDigest(deps(), '2025-10-27');
    await expect(sent.chart).resolves.toMatchObject({ status: 'skipped', reason: expect.stringContaining('channel_not_found') as unknown });
  });

  it('stops waiting for the post when memwarden stops', async () => {
    const abort = new AbortController();
    abort.abort();
    const sent = await sendDigest(deps({ signal: abort.signal, sleep: () => Promise.resolve() }), '2025-10-27');
    await expect(sent.chart).resolves.toEqual({ status: 'skipped', reason: 'memwarden is stopping' });
    // Still queued: it goes out with the next start.
    expect(getOutboxEntry(store.db, sent.outboxId)?.status).toBe('pending');
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
    const sink: MessageSink = createConsoleSink((text) => lines.push(text));
    const dispatcher = createOutboxDispatcher({ db: store.db, sink, clock: clock.clock, logger: log.logger, sleep: clock.sleep });
    const sent = await sendDigest(
      {
        db: store.db,
        clock: clock.clock,
        logger: log.logger,
        channel: 'console',
        build: () => digest,
        chartSink: createFileChartSink(data.dir, (text) => lines.push(text)),
        sleep: async () => {
          await dispatcher.drain();
        },
      },
      '2025-10-27',
    );
    const outcome = await sent.chart;
    await dispatcher.stop();
    const path = join(data.dir, 'memwarden-digest-2025-10-27.png');
    expect(outcome).toEqual({ status: 'delivered', where: path });
    expect(existsSync(path)).toBe(true);
    expect(pngSize(readFileSync(path))).toEqual({ width: 1200, height: 600 });
    expect(lines[0]).toContain('Daily memory digest: box, 2025-10-27');
    expect(lines[1]).toBe(`    ↳ chart of the digest (thread console-1): ${path} (1200×600 PNG)`);
  });
});
