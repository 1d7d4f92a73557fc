// Who may silence, for how long, and who may end a silence (slack.silence, slack.admins), through
// a real Bolt App: /mem silence, /mem unsilence and the Silence buttons. A refusal is an
// ephemeral sentence and changes nothing; every silence, and every early end of one, is posted
// through the outbox where the channel sees it: in the alert's thread, or in the alert channel
// for a rule-wide silence. Slack's user groups come from usergroups.list (nock).
import nock from 'nock';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlertState } from '../../../../src/model/alert.js';
import type { Config } from '../../../../src/config/schema.js';
import { alertMessageKey } from '../../../../src/alerts/alert-notifier.js';
import { ACTION } from '../../../../src/slack/ids.js';
import { checkBlockKitLimits, type SlackMessage } from '../../../../src/slack/render/block-kit-limits.js';
import { insertAlertMessage, setAlertMessagePosted } from '../../../../src/store/outbox.js';
import { API_URL, buildTestApp, buttonClick, containerTarget, expectRespond, seedAlert, slashCommand, T0, type TestApp, testConfig, useNock } from '../bolt-test-kit.js';
import { payloadSlackMessage } from '../../delivery/payload.js';

useNock();

const HOUR = 3_600_000;
const ADMIN = 'U0ADMIN01';
const BOB = 'U0BOB0001';
const CAROL = 'U0CAROL01';
const DAVE = 'U0DAVE001';
const ALERT_TS = '1761555000.000100';
const UNTIL_4H = '<!date^1761570000^{date_short_pretty} {time}|2025-10-27 13:00 UTC>';

let t: TestApp | undefined;
afterEach(() => {
  t?.services.close();
  t = undefined;
});

function setup(slack: Record<string, unknown> = {}): { app: TestApp; alert: AlertState } {
  const config: Config = testConfig({ admins: [ADMIN], ...slack });
  t = buildTestApp({ config });
  const alert = seedAlert(t.services.db, { ruleId: 'container-near-limit', target: containerTarget('api') });
  return { app: t, alert };
}

/** The alert's parent message as the notifier would have posted it (its ts known). */
function postAlertMessage(app: TestApp, alert: AlertState): string {
  const key = alertMessageKey(alert);
  insertAlertMessage(app.services.db, { messageKey: key, fingerprint: alert.fingerprint, startedAt: alert.startedAt, channel: 'C0MEMWARD' }, T0 - HOUR);
  setAlertMessagePosted(app.services.db, key, 'C0MEMWARD', ALERT_TS, T0 - HOUR);
  return key;
}

interface Queued {
  op: string;
  channel: string;
  orderingKey: string;
  messageKey: string | null;
  message: SlackMessage;
}

function outbox(app: TestApp): Queued[] {
  const rows = app.services.db.prepare('SELECT op, channel, ordering_key, message_key, payload FROM outbox ORDER BY id').all() as {
    op: string;
    channel: string;
    ordering_key: string;
    message_key: string | null;
    payload: string;
  }[];
  return rows.map((row) => ({ op: row.op, channel: row.channel, orderingKey: row.ordering_key, messageKey: row.message_key, message: payloadSlackMessage(JSON.parse(row.payload)) }));
}

function sectionText(message: SlackMessage): string {
  const block = message.blocks[0] as { text?: { text: string } };
  return block.text?.text ?? '';
}

async function command(app: TestApp, text: string, user: string): Promise<Record<string, unknown>> {
  const responded = expectRespond();
  expect(await app.receiver.send(slashCommand(text, { user_id: user }))).toEqual([undefined]);
  const body = await responded;
  expect(body.response_type).toBe('ephemeral');
  return body;
}

async function click(app: TestApp, alert: AlertState, choice: '1h' | '4h' | '24h', user: string): Promise<Record<string, unknown>> {
  const responded = expectRespond();
  const acks = await app.receiver.send(buttonClick(`${ACTION.silenceAlert}:${choice}`, `${alert.fingerprint}|${choice}`, { user: { id: user, username: 'u', name: 'u', team_id: 'T0MEMWARD' } }));
  expect(acks).toEqual([undefined]);
  const body = await responded;
  expect(body).toMatchObject({ response_type: 'ephemeral', replace_original: false });
  return body;
}

/** usergroups.list as Slack answers it: one group, its id and handle, with these members. */
function usergroups(members: string[]): nock.Scope {
  return nock(new URL(API_URL).origin)
    .post('/api/usergroups.list')
    .reply(200, { ok: true, usergroups: [{ id: 'S0ONCALL1', handle: 'oncall', users: members }] });
}

describe('silence policy', () => {
  it('by default anyone may silence up to 24 h and only slack.admins longer; a refusal changes nothing', async () => {
    const { app, alert } = setup();
    const prefix = alert.fingerprint.slice(0, 6);
    const refused = await command(app, `silence ${prefix} 2d deploying`, BOB);
    expect(refused.text).toBe(
      "memwarden: nothing was silenced. You may silence alerts for at most 24h; only memwarden's admins (@U0ADMIN01) may silence for longer.",
    );
    expect(refused.blocks).toEqual([
      { type: 'section', text: { type: 'mrkdwn', text: "⚠️ Nothing was silenced: You may silence alerts for at most 24h; only memwarden's admins (<@U0ADMIN01>) may silence for longer." } },
    ]);
    expect(app.services.alerts.listSilences()).toEqual([]);
    expect(outbox(app)).toEqual([]);

    expect((await command(app, `silence ${prefix} 24h deploying`, BOB)).text).toBe('memwarden: silenced container-near-limit on api for 24h (silence 1)');
    expect((await command(app, 'silence memory-leak-suspected 7d known leak', ADMIN)).text).toBe('memwarden: silenced memory-leak-suspected on every target for 7d (silence 2)');
    expect(app.services.alerts.listSilences().map((s) => [s.createdBy, s.until])).toEqual([
      [BOB, T0 + 24 * HOUR],
      [ADMIN, T0 + 7 * 24 * HOUR],
    ]);
  });

  it('a policy listing users and groups lets only them (and admins) silence, from the command and the buttons, up to its maxDuration', async () => {
    const { app, alert } = setup({ silence: { users: [CAROL], groups: ['S0ONCALL1'], maxDuration: '4h' } });
    // Bob is in no group: refused, and nothing changes.
    const lookup = usergroups([DAVE]);
    const refused = await click(app, alert, '1h', BOB);
    expect(lookup.isDone()).toBe(true);
    expect(refused.blocks).toEqual([
      {
        type: 'section',
        text: { type: 'mrkdwn', text: "⚠️ Nothing was silenced: Only <@U0CAROL01>, <!subteam^S0ONCALL1> and memwarden's admins (<@U0ADMIN01>) may silence alerts here." },
      },
    ]);
    expect(app.services.alerts.listSilences()).toEqual([]);
    // Dave is in the on-call group: allowed, up to the policy's 4h.
    usergroups([DAVE]);
    expect((await click(app, alert, '4h', DAVE)).text).toBe('memwarden: silenced container-near-limit on api for 4h (silence 1)');
    usergroups([DAVE]);
    expect((await command(app, `silence ${alert.fingerprint.slice(0, 6)} 5h`, DAVE)).text).toBe(
      "memwarden: nothing was silenced. You may silence alerts for at most 4h; only memwarden's admins (@U0ADMIN01) may silence for longer.",
    );
    // Carol is listed by id: no lookup needed (a request without a mock would fail the test).
    expect((await click(app, alert, '1h', CAROL)).text).toBe('memwarden: silenced container-near-limit on api for 1h (silence 2)');
    expect(app.services.alerts.listSilences().map((s) => s.createdBy)).toEqual([CAROL, DAVE]);
  });

  it('says so, and silences nothing, when Slack cannot tell the user groups', async () => {
    const { app, alert } = setup({ silence: { groups: ['S0ONCALL1'] } });
    nock(new URL(API_URL).origin).post('/api/usergroups.list').reply(200, { ok: false, error: 'missing_scope' });
    const body = await click(app, alert, '1h', BOB);
    expect(body.text).toBe('memwarden: nothing was silenced. Could not check your Slack user groups just now: try again in a minute.');
    expect(app.services.alerts.listSilences()).toEqual([]);
  });

  it('posts a visible note in the alert thread saying who silenced what, until when and why; a rule-wide silence goes to the alert channel', async () => {
    const { app, alert } = setup();
    const key = postAlertMessage(app, alert);
    await click(app, alert, '4h', BOB);
    await command(app, 'silence memory-leak-suspected 2d known leak, fix on Monday', ADMIN);
    const queued = outbox(app);
    expect(queued.map((q) => [q.op, q.channel, q.orderingKey, q.messageKey])).toEqual([
      ['reply', 'C0MEMWARD', alert.fingerprint, key],
      ['post', 'C0MEMWARD', 'silence:2', null],
    ]);
    for (const q of queued) expect(checkBlockKitLimits(q.message)).toEqual([]);
    expect(sectionText(queued[0]!.message)).toBe(`🔕 <@U0BOB0001> silenced *container-near-limit* on *api* until ${UNTIL_4H} (4h).\nReason: silenced from the alert message in Slack`);
    expect(sectionText(queued[1]!.message)).toBe(
      '🔕 <@U0ADMIN01> silenced *memory-leak-suspected* on *every target* until <!date^1761728400^{date_short_pretty} {time}|2025-10-29 09:00 UTC> (2d).\nReason: known leak, fix on Monday',
    );
    expect(queued[0]!.message.text).toBe('memwarden: @U0BOB0001 silenced container-near-limit on api for 4h (silence 1)');
  });

  it('a host alert (its silence names no target) gets the note in its own thread too', async () => {
    const { app } = setup();
    const host = seedAlert(app.services.db, { ruleId: 'host-memory-used', kind: 'host-used-percent', target: { kind: 'host', name: 'box', containerId: null, containerName: null, labels: {} } });
    const key = postAlertMessage(app, host);
    await click(app, host, '1h', BOB);
    expect(app.services.alerts.listSilences().map((s) => [s.ruleId, s.target])).toEqual([['host-memory-used', null]]);
    expect(outbox(app).map((q) => [q.op, q.messageKey])).toEqual([['reply', key]]);
  });

  it('an alert without a Slack message yet gets its note in the alert channel', async () => {
    const { app, alert } = setup();
    await command(app, `silence ${alert.fingerprint.slice(0, 6)} 1h`, BOB);
    expect(outbox(app).map((q) => [q.op, q.channel, q.messageKey])).toEqual([['post', 'C0MEMWARD', null]]);
  });

  it('who may end a silence: whoever set it, an admin, or someone the policy allows; anyone else is refused and the silence stays', async () => {
    const { app, alert } = setup({ silence: { users: [CAROL] } });
    const key = postAlertMessage(app, alert);
    const silence = app.services.alerts.addSilence({ ruleId: 'container-near-limit', target: 'api', until: T0 + HOUR, createdBy: CAROL, reason: 'deploy' });
    const refused = await command(app, `unsilence ${silence.id}`, BOB);
    expect(refused.blocks).toEqual([
      {
        type: 'section',
        text: { type: 'mrkdwn', text: `⚠️ Silence *${silence.id}* stays: only whoever set it (<@U0CAROL01>), the people who may silence alerts (<@U0CAROL01>) and memwarden's admins (<@U0ADMIN01>) may end it.` },
      },
    ]);
    expect(app.services.alerts.listSilences().map((s) => s.id)).toEqual([silence.id]);
    expect(outbox(app)).toEqual([]);

    expect((await command(app, `unsilence ${silence.id}`, ADMIN)).text).toBe('memwarden: silence 1 ended (container-near-limit on api)');
    expect(app.services.alerts.listSilences()).toEqual([]);
    const [note] = outbox(app);
    expect([note?.op, note?.messageKey]).toEqual(['reply', key]);
    expect(sectionText(note!.message)).toBe('🔔 <@U0ADMIN01> ended silence *1* early (*container-near-limit* on *api*, set by <@U0CAROL01> until <!date^1761559200^{date_short_pretty} {time}|2025-10-27 10:00 UTC>): its alerts notify again.');

    const own = app.services.alerts.addSilence({ ruleId: 'oom-kill', target: null, until: T0 + HOUR, createdBy: BOB, reason: 'r' });
    expect((await command(app, `unsilence ${own.id}`, BOB)).text).toBe(`memwarden: silence ${own.id} ended (oom-kill on every target)`);
  });

  it('by default anyone may end a silence', async () => {
    const { app } = setup();
    const silence = app.services.alerts.addSilence({ ruleId: 'oom-kill', target: null, until: T0 + HOUR, createdBy: CAROL, reason: 'r' });
    expect((await command(app, `unsilence ${silence.id}`, BOB)).text).toBe('memwarden: silence 1 ended (oom-kill on every target)');
    expect(outbox(app).map((q) => [q.op, q.channel])).toEqual([['post', 'C0MEMWARD']]);
  });
});
