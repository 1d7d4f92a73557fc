// The console sink: what each outbox op would have posted, printed as text under where it would
// have gone; thread replies indented; charts written as PNG files whose path is printed.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { alertParentNotice, alertTimelineNotice } from '../../../src/alerts/alert-notices.js';
import { buildAlertViewModel } from '../../../src/alerts/alert-view.js';
import { createConsoleSink } from '../../../src/console/console-sink.js';
import { makeTempDir } from '../store/make-snapshot.js';
import { oomFindings, oomTransition } from '../slack/delivery/helpers.js';

describe('console sink', () => {
  it('prints heading, text, fields, notes and buttons as text, replies indented, with fake ts values; no Slack markup', async () => {
    const lines: string[] = [];
    const temp = makeTempDir();
    const sink = createConsoleSink((text) => lines.push(text), { chartDir: temp.dir });
    const t = oomTransition();
    const vm = buildAlertViewModel(t, oomFindings(), { criticalMention: 'S0ONCALL1', recommendationIds: ['r1', 'r2', 'r3'] });
    const parent = await sink.post('#ops-critical', { notice: alertParentNotice(vm) });
    expect(parent).toEqual({ ts: 'console-1', channel: '#ops-critical' });
    const resolved = oomTransition({ event: 'resolved', at: t.at + 600_000, reason: 'cleared', summary: 'no new OOM kill' });
    const reply = await sink.post('#ops-critical', { notice: alertTimelineNotice(resolved) }, { threadTs: parent.ts });
    expect(reply.ts).toBe('console-2');
    await sink.update('#ops-critical', parent.ts, { legacy: { text: 'queued by an older memwarden', blocks: [] } });
    await sink.update('#ops-critical', parent.ts, { notice: alertParentNotice(vm) }, { plain: true });

    expect(lines[0]).toBe(
      [
        '── #ops-critical (console-1) ──',
        '🔴 FIRING · critical · bizcard-celery-worker',
        '@S0ONCALL1 OOM kill in bizcard-celery-worker (Celery worker celery@bizcard-worker-1): 1 process killed',
        'Events: 1 | Started: 2025-10-27 09:02 UTC | Target: container bizcard-celery-worker',
        'Diagnosis: 3 processes in bizcard-celery-worker killed by the OOM killer since it started (1 since the last poll)',
        '1 more finding in the thread',
        'Updated 2025-10-27 09:02 UTC · rule oom-kill',
        '[Raise the memory limit of bizcard-celery-worker to 4 GiB] [Lower the Celery concurrency of celery@bizcard-worker-1 to 4] [Silence 1h] [Silence 4h] [Silence 24h]',
      ].join('\n'),
    );
    expect(lines[1]).toBe('    ↳ reply in #ops-critical, thread console-1 (console-2)\n    ✅ Resolved 2025-10-27 09:12 UTC after 10m (the condition cleared): no new OOM kill');
    expect(lines[2]).toBe('── #ops-critical (console-1, updated) ──\nqueued by an older memwarden');
    expect(lines[3]).toBe(
      '── #ops-critical (console-1, updated) ──\n@S0ONCALL1 🔴 FIRING · critical · bizcard-celery-worker: OOM kill in bizcard-celery-worker (Celery worker celery@bizcard-worker-1): 1 process killed',
    );
    temp.remove();
  });

  it('writes a chart into the data directory and prints its path', async () => {
    const lines: string[] = [];
    const temp = makeTempDir();
    const sink = createConsoleSink((text) => lines.push(text), { chartDir: temp.dir, renderChart: () => Buffer.from('png') });
    const chart = { chart: { from: 0, to: 1, tz: 'UTC', title: 't', host: { label: 'host', points: [], limitBytes: null }, containers: [] }, filename: 'memwarden-digest-2025-10-27.png', title: 'Chart', altText: 'a chart' };
    await sink.post('#ops', { chart }, { threadTs: 'console-7' });
    const path = join(temp.dir, 'memwarden-digest-2025-10-27.png');
    expect(existsSync(path)).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe('png');
    expect(lines).toEqual([`    ↳ chart in #ops, thread console-7: ${path} (1200×600 PNG)`]);
    temp.remove();
  });
});
