// The Web API sink through the real WebClient against nock: the exact request bodies, one
// request per call (the client itself never retries or waits), and the error mapping.
import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { isMessageSinkError, type MessageSinkError } from '../../../../src/delivery/sink.js';
import { createOutboxWebClient, createWebApiSink, toMessageSinkError } from '../../../../src/slack/delivery/web-api-sink.js';
import type { OutboxContent } from '../../../../src/delivery/outbox-content.js';
import type { Notice } from '../../../../src/model/notice.js';
import type { SlackMessage } from '../../../../src/slack/render/block-kit-limits.js';
import { BOT_TOKEN, expectSlackCall, SLACK_API_URL, SLACK_ORIGIN, useSlackNock } from './helpers.js';

const slack = useSlackNock();
const sink = () => createWebApiSink(createOutboxWebClient({ token: BOT_TOKEN, slackApiUrl: SLACK_API_URL, timeoutMs: 2000 }));
const legacy: SlackMessage = { text: 'fallback <!subteam^S1>', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*hi*' } }] };
/** What an older memwarden queued: a Slack message, sent as it is. */
const message: OutboxContent = { legacy };

async function failure(promise: Promise<unknown>): Promise<MessageSinkError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!isMessageSinkError(err)) throw new Error(`expected a MessageSinkError, got ${String(err)}`);
  return err;
}

describe('web API sink', () => {
  it('posts a notice rendered to text and blocks, and returns the ts and the channel id Slack answers with', async () => {
    const notice: Notice = { summary: ['fallback <!subteam^S1> ', { group: 'S0ONCALL1' }], blocks: [{ type: 'text', text: [{ strong: 'hi' }, ' <@U1>'] }] };
    expectSlackCall(slack.calls, 'chat.postMessage', { body: { ok: true, channel: 'C0OPS', ts: '1761555600.000100' } });
    await expect(sink().post('#ops-memory', { notice })).resolves.toEqual({ ts: '1761555600.000100', channel: 'C0OPS' });
    expect(slack.calls).toEqual([
      {
        method: 'chat.postMessage',
        body: { channel: '#ops-memory', text: 'fallback &lt;!subteam^S1&gt; <!subteam^S0ONCALL1>', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*hi* &lt;@U1&gt;' } }] },
      },
    ]);
  });

  it('sends a message an older memwarden queued as it is', async () => {
    expectSlackCall(slack.calls, 'chat.postMessage', { body: { ok: true, channel: 'C0OPS', ts: '1.1' } });
    await sink().post('#ops-memory', message);
    expect(slack.calls).toEqual([{ method: 'chat.postMessage', body: { channel: '#ops-memory', text: 'fallback <!subteam^S1>', blocks: legacy.blocks } }]);
  });

  it('replies in a thread with thread_ts, and sends the text alone when told to (plain)', async () => {
    expectSlackCall(slack.calls, 'chat.postMessage', { body: { ok: true, channel: 'C0OPS', ts: '2.2' } });
    await sink().post('C0OPS', message, { threadTs: '1.1', plain: true });
    expect(slack.calls).toEqual([{ method: 'chat.postMessage', body: { channel: 'C0OPS', text: 'fallback <!subteam^S1>', thread_ts: '1.1' } }]);
  });

  it('updates with channel and ts; a plain-text update leaves blocks out (which removes the old ones)', async () => {
    expectSlackCall(slack.calls, 'chat.update', { body: { ok: true, channel: 'C0OPS', ts: '1.1' } });
    expectSlackCall(slack.calls, 'chat.update', { body: { ok: true, channel: 'C0OPS', ts: '1.1' } });
    await expect(sink().update('C0OPS', '1.1', message)).resolves.toEqual({ ts: '1.1' });
    await sink().update('C0OPS', '1.1', message, { plain: true });
    expect(slack.calls).toEqual([
      { method: 'chat.update', body: { channel: 'C0OPS', ts: '1.1', text: 'fallback <!subteam^S1>', blocks: legacy.blocks } },
      { method: 'chat.update', body: { channel: 'C0OPS', ts: '1.1', text: 'fallback <!subteam^S1>' } },
    ]);
  });

  it('refuses for good a chart that cannot be drawn, or that has no thread to go into, asking Slack nothing', async () => {
    const chart = { chart: { from: 0, to: 1, tz: 'UTC', title: 't', host: { label: 'host', points: [], limitBytes: null }, containers: [] }, filename: 'c.png', title: 'Chart', altText: 'a chart' };
    const broken = createWebApiSink(createOutboxWebClient({ token: BOT_TOKEN, slackApiUrl: SLACK_API_URL }), {
      renderChart: () => {
        throw new Error('no font');
      },
    });
    expect(await failure(broken.post('C0OPS', { chart }, { threadTs: '1.1' }))).toMatchObject({ code: 'permanent', slackError: 'chart_render_failed', message: 'the chart could not be drawn: no font' });
    expect(await failure(sink().post('C0OPS', { chart }))).toMatchObject({ code: 'permanent' });
    expect(slack.calls).toEqual([]);
  });

  it('maps 429 to rate_limited with Retry-After in ms, without retrying or waiting itself', async () => {
    expectSlackCall(slack.calls, 'chat.postMessage', { status: 429, body: { ok: false, error: 'ratelimited' }, headers: { 'retry-after': '30' } });
    const started = Date.now();
    const err = await failure(sink().post('#ops', message));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(err).toMatchObject({ code: 'rate_limited', retryAfterMs: 30_000, slackError: 'ratelimited' });
    expect(slack.calls).toHaveLength(1);
  });

  it('maps HTTP 5xx to server_error and other statuses to permanent, one request each', async () => {
    expectSlackCall(slack.calls, 'chat.postMessage', { status: 503, body: { ok: false } });
    expect(await failure(sink().post('#ops', message))).toMatchObject({ code: 'server_error', slackError: 'http_503' });
    expectSlackCall(slack.calls, 'chat.update', { status: 404, body: { ok: false } });
    expect(await failure(sink().update('C1', '1.1', message))).toMatchObject({ code: 'permanent', slackError: 'http_404' });
    expect(slack.calls.map((c) => c.method)).toEqual(['chat.postMessage', 'chat.update']);
  });

  it('maps a connection error to network', async () => {
    nock(SLACK_ORIGIN).post('/api/chat.postMessage').replyWithError({ code: 'ECONNRESET', message: 'socket hang up' });
    const err = await failure(sink().post('#ops', message));
    expect(err.code).toBe('network');
    expect(err.message).toMatch(/^chat\.postMessage: request failed/);
  });

  it.each([
    ['invalid_blocks', 'invalid_blocks'],
    ['invalid_blocks_format', 'invalid_blocks'],
    ['msg_blocks_too_long', 'invalid_blocks'],
    ['internal_error', 'server_error'],
    ['fatal_error', 'server_error'],
    ['channel_not_found', 'permanent'],
    ['not_in_channel', 'permanent'],
    ['invalid_auth', 'permanent'],
    ['message_not_found', 'permanent'],
  ])('maps the platform error %s to %s', async (error, code) => {
    expectSlackCall(slack.calls, 'chat.postMessage', { body: { ok: false, error } });
    expect(await failure(sink().post('#ops', message))).toMatchObject({ code, slackError: error });
  });

  it('treats an unknown throw as a network error, keeping it as the cause', () => {
    const boom = new TypeError('boom');
    expect(toMessageSinkError(boom, 'x')).toMatchObject({ code: 'network', message: 'x: boom', cause: boom });
  });
});
