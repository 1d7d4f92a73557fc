// memwarden's Slack app in HTTP mode, really listening on a random local port, receiving real
// HTTP requests signed the way Slack signs them (HMAC-SHA256 of "v0:{timestamp}:{raw body}" with
// the signing secret). Signed requests are answered; a bad signature or a timestamp more than
// 5 minutes old or ahead is refused with 401, and a body over the cap with 413, before anything
// runs; refusals are logged at warn at most once a minute. Slack itself (the response_url) is nock.
import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { App } from '@slack/bolt';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AlertEngine } from '../../src/alerts/alert-engine.js';
import { configSchema } from '../../src/config/schema.js';
import { createLogger, type Logger } from '../../src/log/logger.js';
import type { BotServices } from '../../src/slack/bot-services.js';
import { createSlackApp, HTTP_EVENTS_PATH } from '../../src/slack/create-app.js';
import { ACTION } from '../../src/slack/ids.js';
import { checkBlockKitLimits } from '../../src/slack/render/block-kit-limits.js';
import { BOT_IDENTITY, buttonClick, captureLogger, slashCommand } from '../unit/slack/bolt-test-kit.js';

const SIGNING_SECRET = 'integration-signing-secret-0123456789';
const HOOKS = 'https://hooks.slack.test';
const RESPONSE_PATH = '/commands/T0MEMWARD/99/integration';
const T0 = Date.parse('2025-10-27T09:00:00.000Z');
/** The cap on a request body, as the README's Security model states it. */
const MAX_BODY_BYTES = 256 * 1024;

/** Services that only record what was asked of them. */
function recordingServices(config: BotServices['config']): BotServices & { calls: string[] } {
  const calls: string[] = [];
  const alerts: AlertEngine = {
    evaluate: () => (calls.push('alerts.evaluate'), []),
    addSilence: () => {
      throw new Error('not in this test');
    },
    removeSilence: () => (calls.push('alerts.removeSilence'), false),
    listSilences: () => (calls.push('alerts.listSilences'), []),
    activeAlerts: () => (calls.push('alerts.activeAlerts'), []),
  };
  return {
    config,
    calls,
    clock: () => (calls.push('clock'), T0),
    latestSnapshot: () => (calls.push('latestSnapshot'), null),
    takeSnapshot: () => (calls.push('takeSnapshot'), Promise.reject(new Error('no snapshots in this test'))),
    history: () => (calls.push('history'), []),
    groupsOf: () => (calls.push('groupsOf'), Promise.resolve([])),
    silenceNotes: {
      silenced: () => void calls.push('silenceNotes.silenced'),
      ended: () => void calls.push('silenceNotes.ended'),
    },
    diagnose: () => (calls.push('diagnose'), []),
    alerts,
  };
}

function commandBody(text: string): string {
  // The unit tests' slash command payload, with this test's token and response_url.
  const fields = slashCommand(text, { token: 'deprecated-verification-token', response_url: `${HOOKS}${RESPONSE_PATH}` });
  return new URLSearchParams(fields as Record<string, string>).toString();
}

/** The headers Slack sends: X-Slack-Request-Timestamp and X-Slack-Signature "v0=" + hex HMAC. */
function signedHeaders(body: string, timestampSec: number, secret = SIGNING_SECRET): Record<string, string> {
  const signature = createHmac('sha256', secret).update(`v0:${timestampSec}:${body}`).digest('hex');
  return {
    'content-type': 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': String(timestampSec),
    'x-slack-signature': `v0=${signature}`,
  };
}

let app: App;
let url: string;
let services: BotServices & { calls: string[] };

/** An app in HTTP mode on a free loopback port; its URL at /slack/events. */
async function startApp(logger: Logger): Promise<{ app: App; url: string }> {
  const started = createSlackApp({ config: services.config, logger, services, identity: BOT_IDENTITY });
  // Port 0: the system picks a free one; HTTP mode listens at /slack/events.
  const server = (await started.start({ port: 0, host: '127.0.0.1' })) as Server;
  return { app: started, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${HTTP_EVENTS_PATH}` };
}
const unmatched: string[] = [];
const onNoMatch = (req: { method?: string; href?: string; path?: string }) => unmatched.push(`${req.method ?? '?'} ${req.href ?? req.path ?? '?'}`);

beforeAll(async () => {
  nock.disableNetConnect();
  // Only the app's own server on the loopback; Slack stays nock.
  nock.enableNetConnect('127.0.0.1');
  nock.emitter.on('no match', onNoMatch);
  const config = configSchema.parse({ slack: { botToken: 'xoxb-0000-integration', signingSecret: SIGNING_SECRET, channels: { default: 'C0MEMWARD' } } });
  services = recordingServices(config);
  ({ app, url } = await startApp(createLogger({ level: 'silent', format: 'json', isTty: false })));
});

afterEach(() => {
  const pending = nock.pendingMocks();
  const stray = unmatched.splice(0).filter((request) => !request.includes('127.0.0.1'));
  nock.cleanAll();
  services.calls.splice(0);
  expect(pending, 'nock mocks that were never called').toEqual([]);
  expect(stray, 'requests without a nock mock').toEqual([]);
});

afterAll(async () => {
  await app.stop();
  nock.emitter.off('no match', onNoMatch);
  nock.enableNetConnect();
});

function expectRespond(): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    nock(HOOKS)
      .post(RESPONSE_PATH)
      .reply(200, (_uri, body) => {
        resolve(body as Record<string, unknown>);
        return 'ok';
      });
  });
}

async function post(body: string, headers: Record<string, string>, to = url): Promise<{ status: number; text: string }> {
  const response = await fetch(to, { method: 'POST', headers, body });
  return { status: response.status, text: await response.text() };
}

/** The same body sent in chunks, without a content-length (chunked transfer encoding). */
async function postChunked(body: string, headers: Record<string, string>): Promise<number> {
  const bytes = new TextEncoder().encode(body);
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let at = 0; at < bytes.length; at += 16 * 1024) controller.enqueue(bytes.slice(at, at + 16 * 1024));
      controller.close();
    },
  });
  const response = await fetch(url, { method: 'POST', headers, body: stream, duplex: 'half' } as RequestInit);
  await response.arrayBuffer();
  return response.status;
}

const nowSec = () => Math.floor(Date.now() / 1000);

describe('Slack app over HTTP with request signing', () => {
  it('answers a correctly signed /mem help: 200 at once, the answer through the response_url', async () => {
    const responded = expectRespond();
    const body = commandBody('help');
    const response = await post(body, signedHeaders(body, Math.floor(Date.now() / 1000)));
    expect(response).toEqual({ status: 200, text: '' });
    const answer = await responded;
    expect(answer).toMatchObject({ response_type: 'ephemeral', text: 'memwarden: /mem status, top, containers, diagnose, history, alerts, silence, unsilence, run, runbooks, audit, remediation, digest, help' });
    expect(services.calls).toEqual([]);
  });

  it('runs a signed command that asks the services (so the record below means something)', async () => {
    const responded = expectRespond();
    const body = commandBody('alerts');
    expect((await post(body, signedHeaders(body, Math.floor(Date.now() / 1000)))).status).toBe(200);
    expect((await responded).text).toBe('memwarden: 0 active alerts (0 firing), 0 silences');
    expect(services.calls).toEqual(['alerts.activeAlerts', 'clock', 'alerts.listSilences']);
  });

  it('refuses a bad signature with 401 and runs nothing', async () => {
    const body = commandBody('status');
    const now = Math.floor(Date.now() / 1000);
    for (const headers of [
      signedHeaders(body, now, 'some-other-secret'),
      { ...signedHeaders(body, now), 'x-slack-signature': 'v0=' + '0'.repeat(64) },
      // Signed, then altered on the way: the signature no longer matches the body.
      signedHeaders(commandBody('help'), now),
      { 'content-type': 'application/x-www-form-urlencoded' },
    ]) {
      expect((await post(body, headers)).status).toBe(401);
    }
    expect(services.calls).toEqual([]);
  });

  it('refuses a correctly signed request older than 5 minutes (a replay) with 401 and runs nothing', async () => {
    const body = commandBody('status');
    const stale = Math.floor(Date.now() / 1000) - 5 * 60 - 30;
    expect((await post(body, signedHeaders(body, stale))).status).toBe(401);
    expect(services.calls).toEqual([]);
  });

  it('refuses a signed body larger than the cap with 413, with or without a content-length, and runs nothing', async () => {
    // Bolt would otherwise buffer up to 4 MB of whoever asks before looking at the signature.
    const body = `${commandBody('status')}&padding=${'x'.repeat(MAX_BODY_BYTES)}`;
    expect((await post(body, signedHeaders(body, nowSec()))).status).toBe(413);
    expect(await postChunked(body, signedHeaders(body, nowSec()))).toBe(413);
    expect(services.calls).toEqual([]);
  });

  it("takes an interaction as large as memwarden's largest message well within the cap", async () => {
    // A click on an alert message carries the whole message: at most 12k characters of blocks
    // JSON (the Block Kit limit checker's budget), here all emoji, the costliest to URL-encode.
    const blocks = Array.from({ length: 4 }, () => ({ type: 'section' as const, text: { type: 'mrkdwn' as const, text: '😀'.repeat(1400) } }));
    expect(checkBlockKitLimits({ text: 'alert', blocks })).toEqual([]);
    const click = buttonClick(`${ACTION.silenceAlert}:1h`, '0123456789abcdef|1h', { response_url: `${HOOKS}${RESPONSE_PATH}`, message: { type: 'message', ts: '1761555600.000100', text: 'alert', blocks } });
    const body = new URLSearchParams({ payload: JSON.stringify(click) }).toString();
    // About 70 KiB: the cap leaves more than three times that.
    expect(body.length).toBeGreaterThan(64 * 1024);
    expect(body.length).toBeLessThan(MAX_BODY_BYTES / 3);
    const responded = expectRespond();
    expect((await post(body, signedHeaders(body, nowSec()))).status).toBe(200);
    expect((await responded).text).toBe('memwarden: nothing was silenced. that alert is no longer active (it resolved, or the button was changed).');
  });

  it('refuses a correctly signed request with a timestamp more than 5 minutes in the future with 401 and runs nothing', async () => {
    const body = commandBody('status');
    expect((await post(body, signedHeaders(body, nowSec() + 5 * 60 + 30))).status).toBe(401);
    expect(services.calls).toEqual([]);
    // A clock a minute off is not an attack: still answered.
    const responded = expectRespond();
    const help = commandBody('help');
    expect((await post(help, signedHeaders(help, nowSec() + 60))).status).toBe(200);
    await responded;
  });

  it('logs refused requests at warn at most once a minute and the rest at debug, never the signature', async () => {
    const { logger, lines } = captureLogger();
    const own = await startApp(logger);
    try {
      const body = commandBody('status');
      const forged = signedHeaders(body, nowSec(), 'some-other-secret');
      for (let i = 0; i < 5; i++) expect((await post(body, forged, own.url)).status).toBe(401);
      const warnings = () => lines.filter((line) => (line.level as number) >= 40);
      expect(warnings()).toHaveLength(1);
      expect((await post(body, signedHeaders(body, nowSec() + 3600), own.url)).status).toBe(401);
      const refused = lines.filter((line) => line.msg === 'Slack HTTP request refused');
      expect(warnings()).toEqual([refused[0]]);
      expect(refused[0]).toMatchObject({ level: 40, status: 401, reason: 'bad signature' });
      expect(refused.slice(1).map((line) => [line.level, line.reason])).toEqual([
        [20, 'bad signature'],
        [20, 'bad signature'],
        [20, 'bad signature'],
        [20, 'bad signature'],
        [20, 'timestamp in the future'],
      ]);
      expect(JSON.stringify(lines)).not.toContain(forged['x-slack-signature']?.slice(3));
    } finally {
      await own.app.stop();
    }
    expect(services.calls).toEqual([]);
  });
});
