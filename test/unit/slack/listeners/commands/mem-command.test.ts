// /mem through a real Bolt App (fake receiver, app.processEvent): every subcommand is acked at
// once and answered through the response_url (nock), with the exact body Slack would receive.
import { afterEach, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../../../../src/model/snapshot.js';
import type { Finding } from '../../../../../src/model/finding.js';
import { COMMAND_ERROR_TEXT } from '../../../../../src/slack/render/command-help.js';
import { checkBlockKitLimits } from '../../../../../src/slack/render/block-kit-limits.js';
import type { HistoryPoint } from '../../../../../src/model/history.js';
import { GiB, makeContainer, makeGroup, makeSnapshot, MiB } from '../../../store/make-snapshot.js';
import { buildTestApp, containerTarget, expectRespond, seedAlert, slashCommand, T0, type TestApp, testConfig, useNock } from '../../bolt-test-kit.js';

useNock();

const HOUR = 3_600_000;

const snapshot: Snapshot = makeSnapshot(T0, {
  hostname: 'box',
  durationMs: 84,
  containers: [
    makeContainer({ name: 'api', memoryUsageBytes: 1.95 * GiB, memoryLimitBytes: 2 * GiB }),
    makeContainer({ name: 'worker', memoryUsageBytes: 800 * MiB, memoryLimitBytes: null }),
    makeContainer({ name: 'db', memoryUsageBytes: 600 * MiB, memoryLimitBytes: GiB }),
  ],
  processGroups: [
    makeGroup({ name: 'celery', kind: 'celery', containerName: 'worker', pssBytes: 700 * MiB, rssBytes: 1100 * MiB, pids: [10, 11, 12, 13] }),
    makeGroup({ name: 'gunicorn', kind: 'gunicorn', containerName: 'api', pssBytes: 900 * MiB, rssBytes: 1000 * MiB, pids: [20, 21] }),
    makeGroup({ name: 'postgres', containerName: 'db', pssBytes: 300 * MiB, rssBytes: 400 * MiB, pids: [30], exact: false }),
  ],
});

const findings: Finding[] = [
  {
    code: 'container-near-limit',
    severity: 'critical',
    target: { kind: 'container', name: 'api' },
    summary: 'api uses 1.95 GiB of its 2 GiB limit (97.5%)',
    evidence: {},
    recommendations: [{ title: 'Raise the memory limit of api to 3 GiB', priority: 'urgent', estimatedSavingsBytes: null, runbook: 'set-memory-limit', detail: 'd' }],
  },
  {
    code: 'prefork-concurrency',
    severity: 'warning',
    target: { kind: 'group', name: 'celery' },
    summary: 'celery runs 3 children of ~230 MiB each',
    evidence: {},
    recommendations: [{ title: 'Lower the Celery concurrency of celery to 2', priority: 'high', estimatedSavingsBytes: 230 * MiB, runbook: 'lower-celery-concurrency', detail: 'd' }],
  },
  { code: 'host-swap-disabled', severity: 'info', target: { kind: 'host', name: 'box' }, summary: 'No swap is configured', evidence: {}, recommendations: [] },
];

let t: TestApp | undefined;
afterEach(() => {
  t?.services.close();
  t = undefined;
});

function setup(options: Parameters<typeof buildTestApp>[0] = {}): TestApp {
  t = buildTestApp({ snapshot, findings, ...options });
  return t;
}

/** Runs `/mem <text>` to the end; returns what was acked and the body sent to the response_url. */
async function run(app: TestApp, text: string, overrides: Record<string, unknown> = {}): Promise<{ acks: unknown[]; body: Record<string, unknown> }> {
  const responded = expectRespond();
  const acks = await app.receiver.send(slashCommand(text, overrides));
  const body = await responded;
  expect(checkBlockKitLimits({ text: body.text as string, blocks: (body.blocks ?? []) as never })).toEqual([]);
  return { acks, body };
}

describe('/mem: acknowledgement', () => {
  it('acks at once with an empty body, before the snapshot is taken, and answers afterwards', async () => {
    let release!: (s: Snapshot) => void;
    let requested!: () => void;
    const snapshotRequested = new Promise<void>((resolve) => (requested = resolve));
    const app = setup({
      takeSnapshot: () => {
        requested();
        return new Promise<Snapshot>((resolve) => (release = resolve));
      },
    });
    const responded = expectRespond();
    const { acks, done } = app.receiver.dispatch(slashCommand('status'));
    await snapshotRequested;
    expect(acks).toEqual([undefined]);
    release(snapshot);
    await done;
    expect((await responded).response_type).toBe('ephemeral');
  });
});

describe('/mem subcommands', () => {
  it('help (and /mem alone) lists the subcommands without asking any service', async () => {
    const app = setup();
    for (const text of ['help', '', '   ']) {
      const { acks, body } = await run(app, text);
      expect(acks).toEqual([undefined]);
      expect(body.response_type).toBe('ephemeral');
      expect(body.text).toBe('memwarden: /mem status, top, containers, diagnose, history, alerts, silence, unsilence, run, runbooks, audit, remediation, digest, help');
      expect((body.blocks as unknown[]).length).toBe(3);
    }
    expect(app.services.calls).toEqual([]);
  });

  it('status: host, containers, groups and alerts, only to the user', async () => {
    const app = setup();
    seedAlert(app.services.db, { ruleId: 'container-near-limit', target: containerTarget('api') });
    const { body } = await run(app, 'status');
    expect(app.services.calls).toEqual(['takeSnapshot', 'alerts.activeAlerts']);
    expect(body).toMatchInlineSnapshot(`
      {
        "blocks": [
          {
            "text": {
              "emoji": true,
              "text": "Memory on box",
              "type": "plain_text",
            },
            "type": "header",
          },
          {
            "text": {
              "text": "🟢 *Host box*: 6 GiB of 16 GiB used (37.5%) — OK
      Available 10 GiB · Swap 0 B of 2 GiB · Pressure 0.25% stalled (avg60) · OOM kills 0",
              "type": "mrkdwn",
            },
            "type": "section",
          },
          {
            "text": {
              "text": "*Containers* (3 running, largest first)
      🔴 *api* 1.95 GiB of 2 GiB (97.5%)
      🟢 *worker* 800 MiB no limit (4.9% of host RAM)
      🟢 *db* 600 MiB of 1 GiB (58.6%)",
              "type": "mrkdwn",
            },
            "type": "section",
          },
          {
            "text": {
              "text": "*Top process groups* (by PSS)
      1. *gunicorn* in api — PSS 900 MiB · RSS 1000 MiB · 2 processes
      2. *celery* in worker — PSS 700 MiB · RSS 1.07 GiB · 4 processes
      3. *postgres* in db — PSS 300 MiB (RSS for some) · RSS 400 MiB · 1 process",
              "type": "mrkdwn",
            },
            "type": "section",
          },
          {
            "text": {
              "text": "*Active alerts* (1)
      🔴 *critical* api uses 96.5% of its 2 GiB memory limit — \`e674ed5b\` container-near-limit, since <!date^1761554880^{date_short_pretty} {time}|2025-10-27 08:48 UTC>",
              "type": "mrkdwn",
            },
            "type": "section",
          },
          {
            "elements": [
              {
                "text": "Measured <!date^1761555600^{date_short_pretty} {time}|2025-10-27 09:00 UTC> in 84 ms",
                "type": "mrkdwn",
              },
              {
                "text": "RSS for some: processes whose smaps could not be read count with their RSS",
                "type": "mrkdwn",
              },
            ],
            "type": "context",
          },
        ],
        "response_type": "ephemeral",
        "text": "memwarden: box has 37.5% of RAM used (OK), 3 containers, 1 active alert",
      }
    `);
  });

  it('status public: the same, posted in the channel', async () => {
    const app = setup();
    const { body } = await run(app, '  STATUS   Public ');
    expect(body.response_type).toBe('in_channel');
    expect(body.text).toBe('memwarden: box has 37.5% of RAM used (OK), 3 containers, no active alerts');
  });

  it('top [n]: the n largest groups by PSS', async () => {
    const { body } = await run(setup(), 'top 2');
    expect(body).toMatchInlineSnapshot(`
      {
        "blocks": [
          {
            "text": {
              "emoji": true,
              "text": "Top process groups on box",
              "type": "plain_text",
            },
            "type": "header",
          },
          {
            "text": {
              "text": "1. *gunicorn* in api — PSS 900 MiB · RSS 1000 MiB · 2 processes
      2. *celery* in worker — PSS 700 MiB · RSS 1.07 GiB · 4 processes",
              "type": "mrkdwn",
            },
            "type": "section",
          },
          {
            "elements": [
              {
                "text": "2 of 3 groups by PSS · measured <!date^1761555600^{date_short_pretty} {time}|2025-10-27 09:00 UTC>",
                "type": "mrkdwn",
              },
            ],
            "type": "context",
          },
        ],
        "response_type": "ephemeral",
        "text": "memwarden: top 2 process groups on box, largest gunicorn",
      }
    `);
  });

  it('containers: every container, largest first, with a total', async () => {
    const { body } = await run(setup(), 'containers');
    expect(body).toMatchInlineSnapshot(`
      {
        "blocks": [
          {
            "text": {
              "emoji": true,
              "text": "Containers on box",
              "type": "plain_text",
            },
            "type": "header",
          },
          {
            "text": {
              "text": "*3 running*, largest first
      🔴 *api* 1.95 GiB of 2 GiB (97.5%)
      🟢 *worker* 800 MiB no limit (4.9% of host RAM)
      🟢 *db* 600 MiB of 1 GiB (58.6%)",
              "type": "mrkdwn",
            },
            "type": "section",
          },
          {
            "text": {
              "text": "*Total*: 3.32 GiB (20.7% of host RAM)",
              "type": "mrkdwn",
            },
            "type": "section",
          },
          {
            "elements": [
              {
                "text": "Measured <!date^1761555600^{date_short_pretty} {time}|2025-10-27 09:00 UTC> · usage as docker stats shows it (without inactive file cache)",
                "type": "mrkdwn",
              },
            ],
            "type": "context",
          },
        ],
        "response_type": "ephemeral",
        "text": "memwarden: 3 containers on box use 3.32 GiB",
      }
    `);
  });

  it('diagnose: every finding, worst first', async () => {
    const { body } = await run(setup(), 'diagnose');
    expect(body).toMatchInlineSnapshot(`
      {
        "blocks": [
          {
            "text": {
              "emoji": true,
              "text": "Diagnosis of box",
              "type": "plain_text",
            },
            "type": "header",
          },
          {
            "text": {
              "text": "*box*: 2 issues (1 critical), 1 note",
              "type": "mrkdwn",
            },
            "type": "section",
          },
          {
            "text": {
              "text": "🔴 *CRITICAL* api uses 1.95 GiB of its 2 GiB limit (97.5%)
      → *Raise the memory limit of api to 3 GiB* (urgent) — saving unknown · runbook set-memory-limit",
              "type": "mrkdwn",
            },
            "type": "section",
          },
          {
            "text": {
              "text": "🟠 *WARNING* celery runs 3 children of ~230 MiB each
      → *Lower the Celery concurrency of celery to 2* (high) — saves ~230 MiB · runbook lower-celery-concurrency",
              "type": "mrkdwn",
            },
            "type": "section",
          },
          {
            "text": {
              "text": "ℹ️ *note* No swap is configured",
              "type": "mrkdwn",
            },
            "type": "section",
          },
          {
            "elements": [
              {
                "text": "Measured <!date^1761555600^{date_short_pretty} {time}|2025-10-27 09:00 UTC> · savings are measured, may overlap: do not add them up blindly",
                "type": "mrkdwn",
              },
            ],
            "type": "context",
          },
        ],
        "response_type": "ephemeral",
        "text": "memwarden diagnosis of box: 2 issues (1 critical), 1 note — first: api uses 1.95 GiB of its 2 GiB limit (97.5%)",
      }
    `);
  });

  it('diagnose <container>: the findings about it and the groups inside it', async () => {
    const app = setup();
    const { body } = await run(app, 'diagnose worker');
    expect(app.services.calls).toEqual(['takeSnapshot', 'diagnose']);
    expect(body.text).toBe('memwarden diagnosis of worker: 1 issue (0 critical), 0 notes — first: celery runs 3 children of ~230 MiB each');
    const unknown = await run(app, 'diagnose nope');
    expect(unknown.body).toEqual({
      response_type: 'ephemeral',
      text: 'memwarden: no container named nope is running',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'No container named *nope* is running.\nRunning: api, db, worker' } }],
    });
  });

  it('history <container> [window]: asks the store for that window and draws it', async () => {
    const asked: unknown[] = [];
    const points: HistoryPoint[] = Array.from({ length: 12 }, (_, i) => ({ t: T0 - 6 * HOUR + i * 30 * 60_000, min: GiB, avg: GiB + (i % 6) * 100 * MiB, max: 2 * GiB, count: 120 }));
    const app = setup({
      history: (target, from, to) => {
        asked.push([target, from, to]);
        return points;
      },
    });
    const { body } = await run(app, 'history api 6h');
    expect(asked).toEqual([[{ kind: 'container', name: 'api' }, T0 - 6 * HOUR, T0]]);
    expect(body).toMatchInlineSnapshot(`
      {
        "blocks": [
          {
            "text": {
              "emoji": true,
              "text": "History of api: last 6h",
              "type": "plain_text",
            },
            "type": "header",
          },
          {
            "fields": [
              {
                "text": "*Min*
      1 GiB",
                "type": "mrkdwn",
              },
              {
                "text": "*Avg*
      1.24 GiB",
                "type": "mrkdwn",
              },
              {
                "text": "*Max*
      2 GiB",
                "type": "mrkdwn",
              },
              {
                "text": "*Latest*
      1.49 GiB",
                "type": "mrkdwn",
              },
            ],
            "type": "section",
          },
          {
            "text": {
              "text": "\`\`\`▁▂▄▅▇█▁▂▄▅▇█\`\`\`",
              "type": "mrkdwn",
            },
            "type": "section",
          },
          {
            "elements": [
              {
                "text": "memory usage of *api* · ▁ 1 GiB … █ 1.49 GiB · 1440 samples",
                "type": "mrkdwn",
              },
              {
                "text": "<!date^1761534000^{date_short_pretty} {time}|2025-10-27 03:00 UTC> → <!date^1761555600^{date_short_pretty} {time}|2025-10-27 09:00 UTC>",
                "type": "mrkdwn",
              },
            ],
            "type": "context",
          },
        ],
        "response_type": "ephemeral",
        "text": "memwarden: api over the last 6h: min 1 GiB, avg 1.24 GiB, max 2 GiB, latest 1.49 GiB",
      }
    `);
  });

  it('history host: the host series, default 24h, and says so when there is none', async () => {
    const asked: unknown[] = [];
    const app = setup({ history: (target, from, to) => (asked.push([target, from, to]), []) });
    const { body } = await run(app, 'history HOST');
    expect(asked).toEqual([[{ kind: 'host', name: 'box' }, T0 - 24 * HOUR, T0]]);
    expect(body.text).toBe('memwarden: no history for host box in the last 24h');
  });

  it('alerts: active alerts (firing first) and silences', async () => {
    const app = setup();
    seedAlert(app.services.db, { ruleId: 'container-near-limit', target: containerTarget('db'), status: 'pending', severity: 'warning', value: 86, startedAt: T0 - HOUR });
    seedAlert(app.services.db, { ruleId: 'container-near-limit', target: containerTarget('api') });
    app.services.alerts.addSilence({ ruleId: 'oom-kill', target: 'worker', until: T0 + 2 * HOUR, createdBy: 'U0CAROL01', reason: 'known leak, fix deploys at noon' });
    const { body } = await run(app, 'alerts');
    expect(body).toMatchInlineSnapshot(`
      {
        "blocks": [
          {
            "text": {
              "emoji": true,
              "text": "Alerts",
              "type": "plain_text",
            },
            "type": "header",
          },
          {
            "text": {
              "text": "*Active alerts* (2)
      🔴 *critical* api uses 96.5% of its 2 GiB memory limit — \`e674ed5b\` container-near-limit, since <!date^1761554880^{date_short_pretty} {time}|2025-10-27 08:48 UTC>
      🟠 *warning* (pending) db uses 86.0% of its 2 GiB memory limit — \`2b466600\` container-near-limit, since <!date^1761552000^{date_short_pretty} {time}|2025-10-27 08:00 UTC>",
              "type": "mrkdwn",
            },
            "type": "section",
          },
          {
            "text": {
              "text": "*Silences* (1)
      🔕 *1* oom-kill on worker until <!date^1761562800^{date_short_pretty} {time}|2025-10-27 11:00 UTC> — by <@U0CAROL01>: known leak, fix deploys at noon",
              "type": "mrkdwn",
            },
            "type": "section",
          },
          {
            "elements": [
              {
                "text": "Silence: \`/mem silence &lt;alert id or rule id&gt; 4h [reason]\` · end one: \`/mem unsilence &lt;silence id&gt;\`",
                "type": "mrkdwn",
              },
            ],
            "type": "context",
          },
        ],
        "response_type": "ephemeral",
        "text": "memwarden: 2 active alerts (1 firing), 1 silence",
      }
    `);
  });
});

describe('/mem silence and unsilence', () => {
  it('silences the alert a fingerprint prefix names, for its rule and target, with the user as author', async () => {
    const app = setup();
    const alert = seedAlert(app.services.db, { ruleId: 'container-near-limit', target: containerTarget('api') });
    const { body } = await run(app, `silence ${alert.fingerprint.slice(0, 6).toUpperCase()} 4h deploying <!channel>`);
    expect(app.services.alerts.listSilences()).toEqual([
      { id: 1, ruleId: 'container-near-limit', target: 'api', until: T0 + 4 * HOUR, createdBy: 'U0ALICE01', reason: 'deploying <!channel>', createdAt: T0 },
    ]);
    expect(body).toEqual({
      response_type: 'ephemeral',
      text: 'memwarden: silenced container-near-limit on api for 4h (silence 1)',
      blocks: [
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text: `🔕 Silenced *container-near-limit* on *api* for 4h, until <!date^1761570000^{date_short_pretty} {time}|2025-10-27 13:00 UTC>.\nAlert \`${alert.fingerprint.slice(0, 8)}\`: api uses 96.5% of its 2 GiB memory limit\nReason: deploying &lt;!channel&gt;`,
          },
        },
        { type: 'context', elements: [{ type: 'mrkdwn', text: 'Silence *1* · `/mem unsilence 1` ends it early' }] },
      ],
    });
  });

  it('silences a whole rule by its id, and gives a default reason', async () => {
    // Two days: longer than the silence policy lets anyone but an admin silence.
    const app = setup({ config: testConfig({ admins: ['U0ALICE01'] }) });
    const { body } = await run(app, 'silence memory-leak-suspected 2d');
    expect(app.services.alerts.listSilences()).toEqual([
      { id: 1, ruleId: 'memory-leak-suspected', target: null, until: T0 + 48 * HOUR, createdBy: 'U0ALICE01', reason: 'no reason given', createdAt: T0 },
    ]);
    expect(body.text).toBe('memwarden: silenced memory-leak-suspected on every target for 2d (silence 1)');
  });

  it('refuses an ambiguous prefix, an unknown id and a disabled or unknown rule, silencing nothing', async () => {
    const app = setup();
    seedAlert(app.services.db, { ruleId: 'a', target: containerTarget('api'), fingerprint: 'abcd000000000001' });
    seedAlert(app.services.db, { ruleId: 'b', target: containerTarget('db'), fingerprint: 'abcd000000000002' });
    const ambiguous = await run(app, 'silence abcd 1h');
    expect(ambiguous.body.text).toBe('memwarden: nothing was silenced. 2 active alerts start with abcd (abcd0000, abcd0000): give more of the id.');
    const unknown = await run(app, 'silence ffff 1h');
    expect(unknown.body).toEqual({
      response_type: 'ephemeral',
      text: 'memwarden: nothing was silenced. no active alert id starts with ffff, and there is no enabled rule of that name. /mem alerts lists the active alerts.',
      blocks: [
        {
          type: 'section',
          text: { type: 'mrkdwn', text: '⚠️ Nothing was silenced: no active alert id starts with ffff, and there is no enabled rule of that name. /mem alerts lists the active alerts.' },
        },
      ],
    });
    expect(app.services.alerts.listSilences()).toEqual([]);
  });

  it('unsilence ends a silence; an unknown id says so', async () => {
    const app = setup();
    const silence = app.services.alerts.addSilence({ ruleId: 'oom-kill', target: 'worker', until: T0 + HOUR, createdBy: 'U0CAROL01', reason: 'r' });
    const ended = await run(app, `unsilence ${silence.id}`);
    expect(ended.body).toEqual({
      response_type: 'ephemeral',
      text: 'memwarden: silence 1 ended (oom-kill on worker)',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '🔔 Silence *1* ended: alerts for *oom-kill* on *worker* notify again.' } }],
    });
    expect(app.services.alerts.listSilences()).toEqual([]);
    const again = await run(app, `unsilence ${silence.id}`);
    expect(again.body.text).toBe('memwarden: there is no silence 1');
  });
});

describe('/mem with bad input and failures', () => {
  it('answers an unknown subcommand with short usage help, asking no service', async () => {
    const app = setup();
    const { body } = await run(app, 'stats');
    expect(body).toEqual({
      response_type: 'ephemeral',
      text: 'memwarden: unknown subcommand "stats". Try /mem help',
      blocks: [
        {
          type: 'section',
          text: { type: 'mrkdwn', text: '⚠️ unknown subcommand "stats"\nSubcommands: `status`, `top`, `containers`, `diagnose`, `history`, `alerts`, `silence`, `unsilence`, `run`, `runbooks`, `audit`, `remediation`, `digest`, `help`' },
        },
        { type: 'context', elements: [{ type: 'mrkdwn', text: '`/mem help` lists every subcommand.' }] },
      ],
    });
    expect(app.services.calls).toEqual([]);
  });

  it('handles hostile text: 10k characters, mentions, unicode, escaped entities', async () => {
    const app = setup();
    for (const text of ['x'.repeat(10_000), '<!channel> please', '&lt;!here&gt; status', '😀👩‍👩‍👧🇩🇪 status', 'top\u00a0\u00a0<@U0ADMIN>']) {
      const { body } = await run(app, text);
      const json = JSON.stringify(body);
      expect(json).not.toMatch(/<!channel>|<!here>|<@U0ADMIN>/);
      expect(json.length).toBeLessThan(2000);
      expect(body.response_type).toBe('ephemeral');
    }
    expect(app.services.calls).toEqual([]);
  });

  it('a failing service gives the constant friendly text; the details go to the log', async () => {
    const app = setup({ takeSnapshot: () => Promise.reject(new Error('EACCES /proc/1/smaps_rollup at collectProcesses')) });
    const { body } = await run(app, 'containers');
    expect(body).toEqual({ response_type: 'ephemeral', text: COMMAND_ERROR_TEXT, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `⚠️ ${COMMAND_ERROR_TEXT}` } }] });
    const failure = app.lines.find((line) => line.msg === 'Slash command failed');
    expect(failure).toMatchObject({ level: 50, subcommand: 'containers', user: 'U0ALICE01', channel: 'C0MEMWARD', err: { message: 'EACCES /proc/1/smaps_rollup at collectProcesses' } });
  });

  it('a response_url that fails is logged, and the listener does not throw', async () => {
    const app = setup();
    const responded = expectRespond(404);
    await app.receiver.send(slashCommand('help'));
    await responded;
    expect(app.lines.find((line) => line.msg === 'Could not answer through the response_url')).toMatchObject({ level: 50, err: { message: 'Failed to respond to the response_url: 404 Not Found' } });
  });
});
