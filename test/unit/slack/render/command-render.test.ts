// The /mem renderers (view model -> SlackMessage): what they show, and that every message stays
// within Slack's limits (checkBlockKitLimits) for good input and for hostile input: 200
// containers, 100-character names, unicode, and names that try to notify the channel.
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../../src/model/finding.js';
import type { HistoryPoint } from '../../../../src/model/history.js';
import { summarizeHistory } from '../../../../src/store/history.js';
import { checkBlockKitLimits, type SlackMessage } from '../../../../src/slack/render/block-kit-limits.js';
import { renderAlerts } from '../../../../src/slack/render/command-alerts.js';
import { renderContainers, renderUnknownContainer } from '../../../../src/slack/render/command-containers.js';
import { renderDiagnose } from '../../../../src/slack/render/command-diagnose.js';
import { COMMAND_ERROR_TEXT, renderCommandError, renderHelp, renderUsageError } from '../../../../src/slack/render/command-help.js';
import { renderHistory, sparkline } from '../../../../src/slack/render/command-history.js';
import type { AlertRow, ContainerRow, GroupRow, HostView, SilenceRow } from '../../../../src/slack/render/command-rows.js';
import { renderSilenced, renderSilenceRefused, renderUnsilenced } from '../../../../src/slack/render/command-silence.js';
import { renderStatus, type StatusView } from '../../../../src/slack/render/command-status.js';
import { renderTop } from '../../../../src/slack/render/command-top.js';
import { allTexts } from './render-kit.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const T0 = Date.parse('2025-10-27T09:00:00.000Z');
const HOUR = 3_600_000;

const LONG = `svc-${'x'.repeat(96)}`; // 100 characters
const UNICODE = `ワーカー-😀-👩‍👩‍👧-🇩🇪-Größe-${'é'.repeat(60)}`;
const EVIL = '<!channel> & <@U0ADMIN> <https://evil.example|click> *bold* `code`';
const NAMES = ['api', LONG, UNICODE, EVIL];

/** Within limits, and the only <...> control sequences are ours: dates and user mentions. */
function expectSafe(message: SlackMessage): void {
  expect(checkBlockKitLimits(message)).toEqual([]);
  for (const text of allTexts(message)) {
    for (const token of text.match(/<[^>]*>/g) ?? []) expect(token).toMatch(/^<(!date\^\d+\^\{date_short_pretty\} \{time\}\|[^>]*|@U0[A-Z0-9]+)>$/);
  }
  const json = JSON.stringify(message);
  expect(json).not.toContain('<!channel>');
  expect(json).not.toContain('<https://evil');
}

const host: HostView = {
  hostname: 'box',
  totalBytes: 16 * GiB,
  usedBytes: 14.5 * GiB,
  availableBytes: 1.5 * GiB,
  usedPercent: 90.625,
  level: 'HIGH',
  swapTotalBytes: 0,
  swapUsedBytes: 0,
  pressureSomeAvg60: 1.25,
  oomKillCount: 3,
};

function containerRow(name: string, i = 0): ContainerRow {
  return { name, usageBytes: (2 * GiB) - i * MiB, limitBytes: i % 2 === 0 ? 3 * GiB : null, percentOfLimit: i % 2 === 0 ? 66.6 : null, percentOfHost: 12.5, level: i % 3 === 0 ? 'CRITICAL' : i % 3 === 1 ? 'HIGH' : 'OK' };
}
function groupRow(name: string, i = 0): GroupRow {
  return { name, containerName: i % 2 === 0 ? name : null, pssBytes: 900 * MiB - i * MiB, rssBytes: 1200 * MiB, processes: 5, exact: i % 4 !== 3 };
}
function alertRow(name: string, i = 0): AlertRow {
  return { fingerprint: `${i.toString(16).padStart(4, '0')}cafe0123beef`.slice(0, 16), ruleId: `rule-${name}`, severity: i % 2 === 0 ? 'critical' : 'warning', status: i % 3 === 0 ? 'pending' : 'firing', description: `${name} uses 2.9 GiB of its 3 GiB memory limit`, since: T0 - i * HOUR };
}
function silenceRowOf(name: string, i = 0): SilenceRow {
  return { id: i + 1, ruleId: i % 2 === 0 ? `rule-${name}` : null, target: i % 3 === 0 ? null : name, until: T0 + 4 * HOUR, createdBy: i % 2 === 0 ? 'U0ALICE01' : EVIL, reason: `${name} ${'r'.repeat(600)}` };
}
const many = <T>(n: number, make: (name: string, i: number) => T): T[] => Array.from({ length: n }, (_, i) => make(NAMES[i % NAMES.length] as string, i));

function statusView(n: number): StatusView {
  return {
    takenAt: T0,
    durationMs: 84.4,
    host,
    docker: { reachable: true, error: null },
    containers: many(n, containerRow),
    groups: many(Math.min(n, 5), groupRow),
    alerts: many(n, alertRow),
    errors: n > 10 ? many(30, (name) => `processes: ${name} unreadable`) : [],
  };
}

describe('renderStatus', () => {
  it('shows host, containers, groups and alerts', () => {
    const message = renderStatus({
      ...statusView(0),
      containers: [containerRow('api', 0), containerRow('worker', 1)],
      groups: [groupRow('celery', 0)],
      alerts: [alertRow('api', 1)],
    });
    expectSafe(message);
    expect(message.text).toBe('memwarden: box has 90.6% of RAM used (HIGH), 2 containers, 1 active alert');
    expect(message.blocks).toEqual([
      { type: 'header', text: { type: 'plain_text', text: 'Memory on box', emoji: true } },
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: '🟠 *Host box*: 14.5 GiB of 16 GiB used (90.6%) — HIGH\nAvailable 1.5 GiB · Swap none configured ⚠️ · Pressure 1.25% stalled (avg60) · OOM kills 3',
        },
      },
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: '*Containers* (2 running, largest first)\n🔴 *api* 2 GiB of 3 GiB (66.6%)\n🟠 *worker* 2 GiB no limit (12.5% of host RAM)',
        },
      },
      { type: 'section', text: { type: 'mrkdwn', text: '*Top process groups* (by PSS)\n1. *celery* in celery — PSS 900 MiB · RSS 1.17 GiB · 5 processes' } },
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: '*Active alerts* (1)\n🟠 *warning* api uses 2.9 GiB of its 3 GiB memory limit — `0001cafe` rule-api, since <!date^1761552000^{date_short_pretty} {time}|2025-10-27 08:00 UTC>',
        },
      },
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'Measured <!date^1761555600^{date_short_pretty} {time}|2025-10-27 09:00 UTC> in 84 ms' }] },
    ]);
  });

  it('says when Docker is unreachable and nothing was measured', () => {
    const message = renderStatus({ ...statusView(0), docker: { reachable: false, error: 'connect ENOENT /var/run/docker.sock' }, groups: [], alerts: [] });
    expectSafe(message);
    const texts = allTexts(message).join('\n');
    expect(texts).toContain('*Containers*: Docker is unreachable (connect ENOENT /var/run/docker.sock)');
    expect(texts).toContain('*Top process groups*: none measured');
    expect(texts).toContain('*Active alerts*: none');
  });

  it('stays within limits with 200 containers and alerts, long, unicode and hostile names', () => {
    const message = renderStatus(statusView(200));
    expectSafe(message);
    const texts = allTexts(message).join('\n');
    expect(texts).toContain('…and 191 more');
    expect(texts).toContain('&lt;!channel&gt;');
  });
});

describe('renderContainers', () => {
  it('lists every container with a total', () => {
    const message = renderContainers({ hostname: 'box', takenAt: T0, docker: { reachable: true, error: null }, containers: [containerRow('api', 0), containerRow('db', 2)], hostTotalBytes: 16 * GiB });
    expectSafe(message);
    expect(message.blocks.slice(1, 3)).toEqual([
      { type: 'section', text: { type: 'mrkdwn', text: '*2 running*, largest first\n🔴 *api* 2 GiB of 3 GiB (66.6%)\n🟢 *db* 2 GiB of 3 GiB (66.6%)' } },
      { type: 'section', text: { type: 'mrkdwn', text: '*Total*: 4 GiB (25.0% of host RAM)' } },
    ]);
  });

  it('stays within limits with 200 containers of hostile names, and says how many are left out', () => {
    const message = renderContainers({ hostname: UNICODE, takenAt: T0, docker: { reachable: true, error: null }, containers: many(200, containerRow), hostTotalBytes: 16 * GiB });
    expectSafe(message);
    expect(allTexts(message).join('\n')).toContain('…and 161 more');
  });

  it('handles no containers, no Docker, and an unknown name', () => {
    for (const message of [
      renderContainers({ hostname: 'box', takenAt: T0, docker: { reachable: true, error: null }, containers: [], hostTotalBytes: GiB }),
      renderContainers({ hostname: 'box', takenAt: T0, docker: { reachable: false, error: EVIL }, containers: [], hostTotalBytes: GiB }),
      renderUnknownContainer(EVIL, many(200, (name) => name)),
      renderUnknownContainer('nope', []),
    ]) {
      expectSafe(message);
    }
    expect(renderUnknownContainer('nope', ['b', 'a']).blocks).toEqual([{ type: 'section', text: { type: 'mrkdwn', text: 'No container named *nope* is running.\nRunning: a, b' } }]);
  });
});

describe('renderTop', () => {
  it('numbers the groups and marks inexact ones', () => {
    const message = renderTop({ hostname: 'box', takenAt: T0, limit: 2, groups: [groupRow('celery', 0), groupRow('gunicorn', 3)], totalGroups: 7 });
    expectSafe(message);
    expect(message.blocks[1]).toEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: '1. *celery* in celery — PSS 900 MiB · RSS 1.17 GiB · 5 processes\n2. *gunicorn* on the host — PSS 897 MiB (RSS for some) · RSS 1.17 GiB · 5 processes' },
    });
  });

  it('stays within limits for 50 groups with hostile names', () => {
    expectSafe(renderTop({ hostname: 'box', takenAt: T0, limit: 50, groups: many(50, groupRow), totalGroups: 500 }));
    expectSafe(renderTop({ hostname: 'box', takenAt: T0, limit: 10, groups: [], totalGroups: 0 }));
  });
});

function finding(name: string, i: number): Finding {
  return {
    code: 'container-near-limit',
    severity: i === 0 ? 'critical' : i % 2 === 0 ? 'warning' : 'info',
    target: { kind: 'container', name },
    summary: `${name} uses 2.9 GiB of its 3 GiB limit ${'s'.repeat(i === 1 ? 10_000 : 0)}`,
    evidence: {},
    recommendations: Array.from({ length: i === 0 ? 20 : 1 }, (_, k) => ({
      title: `Raise the limit of ${name} ${k}`,
      priority: 'high' as const,
      estimatedSavingsBytes: k % 2 === 0 ? null : 300 * MiB,
      runbook: k % 2 === 0 ? 'set-memory-limit' : null,
      detail: 'd'.repeat(5000),
    })),
  };
}

describe('renderDiagnose', () => {
  it('shows each finding with its first fixes and their savings', () => {
    const message = renderDiagnose({ hostname: 'box', takenAt: T0, container: 'api', findings: [finding('api', 0)] });
    expectSafe(message);
    expect(message.blocks[2]).toEqual({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: '🔴 *CRITICAL* api uses 2.9 GiB of its 3 GiB limit \n→ *Raise the limit of api 0* (high) — saving unknown · runbook set-memory-limit\n→ *Raise the limit of api 1* (high) — saves ~300 MiB\n→ *Raise the limit of api 2* (high) — saving unknown · runbook set-memory-limit\n…and 17 more fixes',
      },
    });
  });

  it('says so when nothing needs fixing', () => {
    const message = renderDiagnose({ hostname: 'box', takenAt: T0, container: null, findings: [] });
    expectSafe(message);
    expect(message.blocks[1]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: '*box*: Nothing here needs fixing.' } });
  });

  it('stays within limits for 200 findings with hostile names, saying how many are left out', () => {
    const message = renderDiagnose({ hostname: EVIL, takenAt: T0, container: null, findings: many(200, finding) });
    expectSafe(message);
    expect(JSON.stringify(message.blocks.at(-2))).toMatch(/…and \d+ more findings/);
  });
});

describe('sparkline', () => {
  const p = (t: number, avg: number, count = 1): HistoryPoint => ({ t, min: avg, avg, max: avg, count });
  const text = (...args: Parameters<typeof sparkline>) => sparkline(...args)?.text;

  it('scales the slices from ▁ (lowest slice mean) to █ (highest) and says what they stand for', () => {
    // Eight slices of one hour; values 0..700 put one in each: the whole ramp.
    expect(sparkline(Array.from({ length: 8 }, (_, i) => p(T0 + i * HOUR, i * 100)), T0, T0 + 8 * HOUR, 8)).toEqual({ text: '▁▂▃▄▅▆▇█', low: 0, high: 700 });
    // A slice is the count-weighted mean of its points: (10*1 + 40*3) / 4 = 32.5, between 10 and 50.
    expect(sparkline([p(T0, 10), p(T0 + 1, 40, 3), p(T0 + HOUR, 50), p(T0 + 2 * HOUR, 10)], T0, T0 + 3 * HOUR, 3)).toEqual({ text: '▅█▁', low: 10, high: 50 });
  });

  it('leaves a blank where nothing was recorded, and never draws more slices than points', () => {
    // Four points over four slices, the second hour missing (memwarden was down).
    expect(text([p(T0, 10), p(T0 + 2 * HOUR, 20), p(T0 + 3 * HOUR, 20), p(T0 + 3.5 * HOUR, 20)], T0, T0 + 4 * HOUR, 48)).toBe('▁ ██');
    // Three points over a day: three slices, no gaps between them.
    expect(text([p(T0, 1), p(T0 + 8 * HOUR, 2), p(T0 + 16 * HOUR, 3)], T0, T0 + 24 * HOUR)).toBe('▁▅█');
  });

  it('is flat for a constant series and null without points in the window', () => {
    expect(text([p(T0, 5), p(T0 + HOUR, 5)], T0, T0 + 2 * HOUR, 2)).toBe('▄▄');
    expect(sparkline([], T0, T0 + HOUR)).toBeNull();
    expect(sparkline([p(T0, 5)], T0, T0)).toBeNull();
    expect(sparkline([p(T0 + 5 * HOUR, 5)], T0, T0 + HOUR)).toBeNull();
    expect(sparkline([p(T0, Number.NaN), { ...p(T0, 5), count: 0 }], T0, T0 + HOUR)).toBeNull();
  });
});

describe('renderHistory', () => {
  it('shows min, avg, max, latest and the sparkline', () => {
    const points = Array.from({ length: 48 }, (_, i): HistoryPoint => ({ t: T0 - 24 * HOUR + i * 30 * 60_000, min: GiB, avg: GiB + i * 10 * MiB, max: 2 * GiB, count: 2 }));
    const message = renderHistory({ target: { kind: 'container', name: 'api' }, window: '24h', fromMs: T0 - 24 * HOUR, toMs: T0, points, summary: summarizeHistory(points) });
    expectSafe(message);
    expect(message.text).toBe('memwarden: api over the last 24h: min 1 GiB, avg 1.23 GiB, max 2 GiB, latest 1.46 GiB');
    expect(message.blocks[1]).toEqual({
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: '*Min*\n1 GiB' },
        { type: 'mrkdwn', text: '*Avg*\n1.23 GiB' },
        { type: 'mrkdwn', text: '*Max*\n2 GiB' },
        { type: 'mrkdwn', text: '*Latest*\n1.46 GiB' },
      ],
    });
    // 48 points, 48 slices: a steady rise; slice i is level round(i / 47 * 7).
    expect(message.blocks[2]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: '```▁▁▁▁▂▂▂▂▂▂▂▃▃▃▃▃▃▄▄▄▄▄▄▄▅▅▅▅▅▅▅▆▆▆▆▆▆▇▇▇▇▇▇▇████```' } });
    expect(message.blocks[3]).toMatchObject({ elements: [{ text: 'memory usage of *api* · ▁ 1 GiB … █ 1.46 GiB · 96 samples' }, {}] });
  });

  it('says so when nothing was recorded, for hostile names too', () => {
    for (const name of NAMES) {
      const message = renderHistory({ target: { kind: 'container', name }, window: '7d', fromMs: T0 - 7 * 24 * HOUR, toMs: T0, points: [], summary: null });
      expectSafe(message);
      expect(message.text).toContain('no history');
    }
  });
});

describe('renderAlerts', () => {
  it('lists alerts and silences, or says there are none', () => {
    const none = renderAlerts({ alerts: [], silences: [] });
    expectSafe(none);
    expect(allTexts(none)).toContain('*Active alerts*: none');
    const some = renderAlerts({ alerts: [alertRow('api', 0)], silences: [silenceRowOf('api', 1)] });
    expectSafe(some);
    expect(allTexts(some).join('\n')).toContain('🔕 *2* every rule on api until <!date^1761570000^{date_short_pretty} {time}|2025-10-27 13:00 UTC> — by &lt;!channel&gt; &amp; &lt;@U0ADMIN&gt;');
  });

  it('stays within limits for 200 alerts and 200 silences with hostile names and reasons', () => {
    const message = renderAlerts({ alerts: many(200, alertRow), silences: many(200, silenceRowOf) });
    expectSafe(message);
    const texts = allTexts(message).join('\n');
    expect(texts).toContain('…and 181 more');
    expect(texts).toContain('…and 186 more');
  });
});

describe('silence answers, help and errors', () => {
  it('confirms a silence with its id and how to end it', () => {
    const message = renderSilenced({ silence: silenceRowOf('api', 0), duration: '4h', alert: { fingerprint: '0123456789abcdef', description: 'api uses 96.5% of its 2 GiB memory limit' } });
    expectSafe(message);
    expect(message.blocks[1]).toEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: 'Silence *1* · `/mem unsilence 1` ends it early' }] });
    expect(allTexts(message).join('\n')).toContain('🔕 Silenced *rule-api* on *every target* for 4h, until <!date^1761570000^');
  });

  it('keeps hostile reasons and ids escaped in every answer', () => {
    for (const name of NAMES) {
      expectSafe(renderSilenced({ silence: silenceRowOf(name, 1), duration: '24h', alert: { fingerprint: 'ffffffffffffffff', description: `${name} ${'d'.repeat(5000)}` } }));
      expectSafe(renderSilenceRefused(`no active alert id starts with ${name}`));
      expectSafe(renderUnsilenced(3, silenceRowOf(name, 2)));
    }
    expectSafe(renderUnsilenced(3, null));
  });

  it('help lists every subcommand with its syntax as code (angle brackets escaped)', () => {
    const message = renderHelp();
    expectSafe(message);
    const body = allTexts(message).join('\n');
    expect(body).toContain('• `/mem history &lt;container|host&gt; [6h|24h|7d]` — min/avg/max and a sparkline (default 24h)');
    expect(body).toContain('• `/mem status [public]` — host, containers, top process groups and active alerts (public: post it to the channel)');
  });

  it('usage errors quote the input escaped and show the right usage', () => {
    const message = renderUsageError({ message: 'unknown subcommand "<!channel>"', subcommand: null });
    expectSafe(message);
    expect(message.blocks[0]).toEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: '⚠️ unknown subcommand "&lt;!channel&gt;"\nSubcommands: `status`, `top`, `containers`, `diagnose`, `history`, `alerts`, `silence`, `unsilence`, `run`, `runbooks`, `audit`, `remediation`, `digest`, `help`' },
    });
    expectSafe(renderUsageError({ message: 'top takes a number from 1 to 50, not "x"', subcommand: 'top' }));
  });

  it('the error text is constant and friendly', () => {
    const message = renderCommandError();
    expectSafe(message);
    expect(message).toEqual({ text: COMMAND_ERROR_TEXT, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `⚠️ ${COMMAND_ERROR_TEXT}` } }] });
  });
});

describe('outside text in every /mem answer', () => {
  /** A /proc command line or a label that tries to clear the screen, ring, reverse and hide text. */
  const CONTROL = 'evil\u001b[2J\u0007\u202egpj.exe\u200bx\u2066';

  it('escapes control and bidi characters (ESC, BEL, U+202E, zero-width) in Slack texts, never passing them raw', () => {
    const messages = [
      renderStatus({ ...statusView(0), host: { ...host, hostname: CONTROL }, containers: [containerRow(CONTROL)], groups: [groupRow(CONTROL)], alerts: [alertRow(CONTROL)], errors: [CONTROL] }),
      renderContainers({ hostname: CONTROL, takenAt: T0, docker: { reachable: false, error: CONTROL }, containers: [containerRow(CONTROL)], hostTotalBytes: 16 * GiB }),
      renderTop({ hostname: CONTROL, takenAt: T0, limit: 5, groups: [groupRow(CONTROL)], totalGroups: 1 }),
      renderDiagnose({ hostname: CONTROL, takenAt: T0, container: CONTROL, findings: [finding(CONTROL, 2)] }),
      renderAlerts({ alerts: [alertRow(CONTROL)], silences: [silenceRowOf(CONTROL)] }),
      renderSilenced({ silence: silenceRowOf(CONTROL), duration: '4h', alert: { fingerprint: '0123456789abcdef', description: CONTROL } }),
      renderSilenceRefused(CONTROL),
      renderUnknownContainer(CONTROL, [CONTROL]),
    ];
    for (const message of messages) {
      expectSafe(message);
      for (const text of allTexts(message)) {
        // eslint-disable-next-line no-control-regex -- finding raw control characters is the point
        expect(text, text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/u);
      }
      expect(allTexts(message).join('\n')).toContain('\\u202e');
    }
  });
});
