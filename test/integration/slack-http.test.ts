// memwarden's Slack app in HTTP mode, really listening on a random local port, receiving real
// HTTP requests signed the way Slack signs them (HMAC-SHA256 of "v0:{timestamp}:{raw body}" with
// the signing secret). Signed requests are answered; a bad signature or a timestamp older than
// 5 minutes is refused with 401 before anything runs. Slack itself (the response_url) is nock.
import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { App } from '@slack/bolt';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AlertEngine } from '../../src/alerts/alert-engine.js';
import { configSchema } from '../../src/config/schema.js';
import { createLogger } from '../../src/log/logger.js';
import type { BotServices } from '../../src/slack/bot-services.js';
import { createSlackApp, HTTP_EVENTS_PATH } from '../../src/slack/create-app.js';
import { slashCommand } from '../unit/slack/bolt-test-kit.js';

const SIGNING_SECRET = 'integration-signing-secret-0123456789';
const HOOKS = 'https://hooks.slack.test';
const RESPONSE_PATH = '/commands/T0MEMWARD/99/integration';
const T0 = Date.parse('2025-10-27T09:00:00.000Z');

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
let server: Server;
let url: string;
let services: BotServices & { calls: string[] };
const unmatched: string[] = [];
const onNoMatch = (req: { method?: string; href?: string; path?: string }) => unmatched.push(`${req.method ?? '?'} ${req.href ?? req.path ?? '?'}`);

beforeAll(async () => {
  nock.disableNetConnect();
  // Only the app's own server on the loopback; Slack stays nock.
  nock.enableNetConnect('127.0.0.1');
  nock.emitter.on('no match', onNoMatch);
  const config = configSchema.parse({ slack: { botToken: 'xoxb-0000-integration', signingSecret: SIGNING_SECRET, channels: { default: 'C0MEMWARD' } } });
  services = recordingServices(config);
  const logger = createLogger({ level: 'silent', format: 'json', isTty: false });
  app = createSlackApp({ config, logger, services, identity: { botId: 'B0MEMWARD', botUserId: 'U0MEMWARD' } });
  // Port 0: the system picks a free one; HTTP mode listens at /slack/events.
  server = (await app.start({ port: 0, host: '127.0.0.1' })) as Server;
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${HTTP_EVENTS_PATH}`;
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

async function post(body: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  const response = await fetch(url, { method: 'POST', headers, body });
  return { status: response.status, text: await response.text() };
}

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
});
