// The alert renderers: golden files pin the blocks of four typical alerts (regenerate with
// UPDATE_GOLDEN=1 and review the diff), and every message, also built from hostile input, must
// pass checkBlockKitLimits.
import { describe, expect, it } from 'vitest';
import type { AlertState, AlertTransition } from '../../../../src/model/alert.js';
import type { Finding, Recommendation } from '../../../../src/model/finding.js';
import { ACTION, BLOCK } from '../../../../src/slack/ids.js';
import { SILENCE_CHOICES } from '../../../../src/model/alert.js';
import { renderAlertDetails, renderAlertParent, renderAlertTimelineEntry } from './rendered-notices.js';
import { type AlertViewModel, buildAlertViewModel } from '../../../../src/alerts/alert-view.js';
import { ALERT_ACTION_PATTERN } from '../../../../src/slack/listeners/actions/index.js';
import type { SlackMessage } from '../../../../src/slack/render/block-kit-limits.js';
import { GiB, MINUTE, MiB, T0, WORKER, container, nearLimitFindings, oomFindings, oomTransition, transition } from '../delivery/helpers.js';
import { allTexts, expectConsoleGolden, expectGolden, expectWithinLimits } from './render-kit.js';
import { alertDetailsNotice, alertParentNotice, alertTimelineNotice } from '../../../../src/alerts/alert-notices.js';

const HOUR = 60 * MINUTE;

function buttons(message: SlackMessage): { action_id: string; value: string; text: { text: string } }[] {
  const actions = message.blocks.find((block) => block.type === 'actions');
  return actions && actions.type === 'actions' ? (actions.elements as unknown as { action_id: string; value: string; text: { text: string } }[]) : [];
}

describe('golden alert messages', () => {
  it('a firing warning: header, summary, value vs threshold, since when, diagnosis, fix and silence buttons', () => {
    const vm = buildAlertViewModel(transition(), nearLimitFindings(), { criticalMention: 'S0ONCALL1', recommendationIds: ['rec-near-limit-1'] });
    const parent = renderAlertParent(vm);
    const details = renderAlertDetails(vm);
    expectWithinLimits(parent, details);
    expectGolden('firing-warning', { parent, details });
    expectConsoleGolden('firing-warning', { parent: alertParentNotice(vm), details: alertDetailsNotice(vm) });
    // A warning mentions no one.
    expect(allTexts(parent).join('\n')).not.toContain('subteam');
    expect(buttons(parent).map((b) => [b.action_id, b.value])).toEqual([
      [`${ACTION.requestRemediation}:0`, 'rec-near-limit-1'],
      ...SILENCE_CHOICES.map((choice) => [`${ACTION.silenceAlert}:${choice}`, `0123456789abcdef|${choice}`]),
    ]);
  });

  it('a critical OOM kill naming the Celery worker mentions the on-call group', () => {
    const vm = buildAlertViewModel(oomTransition(), oomFindings(), { criticalMention: 'S0ONCALL1', recommendationIds: ['rec-oom-1', 'rec-oom-2', 'rec-oom-3'] });
    const parent = renderAlertParent(vm);
    const details = renderAlertDetails(vm);
    expectWithinLimits(parent, details);
    expectGolden('critical-oom-kill', { parent, details });
    expectConsoleGolden('critical-oom-kill', { parent: alertParentNotice(vm), details: alertDetailsNotice(vm) });
    expect(parent.text.startsWith('<!subteam^S0ONCALL1> ')).toBe(true);
    expect(allTexts(parent).join('\n')).toContain('celery@bizcard-worker-1');
    // The critical finding is the diagnosis; buttons only for fixes a runbook can apply, in rank order.
    expect(vm.findings[0]?.code).toBe('oom-kill');
    expect(buttons(parent).filter((b) => ALERT_ACTION_PATTERN.requestRemediation.test(b.action_id)).map((b) => [b.text.text, b.value])).toEqual([
      ['Raise the memory limit of bizcard-celery-worker to 4 GiB', 'rec-oom-2'],
      ['Lower the Celery concurrency of celery@bizcard-worker-1 to 4', 'rec-oom-3'],
    ]);
  });

  it('a resolved alert says when and after how long, and offers no buttons', () => {
    const resolved = transition({
      event: 'resolved',
      from: 'firing',
      to: 'resolved',
      value: 78.2,
      at: T0 + 17 * MINUTE,
      reason: 'cleared',
      summary: 'bizcard-celery-worker uses 78.2% of its 3 GiB memory limit, back below 80.0% (resolved)',
    });
    const vm = buildAlertViewModel(resolved, [], { firingSince: T0 + MINUTE, criticalMention: 'S0ONCALL1' });
    const parent = renderAlertParent(vm);
    const timeline = renderAlertTimelineEntry(resolved);
    expectWithinLimits(parent, timeline);
    expectGolden('resolved', { parent, timeline });
    expectConsoleGolden('resolved', { parent: alertParentNotice(vm), timeline: alertTimelineNotice(resolved) });
    expect(buttons(parent)).toEqual([]);
    expect(allTexts(parent).join('\n')).toContain('after 17m: the condition cleared');
    expect(timeline.text).toContain('*Resolved* <!date^1761556620^{date_short_pretty} {time}|2025-10-27 09:17 UTC> after 17m');
  });

  it('a silenced alert says until when, mentions no one and keeps its buttons', () => {
    const silenced = oomTransition({ event: 'updated', from: 'firing', value: 2, at: T0 + 10 * MINUTE, silenced: true, summary: 'OOM kill in bizcard-celery-worker (Celery worker celery@bizcard-worker-1): 2 processes killed (another kill)' });
    const vm = buildAlertViewModel(silenced, oomFindings(), { silencedUntil: T0 + 4 * HOUR, criticalMention: 'S0ONCALL1', recommendationIds: ['r1', 'r2', 'r3'], firingSince: T0 + 2 * MINUTE });
    const parent = renderAlertParent(vm);
    expectWithinLimits(parent);
    expectGolden('silenced', { parent });
    expectConsoleGolden('silenced', { parent: alertParentNotice(vm) });
    const texts = allTexts(parent).join('\n');
    expect(texts).toContain('🔕 Silenced until <!date^1761570000^');
    expect(texts).not.toContain('subteam');
    expect(buttons(parent)).toHaveLength(2 + SILENCE_CHOICES.length);
  });
});

describe('renderAlertParent', () => {
  it('puts the actions under the shared block id, with action ids unique in the block and matched by the listener patterns', () => {
    const vm = buildAlertViewModel(oomTransition(), oomFindings());
    const parent = renderAlertParent(vm);
    const actions = parent.blocks.find((block) => block.type === 'actions');
    expect(actions?.block_id).toBe(BLOCK.alertActions);
    const ids = buttons(parent).map((b) => b.action_id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(ALERT_ACTION_PATTERN.silenceAlert.test(id) || ALERT_ACTION_PATTERN.requestRemediation.test(id)).toBe(true);
    expect(ALERT_ACTION_PATTERN.silenceAlert.test(ACTION.silenceAlert)).toBe(true);
    expect(ALERT_ACTION_PATTERN.silenceAlert.test(`${ACTION.silenceAlert}x`)).toBe(false);
  });

  it('shows a pending alert as pending, with how long so far and no firing time', () => {
    const pending = transition({ event: 'pending', from: 'inactive', to: 'pending', at: T0, summary: 'bizcard-celery-worker uses 88.4% of its 3 GiB memory limit, above 85.0% (pending: fires if it lasts 1m)' });
    const vm = buildAlertViewModel(pending, []);
    expect(vm.status).toBe('pending');
    expect(vm.firingSince).toBeNull();
    const parent = renderAlertParent(vm);
    expect(parent.blocks[0]).toMatchObject({ type: 'header', text: { text: '🟠 PENDING · warning · bizcard-celery-worker' } });
    expect(allTexts(parent).join('\n')).not.toContain('Firing since');
  });

  it('shows a cancelled alert with how long it was pending and why', () => {
    const cancelled = transition({ event: 'cancelled', from: 'pending', to: 'inactive', at: T0 + 40_000, reason: 'cleared', summary: 'back below' });
    const parent = renderAlertParent(buildAlertViewModel(cancelled, []));
    expect(parent.blocks[0]).toMatchObject({ text: { text: '⚪ CANCELLED · warning · bizcard-celery-worker' } });
    expect(allTexts(parent).join('\n')).toContain('after 40s: the condition cleared before it fired');
    expect(buttons(parent)).toEqual([]);
  });

  it('escapes a hostile container name everywhere: no <!channel> reaches Slack unescaped', () => {
    const evil = container('<!channel> & <@U0ADMIN> <https://evil.example|click>');
    const t = transition({ target: evil, summary: `${evil.name} uses 99% of its limit`, severity: 'critical', evidence: { victim: '<!here>' } });
    const finding: Finding = { ...nearLimitFindings()[0]!, summary: `${evil.name} near its limit`, recommendations: [{ ...nearLimitFindings()[0]!.recommendations[0]!, title: `Raise <!everyone> ${evil.name}`, steps: ['echo <!channel>', 'rm ```x'] }] };
    const vm = buildAlertViewModel(t, [finding], { criticalMention: 'S0ONCALL1' });
    for (const message of [renderAlertParent(vm), renderAlertDetails(vm), renderAlertTimelineEntry(t)]) {
      expectWithinLimits(message);
      // The only Slack control sequences left are ours: dates and the on-call mention.
      for (const text of allTexts(message)) {
        const tokens = text.match(/<[^>]*>/g) ?? [];
        for (const token of tokens) expect(token).toMatch(/^<!(date\^\d+\^\{date_short_pretty\} \{time\}\|[^>]*|subteam\^S0ONCALL1)>$/);
      }
      expect(JSON.stringify(message)).not.toContain('<!channel>');
      expect(JSON.stringify(message)).not.toContain('<!here>');
    }
  });
});

describe('control and bidi characters in outside text', () => {
  it('escapes ESC, BEL, U+202E and zero-width characters of a container name and summary in every alert message', () => {
    const name = 'web\u001b[31m\u0007\u202egpj.exe\u200b';
    const t = transition({ target: container(name), summary: `${name} uses 99% of its limit`, severity: 'critical', evidence: { victim: name } });
    const finding: Finding = { ...nearLimitFindings()[0]!, summary: `${name} near its limit`, recommendations: [{ ...nearLimitFindings()[0]!.recommendations[0]!, title: `Raise ${name}`, steps: [`docker update ${name}`] }] };
    const vm = buildAlertViewModel(t, [finding]);
    for (const message of [renderAlertParent(vm), renderAlertDetails(vm), renderAlertTimelineEntry(t)]) {
      expectWithinLimits(message);
      for (const text of allTexts(message)) {
        // eslint-disable-next-line no-control-regex -- finding raw control characters is the point
        expect(text, text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/u);
      }
      expect(allTexts(message).join('\n')).toContain('web\\x1b[31m\\x07\\u202egpj.exe\\u200b');
    }
  });
});

describe('limits under hostile input', () => {
  const longName = `worker-${'x'.repeat(93)}`; // 100 characters
  const unicodeName = `ワーカー-😀-👩‍👩‍👧-🇩🇪-Größe-${'é'.repeat(60)}`;

  function hugeRecommendations(n: number): Recommendation[] {
    return Array.from({ length: n }, (_, i) => ({
      title: `${i}: Lower the concurrency of ${unicodeName} ${'y'.repeat(100)}`,
      priority: 'urgent' as const,
      estimatedSavingsBytes: i * MiB,
      runbook: i % 2 === 0 ? 'lower-celery-concurrency' : null,
      params: Object.fromEntries(Array.from({ length: 20 }, (_, k) => [`p${k}Bytes`, k * GiB])),
      steps: Array.from({ length: 30 }, (_, k) => `step ${k} ${'z'.repeat(500)} <!channel>`),
      detail: 'd'.repeat(10_000),
    }));
  }

  function hostileVm(status: 'firing' | 'pending' | 'resolved' | 'cancelled', name: string): AlertViewModel {
    const evidence = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`key${i}${'k'.repeat(100)}Bytes`, i % 3 === 0 ? null : i % 3 === 1 ? i * GiB : `${'v'.repeat(5000)}😀`]));
    const findings: Finding[] = Array.from({ length: 200 }, (_, i) => ({
      code: 'prefork-concurrency',
      severity: i === 0 ? 'critical' : 'warning',
      target: { kind: 'group', name },
      summary: `${name} ${'s'.repeat(10_000)}`,
      evidence,
      recommendations: i === 0 ? hugeRecommendations(200) : hugeRecommendations(1),
    }));
    const event: AlertTransition['event'] = status === 'cancelled' ? 'cancelled' : status === 'resolved' ? 'resolved' : status === 'pending' ? 'pending' : 'firing';
    const t = transition({
      event,
      to: status === 'cancelled' ? 'inactive' : status,
      target: { kind: 'group', name, containerId: 'c', containerName: name, labels: {} },
      ruleId: 'r'.repeat(100),
      severity: 'critical',
      summary: `${name} ${'😀'.repeat(10_000)}`,
      evidence,
      reason: status === 'resolved' || status === 'cancelled' ? 'target-gone' : null,
    });
    return buildAlertViewModel(t, findings, { criticalMention: 'S0ONCALL1', silencedUntil: status === 'firing' ? T0 + HOUR : null, recommendationIds: Array.from({ length: 400 }, (_, i) => `id-${i}-${'i'.repeat(3000)}`) });
  }

  for (const name of [longName, unicodeName, '<!channel>'.repeat(10)]) {
    for (const status of ['firing', 'pending', 'resolved', 'cancelled'] as const) {
      it(`parent and details stay within every limit (${status}, ${name.slice(0, 12)}…)`, () => {
        const vm = hostileVm(status, name);
        const parent = renderAlertParent(vm);
        const details = renderAlertDetails(vm);
        expectWithinLimits(parent, details);
        if (status === 'firing' || status === 'pending') expect(buttons(parent).filter((b) => ALERT_ACTION_PATTERN.requestRemediation.test(b.action_id))).toHaveLength(3);
        // 200 recommendations do not fit; the details say how many were left out.
        const last = details.blocks.at(-1);
        expect(JSON.stringify(last)).toMatch(/…and \d+ more recommendations/);
      });
    }
  }

  it('timeline entries stay within limits for every event with a 10k-character summary', () => {
    for (const event of ['pending', 'firing', 'updated', 'severity-changed', 'cancelled', 'resolved'] as const) {
      const entry = renderAlertTimelineEntry(transition({ event, previousSeverity: 'warning', severity: 'critical', summary: `${unicodeName} ${'x'.repeat(10_000)}`, reason: 'cleared' }), { criticalMention: 'S0ONCALL1' });
      expectWithinLimits(entry);
    }
  });
});

describe('renderAlertTimelineEntry', () => {
  it('says what changed, when, and for a resolution how long it lasted', () => {
    const escalated = renderAlertTimelineEntry(transition({ event: 'severity-changed', from: 'firing', previousSeverity: 'warning', severity: 'critical', summary: 'now critical' }), { criticalMention: 'S0ONCALL1' });
    expect(escalated.text).toBe('<!subteam^S0ONCALL1> ⬆️ *Escalated* warning → critical <!date^1761555900^{date_short_pretty} {time}|2025-10-27 09:05 UTC>: now critical');
    const deescalated = renderAlertTimelineEntry(transition({ event: 'severity-changed', previousSeverity: 'critical', severity: 'warning', summary: 'now warning' }), { criticalMention: 'S0ONCALL1' });
    expect(deescalated.text).toBe('⬇️ *De-escalated* critical → warning <!date^1761555900^{date_short_pretty} {time}|2025-10-27 09:05 UTC>: now warning');
    const firing = renderAlertTimelineEntry(transition());
    expect(firing.text).toMatch(/^🔥 \*Firing\* <!date\^1761555900\^/);
    const resolved = renderAlertTimelineEntry(transition({ event: 'resolved', at: T0 + 2 * HOUR + 5 * MINUTE, reason: 'target-gone', summary: 'gone' }));
    expect(resolved.text).toBe('✅ *Resolved* <!date^1761563100^{date_short_pretty} {time}|2025-10-27 11:05 UTC> after 2h (the target is gone): gone');
    expect(resolved.blocks).toEqual([{ type: 'section', text: { type: 'mrkdwn', text: resolved.text } }]);
  });
});

describe('buildAlertViewModel', () => {
  it('builds from a stored state as well (summary from the value, firing time from the state)', () => {
    const state: AlertState = {
      fingerprint: 'aaaabbbbccccdddd',
      ruleId: 'container-near-limit',
      kind: 'container-limit-percent',
      target: WORKER,
      status: 'firing',
      severity: 'critical',
      value: 96,
      threshold: 95,
      unit: 'percent',
      since: T0 + MINUTE,
      startedAt: T0,
      firingSince: T0 + MINUTE,
      clearedAt: null,
      reportedValue: 96,
      lastNotifiedAt: T0 + MINUTE,
      firingNotified: true,
      evidence: { limitBytes: 3 * GiB },
      updatedAt: T0 + 3 * MINUTE,
    };
    const vm = buildAlertViewModel(state, oomFindings(), { criticalMention: 'S0ONCALL1' });
    expect(vm).toMatchObject({ status: 'firing', firingSince: T0 + MINUTE, updatedAt: T0 + 3 * MINUTE, mention: 'S0ONCALL1', summary: 'bizcard-celery-worker uses 96.0% of its 3 GiB memory limit' });
    // Recommendations follow the findings, most severe first, with an id each.
    expect(vm.recommendations.map((r) => r.runbook)).toEqual([null, 'set-memory-limit', 'lower-celery-concurrency']);
    expect(vm.recommendationIds).toEqual([0, 1, 2].map((i) => `aaaabbbbccccdddd-${T0.toString(36)}-${i}`));
    expectWithinLimits(renderAlertParent(vm), renderAlertDetails(vm));
  });
});
