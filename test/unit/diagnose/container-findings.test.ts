// container-near-limit and oom-kill.
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../../src/diagnose/diagnose.js';
import { emptyDiagnosisHistory, type Finding } from '../../../src/model/finding.js';
import { container, GiB, history, HOUR, host, MiB, NOW, options, pool, series, snapshot } from './build.js';

const byCode = (findings: Finding[], code: string) => findings.filter((f) => f.code === code);

describe('container-near-limit', () => {
  it('follows the container-near-limit rule and proposes a higher limit from history (set-memory-limit)', () => {
    const c = container('api', { memoryLimitBytes: GiB, memoryUsageBytes: 900 * MiB }); // 87.9%
    const h = history({ containers: [{ name: 'api', day: [], week: series(Array.from({ length: 30 }, () => 900 * MiB), HOUR) }] });
    const f = byCode(diagnose(snapshot({ containers: [c] }), h, options()), 'container-near-limit')[0];
    expect(f).toMatchObject({ severity: 'warning', evidence: { limitBytes: GiB, usageBytes: 900 * MiB } });
    // 900 × 1.3 = 1170 -> 1216 MiB.
    expect(f?.recommendations[0]).toMatchObject({ runbook: 'set-memory-limit', params: { limit: 1216 * MiB }, estimatedSavingsBytes: null });
  });

  it('is critical at critPercent and says nothing below warnPercent', () => {
    const at = (usage: number) => byCode(diagnose(snapshot({ containers: [container('api', { memoryUsageBytes: usage })] }), emptyDiagnosisHistory(), options()), 'container-near-limit');
    expect(at(800 * MiB)).toEqual([]);
    expect(at(1000 * MiB)[0]?.severity).toBe('critical');
  });

  it('takes its levels from alerts.rules.container-near-limit', () => {
    const at = (usage: number, input = {}) =>
      byCode(diagnose(snapshot({ containers: [container('api', { memoryUsageBytes: usage })] }), emptyDiagnosisHistory(), options(input)), 'container-near-limit');
    const rules = (rule: Record<string, unknown>) => ({ alerts: { rules: { 'container-near-limit': rule } } });
    expect(at(800 * MiB, rules({ warning: 75 }))[0]?.severity).toBe('warning'); // 78.1%
    expect(at(800 * MiB, rules({ warning: 70, critical: 78 }))[0]?.severity).toBe('critical');
    expect(at(1000 * MiB, rules({ critical: false }))[0]?.severity).toBe('warning'); // no critical level: never critical
  });

  it('for a prefork pool inside, proposes fewer children first, with their measured USS as the saving', () => {
    const id = 'w'.repeat(64);
    const processes = pool({ children: 4, masterPss: 50 * MiB, childUss: 200 * MiB, containerId: id });
    const c = container('worker', { id, memoryLimitBytes: GiB, memoryUsageBytes: 950 * MiB });
    const f = byCode(diagnose(snapshot({ containers: [c], processes }), emptyDiagnosisHistory(), options()), 'container-near-limit')[0];
    expect(f?.recommendations[0]).toMatchObject({ estimatedSavingsBytes: 200 * MiB, title: expect.stringMatching(/fewer pool children/) });
  });

  it('survives a zero limit (a bogus cgroup value)', () => {
    const s = snapshot({ containers: [container('api', { memoryLimitBytes: 0 })] });
    expect(byCode(diagnose(s, emptyDiagnosisHistory(), options()), 'container-near-limit')).toEqual([]);
  });
});

describe('oom-kill', () => {
  it('reports each container whose cgroup counted OOM kills, and proposes a higher limit', () => {
    const c = container('api', { memoryLimitBytes: 512 * MiB, memoryUsageBytes: 500 * MiB, oomKillCount: 3 });
    const f = byCode(diagnose(snapshot({ containers: [c], host: host({ oomKillCount: 3 }) }), emptyDiagnosisHistory(), options()), 'oom-kill');
    expect(f).toHaveLength(1); // the host's 3 are these 3
    expect(f[0]).toMatchObject({ severity: 'critical', target: { kind: 'container', name: 'api' }, evidence: { oomKills: 3 } });
    // max(limit 512, usage 500) × 1.3 = 665.6 -> 704 MiB.
    expect(f[0]?.recommendations[0]).toMatchObject({ runbook: 'set-memory-limit', params: { limit: 704 * MiB }, priority: 'urgent' });
  });

  it('reports host kills outside the running containers as a warning (the counter is since boot)', () => {
    const f = byCode(diagnose(snapshot({ host: host({ oomKillCount: 2 }) }), emptyDiagnosisHistory(), options()), 'oom-kill');
    expect(f[0]).toMatchObject({ severity: 'warning', target: { kind: 'host' }, evidence: { oomKillsSinceBoot: 2 } });
    expect(f[0]?.recommendations[0]?.steps?.[0]).toMatch(/journalctl -k/);
  });

  it('counts recent docker oom events, also where the cgroup has no counter, and for containers already gone', () => {
    const c = container('api', { oomKillCount: null });
    const at = NOW - 60_000;
    const s = snapshot({
      containers: [c],
      oomEvents: [
        { containerId: c.id, containerName: 'api', at },
        { containerId: c.id, containerName: 'api', at: at + 1000 },
        { containerId: 'e'.repeat(64), containerName: null, at },
      ],
    });
    const f = byCode(diagnose(s, emptyDiagnosisHistory(), options()), 'oom-kill');
    expect(f.map((x) => [x.target.name, x.severity])).toEqual([
      ['api', 'critical'],
      ['eeeeeeeeeeee', 'critical'],
    ]);
    expect(f[0]?.evidence).toMatchObject({ oomKills: 2, recentOomEvents: 2, lastOomAt: new Date(at + 1000).toISOString() });
    expect(f[0]?.summary).toMatch(/\(2 since the last poll\)$/);
  });

  it('says nothing with no kills or unknown counters', () => {
    const s = snapshot({ host: host({ oomKillCount: null }), containers: [container('api', { oomKillCount: null })] });
    expect(byCode(diagnose(s, emptyDiagnosisHistory(), options()), 'oom-kill')).toEqual([]);
    expect(byCode(diagnose(snapshot(), emptyDiagnosisHistory(), options()), 'oom-kill')).toEqual([]);
  });
});
