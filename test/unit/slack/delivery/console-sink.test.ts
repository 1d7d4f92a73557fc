import { describe, expect, it } from 'vitest';
import { createConsoleSink, mrkdwnToPlain } from '../../../../src/slack/delivery/console-sink.js';
import { buildAlertViewModel, renderAlertParent, renderAlertTimelineEntry } from '../../../../src/slack/render/alert-message.js';
import { oomFindings, oomTransition } from './helpers.js';

describe('console sink', () => {
  it('prints header, sections, fields, context and buttons as text, replies indented, with fake ts values', async () => {
    const lines: string[] = [];
    const sink = createConsoleSink((text) => lines.push(text));
    const t = oomTransition();
    const vm = buildAlertViewModel(t, oomFindings(), { criticalMention: 'S0ONCALL1', recommendationIds: ['r1', 'r2', 'r3'] });
    const parent = await sink.post('#ops-critical', renderAlertParent(vm));
    expect(parent).toEqual({ ts: 'console-1', channel: '#ops-critical' });
    const reply = await sink.post('#ops-critical', renderAlertTimelineEntry(oomTransition({ event: 'resolved', at: t.at + 600_000, reason: 'cleared', summary: 'no new OOM kill' })), parent.ts);
    expect(reply.ts).toBe('console-2');
    await sink.update('#ops-critical', parent.ts, { text: 'now as <plain> &amp; text', blocks: [] });

    expect(lines[0]).toBe(
      [
        '── #ops-critical (console-1) ──',
        '🔴 FIRING · critical · bizcard-celery-worker',
        '@S0ONCALL1 OOM kill in bizcard-celery-worker (Celery worker celery@bizcard-worker-1): 1 process killed',
        '*Events*: 1 | *Started*: 2025-10-27 09:02 UTC | *Target*: container bizcard-celery-worker',
        '*Diagnosis:* 3 processes in bizcard-celery-worker killed by the OOM killer since it started (1 since the last poll)',
        '_1 more finding in the thread_',
        'Updated 2025-10-27 09:02 UTC · rule `oom-kill`',
        '[Raise the memory limit of bizcard-celery-worker to 4 GiB] [Lower the Celery concurrency of celery@bizcard-worker-1 to 4] [Silence 1h] [Silence 4h] [Silence 24h]',
      ].join('\n'),
    );
    expect(lines[1]).toBe(
      '    ↳ reply in #ops-critical, thread console-1 (console-2)\n    ✅ *Resolved* 2025-10-27 09:12 UTC after 10m (the condition cleared): no new OOM kill',
    );
    expect(lines[2]).toBe('── #ops-critical (console-1, updated) ──\nnow as <plain> & text');
  });

  it('turns Slack tokens into what a reader would see', () => {
    expect(mrkdwnToPlain('<!date^1^{time}|09:00 UTC> <!subteam^S1> <!here> <https://x.test|docs> &lt;b&gt; &amp;lt;')).toBe('09:00 UTC @S1 @here docs (https://x.test) <b> &lt;');
  });
});
