// A real Bolt App driven the way bolt-js's own tests drive it: a fake receiver whose events go
// through app.processEvent (the real routing, no network). Slack itself is nock: every test must
// use each mock it sets up, and a request without a mock fails the test (renovate's habit).
import { join } from 'node:path';
import type { App, Receiver, ReceiverEvent } from '@slack/bolt';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { createAlertEngine } from '../../../src/alerts/alert-engine.js';
import { alertFingerprint } from '../../../src/alerts/targets.js';
import type { AlertState, AlertTarget, HistoryReader } from '../../../src/model/alert.js';
import type { Snapshot } from '../../../src/model/snapshot.js';
import { type Config, configSchema } from '../../../src/config/schema.js';
import type { Finding } from '../../../src/model/finding.js';
import { createLogger, type Logger } from '../../../src/log/logger.js';
import type { BotServices } from '../../../src/slack/bot-services.js';
import { type BotIdentity, createSlackApp } from '../../../src/slack/create-app.js';
import { createSilenceNotes } from '../../../src/alerts/silence-notes.js';
import { createUsergroupLookup } from '../../../src/slack/usergroup-lookup.js';
import { saveAlertRound } from '../../../src/store/alert-state.js';
import { closeDatabase, type Database, openDatabase } from '../../../src/store/database.js';
import { makeTempDir } from '../store/make-snapshot.js';

export const T0 = Date.parse('2025-10-27T09:00:00.000Z');
export const API_URL = 'https://slack.test/api/';
export const HOOKS = 'https://hooks.slack.test';
export const RESPONSE_PATH = '/commands/T0MEMWARD/1234/abcdef';
export const RESPONSE_URL = `${HOOKS}${RESPONSE_PATH}`;
export const BOT_TOKEN = 'xoxb-0000-test-token';
/** The bot as checkSlackSetup's auth.test finds it; the payloads below come from its workspace. */
export const BOT_IDENTITY: BotIdentity = { botId: 'B0MEMWARD', botUserId: 'U0MEMWARD', teamId: 'T0MEMWARD', enterpriseId: null };

export function testConfig(slack: Record<string, unknown> = {}): Config {
  return configSchema.parse({
    slack: { botToken: BOT_TOKEN, appToken: 'xapp-1-test', apiUrl: API_URL, channels: { default: 'C0MEMWARD' }, ...slack },
  });
}

/** A JSON logger whose lines a test can read. */
export function captureLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: 'debug',
    format: 'json',
    isTty: false,
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  return { logger, lines };
}

/** bolt-js's FakeReceiver: init() hands it the app; send() is what a socket or an HTTP request would do. */
export class FakeReceiver implements Receiver {
  private app: App | undefined;
  init(app: App): void {
    this.app = app;
  }
  start(): Promise<void> {
    return Promise.resolve();
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
  /** Starts processing one event: `acks` fills as ack() is called, `done` settles when the listeners have. */
  dispatch(body: Record<string, unknown>): { acks: unknown[]; done: Promise<void> } {
    if (!this.app) throw new Error('FakeReceiver: not initialised by an App');
    const acks: unknown[] = [];
    const event: ReceiverEvent = {
      body,
      ack: async (response?: unknown) => {
        acks.push(response);
      },
    };
    return { acks, done: this.app.processEvent(event) };
  }

  /** Processes one event to the end (listeners included); returns the arguments of each ack(). */
  async send(body: Record<string, unknown>): Promise<unknown[]> {
    const { acks, done } = this.dispatch(body);
    await done;
    return acks;
  }
}

export interface TestServices extends BotServices {
  /** Names of the service functions called, in order. */
  calls: string[];
  db: Database;
  close: () => void;
}

export interface ServiceOptions {
  snapshot?: Snapshot;
  findings?: Finding[];
  history?: HistoryReader;
  takeSnapshot?: () => Promise<Snapshot>;
  now?: number;
  config?: Config;
}

/** BotServices over a real alert engine (SQLite in a temp dir) and fake snapshots. */
export function makeServices(options: ServiceOptions = {}): TestServices {
  const temp = makeTempDir();
  const db = openDatabase(join(temp.dir, 'memwarden.db'));
  const now = options.now ?? T0;
  const config = options.config ?? testConfig();
  const calls: string[] = [];
  const engine = createAlertEngine({ db, rules: [], clock: () => now });
  const record =
    <A extends unknown[], R>(label: string, fn: (...args: A) => R) =>
    (...args: A): R => {
      calls.push(label);
      return fn(...args);
    };
  return {
    config,
    clock: record('clock', () => now),
    latestSnapshot: record('latestSnapshot', () => options.snapshot ?? null),
    takeSnapshot: record(
      'takeSnapshot',
      options.takeSnapshot ??
        (async () => {
          if (!options.snapshot) throw new Error('no snapshot in this test');
          return options.snapshot;
        }),
    ),
    history: record('history', options.history ?? (() => [])),
    // Slack's usergroups.list itself (nock), as run-bot wires it: asked only when the silence policy lists groups.
    groupsOf: record('groupsOf', createUsergroupLookup({ token: BOT_TOKEN, slackApiUrl: API_URL })),
    silenceNotes: createSilenceNotes({ db, config, alerts: engine, clock: () => now }),
    diagnose: record('diagnose', () => options.findings ?? []),
    alerts: {
      evaluate: record('alerts.evaluate', engine.evaluate),
      addSilence: record('alerts.addSilence', engine.addSilence),
      removeSilence: record('alerts.removeSilence', engine.removeSilence),
      listSilences: record('alerts.listSilences', engine.listSilences),
      activeAlerts: record('alerts.activeAlerts', engine.activeAlerts),
    },
    calls,
    db,
    close: () => {
      closeDatabase(db);
      temp.remove();
    },
  };
}

export function containerTarget(name: string): AlertTarget {
  return { kind: 'container', name, containerId: `${name}-id`, containerName: name, labels: {} };
}

/** A stored alert (as the engine would have saved it), firing unless told otherwise. */
export function seedAlert(db: Database, overrides: Partial<AlertState> & { ruleId: string; target: AlertTarget }): AlertState {
  const state: AlertState = {
    fingerprint: alertFingerprint(overrides.ruleId, overrides.target),
    kind: 'container-limit-percent',
    status: 'firing',
    severity: 'critical',
    value: 96.5,
    threshold: 95,
    unit: 'percent',
    since: T0 - 10 * 60_000,
    startedAt: T0 - 12 * 60_000,
    firingSince: T0 - 10 * 60_000,
    clearedAt: null,
    reportedValue: 96.5,
    lastNotifiedAt: T0 - 10 * 60_000,
    firingNotified: true,
    evidence: { limitBytes: 2 * 1024 ** 3 },
    updatedAt: T0 - 60_000,
    ...overrides,
  };
  saveAlertRound(db, { upserts: [state], deletes: [], transitions: [] });
  return state;
}

export interface TestApp {
  app: App;
  receiver: FakeReceiver;
  services: TestServices;
  lines: Record<string, unknown>[];
}

export function buildTestApp(options: ServiceOptions = {}): TestApp {
  const services = makeServices(options);
  const { logger, lines } = captureLogger();
  const receiver = new FakeReceiver();
  const app = createSlackApp({ config: services.config, logger, services, identity: BOT_IDENTITY, receiver });
  return { app, receiver, services, lines };
}

export function slashCommand(text: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    token: 'verification-token-unused',
    team_id: 'T0MEMWARD',
    team_domain: 'acme',
    channel_id: 'C0MEMWARD',
    channel_name: 'ops',
    user_id: 'U0ALICE01',
    user_name: 'alice',
    command: '/mem',
    text,
    api_app_id: 'A0MEMWARD',
    is_enterprise_install: 'false',
    response_url: RESPONSE_URL,
    trigger_id: '1234.5678.abcdef',
    ...overrides,
  };
}

export function buttonClick(actionId: string, value: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'block_actions',
    user: { id: 'U0BOB0001', username: 'bob', name: 'bob', team_id: 'T0MEMWARD' },
    api_app_id: 'A0MEMWARD',
    token: 'verification-token-unused',
    container: { type: 'message', message_ts: '1761555600.000100', channel_id: 'C0MEMWARD', is_ephemeral: false },
    trigger_id: '1234.5678.abcdef',
    team: { id: 'T0MEMWARD', domain: 'acme' },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: 'C0MEMWARD', name: 'ops' },
    message: { type: 'message', ts: '1761555600.000100', text: 'alert' },
    response_url: RESPONSE_URL,
    actions: [
      {
        type: 'button',
        action_id: actionId,
        block_id: 'alert_actions',
        text: { type: 'plain_text', text: 'Silence 1h' },
        value,
        action_ts: '1761555660.000200',
      },
    ],
    ...overrides,
  };
}

/** The next POST to the response_url: resolves with its JSON body. */
export function expectRespond(status = 200): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    nock(HOOKS)
      .post(RESPONSE_PATH)
      .reply(status, (_uri, body) => {
        resolve(body as Record<string, unknown>);
        return 'ok';
      });
  });
}

/**
 * nock for the whole file: no real network, every mock used, no request without a mock. Call
 * at the top of a test file.
 */
export function useNock(): void {
  const unmatched: string[] = [];
  const onNoMatch = (req: { method?: string; href?: string; path?: string }) => unmatched.push(`${req.method ?? '?'} ${req.href ?? req.path ?? '?'}`);
  beforeAll(() => {
    nock.disableNetConnect();
    nock.emitter.on('no match', onNoMatch);
  });
  afterEach(() => {
    const pending = nock.pendingMocks();
    const stray = unmatched.splice(0);
    nock.cleanAll();
    expect(pending, 'nock mocks that were never called').toEqual([]);
    expect(stray, 'requests without a nock mock').toEqual([]);
  });
  afterAll(() => {
    nock.emitter.off('no match', onNoMatch);
    nock.enableNetConnect();
  });
}
