import { describe, expect, it } from 'vitest';
import { diagnose } from '../../../src/diagnose/diagnose.js';
import { persistentCeleryCommand } from '../../../src/diagnose/findings/prefork-concurrency.js';
import { emptyDiagnosisHistory, type Finding } from '../../../src/model/finding.js';
import { container, GiB, history, host, MiB, options, pool, proc, series, snapshot } from './build.js';

const GROUP = 'celery worker@box (proj)';

function prefork(findings: Finding[]): Finding | undefined {
  return findings.find((f) => f.code === 'prefork-concurrency');
}

/** 4 children of `childUss` + a 60 MiB master, in a container with a 1 GiB limit and 24 MiB of other usage. */
function limited(childUss: number, overrides: { children?: number; swap?: number } = {}) {
  const processes = pool({ children: overrides.children ?? 4, masterPss: 60 * MiB, childUss, shared: 30 * MiB, containerId: 'c'.repeat(64) });
  const groupPss = processes.reduce((sum, p) => sum + (p.pssBytes ?? 0), 0);
  const c = container('worker', { id: 'c'.repeat(64), memoryLimitBytes: GiB, memoryUsageBytes: groupPss + 24 * MiB });
  return snapshot({ containers: [c], processes, host: host({ swapTotalBytes: overrides.swap ?? 4 * GiB }) });
}

describe('prefork-concurrency', () => {
  it('says nothing when the pool fits with the headroom', () => {
    // need = 4 × 150 + 60 = 660 MiB; usable = (1024 - 24) × 0.8 = 800 MiB.
    expect(prefork(diagnose(limited(150 * MiB), emptyDiagnosisHistory(), options()))).toBeUndefined();
  });

  it('sizes the pool to the container limit: target and saving from the children\'s USS', () => {
    // need = 4 × 200 + 60 = 860 MiB > 800 usable; (800 - 60) / 200 = 3.7 -> 3; saving = 1 × 200 MiB.
    const f = prefork(diagnose(limited(200 * MiB), emptyDiagnosisHistory(), options()));
    expect(f).toMatchObject({
      severity: 'warning', // within the budget, only the headroom is gone, and there is swap
      target: { kind: 'group', name: GROUP },
      evidence: { concurrency: 4, targetConcurrency: 3, childUssBytes: 200 * MiB, masterPssBytes: 60 * MiB, needBytes: 860 * MiB, budgetBytes: 1000 * MiB, usableBytes: 800 * MiB, containerLimitBytes: GiB, peakChildBytes: null },
    });
    expect(f?.recommendations[0]).toMatchObject({
      priority: 'high',
      runbook: 'lower-celery-concurrency',
      params: { concurrency: 3 },
      estimatedSavingsBytes: 200 * MiB,
    });
    expect(f?.recommendations[0]?.steps?.[0]).toBe('celery -A proj control pool_shrink 1 -d worker@box   # live, what the runbook does');
  });

  it('is critical when the pool does not even fit the budget, or when there is no swap behind the headroom', () => {
    expect(prefork(diagnose(limited(300 * MiB), emptyDiagnosisHistory(), options()))?.severity).toBe('critical');
    expect(prefork(diagnose(limited(200 * MiB, { swap: 0 }), emptyDiagnosisHistory(), options()))?.severity).toBe('critical');
  });

  it('follows diagnosis.headroomPercent', () => {
    // With 10% headroom: usable 900 MiB >= 860: fits.
    expect(prefork(diagnose(limited(200 * MiB), emptyDiagnosisHistory(), options({ diagnosis: { headroomPercent: 10 } })))).toBeUndefined();
  });

  it('uses host available memory plus the group\'s own usage when there is no limit', () => {
    const processes = pool({ children: 4, masterPss: 100 * MiB, childUss: 500 * MiB, shared: 0 });
    // group PSS = 100 + 4 × 500 = 2100 MiB; budget = 1000 + 2100 = 3100; usable 2480; need 2100: fits.
    const fits = snapshot({ processes, host: host({ availableBytes: 1000 * MiB }) });
    expect(prefork(diagnose(fits, emptyDiagnosisHistory(), options()))).toBeUndefined();
    // available 100 MiB: budget 2200, usable 1760 < 2100 -> (1760 - 100) / 500 = 3.3 -> 3.
    const tight = snapshot({ processes, host: host({ availableBytes: 100 * MiB }) });
    expect(prefork(diagnose(tight, emptyDiagnosisHistory(), options()))?.evidence).toMatchObject({ targetConcurrency: 3, budgetBytes: 2200 * MiB, containerLimitBytes: null });
  });

  it('sizes for the 24 h peak from history, but counts the saving in today\'s USS', () => {
    const s = limited(150 * MiB); // fits now (660 of 800 MiB)
    // At the peak the group held 1060 MiB: (1060 - 60) / 4 = 250 MiB per child.
    const h = history({ groups: [{ name: GROUP, pss: series([700 * MiB, 1060 * MiB, 700 * MiB]) }] });
    const f = prefork(diagnose(s, h, options()));
    expect(f?.evidence).toMatchObject({ peakChildBytes: 250 * MiB, perChildBytes: 250 * MiB, needBytes: 1060 * MiB, targetConcurrency: 2, savingsAtPeakBytes: 500 * MiB });
    expect(f?.recommendations[0]?.estimatedSavingsBytes).toBe(2 * 150 * MiB);
    expect(f?.summary).toContain('at their 24 h peak');
  });

  it('counts a child\'s own subprocesses in what the child costs', () => {
    const processes = [...pool({ children: 2, masterPss: 60 * MiB, childUss: 300 * MiB, shared: 0 }), proc(900, 501, { comm: 'python3', cmdline: 'python3 -c spawn', pssBytes: 100 * MiB, ussBytes: 100 * MiB })];
    // children cost 400 (with its subprocess) and 300: average 350. group PSS 760; available 100 -> usable 688.
    const s = snapshot({ processes, host: host({ availableBytes: 100 * MiB }) });
    const f = prefork(diagnose(s, emptyDiagnosisHistory(), options()));
    expect(f?.evidence).toMatchObject({ concurrency: 2, childUssBytes: 350 * MiB, targetConcurrency: 1 });
    expect(f?.recommendations[0]?.estimatedSavingsBytes).toBe(350 * MiB);
  });

  it('still proposes one child when not even one fits, and says that is not enough', () => {
    // usable = (0 + 6000 + 3 × 100) × 0.8 = 5040 MiB < master 6000 + one child 100.
    const processes = pool({ children: 3, masterPss: 6000 * MiB, childUss: 100 * MiB, shared: 0 });
    const s = snapshot({ processes, host: host({ availableBytes: 0 }) });
    const f = prefork(diagnose(s, emptyDiagnosisHistory(), options()));
    expect(f?.evidence.targetConcurrency).toBe(1);
    expect(f?.summary).toMatch(/not even 1 fits$/);
    expect(f?.recommendations.map((r) => r.title)).toEqual([
      expect.stringMatching(/from 3 to 1$/),
      expect.stringMatching(/worker of their own, or give it more memory/),
    ]);
  });

  it('says nothing about pools with no children or a single child', () => {
    for (const children of [0, 1]) {
      const processes = pool({ children, masterPss: 900 * MiB, childUss: 900 * MiB, shared: 0 });
      const s = snapshot({ processes, host: host({ availableBytes: 0 }) });
      expect(prefork(diagnose(s, emptyDiagnosisHistory(), options()))).toBeUndefined();
    }
  });

  it('gives null savings and no runbook when the children could only be measured by RSS', () => {
    const processes = pool({ children: 4, masterPss: null, childUss: null, shared: 100 * MiB });
    // RSS bound: 5 × (100 + 50) = 750 MiB; with 100 MiB available usable is 680 MiB.
    const f = prefork(diagnose(snapshot({ processes, host: host({ availableBytes: 100 * MiB }) }), emptyDiagnosisHistory(), options()));
    expect(f?.evidence).toMatchObject({ targetConcurrency: null, childUssBytes: null });
    expect(f?.recommendations).toHaveLength(1);
    expect(f?.recommendations[0]).toMatchObject({ estimatedSavingsBytes: null, runbook: null });
    // And when even the RSS upper bound fits, there is nothing to say.
    expect(prefork(diagnose(snapshot({ processes }), emptyDiagnosisHistory(), options()))).toBeUndefined();
  });

  it('treats an unmeasured master like unmeasured children (no guessed saving)', () => {
    const processes = pool({ children: 4, masterPss: 60 * MiB, childUss: 200 * MiB, containerId: 'c'.repeat(64) });
    const master = processes[0];
    if (master) Object.assign(master, { pssBytes: null, ussBytes: null, precision: 'rss-only' });
    const groupRss = processes.reduce((sum, p) => sum + (p.pssBytes ?? p.rssBytes), 0);
    const c = container('worker', { id: 'c'.repeat(64), memoryLimitBytes: GiB, memoryUsageBytes: groupRss });
    const f = prefork(diagnose(snapshot({ containers: [c], processes }), emptyDiagnosisHistory(), options()));
    expect(f?.recommendations[0]?.estimatedSavingsBytes).toBeNull();
  });

  it('gives gunicorn the --workers fix and no Celery runbook', () => {
    const processes = pool({ kind: 'gunicorn', children: 4, masterPss: 100 * MiB, childUss: 500 * MiB, shared: 0 });
    const f = prefork(diagnose(snapshot({ processes, host: host({ availableBytes: 100 * MiB }) }), emptyDiagnosisHistory(), options()));
    expect(f?.recommendations[0]).toMatchObject({ runbook: null, estimatedSavingsBytes: 500 * MiB });
    expect(f?.recommendations[0]?.steps?.join('\n')).toMatch(/kill -TTOU 500[\s\S]*--workers 3/);
  });
});

describe('persistentCeleryCommand', () => {
  it('rewrites the concurrency in the worker\'s command line, whatever its spelling', () => {
    expect(persistentCeleryCommand('/usr/bin/python3 /usr/bin/celery -A proj worker -c 8 -l info', 'proj', 2)).toBe('celery -A proj worker --concurrency=2 -l info');
    expect(persistentCeleryCommand('celery -A proj worker --concurrency=8', 'proj', 2)).toBe('celery -A proj worker --concurrency=2');
    expect(persistentCeleryCommand('celery -A proj worker --concurrency 8', 'proj', 2)).toBe('celery -A proj worker --concurrency=2');
    expect(persistentCeleryCommand('celery -A proj worker', 'proj', 2)).toBe('celery -A proj worker --concurrency=2');
  });

  it('falls back to a template for setproctitle titles and empty command lines', () => {
    expect(persistentCeleryCommand('[celeryd: worker@h:MainProcess] -active- (-A proj worker)', 'proj', 1)).toBe('celery -A proj worker --concurrency=1 ...your other options');
    expect(persistentCeleryCommand('', 'proj', 1)).toBe('celery -A proj worker --concurrency=1 ...your other options');
  });
});
