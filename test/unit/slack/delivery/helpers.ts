// Shared by the alert delivery tests (renderers, outbox, dispatcher, sinks, notifier): real
// SQLite files in temp dirs, a fake clock whose sleep advances it (no wall time), a pino logger
// whose lines the test can read, alert fixtures, and nock on the Web API where every mock must
// be used and every request must have one.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nock from 'nock';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import type { AlertTarget, AlertTransition } from '../../../../src/model/alert.js';
import type { Config } from '../../../../src/config/schema.js';
import type { Finding } from '../../../../src/model/finding.js';
import type { Logger } from '../../../../src/log/logger.js';
import { closeDatabase, type Database, openDatabase } from '../../../../src/store/database.js';

export const T0 = Date.parse('2025-10-27T09:00:00.000Z');
export const MINUTE = 60_000;
export const GiB = 1024 ** 3;
export const MiB = 1024 ** 2;

export const SLACK_API_URL = 'https://slack.test/api/';
export const SLACK_ORIGIN = 'https://slack.test';
export const BOT_TOKEN = 'xoxb-test-token';

export interface TempDb {
  file: string;
  db: Database;
  /** Closes the database and opens the same file again (a restart). */
  reopen(): Database;
  cleanup(): void;
}

export function tempDb(): TempDb {
  const dir = mkdtempSync(join(tmpdir(), 'mw-slack-'));
  const file = join(dir, 'memwarden.db');
  const handle: TempDb = {
    file,
    db: openDatabase(file),
    reopen() {
      closeDatabase(handle.db);
      handle.db = openDatabase(file);
      return handle.db;
    },
    cleanup() {
      if (handle.db.open) closeDatabase(handle.db);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return handle;
}

export interface FakeClock {
  now: number;
  clock: () => number;
  /** Advances the clock instead of waiting. */
  sleep: (ms: number) => Promise<void>;
  sleeps: number[];
  advance(ms: number): void;
}

export function fakeClock(start = T0): FakeClock {
  const fake: FakeClock = {
    now: start,
    clock: () => fake.now,
    sleeps: [],
    sleep: (ms) => {
      fake.sleeps.push(ms);
      fake.now += ms;
      return Promise.resolve();
    },
    advance(ms) {
      fake.now += ms;
    },
  };
  return fake;
}

export interface LogEntry {
  level: number;
  msg: string;
  [key: string]: unknown;
}

const LEVELS = { debug: 20, info: 30, warn: 40, error: 50 } as const;

export interface CapturedLog {
  logger: Logger;
  entries: LogEntry[];
  at(level: keyof typeof LEVELS): LogEntry[];
}

export function captureLog(): CapturedLog {
  const entries: LogEntry[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void entries.push(JSON.parse(line) as LogEntry) });
  return { logger, entries, at: (level) => entries.filter((entry) => entry.level === LEVELS[level]) };
}

export function slackConfig(slack: Partial<Config['slack']> = {}): Pick<Config, 'slack'> {
  return {
    slack: {
      port: 3000,
      admins: [],
      silence: { users: [], groups: [], maxDuration: 24 * 3_600_000 },
      channels: { default: '#ops-memory', critical: '#ops-critical' },
      criticalMention: 'S0ONCALL1',
      ...slack,
    },
  };
}

export function container(name: string): AlertTarget {
  return { kind: 'container', name, containerId: `${name}-id`, containerName: name, labels: {} };
}

export const WORKER = container('bizcard-celery-worker');

/** A transition as the state machine emits it, by hand, for renderers and the notifier. */
export function transition(overrides: Partial<AlertTransition> = {}): AlertTransition {
  return {
    event: 'firing',
    fingerprint: '0123456789abcdef',
    ruleId: 'container-near-limit',
    kind: 'container-limit-percent',
    target: WORKER,
    from: 'pending',
    to: 'firing',
    severity: 'warning',
    previousSeverity: null,
    value: 88.4,
    threshold: 85,
    unit: 'percent',
    startedAt: T0,
    at: T0 + 5 * MINUTE,
    silenced: false,
    reason: null,
    summary: 'bizcard-celery-worker uses 88.4% of its 3 GiB memory limit, above 85.0% for 1m',
    evidence: { usageBytes: 2.65 * GiB, limitBytes: 3 * GiB, percent: 88.4 },
    ...overrides,
  };
}

/** The OOM kill of a Celery pool child, as evaluate.ts reports it. */
export function oomTransition(overrides: Partial<AlertTransition> = {}): AlertTransition {
  return transition({
    fingerprint: 'fedcba9876543210',
    ruleId: 'oom-kill',
    kind: 'oom-kill',
    event: 'firing',
    from: 'inactive',
    to: 'firing',
    severity: 'critical',
    value: 1,
    threshold: 1,
    unit: 'count',
    startedAt: T0 + 2 * MINUTE,
    at: T0 + 2 * MINUTE,
    summary: 'OOM kill in bizcard-celery-worker (Celery worker celery@bizcard-worker-1): 1 process killed',
    evidence: {
      newKills: 1,
      dockerEvents: 1,
      counterIncrease: 1,
      oomKillCount: 3,
      celeryWorkers: 'celery@bizcard-worker-1',
      signals: 'docker oom event, cgroup oom_kill counter',
      attribution: 'measured',
      victim: 'pid 4242 (celery), 1.21 GiB RSS',
      totalKills: 1,
    },
    ...overrides,
  });
}

export function oomFindings(): Finding[] {
  return [
    {
      code: 'prefork-concurrency',
      severity: 'warning',
      target: { kind: 'group', name: 'celery@bizcard-worker-1' },
      summary: 'celery@bizcard-worker-1 runs 8 pool children of ~310 MiB each in a 3 GiB container: 4 fit',
      evidence: { children: 8, perChildPssBytes: 310 * MiB, containerLimitBytes: 3 * GiB, fittingChildren: 4 },
      recommendations: [
        {
          title: 'Lower the Celery concurrency of celery@bizcard-worker-1 to 4',
          priority: 'urgent',
          estimatedSavingsBytes: 1240 * MiB,
          runbook: 'lower-celery-concurrency',
          params: { concurrency: 4 },
          steps: ['Set --concurrency=4 in the worker command (docker-compose.yml) so it survives a restart'],
          detail: 'Each child holds its own copy of what its tasks load; 4 children fit the limit with 20% headroom.',
        },
      ],
    },
    {
      code: 'oom-kill',
      severity: 'critical',
      target: { kind: 'container', name: 'bizcard-celery-worker' },
      summary: '3 processes in bizcard-celery-worker killed by the OOM killer since it started (1 since the last poll)',
      evidence: { oomKills: 3, recentOomEvents: 1, lastOomAt: '2025-10-27T09:01:58.000Z', usageBytes: 2.9 * GiB, limitBytes: 3 * GiB, limitHits: 41, restarts: 0 },
      recommendations: [
        {
          title: 'Size the pool of celery@bizcard-worker-1 to the memory it has',
          priority: 'urgent',
          estimatedSavingsBytes: null,
          runbook: null,
          detail: 'Each pool child holds its own copy of what its tasks load: see the prefork-concurrency finding for the concurrency that fits and its measured saving.',
        },
        {
          title: 'Raise the memory limit of bizcard-celery-worker to 4 GiB',
          priority: 'high',
          estimatedSavingsBytes: null,
          runbook: 'set-memory-limit',
          params: { limit: 4 * GiB },
          detail: 'It was killed at its limit of 3 GiB (7-day peak 2.98 GiB). A higher limit frees nothing: it lets the container use more of the host.',
        },
      ],
    },
  ];
}

export function nearLimitFindings(): Finding[] {
  return [
    {
      code: 'container-near-limit',
      severity: 'warning',
      target: { kind: 'container', name: 'bizcard-celery-worker' },
      summary: 'bizcard-celery-worker uses 2.65 GiB of its 3 GiB limit (88.4%); its 7-day peak was 2.9 GiB',
      evidence: { usageBytes: 2.65 * GiB, limitBytes: 3 * GiB, weekPeakBytes: 2.9 * GiB },
      recommendations: [
        {
          title: 'Raise the memory limit of bizcard-celery-worker to 4 GiB',
          priority: 'high',
          estimatedSavingsBytes: null,
          runbook: 'set-memory-limit',
          params: { limit: 4 * GiB },
          steps: ['docker update --memory 4g --memory-swap 4g bizcard-celery-worker', 'Set mem_limit: 4g in docker-compose.yml'],
          detail: 'The 7-day peak leaves less than 5% headroom under the current limit.',
        },
      ],
    },
  ];
}

/** One Web API call as Slack received it: the method and the form body, blocks parsed. */
export interface SlackCall {
  method: string;
  body: Record<string, unknown>;
}

/**
 * nock for the Web API at SLACK_API_URL: no real network, every request recorded, and after
 * each test every mock must have been used and no request may have gone unmatched.
 */
export function useSlackNock(): { calls: SlackCall[]; unmatched: string[] } {
  const state = { calls: [] as SlackCall[], unmatched: [] as string[] };
  const onNoMatch = (req: { method?: string; path?: string; href?: string }) => {
    state.unmatched.push(`${req.method ?? '?'} ${req.href ?? req.path ?? '?'}`);
  };
  beforeAll(() => {
    nock.disableNetConnect();
    nock.emitter.on('no match', onNoMatch);
  });
  afterAll(() => {
    nock.emitter.removeListener('no match', onNoMatch);
    nock.enableNetConnect();
  });
  beforeEach(() => {
    state.calls.length = 0;
    state.unmatched.length = 0;
  });
  afterEach(() => {
    const pending = nock.pendingMocks();
    const unmatched = [...state.unmatched];
    nock.cleanAll();
    expect(pending, 'every nock mock must be used').toEqual([]);
    expect(unmatched, 'every request must match a mock').toEqual([]);
  });
  return state;
}

/** Parses a form-encoded Web API body as the client sent it; `blocks` JSON-decoded. */
export function parseSlackBody(body: unknown): Record<string, unknown> {
  const record: Record<string, unknown> =
    typeof body === 'string' ? Object.fromEntries(new URLSearchParams(body)) : { ...(body as Record<string, unknown>) };
  if (typeof record.blocks === 'string') record.blocks = JSON.parse(record.blocks) as unknown;
  return record;
}

export interface SlackReply {
  status?: number;
  body?: Record<string, unknown>;
  headers?: Record<string, string>;
}

/**
 * Expects one call of `method` and answers with `reply` (default: ok, with ts and channel for
 * posts). Records the call in `calls`. Checks the bot token is sent as a Bearer header.
 */
export function expectSlackCall(calls: SlackCall[], method: 'chat.postMessage' | 'chat.update', reply: SlackReply = {}): nock.Scope {
  return nock(SLACK_ORIGIN, { reqheaders: { authorization: `Bearer ${BOT_TOKEN}` } })
    .post(`/api/${method}`, (body: unknown) => {
      calls.push({ method, body: parseSlackBody(body) });
      return true;
    })
    .reply(reply.status ?? 200, reply.body ?? { ok: true }, { 'content-type': 'application/json', ...(reply.headers ?? {}) });
}
