// The silence buttons of an alert message, clicked through a real Bolt App: the buttons are
// taken from the real alert renderer, so the listener and the message agree on action_id and
// value. A forged or altered value changes nothing and the clicker is told.
import { afterEach, describe, expect, it } from 'vitest';
import type { AlertState } from '../../../../../src/model/alert.js';
import { ACTION } from '../../../../../src/slack/ids.js';
import { SILENCE_CHOICES } from '../../../../../src/model/alert.js';
import { parseSilenceButtonValue, SILENCE_BUTTON_REASON } from '../../../../../src/slack/listeners/actions/silence-alert.js';
import { renderAlertParent } from '../../render/rendered-notices.js';
import { buildAlertViewModel } from '../../../../../src/alerts/alert-view.js';
import { checkBlockKitLimits } from '../../../../../src/slack/render/block-kit-limits.js';
import { buildTestApp, buttonClick, containerTarget, expectRespond, seedAlert, T0, type TestApp, useNock } from '../../bolt-test-kit.js';

useNock();

const HOUR = 3_600_000;
let t: TestApp | undefined;
afterEach(() => {
  t?.services.close();
  t = undefined;
});

function setup(): { app: TestApp; alert: AlertState } {
  t = buildTestApp();
  const alert = seedAlert(t.services.db, { ruleId: 'container-near-limit', target: containerTarget('api') });
  return { app: t, alert };
}

/** The silence buttons exactly as the alert message renders them. */
function silenceButtons(alert: AlertState): { action_id: string; value: string; label: string }[] {
  const parent = renderAlertParent(buildAlertViewModel(alert, []));
  const actions = parent.blocks.find((block) => block.type === 'actions');
  const elements = (actions && actions.type === 'actions' ? actions.elements : []) as unknown as { action_id: string; value: string; text: { text: string } }[];
  return elements.filter((e) => e.text.text.startsWith('Silence')).map((e) => ({ action_id: e.action_id, value: e.value, label: e.text.text }));
}

async function click(app: TestApp, actionId: string, value: string): Promise<{ acks: unknown[]; body: Record<string, unknown> }> {
  const responded = expectRespond();
  const acks = await app.receiver.send(buttonClick(actionId, value));
  const body = await responded;
  expect(checkBlockKitLimits({ text: body.text as string, blocks: (body.blocks ?? []) as never })).toEqual([]);
  return { acks, body };
}

describe('silence buttons', () => {
  it('the alert message offers one button per SILENCE_CHOICES', () => {
    const { alert } = setup();
    expect(silenceButtons(alert).map((b) => b.label)).toEqual(SILENCE_CHOICES.map((choice) => `Silence ${choice}`));
  });

  it('a click acks, silences the alert for the chosen time with the clicker as author, and answers only the clicker', async () => {
    const { app, alert } = setup();
    const button = silenceButtons(alert).find((b) => b.label === 'Silence 4h');
    if (!button) throw new Error('no Silence 4h button');
    const { acks, body } = await click(app, button.action_id, button.value);
    expect(acks).toEqual([undefined]);
    expect(app.services.alerts.listSilences()).toEqual([
      { id: 1, ruleId: 'container-near-limit', target: 'api', until: T0 + 4 * HOUR, createdBy: 'U0BOB0001', reason: SILENCE_BUTTON_REASON, createdAt: T0 },
    ]);
    expect(body).toEqual({
      response_type: 'ephemeral',
      replace_original: false,
      text: 'memwarden: silenced container-near-limit on api for 4h (silence 1)',
      blocks: [
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text: `🔕 Silenced *container-near-limit* on *api* for 4h, until <!date^1761570000^{date_short_pretty} {time}|2025-10-27 13:00 UTC>.\nAlert \`${alert.fingerprint.slice(0, 8)}\`: api uses 96.5% of its 2 GiB memory limit\nReason: silenced from the alert message in Slack`,
          },
        },
        { type: 'context', elements: [{ type: 'mrkdwn', text: 'Silence *1* · `/mem unsilence 1` ends it early' }] },
      ],
    });
  });

  it('also answers the bare action_id', async () => {
    const { app, alert } = setup();
    await click(app, ACTION.silenceAlert, `${alert.fingerprint}|1h`);
    expect(app.services.alerts.listSilences().map((s) => s.until)).toEqual([T0 + HOUR]);
  });

  it('a forged or altered value silences nothing, says so, and is logged', async () => {
    const { app, alert } = setup();
    const forged = [
      `${alert.fingerprint}|2h`, // not one of the choices
      `${alert.fingerprint}|720h`,
      `${alert.fingerprint}|1h|extra`,
      `${alert.fingerprint.toUpperCase()}|1h`,
      `${alert.fingerprint.slice(0, 15)}|1h`,
      '|1h',
      '',
      '<!channel>|1h',
      'x'.repeat(10_000),
    ];
    for (const value of forged) {
      const { acks, body } = await click(app, `${ACTION.silenceAlert}:1h`, value);
      expect(acks).toEqual([undefined]);
      expect(body).toEqual({
        response_type: 'ephemeral',
        replace_original: false,
        text: 'memwarden: nothing was silenced. this button was not made by memwarden (its value was changed).',
        blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '⚠️ Nothing was silenced: this button was not made by memwarden (its value was changed).' } }],
      });
    }
    expect(app.services.alerts.listSilences()).toEqual([]);
    const warnings = app.lines.filter((line) => line.msg === 'Silence button with a value memwarden did not make');
    expect(warnings).toHaveLength(forged.length);
    // The logged value is cut, never the whole 10k characters.
    expect(Math.max(...warnings.map((w) => String(w.value).length))).toBeLessThanOrEqual(100);
    expect(warnings[0]).toMatchObject({ level: 40, user: 'U0BOB0001', channel: 'C0MEMWARD' });
  });

  it('a well-formed value for an alert that is not active silences nothing', async () => {
    const { app } = setup();
    const { body } = await click(app, `${ACTION.silenceAlert}:1h`, '0123456789abcdef|1h');
    expect(body.text).toBe('memwarden: nothing was silenced. that alert is no longer active (it resolved, or the button was changed).');
    expect(app.services.alerts.listSilences()).toEqual([]);
  });

  it('a fix button is not a silence button: without remediation configured it says so and silences nothing', async () => {
    const { app, alert } = setup();
    const { acks, body } = await click(app, 'remediation_request:0', `${alert.fingerprint}-x-0`);
    expect(acks).toEqual([undefined]);
    expect(body.text).toBe('memwarden: remediation is not configured here');
    expect(app.services.alerts.listSilences()).toEqual([]);
  });
});

describe('parseSilenceButtonValue', () => {
  it('accepts exactly "<16 hex>|<choice>"', () => {
    expect(parseSilenceButtonValue('0123456789abcdef|24h')).toEqual({ fingerprint: '0123456789abcdef', duration: '24h' });
    for (const bad of [undefined, null, 42, {}, '0123456789abcdef|24H', '0123456789abcdef |1h', '0123456789abcdeg|1h', '0123456789abcdef|1h\n']) {
      expect(parseSilenceButtonValue(bad)).toBeNull();
    }
  });
});
