// memwarden run as a real process: /metrics and /healthz against the real Docker engine, and
// SIGTERM in the middle of a poll and in the middle of an approved remediation. Only Slack is
// fake (nock, preloaded into the child: fixtures/fake-slack-preload.ts).
import { createHmac } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, expect, it } from 'vitest';
import { type BotProcess, holdingDockerProxy, runCli, scratchEngine, type SmallDisk, smallDisk, spawnBot, waitForHealth } from './bot-process.js';
import { FAKE_SLACK_API, FAKE_SLACK_HOOKS } from './fixtures/fake-slack-preload-urls.js';
import { describeWithEnv, docker, freePort, startBusybox, startCeleryWorker, TMP_CONTAINER_PREFIX, uniqueName, useTestEnv, waitUntil } from './test-env.js';

const REPO = resolve(import.meta.dirname, '../..');
const PRELOAD = join(REPO, 'test/integration/fixtures/fake-slack-preload.ts');
const SIGNING_SECRET = 'ops-test-signing-secret-0123456789';
const APPROVER = 'U0APPROVER';
const REQUESTER = 'U0REQUEST1';
const CHANNEL = 'C0MEMWARD';

describeWithEnv('memwarden run: /metrics, /healthz and shutdown', () => {
  const dirs: string[] = [];
  const bots: BotProcess[] = [];
  const tempDir = (prefix: string) => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };
  const start = async (options: Parameters<typeof spawnBot>[0]) => {
    const bot = await spawnBot(options);
    bots.push(bot);
    return bot;
  };
  afterEach(async () => {
    for (const bot of bots.splice(0)) {
      if (bot.child.exitCode === null && bot.child.signalCode === null) {
        bot.child.kill('SIGKILL');
        await bot.exited;
      }
    }
  });
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('/metrics carries the test environment containers with the figure docker stats shows', async () => {
    const env = useTestEnv();
    const bot = await start({ env: { MEMWARDEN_DATA_DIR: tempDir('mw-ops-'), MEMWARDEN_POLL_INTERVAL: '1s' } });
    await waitForHealth(bot, 200);
    const res = await fetch(`${bot.opsUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const series = (name: string, label: string) =>
      text
        .split('\n')
        .filter((line) => line.startsWith(`${name}{`) && line.includes(label))
        .map((line) => Number(line.slice(line.lastIndexOf(' ') + 1)));

    const [ours] = series('memwarden_container_memory_usage_bytes', `container="${env.MW_TEST_BUSY_CONTAINER}"`);
    expect(ours, text.slice(0, 3000)).toBeGreaterThan(0);
    // docker stats prints MiB with two decimals; the busybox container's memory is steady.
    const stats = docker(['stats', '--no-stream', '--format', '{{.MemUsage}}', env.MW_TEST_BUSY_CONTAINER]);
    const statsBytes = parseDockerSize(stats.split('/')[0]?.trim() ?? '');
    expect(Math.abs((ours ?? 0) - statsBytes) / statsBytes).toBeLessThan(0.02);
    expect(series('memwarden_container_memory_usage_bytes', `container="${env.MW_TEST_CELERY_CONTAINER}"`)[0]).toBeGreaterThan(0);
    expect(text).toMatch(/^memwarden_docker_up 1$/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(text).toMatch(/^memwarden_poll_duration_seconds_count [1-9]\d*$/m);
    expect(text).toMatch(/^memwarden_host_memory_total_bytes [1-9]\d*$/m);
  });

  it('/healthz turns 503 when Docker stops and 200 again when it is back', async () => {
    const engine = scratchEngine(tempDir('mw-engine-'));
    try {
      await engine.start();
      const bot = await start({ env: { MEMWARDEN_DATA_DIR: tempDir('mw-ops-'), MEMWARDEN_POLL_INTERVAL: '1s', DOCKER_HOST: `unix://${engine.socket}` } });
      const healthy = await waitForHealth(bot, 200);
      expect(healthy.checks.docker).toEqual({ ok: true, detail: 'reachable' });
      expect(healthy.checks.slack.mode).toBe('console');

      await engine.stop();
      const down = await waitForHealth(bot, 503);
      expect(down.status).toBe('unhealthy');
      expect(down.checks.docker.ok).toBe(false);
      expect(down.checks.docker.detail).toMatch(/^unreachable: /);
      // Polling goes on (the host is still measured): only Docker is down.
      expect(down.checks.poll.ok).toBe(true);

      await engine.start();
      const back = await waitForHealth(bot, 200);
      expect(back.checks.docker.ok).toBe(true);
    } finally {
      await engine.remove();
    }
  });

  it('SIGTERM during a poll: the poll finishes and is recorded, then memwarden exits 0 within its grace period', async () => {
    const dataDir = tempDir('mw-ops-');
    const proxy = await holdingDockerProxy(join(tempDir('mw-proxy-'), 'docker.sock'));
    try {
      const bot = await start({ env: { MEMWARDEN_DATA_DIR: dataDir, MEMWARDEN_POLL_INTERVAL: '1s', DOCKER_HOST: `unix://${proxy.socket}` } });
      await waitForHealth(bot, 200);
      // The next poll's container list is held at the proxy: the poll is in flight.
      await proxy.holdNext(/^GET \/(v[\d.]+\/)?containers\/json/);
      const signalledAt = Date.now();
      bot.child.kill('SIGTERM');
      await waitUntil('memwarden to log Stopping', () => (bot.logs('Stopping').length > 0 ? true : undefined));
      setTimeout(() => proxy.release(), 1_500);
      const exit = await bot.exited;
      expect(exit.code, bot.output().slice(-3000)).toBe(0);
      // Within the default grace (8 s) with room to spare: Docker SIGKILLs at 10 s.
      expect(exit.at - signalledAt).toBeLessThan(8_000);

      const finished = bot.logs('Poll finished');
      const stopping = bot.logs('Stopping')[0];
      const last = finished.at(-1);
      // The held poll finished after the signal, and nothing failed on the way out.
      expect(Number(last?.time)).toBeGreaterThan(Number(stopping?.time));
      expect(bot.logs('Poll failed')).toEqual([]);
      expect(bot.logs('Stopped')).toHaveLength(1);
      // Every finished poll, the held one included, is in the history: nothing lost.
      const db = new Database(join(dataDir, 'memwarden.db'), { readonly: true });
      try {
        const { n } = db.prepare('SELECT count(*) AS n FROM host_samples').get() as { n: number };
        expect(n).toBe(finished.length);
      } finally {
        db.close();
      }
    } finally {
      proxy.release();
      await proxy.close();
    }
  });

  /** A Celery worker memwarden may restart, and a `memwarden run` in Slack HTTP mode with the shipped runbooks enabled. */
  async function remediationSetup(name: string) {
    const worker = await startCeleryWorker(uniqueName(name), { concurrency: 1, labels: { 'com.memwarden.remediate': 'true' } });
    const runbookDir = tempDir('mw-runbooks-');
    for (const file of readdirSync(join(REPO, 'commands')).filter((f) => f.endsWith('.yml'))) {
      const text = readFileSync(join(REPO, 'commands', file), 'utf8')
        .replace(/^enabled: false/m, 'enabled: true')
        .replace(/users: \[\]/, `users: [${APPROVER}]`);
      writeFileSync(join(runbookDir, file), text);
    }
    const dataDir = tempDir('mw-ops-');
    const slackLog = join(dataDir, 'slack.jsonl');
    writeFileSync(slackLog, '');
    const configFile = join(dataDir, 'memwarden.yml');
    writeFileSync(configFile, `remediation:\n  runbooksDir: ${runbookDir}\nops:\n  shutdownGrace: 9s\ndigest:\n  enabled: false\n`);
    const slackCalls = () =>
      readFileSync(slackLog, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { at: number; method: string; body: Record<string, unknown>; ts?: string });
    const dbRows = <T>(sql: string): T[] => {
      const db = new Database(join(dataDir, 'memwarden.db'), { readonly: true });
      try {
        return db.prepare(sql).all() as T[];
      } finally {
        db.close();
      }
    };

    /** Starts the bot; `post` sends a request signed as Slack signs it to its HTTP receiver. */
    const startBot = async (env: Record<string, string> = {}) => {
      const slackPort = await freePort();
      const bot = await start({
        preload: PRELOAD,
        args: ['--config', configFile],
        env: {
          MEMWARDEN_DATA_DIR: dataDir,
          MEMWARDEN_POLL_INTERVAL: '2s',
          SLACK_BOT_TOKEN: 'xoxb-0000-ops-test',
          SLACK_SIGNING_SECRET: SIGNING_SECRET,
          SLACK_API_URL: `${FAKE_SLACK_API}/api/`,
          SLACK_CHANNEL: CHANNEL,
          PORT: String(slackPort),
          MW_FAKE_SLACK_LOG: slackLog,
          ...env,
        },
      });
      const post = async (body: string) => {
        const timestamp = Math.floor(Date.now() / 1000);
        const signature = createHmac('sha256', SIGNING_SECRET).update(`v0:${timestamp}:${body}`).digest('hex');
        const res = await fetch(`http://127.0.0.1:${slackPort}/slack/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': `v0=${signature}` },
          body,
        });
        await res.text();
        return res.status;
      };
      return { bot, post };
    };

    /** /mem run restart-celery-worker, then the approver's click on Approve; returns the approval message. */
    const requestAndApproveRestart = async (post: (body: string) => Promise<number>) => {
      const responseUrl = `${FAKE_SLACK_HOOKS}/actions/T0MEMWARD/1/ops`;
      expect(
        await post(
          new URLSearchParams({ team_id: 'T0MEMWARD', channel_id: CHANNEL, user_id: REQUESTER, user_name: 'req', command: '/mem', text: `run restart-celery-worker ${worker.container} grace=5s`, response_url: responseUrl, trigger_id: '1.2.3', api_app_id: 'A0MEMWARD' }).toString(),
        ),
      ).toBe(200);
      const approval = await waitUntil('the approval message', () =>
        slackCalls().find((c) => c.method === 'chat.postMessage' && c.body.thread_ts === undefined && JSON.stringify(c.body.blocks ?? []).includes('restart-celery-worker')),
      );
      const approve = (approval.body.blocks as { type: string; elements?: { action_id?: string; value?: string }[] }[])
        .find((b) => b.type === 'actions')
        ?.elements?.find((e) => /approve/i.test(e.action_id ?? ''));
      expect(approve?.value).toBeTruthy();
      const click = {
        type: 'block_actions',
        user: { id: APPROVER, username: 'approver', name: 'approver', team_id: 'T0MEMWARD' },
        api_app_id: 'A0MEMWARD',
        token: 'unused',
        container: { type: 'message', message_ts: approval.ts, channel_id: CHANNEL, is_ephemeral: false },
        trigger_id: '1.2.3',
        team: { id: 'T0MEMWARD', domain: 'acme' },
        channel: { id: CHANNEL, name: 'ops' },
        message: { type: 'message', ts: approval.ts, text: 'approval' },
        response_url: responseUrl,
        actions: [{ type: 'button', action_id: approve?.action_id, block_id: 'approval_actions', text: { type: 'plain_text', text: 'Approve' }, value: approve?.value, action_ts: '1764320000.000200' }],
      };
      expect(await post(new URLSearchParams({ payload: JSON.stringify(click) }).toString())).toBe(200);
      return approval;
    };
    const statusNow = () => dbRows<{ status: string }>('SELECT status FROM remediation_requests')[0]?.status;
    return { worker, dataDir, slackCalls, dbRows, startBot, requestAndApproveRestart, statusNow };
  }

  it('SIGTERM during an approved remediation: it finishes, its result reaches Slack, memwarden exits 0', async () => {
    let setup: Awaited<ReturnType<typeof remediationSetup>> | undefined;
    try {
      setup = await remediationSetup('sd');
      const { worker, slackCalls, dbRows, statusNow } = setup;
      const startedBefore = inspectStartedAt(worker.container);
      const { bot, post } = await setup.startBot();
      const health = await waitForHealth(bot, 200);
      expect(health.checks.slack).toMatchObject({ ok: true, mode: 'http' });
      const approval = await setup.requestAndApproveRestart(post);
      // The click was acknowledged; the restart is running now. Stop memwarden in the middle of it.
      await waitUntil('the remediation to be executing', () => (statusNow() === 'executing' ? true : undefined), { timeoutMs: 10_000, intervalMs: 25 });
      const signalledAt = Date.now();
      bot.child.kill('SIGTERM');
      const exit = await bot.exited;
      expect(exit.code, bot.output().slice(-4000)).toBe(0);
      expect(exit.at - signalledAt).toBeLessThan(9_000);

      // It ran, once: the container was restarted.
      const startedAfter = inspectStartedAt(worker.container);
      expect(startedAfter).not.toBe(startedBefore);
      // Its result was posted before exit: the approval message's thread has it.
      const replies = slackCalls().filter((c) => c.method === 'chat.postMessage' && c.body.thread_ts === approval.ts && c.at >= signalledAt);
      expect(replies.map((c) => String(c.body.text)).join('\n')).toMatch(new RegExp(`applied: restarted ${worker.container}`));
      expect(slackCalls().filter((c) => c.method === 'unmatched')).toEqual([]);
      // The store agrees, and nothing is left for the next start.
      expect(dbRows<{ status: string }>('SELECT status FROM remediation_requests').map((s) => s.status)).toEqual(['succeeded']);
      expect(dbRows<{ pending: number }>("SELECT count(*) AS pending FROM outbox WHERE status IN ('pending', 'sending')")[0]?.pending).toBe(0);
    } finally {
      setup?.worker.stop();
    }
  });

  it('a second memwarden run on the same data dir exits 2 naming the first one\'s pid, while the first one\'s remediation completes and is audited once', async () => {
    let setup: Awaited<ReturnType<typeof remediationSetup>> | undefined;
    const proxy = await holdingDockerProxy(join(tempDir('mw-proxy-'), 'docker.sock'));
    try {
      setup = await remediationSetup('lk');
      const { worker, dataDir, dbRows, statusNow } = setup;
      const startedBefore = inspectStartedAt(worker.container);
      // The first memwarden talks to Docker through the proxy, so its restart can be held mid-call.
      const first = await setup.startBot({ DOCKER_HOST: `unix://${proxy.socket}` });
      await waitForHealth(first.bot, 200);
      const held = proxy.holdNext(/^POST \/(v[\d.]+\/)?containers\/[^/]+\/restart/);
      await setup.requestAndApproveRestart(first.post);
      await held;
      expect(statusNow()).toBe('executing');

      // A hand-started `memwarden run` on the same data directory while the restart is in flight.
      const second = await start({ env: { MEMWARDEN_DATA_DIR: dataDir, MEMWARDEN_POLL_INTERVAL: '1s' } });
      const outcome = await Promise.race([
        second.exited.then((exit) => ({ exited: exit.code })),
        waitUntil('the second memwarden to poll', () => (second.logs('First snapshot taken').length > 0 ? { polling: true } : undefined)),
      ]);
      expect(outcome, second.output().slice(-3000)).toEqual({ exited: 2 });
      expect(second.output()).toContain(`pid ${String(first.bot.child.pid)}`);
      expect(statusNow()).toBe('executing');

      // The read-only commands keep working beside the running one.
      for (const args of [['audit', '--json'], ['status', '--json'], ['diagnose', '--json']]) {
        const result = await runCli(args, { MEMWARDEN_DATA_DIR: dataDir });
        expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
        expect(() => JSON.parse(result.stdout) as unknown).not.toThrow();
        if (args[0] === 'audit') expect(result.stdout).toContain('"executing"');
      }

      proxy.release();
      await waitUntil('the remediation to finish', () => (statusNow() === 'succeeded' ? true : undefined), { timeoutMs: 30_000, intervalMs: 100 });
      expect(inspectStartedAt(worker.container)).not.toBe(startedBefore);
      // Audited once: one execution, one success, nothing marked interrupted.
      expect(dbRows<{ action: string }>('SELECT action FROM audit_log ORDER BY id').map((r) => r.action)).toEqual(['requested', 'approved', 'executing', 'succeeded']);
      first.bot.child.kill('SIGTERM');
      expect((await first.bot.exited).code, first.bot.output().slice(-3000)).toBe(0);
    } finally {
      proxy.release();
      await proxy.close();
      setup?.worker.stop();
    }
  });

  /** memwarden run with fake Slack on a data dir of its own, alerting on one probe container only. */
  async function startOnSmallDisk(disk: SmallDisk, probePrefix: string) {
    const outside = tempDir('mw-full-');
    const slackLog = join(outside, 'slack.jsonl');
    writeFileSync(slackLog, '');
    const configFile = join(outside, 'memwarden.yml');
    const defaults = ['host-memory-used', 'host-available-low', 'memory-pressure-some', 'memory-pressure-full', 'container-near-limit', 'container-no-limit-large', 'process-group-large', 'oom-kill', 'memory-leak-suspected'];
    writeFileSync(
      configFile,
      [
        'digest:',
        '  enabled: false',
        'alerts:',
        '  rules:',
        ...defaults.map((id) => `    ${id}: { enabled: false }`),
        '    probe-container-large:',
        '      kind: container-usage-bytes',
        '      warning: 1024GiB',
        `      overrides: { "${probePrefix}*": { warning: 1KiB, for: 0s } }`,
        '',
      ].join('\n'),
    );
    const bot = await start({
      preload: PRELOAD,
      args: ['--config', configFile],
      env: {
        MEMWARDEN_DATA_DIR: disk.dir,
        MEMWARDEN_POLL_INTERVAL: '1s',
        SLACK_BOT_TOKEN: 'xoxb-0000-ops-test',
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        SLACK_API_URL: `${FAKE_SLACK_API}/api/`,
        SLACK_CHANNEL: CHANNEL,
        PORT: String(await freePort()),
        MW_FAKE_SLACK_LOG: slackLog,
      },
    });
    const slackCalls = () =>
      readFileSync(slackLog, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { at: number; method: string; body: Record<string, unknown>; ts?: string });
    const parents = (pattern: RegExp) => slackCalls().filter((c) => c.method === 'chat.postMessage' && c.body.thread_ts === undefined && pattern.test(String(c.body.text)));
    return { bot, slackCalls, parents };
  }

  it('a database that runs out of space while an alert condition holds: the alert and a "cannot write" alert reach Slack once each, /healthz says so, and everything queued is in the database once space is back', async () => {
    const disk = smallDisk(join(tempDir('mw-disk-'), 'data'), 6 * 1024 * 1024);
    const probe = `${TMP_CONTAINER_PREFIX}fullprobe-${uniqueName('c').slice(2)}`;
    let container: ReturnType<typeof startBusybox> | undefined;
    try {
      const { bot, slackCalls, parents } = await startOnSmallDisk(disk, probe);
      await waitForHealth(bot, 200);
      disk.fill();
      // The alert condition starts to hold only now, with the disk full.
      container = startBusybox(probe.slice(TMP_CONTAINER_PREFIX.length), ['sleep', '3600']);

      const full = await waitForHealth(bot, 503);
      expect(full.checks.store, JSON.stringify(full)).toMatchObject({ ok: false, detail: expect.stringMatching(/^cannot write the database: SQLITE_FULL/) });
      const probeAlert = new RegExp(container.container.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&'));
      const cannotWrite = /^memwarden cannot write its database \(SQLITE_FULL: database or disk is full\)/;
      await waitUntil('the alert and the "cannot write" alert in Slack', () => (parents(probeAlert).length > 0 && parents(cannotWrite).length > 0 ? true : undefined), { timeoutMs: 30_000 });

      // Both went out while the disk was still full, from memory.
      const freedAt = Date.now();
      expect(parents(probeAlert)[0]?.at).toBeLessThan(freedAt);
      expect(parents(cannotWrite)[0]?.at).toBeLessThan(freedAt);
      disk.free();
      await waitForHealth(bot, 200);
      // Everything that was queued while the disk was full is in the database now, as sent.
      const queued = await waitUntil(
        'the ops held in memory to be in the database',
        () => {
          const db = new Database(join(disk.dir, 'memwarden.db'), { readonly: true });
          try {
            const rows = db.prepare("SELECT ordering_key, op, status, payload FROM outbox ORDER BY id").all() as { ordering_key: string; op: string; status: string; payload: string }[];
            const probeRows = rows.filter((r) => probeAlert.test(r.payload));
            const storeRows = rows.filter((r) => r.ordering_key === 'memwarden:store');
            const open = rows.filter((r) => r.status === 'pending' || r.status === 'sending');
            const transitions = db.prepare("SELECT count(*) AS n FROM alert_transitions WHERE rule_id = 'probe-container-large' AND event = 'firing'").get() as { n: number };
            return probeRows.length >= 2 && storeRows.length >= 1 && open.length === 0 && transitions.n === 1 ? { probeRows, storeRows } : undefined;
          } finally {
            db.close();
          }
        },
        { timeoutMs: 30_000 },
      );
      expect(queued.probeRows.map((r) => `${r.op} ${r.status}`).slice(0, 2)).toEqual(['post sent', 'reply sent']);
      expect(queued.storeRows[0]).toMatchObject({ op: 'post', status: 'sent' });
      // Delivered once each: moving the queue into the database sent nothing again.
      expect(parents(probeAlert)).toHaveLength(1);
      expect(parents(cannotWrite)).toHaveLength(1);
      // And the "cannot write" alert says it is over, in its message and its thread.
      const storeTs = parents(cannotWrite)[0]?.ts;
      await waitUntil('the "cannot write" alert to be resolved', () =>
        slackCalls().some((c) => c.method === 'chat.postMessage' && c.body.thread_ts === storeTs && /can write its database again/.test(String(c.body.text))) &&
        slackCalls().some((c) => c.method === 'chat.update' && c.body.ts === storeTs && /^Resolved: memwarden cannot write its database/.test(String(c.body.text)))
          ? true
          : undefined,
      );
      expect(slackCalls().filter((c) => c.method === 'unmatched')).toEqual([]);

      bot.child.kill('SIGTERM');
      expect((await bot.exited).code, bot.output().slice(-3000)).toBe(0);
    } finally {
      container?.stop();
      for (const bot of bots.splice(0)) {
        if (bot.child.exitCode === null && bot.child.signalCode === null) {
          bot.child.kill('SIGKILL');
          await bot.exited;
        }
      }
      disk.remove();
    }
  });

  it('SIGTERM while the database cannot be written: memwarden still exits 0', async () => {
    const disk = smallDisk(join(tempDir('mw-disk-'), 'data'), 6 * 1024 * 1024);
    try {
      const { bot } = await startOnSmallDisk(disk, `${TMP_CONTAINER_PREFIX}none-`);
      await waitForHealth(bot, 200);
      disk.fill();
      await waitForHealth(bot, 503);
      bot.child.kill('SIGTERM');
      const exit = await bot.exited;
      expect(exit.code, bot.output().slice(-3000)).toBe(0);
      expect(bot.logs('Stopped')).toHaveLength(1);
    } finally {
      for (const bot of bots.splice(0)) {
        if (bot.child.exitCode === null && bot.child.signalCode === null) {
          bot.child.kill('SIGKILL');
          await bot.exited;
        }
      }
      disk.remove();
    }
  });
});

function inspectStartedAt(container: string): string {
  return docker(['inspect', '-f', '{{.State.StartedAt}}', container]);
}

/** docker stats' sizes: "64.77MiB", "1.2GiB", "512KiB", "800B". */
function parseDockerSize(text: string): number {
  const m = /^([\d.]+)\s*(B|KiB|MiB|GiB|kB|MB|GB)$/.exec(text);
  if (!m) throw new Error(`cannot parse docker stats size ${JSON.stringify(text)}`);
  const unit = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, kB: 1e3, MB: 1e6, GB: 1e9 }[m[2] as 'B'];
  return Number(m[1]) * unit;
}
