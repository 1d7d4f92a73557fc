import { describe, expect, it } from 'vitest';
import { diagnose } from '../../../src/diagnose/diagnose.js';
import { emptyDiagnosisHistory, type Finding } from '../../../src/model/finding.js';
import { container, GiB, history, HOUR, MiB, options, series, snapshot } from './build.js';

const noLimit = (findings: Finding[], name = 'api') => findings.find((f) => f.code === 'container-no-memory-limit' && f.target.name === name);

describe('container-no-memory-limit', () => {
  it('suggests p99 × 1.3 of a week of history, rounded up to 64 MiB', () => {
    // 100 samples: 98 at 1000 MiB, 2 at 1200 MiB -> p99 (nearest rank 99) = 1200 MiB; × 1.3 = 1560 -> 1600 MiB.
    const values = [...Array.from({ length: 98 }, () => 1000 * MiB), 1200 * MiB, 1200 * MiB];
    const c = container('api', { memoryLimitBytes: null, memoryUsageBytes: 1000 * MiB });
    const h = history({ containers: [{ name: 'api', day: [], week: series(values, 2 * HOUR) }] });
    const f = noLimit(diagnose(snapshot({ containers: [c] }), h, options()));
    expect(f?.evidence).toMatchObject({ basis: 'history', percentileBytes: 1200 * MiB, suggestedLimitBytes: 1600 * MiB, historySamples: 100 });
    expect(f?.recommendations[0]).toMatchObject({ runbook: 'set-memory-limit', params: { limit: 1600 * MiB }, estimatedSavingsBytes: null });
    expect(f?.recommendations[0]?.steps?.[0]).toMatch(/^docker update --memory 1600M --memory-swap 1600M api/);
  });

  it('with too little history says so and uses current usage × 1.5', () => {
    const c = container('api', { memoryLimitBytes: null, memoryUsageBytes: 1000 * MiB });
    const h = history({ containers: [{ name: 'api', day: [], week: series([900 * MiB, 950 * MiB], HOUR) }] });
    for (const given of [h, emptyDiagnosisHistory()]) {
      const f = noLimit(diagnose(snapshot({ containers: [c] }), given, options()));
      // 1500 MiB -> 1536 MiB (24 × 64).
      expect(f?.evidence).toMatchObject({ basis: 'current', suggestedLimitBytes: 1536 * MiB });
      expect(f?.recommendations[0]?.detail).toMatch(/too little for a percentile: current usage .* × 1\.5/);
    }
  });

  it('never suggests less than today\'s usage × factor, even when history was lower', () => {
    const c = container('api', { memoryLimitBytes: null, memoryUsageBytes: 2 * GiB });
    const h = history({ containers: [{ name: 'api', day: [], week: series(Array.from({ length: 50 }, () => 500 * MiB), HOUR) }] });
    const limit = noLimit(diagnose(snapshot({ containers: [c] }), h, options()))?.evidence.suggestedLimitBytes as number;
    expect(limit).toBeGreaterThanOrEqual(2 * GiB * 1.3);
  });

  it('rates severity by share of host RAM (the container-no-limit-large rule) and prioritises accordingly', () => {
    const containers = [
      container('big', { memoryLimitBytes: null, memoryUsageBytes: 4 * GiB }), // 25% of 16 GiB
      container('mid', { memoryLimitBytes: null, memoryUsageBytes: 2 * GiB }), // 12.5%
      container('tiny', { memoryLimitBytes: null, memoryUsageBytes: 0 }),
    ];
    const findings = diagnose(snapshot({ containers }), emptyDiagnosisHistory(), options());
    expect(noLimit(findings, 'big')?.severity).toBe('critical');
    expect(noLimit(findings, 'mid')?.severity).toBe('warning');
    const tiny = noLimit(findings, 'tiny');
    expect(tiny).toMatchObject({ severity: 'info', recommendations: [{ priority: 'medium', params: { limit: 64 * MiB } }] });
  });

  it('takes those levels from alerts.rules.container-no-limit-large', () => {
    const containers = [container('mid', { memoryLimitBytes: null, memoryUsageBytes: 2 * GiB })]; // 12.5%
    const input = { alerts: { rules: { 'container-no-limit-large': { warning: 5, critical: 12 } } } };
    expect(noLimit(diagnose(snapshot({ containers }), emptyDiagnosisHistory(), options(input)), 'mid')?.severity).toBe('critical');
  });

  it('leaves containers that have a limit alone', () => {
    const findings = diagnose(snapshot({ containers: [container('api')] }), emptyDiagnosisHistory(), options());
    expect(noLimit(findings)).toBeUndefined();
  });

  it('follows the containerLimit knobs', () => {
    const c = container('api', { memoryLimitBytes: null, memoryUsageBytes: 1000 * MiB });
    const f = noLimit(diagnose(snapshot({ containers: [c] }), emptyDiagnosisHistory(), options({ diagnosis: { containerLimit: { fallbackFactor: 2, step: '256MiB' } } })));
    expect(f?.evidence.suggestedLimitBytes).toBe(2048 * MiB);
  });
});
