// memwarden run's start-up in Slack mode: a bad token or an unreachable channel stops it with a
// clear message and exit code 2, before any polling starts. Slack is nock.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { runBot } from '../../src/run-bot.js';
import { insertSilence, saveAlertRound } from '../../src/store/alert-state.js';
import { lockDataDir } from '../../src/store/data-dir-lock.js';
import { closeDatabase, openDatabase } from '../../src/store/database.js';
import { enqueueOutbox, markOutboxSent } from '../../src/store/outbox.js';
import { createRequest, recordDecision } from '../../src/store/remediation.js';
import { transition } from './slack/delivery/helpers.js';
import { API_URL, BOT_TOKEN, captureLogger, testConfig, useNock } from './slack/bolt-test-kit.js';
import { makeTempDir } from './store/make-snapshot.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
}

/** A start that must stop before polling: its exit code and what it printed to stderr. */
async function startUp(slack: Parameters<typeof testConfig>[0] = {}): Promise<{ code: number; err: string[] }> {
  const dir = makeTempDir();
  const c = io();
  try {
    const code = await runBot({
      config: { ...testConfig(slack), dataDir: dir.dir },
      configFile: null,
      logger: captureLogger().logger,
      docker: new Dockerode({ socketPath: '/nonexistent.sock' }),
      io: c.io,
      version: 'test',
      stopSignal: new Promise(() => {}),
    });
    return { code, err: c.err };
  } finally {
    dir.remove();
  }
}

describe('runBot start-up checks', () => {
  useNock();

  it('refuses a revoked token with a clear message and exit 2', async () => {
    nock(API_URL).post('/auth.test').reply(200, { ok: false, error: 'invalid_auth' });
    const { code, err } = await startUp();
    expect(code).toBe(2);
    expect(err.join('\n')).toContain('SLACK_BOT_TOKEN is invalid or revoked (invalid_auth)');
    expect(err.join('\n')).not.toContain(BOT_TOKEN);
  });

  it('refuses a bot token with neither an app token nor a signing secret: exit 2, one sentence, before calling Slack', async () => {
    // No nock mock: with net connect disabled, any call to Slack would fail the test.
    const { code, err } = await startUp({ appToken: undefined });
    expect(code).toBe(2);
    expect(err).toEqual([expect.stringMatching(/^memwarden: Slack fatal: SLACK_BOT_TOKEN is set but neither SLACK_APP_TOKEN \(Socket Mode\) nor SLACK_SIGNING_SECRET/)]);
  });
});

describe('runBot on a data directory another memwarden run holds', () => {
  it('exits 2 with one sentence naming the holder\'s pid, and opens nothing', async () => {
    const dir = makeTempDir();
    const held = lockDataDir(dir.dir, { pid: 31337, hostname: 'other-box', startedAt: '2026-12-04T10:00:00.000Z' });
    try {
      const c = io();
      const code = await runBot({
        config: configSchema.parse({ dataDir: dir.dir }),
        configFile: null,
        logger: captureLogger().logger,
        docker: new Dockerode({ socketPath: '/nonexistent.sock' }),
        io: c.io,
        version: 'test',
        stopSignal: new Promise(() => {}),
      });
      expect(code).toBe(2);
      expect(c.err).toEqual([
        `memwarden: another memwarden run (pid 31337 on other-box, since 2026-12-04T10:00:00.000Z) holds the data directory ${dir.dir}: only one may use it. Stop that one first, or give this one its own dataDir (data_dir_locked)`,
      ]);
      expect(existsSync(join(dir.dir, 'memwarden.db'))).toBe(false);
    } finally {
      held.release();
      dir.remove();
    }
  });
});

describe('runBot retention', () => {
  it('prunes the outbox and the alert history as it runs (they grew for ever): what is past its limit goes, the rest and the audit log stay', async () => {
    const dir = makeTempDir();
    const now = Date.now();
    const old = now - 100 * DAY;
    const recent = now - HOUR;
    const db = openDatabase(join(dir.dir, 'memwarden.db'));
    for (const at of [old, recent]) {
      const id = enqueueOutbox(db, { orderingKey: `k${at}`, messageKey: null, op: 'post', channel: 'C1', payload: { message: { text: 'x', blocks: [] } } }, at);
      markOutboxSent(db, id, '1.1', at);
      saveAlertRound(db, { upserts: [], deletes: [], transitions: [transition({ at, startedAt: at, fingerprint: `f${at}` })] });
      insertSilence(db, { ruleId: 'host-memory-used', target: null, until: at + MINUTE, createdBy: 'U1', reason: 'deploy' }, at - MINUTE);
      const request = createRequest(db, { runbookId: 'r', runbookSha256: 's', target: { containerId: 'c', name: 'w' }, params: {}, requestedBy: 'U1', origin: 'command', dryRun: false, requiredApprovals: 1 }, at);
      recordDecision(db, request.id, 'U2', 'reject', at + 1);
    }
    closeDatabase(db);

    const stop = await runOnePoll(dir.dir);
    expect(await stop()).toBe(0);

    const after = openDatabase(join(dir.dir, 'memwarden.db'));
    try {
      const times = (sql: string) => (after.prepare(sql).all() as { t: number }[]).map((row) => row.t);
      expect(times('SELECT updated_at AS t FROM outbox')).toEqual([recent]);
      expect(times('SELECT at AS t FROM alert_transitions')).toEqual([recent]);
      expect(times('SELECT until AS t FROM alert_silences')).toEqual([recent + MINUTE]);
      expect(times('SELECT requested_at AS t FROM remediation_requests')).toEqual([recent]);
      // The audit log is append-only: both requests' entries stay after the old request is gone.
      expect(times('SELECT at AS t FROM audit_log ORDER BY id')).toEqual([old, old + 1, recent, recent + 1]);
    } finally {
      closeDatabase(after);
      dir.remove();
    }
  });
});

/** runBot in console mode until its first poll is recorded; returns how to stop it (its exit code). */
async function runOnePoll(dataDir: string): Promise<() => Promise<number>> {
  let stop!: (signal: string) => void;
  const stopSignal = new Promise<string>((resolve) => (stop = resolve));
  const capture = captureLogger();
  const config = configSchema.parse({ dataDir, poll: { interval: '1h', processes: false }, digest: { enabled: false }, ops: { port: 0 } });
  const running = runBot({ config, configFile: null, logger: capture.logger, docker: new Dockerode({ socketPath: '/nonexistent.sock' }), io: io().io, version: 'test', stopSignal });
  await expect.poll(() => capture.lines.find((line) => line.msg === 'Poll finished' || line.msg === 'Poll failed')?.msg, { timeout: 20_000 }).toBe('Poll finished');
  return () => {
    stop('SIGTERM');
    return running;
  };
}

describe('runBot in console mode', () => {
  it('prints an alert as the Slack message it would post, then stops cleanly on the signal', async () => {
    const dir = makeTempDir();
    const c = io();
    let stop!: (signal: string) => void;
    const stopSignal = new Promise<string>((resolve) => (stop = resolve));
    const config = configSchema.parse({
      dataDir: dir.dir,
      poll: { interval: '1s', processes: false },
      alerts: { rules: { 'host-memory-used': { warning: 1, critical: 100, for: '0s' } } },
    });
    const running = runBot({ config, configFile: null, logger: captureLogger().logger, docker: new Dockerode({ socketPath: '/nonexistent.sock' }), io: c.io, version: 'test', stopSignal });
    const deadline = Date.now() + 20_000;
    while (!c.out.some((line) => line.includes('FIRING')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    stop('SIGTERM');
    expect(await running).toBe(0);
    const printed = c.out.join('\n');
    expect(printed).toContain('console mode (no SLACK_BOT_TOKEN)');
    expect(printed).toMatch(/── console \(console-1\) ──\n🔴|── console \(console-1\) ──\n🟠/);
    expect(printed).toContain('of RAM used, above 1.0%');
    dir.remove();
  });
});
