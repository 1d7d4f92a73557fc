// Transitions -> notifier -> outbox (a real SQLite file) -> dispatcher -> WebApiSink -> nock:
// for every transition kind, the exact Web API calls and bodies. Transitions come from the real
// state machine (stepped by hand, states stored as the engine stores them). Time is a fake clock.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { step } from '../../../src/alerts/state-machine.js';
import type { AlertState, AlertTarget, AlertTransition } from '../../../src/model/alert.js';
import type { AlertRule } from '../../../src/model/alert-rule.js';
import type { Finding } from '../../../src/model/finding.js';
import { createAlertNotifier, type AlertNotifierOptions } from '../../../src/alerts/alert-notifier.js';
import { createOutboxDispatcher, type OutboxDispatcher } from '../../../src/delivery/outbox-dispatcher.js';
import { createOutboxWebClient, createWebApiSink } from '../../../src/slack/delivery/web-api-sink.js';
import { renderAlertDetails, renderAlertParent, renderAlertTimelineEntry } from './render/rendered-notices.js';
import { buildAlertViewModel } from '../../../src/alerts/alert-view.js';
import type { SlackMessage } from '../../../src/slack/render/block-kit-limits.js';
import { insertSilence, saveAlertRound } from '../../../src/store/alert-state.js';
import type { Database } from '../../../src/store/database.js';
import { countPendingOutbox, getAlertMessage } from '../../../src/store/outbox.js';
import { observe, ruleFrom } from '../alerts/helpers.js';
import {
  BOT_TOKEN,
  type CapturedLog,
  captureLog,
  container,
  expectSlackCall,
  type FakeClock,
  fakeClock,
  MINUTE,
  nearLimitFindings,
  oomFindings,
  oomTransition,
  SLACK_API_URL,
  type SlackCall,
  slackConfig,
  T0,
  type TempDb,
  tempDb,
  transition,
  useSlackNock,
} from './delivery/helpers.js';

const slack = useSlackNock();
const PARENT_TS = '1761555600.000100';
const CHANNEL_ID = 'C0OPSMEM';
const MENTION = 'S0ONCALL1';

let t: TempDb;
let clock: FakeClock;
let log: CapturedLog;
beforeEach(() => {
  t = tempDb();
  clock = fakeClock();
  log = captureLog();
});
afterEach(() => t.cleanup());

interface Harness {
  notify(transitions: AlertTransition[]): void;
  dispatcher: OutboxDispatcher;
}

function harness(db: Database = t.db, options: Partial<AlertNotifierOptions> = {}): Harness {
  const notifier = createAlertNotifier({ db, config: slackConfig(), findingsFor: () => nearLimitFindings(), logger: log.logger, clock: clock.clock, ...options });
  const sink = createWebApiSink(createOutboxWebClient({ token: BOT_TOKEN, slackApiUrl: SLACK_API_URL }));
  const dispatcher = createOutboxDispatcher({ db, sink, clock: clock.clock, logger: log.logger, sleep: clock.sleep, random: () => 0 });
  return { notify: (transitions) => notifier.notify(transitions), dispatcher };
}

/** Steps one alert through the state machine and stores the round as the engine does. */
function stepper(db: () => Database, rule: AlertRule, target: AlertTarget) {
  let state: AlertState | null = null;
  return {
    get state() {
      return state;
    },
    at(time: number, value: number | undefined, silenced = false): AlertTransition[] {
      clock.now = time;
      const result = step(state, value === undefined ? undefined : observe(rule, value, target), rule, time, silenced);
      const fingerprint = result.transitions[0]?.fingerprint ?? state?.fingerprint;
      saveAlertRound(db(), { upserts: result.state ? [result.state] : [], deletes: !result.state && fingerprint ? [fingerprint] : [], transitions: result.transitions });
      state = result.state;
      return result.transitions;
    },
  };
}

// What Slack must receive, rendered from the same view model the notifier builds.
function vmOf(tr: AlertTransition, findings: Finding[], firingSince: number | null, silencedUntil: number | null = null) {
  return buildAlertViewModel(tr, findings, { criticalMention: MENTION, firingSince, silencedUntil });
}
const body = (message: SlackMessage, extra: Record<string, unknown>) => ({ ...extra, text: message.text, blocks: message.blocks });
const postParent = (m: SlackMessage, channel: string): SlackCall => ({ method: 'chat.postMessage', body: body(m, { channel }) });
const reply = (m: SlackMessage): SlackCall => ({ method: 'chat.postMessage', body: body(m, { channel: CHANNEL_ID, thread_ts: PARENT_TS }) });
const update = (m: SlackMessage): SlackCall => ({ method: 'chat.update', body: body(m, { channel: CHANNEL_ID, ts: PARENT_TS }) });
const headerOf = (call: SlackCall | undefined) => ((call?.body.blocks as { text?: { text?: string } }[] | undefined)?.[0]?.text?.text ?? null);

function answerPost(times = 1) {
  for (let i = 0; i < times; i++) expectSlackCall(slack.calls, 'chat.postMessage', { body: { ok: true, channel: CHANNEL_ID, ts: i === 0 ? PARENT_TS : `1761555600.00020${i}` } });
}
function answerReplies(times: number) {
  for (let i = 0; i < times; i++) expectSlackCall(slack.calls, 'chat.postMessage', { body: { ok: true, channel: CHANNEL_ID, ts: `1761555999.00000${i}` } });
}
function answerUpdates(times: number) {
  for (let i = 0; i < times; i++) expectSlackCall(slack.calls, 'chat.update', { body: { ok: true, channel: CHANNEL_ID, ts: PARENT_TS } });
}

describe('alert notifier: every transition kind, as Web API calls', () => {
  it('pending, updated, firing, severity-changed, updated, resolved: one parent kept up to date, its thread for what matters', async () => {
    const h = harness();
    const rule = ruleFrom('container-near-limit');
    const alert = stepper(() => t.db, rule, container('bizcard-celery-worker'));
    const findings = nearLimitFindings();
    const sent = () => slack.calls.splice(0);

    // pending (warning): the parent goes to the warning channel (here: the default), then the details.
    answerPost();
    answerReplies(1);
    const [pending] = alert.at(T0, 90);
    expect(pending?.event).toBe('pending');
    h.notify([pending!]);
    await h.dispatcher.drain();
    const pendingVm = vmOf(pending!, findings, null);
    expect(sent()).toEqual([postParent(renderAlertParent(pendingVm), '#ops-memory'), reply(renderAlertDetails(pendingVm))]);
    expect(getAlertMessage(t.db, `${pending!.fingerprint}:${T0}`)).toMatchObject({ channel: '#ops-memory', channelId: CHANNEL_ID, parentTs: PARENT_TS });

    // updated while pending (it reached critical): the parent only.
    answerUpdates(1);
    const [updatedPending] = alert.at(T0 + 30_000, 96);
    expect(updatedPending).toMatchObject({ event: 'updated', severity: 'critical', to: 'pending' });
    h.notify([updatedPending!]);
    await h.dispatcher.drain();
    const updatedPendingMessage = renderAlertParent(vmOf(updatedPending!, findings, null));
    expect(sent()).toEqual([update(updatedPendingMessage)]);
    expect(updatedPendingMessage.text.startsWith(`<!subteam^${MENTION}> 🔴 PENDING · critical`)).toBe(true);

    // firing: the parent, and a timeline reply.
    answerUpdates(1);
    answerReplies(1);
    const [firing] = alert.at(T0 + MINUTE, 96);
    expect(firing?.event).toBe('firing');
    h.notify([firing!]);
    await h.dispatcher.drain();
    expect(sent()).toEqual([update(renderAlertParent(vmOf(firing!, findings, T0 + MINUTE))), reply(renderAlertTimelineEntry(firing!, { criticalMention: MENTION }))]);

    // severity-changed (critical -> warning): the parent, and a timeline reply.
    answerUpdates(1);
    answerReplies(1);
    const [deescalated] = alert.at(T0 + 2 * MINUTE, 88);
    expect(deescalated).toMatchObject({ event: 'severity-changed', previousSeverity: 'critical', severity: 'warning' });
    h.notify([deescalated!]);
    await h.dispatcher.drain();
    const calls = sent();
    expect(calls).toEqual([update(renderAlertParent(vmOf(deescalated!, findings, T0 + MINUTE))), reply(renderAlertTimelineEntry(deescalated!, { criticalMention: MENTION }))]);
    expect(headerOf(calls[0])).toBe('🟠 FIRING · warning · bizcard-celery-worker');

    // updated while firing: the parent only.
    answerUpdates(1);
    const [updatedFiring] = alert.at(T0 + 3 * MINUTE, 80);
    expect(updatedFiring?.event).toBe('updated');
    h.notify([updatedFiring!]);
    await h.dispatcher.drain();
    expect(sent()).toEqual([update(renderAlertParent(vmOf(updatedFiring!, findings, T0 + MINUTE)))]);

    // resolved: the parent (with how long it lasted), and a timeline reply.
    answerUpdates(1);
    answerReplies(1);
    const [resolved] = alert.at(T0 + 4 * MINUTE, 50);
    expect(resolved?.event).toBe('resolved');
    h.notify([resolved!]);
    await h.dispatcher.drain();
    const resolvedCalls = sent();
    expect(resolvedCalls).toEqual([update(renderAlertParent(vmOf(resolved!, findings, T0 + MINUTE))), reply(renderAlertTimelineEntry(resolved!, { criticalMention: MENTION }))]);
    expect(headerOf(resolvedCalls[0])).toBe('✅ RESOLVED · warning · bizcard-celery-worker');
    expect(String(resolvedCalls[1]?.body.text)).toContain('after 4m');
    expect(countPendingOutbox(t.db)).toBe(0);
  });

  it('cancelled: the pending parent is updated in place, nothing is added to the thread', async () => {
    const h = harness();
    const alert = stepper(() => t.db, ruleFrom('container-near-limit'), container('api'));
    answerPost();
    answerReplies(1);
    h.notify(alert.at(T0, 90));
    await h.dispatcher.drain();
    slack.calls.length = 0;

    answerUpdates(1);
    const [cancelled] = alert.at(T0 + 30_000, 50);
    expect(cancelled?.event).toBe('cancelled');
    h.notify([cancelled!]);
    await h.dispatcher.drain();
    expect(slack.calls).toEqual([update(renderAlertParent(vmOf(cancelled!, nearLimitFindings(), null)))]);
    expect(headerOf(slack.calls[0])).toBe('⚪ CANCELLED · warning · api');
  });

  it('a critical OOM kill goes to the critical channel and mentions the on-call group', async () => {
    const h = harness(t.db, { findingsFor: () => oomFindings() });
    const oom = oomTransition();
    expectSlackCall(slack.calls, 'chat.postMessage', { body: { ok: true, channel: 'C0CRIT', ts: '5.5' } });
    expectSlackCall(slack.calls, 'chat.postMessage', { body: { ok: true, channel: 'C0CRIT', ts: '5.6' } });
    h.notify([oom]);
    await h.dispatcher.drain();
    const vm = vmOf(oom, oomFindings(), oom.at);
    expect(slack.calls).toEqual([
      postParent(renderAlertParent(vm), '#ops-critical'),
      { method: 'chat.postMessage', body: body(renderAlertDetails(vm), { channel: 'C0CRIT', thread_ts: '5.5' }) },
    ]);
    expect(String(slack.calls[0]?.body.text)).toMatch(/^<!subteam\^S0ONCALL1> 🔴 FIRING · critical · bizcard-celery-worker: OOM kill in bizcard-celery-worker \(Celery worker celery@bizcard-worker-1\)/);
  });

  it('silenced transitions update the parent (silenced until when) and post nothing new; unsilenced ones update it back', async () => {
    const h = harness();
    answerPost();
    answerReplies(1);
    const firing = transition({ event: 'firing', at: T0 + MINUTE });
    h.notify([firing]);
    await h.dispatcher.drain();
    slack.calls.length = 0;

    const until = T0 + 4 * 60 * MINUTE;
    insertSilence(t.db, { ruleId: 'container-near-limit', target: 'bizcard-*', until, createdBy: 'U0ALICE', reason: 'deploying' }, T0 + 2 * MINUTE);
    answerUpdates(2);
    const silencedUpdate = transition({ event: 'updated', value: 93, at: T0 + 3 * MINUTE, silenced: true });
    const silencedEscalation = transition({ event: 'severity-changed', previousSeverity: 'warning', severity: 'critical', value: 97, threshold: 95, at: T0 + 4 * MINUTE, silenced: true });
    h.notify([silencedUpdate]);
    await h.dispatcher.drain();
    h.notify([silencedEscalation]);
    await h.dispatcher.drain();
    expect(slack.calls).toEqual([
      update(renderAlertParent(vmOf(silencedUpdate, nearLimitFindings(), null, until))),
      update(renderAlertParent(vmOf(silencedEscalation, nearLimitFindings(), null, until))),
    ]);
    for (const call of slack.calls) {
      expect(JSON.stringify(call.body.blocks)).toContain(`🔕 Silenced until <!date^${until / 1000}^`);
      expect(String(call.body.text)).not.toContain('subteam');
    }
    slack.calls.length = 0;

    // The silence is over: the next transition shows the alert as not silenced again.
    t.db.prepare('DELETE FROM alert_silences').run();
    answerUpdates(1);
    const unsilenced = transition({ event: 'updated', severity: 'critical', value: 99, threshold: 95, at: T0 + 5 * MINUTE });
    h.notify([unsilenced]);
    await h.dispatcher.drain();
    expect(slack.calls).toEqual([update(renderAlertParent(vmOf(unsilenced, nearLimitFindings(), null)))]);
    expect(JSON.stringify(slack.calls[0]?.body.blocks)).not.toContain('Silenced');
  });

  it('an alert that fires under a silence posts nothing until it is announced unsilenced', async () => {
    const h = harness();
    h.notify([transition({ event: 'firing', silenced: true }), transition({ event: 'updated', silenced: true, at: T0 + 6 * MINUTE })]);
    await h.dispatcher.drain();
    expect(slack.calls).toEqual([]);
    answerPost();
    answerReplies(1);
    const announced = transition({ event: 'firing', from: 'firing', at: T0 + 10 * MINUTE });
    h.notify([announced]);
    await h.dispatcher.drain();
    expect(slack.calls.map((c) => [c.method, c.body.thread_ts])).toEqual([
      ['chat.postMessage', undefined],
      ['chat.postMessage', PARENT_TS],
    ]);
  });

  it('a new episode of the same alert gets a new parent; a finished one with no message posts nothing', async () => {
    const h = harness();
    h.notify([transition({ event: 'resolved', to: 'resolved', reason: 'cleared' }), transition({ event: 'cancelled', to: 'inactive', reason: 'cleared' })]);
    answerPost(2);
    answerReplies(2);
    h.notify([transition({ event: 'firing', startedAt: T0 })]);
    h.notify([transition({ event: 'firing', startedAt: T0 + 60 * MINUTE, at: T0 + 61 * MINUTE })]);
    await h.dispatcher.drain();
    expect(slack.calls.filter((c) => c.body.thread_ts === undefined)).toHaveLength(2);
  });

  it('logs once and posts nothing when no channel is configured for the severity', async () => {
    const h = harness(t.db, { config: slackConfig({ channels: { critical: '#ops-critical' } }) });
    h.notify([transition({ fingerprint: 'a'.repeat(16) }), transition({ fingerprint: 'b'.repeat(16) })]);
    await h.dispatcher.drain();
    expect(slack.calls).toEqual([]);
    expect(countPendingOutbox(t.db)).toBe(0);
    expect(log.at('warn').map((e) => [e.msg, e.severity])).toEqual([['No Slack channel configured for these alerts (slack.channels); they are not posted', 'warning']]);
  });

  it('never throws: a failing findings source is logged and the alert still goes out', async () => {
    const h = harness(t.db, {
      findingsFor: () => {
        throw new Error('history unreadable');
      },
    });
    answerPost();
    answerReplies(1);
    expect(() => h.notify([transition()])).not.toThrow();
    await h.dispatcher.drain();
    expect(slack.calls).toHaveLength(2);
    expect(log.at('warn').map((e) => e.msg)).toEqual(['Findings for an alert could not be read; sending the alert without them']);
  });
});

describe('alert delivery under faults', () => {
  it('429 (Retry-After: 1), then 500, then success, with a restart in between: the alert arrives once, parent first', async () => {
    const first = harness();
    const firing = transition();
    first.notify([firing]);
    const vm = vmOf(firing, nearLimitFindings(), firing.at);
    const parent = renderAlertParent(vm);

    // 1. Slack is rate limiting: the parent waits exactly Retry-After, its details wait behind it.
    expectSlackCall(slack.calls, 'chat.postMessage', { status: 429, body: { ok: false, error: 'ratelimited' }, headers: { 'retry-after': '1' } });
    expect(await first.dispatcher.drain()).toEqual({ sent: 0, failed: 0, retrying: 1 });
    const retryAt = clock.now + 1000;
    const row = t.db.prepare('SELECT next_attempt_at AS next, status FROM outbox ORDER BY id LIMIT 1').get() as { next: number; status: string };
    expect(row).toEqual({ next: retryAt, status: 'pending' });

    // 2. memwarden restarts: the database is closed and opened again, a new dispatcher starts.
    const db = t.reopen();
    const second = harness(db);
    clock.now = retryAt - 1;
    expect(await second.dispatcher.drain()).toEqual({ sent: 0, failed: 0, retrying: 0 });

    // 3. Slack fails with a 500: backoff (random 0 -> half of 1 s).
    clock.now = retryAt;
    expectSlackCall(slack.calls, 'chat.postMessage', { status: 500, body: { ok: false } });
    expect(await second.dispatcher.drain()).toEqual({ sent: 0, failed: 0, retrying: 1 });
    const backoffAt = (db.prepare('SELECT next_attempt_at AS next FROM outbox ORDER BY id LIMIT 1').get() as { next: number }).next;
    expect(backoffAt).toBe(retryAt + 500);

    // 4. Slack is back: the parent, then its details in its thread.
    clock.now = backoffAt;
    answerPost();
    answerReplies(1);
    expect(await second.dispatcher.drain()).toEqual({ sent: 2, failed: 0, retrying: 0 });

    // 5. A later transition, after the restart, updates the same parent.
    answerUpdates(1);
    const later = transition({ event: 'updated', value: 93, at: clock.now + MINUTE });
    clock.now += MINUTE;
    second.notify([later]);
    expect(await second.dispatcher.drain()).toEqual({ sent: 1, failed: 0, retrying: 0 });
    await second.dispatcher.drain();

    expect(slack.calls).toEqual([
      postParent(parent, '#ops-memory'),
      postParent(parent, '#ops-memory'),
      postParent(parent, '#ops-memory'),
      reply(renderAlertDetails(vm)),
      update(renderAlertParent(vmOf(later, nearLimitFindings(), null))),
    ]);
    const rows = db.prepare('SELECT op, status FROM outbox ORDER BY id').all();
    expect(rows).toEqual([
      { op: 'post', status: 'sent' },
      { op: 'reply', status: 'sent' },
      { op: 'update', status: 'sent' },
    ]);
  });

  it('invalid_blocks: the same op is resent once as plain text, and the thread carries on', async () => {
    const h = harness();
    const firing = transition();
    h.notify([firing]);
    const vm = vmOf(firing, nearLimitFindings(), firing.at);
    const parent = renderAlertParent(vm);
    expectSlackCall(slack.calls, 'chat.postMessage', { body: { ok: false, error: 'invalid_blocks' } });
    answerPost();
    answerReplies(1);
    await h.dispatcher.drain();
    expect(slack.calls).toEqual([
      postParent(parent, '#ops-memory'),
      { method: 'chat.postMessage', body: { channel: '#ops-memory', text: parent.text } },
      reply(renderAlertDetails(vm)),
    ]);
    expect(log.at('warn').map((e) => e.msg)).toContain('Slack refused the blocks of a message; resending it as plain text');
  });

  it('msg_blocks_too_long on chat.update: the update is resent as text alone', async () => {
    const h = harness();
    answerPost();
    answerReplies(1);
    h.notify([transition()]);
    await h.dispatcher.drain();
    slack.calls.length = 0;
    const later = transition({ event: 'updated', value: 93, at: T0 + 9 * MINUTE });
    clock.now = later.at;
    h.notify([later]);
    expectSlackCall(slack.calls, 'chat.update', { body: { ok: false, error: 'msg_blocks_too_long' } });
    answerUpdates(1);
    await h.dispatcher.drain();
    const message = renderAlertParent(vmOf(later, nearLimitFindings(), null));
    expect(slack.calls).toEqual([update(message), { method: 'chat.update', body: { channel: CHANNEL_ID, ts: PARENT_TS, text: message.text } }]);
  });

  it('spaces 3 messages to one channel at least 1 s apart (fake clock, no wall time)', async () => {
    const h = harness();
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      expectSlackCall(slack.calls, 'chat.postMessage', { body: { ok: true, channel: CHANNEL_ID, ts: `9.${i}` } }).on('request', () => times.push(clock.now));
    }
    // Three alerts; their details replies are spread out too (6 messages to one channel).
    for (let i = 0; i < 3; i++) {
      expectSlackCall(slack.calls, 'chat.postMessage', { body: { ok: true, channel: CHANNEL_ID, ts: `9.${i + 3}` } }).on('request', () => times.push(clock.now));
    }
    h.notify(['a', 'b', 'c'].map((c) => transition({ fingerprint: c.repeat(16) })));
    await h.dispatcher.drain();
    expect(times).toHaveLength(6);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(1000);
    expect(clock.sleeps.every((ms) => ms <= 1100)).toBe(true);
  });
});
