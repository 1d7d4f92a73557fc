import { describe, expect, it } from 'vitest';
import { collectRecommendations, formatEvidence, renderDiagnosis, toDiagnosisJson } from '../../../src/cli/render-diagnosis.js';
import { diagnose } from '../../../src/diagnose/diagnose.js';
import { emptyDiagnosisHistory, type Finding } from '../../../src/model/finding.js';
import { referenceHistory, referenceSnapshot } from '../../fixtures/reference-incident.js';
import { GiB, MiB, options, snapshot } from './build.js';

const opts = options();
const render = (findings: Finding[], s = referenceSnapshot()) => renderDiagnosis(s, findings, { thresholds: opts.thresholds, color: false, historyNote: 'History: test.' });

describe('renderDiagnosis', () => {
  const findings = diagnose(referenceSnapshot(), referenceHistory(), opts);
  const text = render(findings);

  it('lays the report out like the reference: overview, containers, consumers, issues, recommendations by priority', () => {
    const sections = ['System overview', 'Docker containers', 'Top process groups', 'Issues found (7)', 'Notes (6)', 'Recommended solutions', '\n  URGENT\n', '\n  HIGH\n', '\n  MEDIUM\n', 'Expected improvement'];
    const positions = sections.map((s) => text.indexOf(s));
    expect(positions.every((p) => p >= 0), JSON.stringify(positions)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(text).toContain('Swap:          0 B (NOT CONFIGURED!)');
    expect(text).toContain('History: test.');
    // No escape codes without color.
    expect(text.includes('\u001b[')).toBe(false);
  });

  it('shows each recommendation with its measured saving, or unknown, and its runbook', () => {
    expect(text).toMatch(/1\. Lower the Celery concurrency of celery worker \(app\.celery_app\) from 3 to 2\n\s+Saves: ~205 MiB \(measured\)/);
    expect(text).toContain('Runbook: lower-celery-concurrency concurrency=2');
    expect(text).toMatch(/Add 4 GiB of swap\n\s+Saves: unknown/);
    expect(text).toContain('sudo mkswap /swapfile');
    // Minor findings keep to one line each; their steps are in --json.
    expect(text).not.toContain('docker update --memory 64M --memory-swap 64M bizcard-redis');
    expect(text).toContain('Set a memory limit of 64 MiB on bizcard-redis');
  });

  it('says so when there is nothing to fix', () => {
    const healthy = render([], snapshot());
    expect(healthy).toContain('None: nothing here needs fixing.');
    expect(healthy).toContain('No saving could be measured.');
  });

  it('lists a fix proposed by two findings once', () => {
    const rec = { title: 'Restart w', priority: 'high' as const, estimatedSavingsBytes: 5, runbook: 'restart-celery-worker', detail: '' };
    const f = (code: Finding['code']): Finding => ({ code, severity: 'warning', target: { kind: 'group', name: 'w' }, summary: 's', evidence: {}, recommendations: [{ ...rec, title: `${rec.title} (${code})` }] });
    expect(collectRecommendations([f('memory-leak-suspected'), f('ml-libraries-per-worker')])).toHaveLength(1);
  });

  it('formats evidence: sizes, rates, durations, percents, unknowns', () => {
    expect(formatEvidence({ usageBytes: 1.5 * GiB, slopeBytesPerHour: 64 * MiB, timeToLimitMs: 7_200_000, headroomPercent: 20, limitBytes: null, basis: 'history' })).toBe(
      'usageBytes: 1.5 GiB, slopeBytesPerHour: 64 MiB/h, timeToLimitMs: 2h, headroomPercent: 20.0%, limitBytes: unknown, basis: history',
    );
  });
});

describe('toDiagnosisJson', () => {
  it('is exactly { findings: [{ code, severity, target, summary, evidence, recommendations: [{ title, priority, estimatedSavingsBytes, runbook, ... }] }] }', () => {
    const json = JSON.parse(JSON.stringify(toDiagnosisJson(diagnose(referenceSnapshot(), referenceHistory(), opts)))) as {
      findings: { recommendations: Record<string, unknown>[] }[];
    };
    expect(Object.keys(json)).toEqual(['findings']);
    for (const f of json.findings) {
      expect(Object.keys(f)).toEqual(['code', 'severity', 'target', 'summary', 'evidence', 'recommendations']);
      for (const r of f.recommendations) {
        expect(Object.keys(r).slice(0, 4)).toEqual(['title', 'priority', 'estimatedSavingsBytes', 'runbook']);
        expect(Object.keys(r).every((k) => ['title', 'priority', 'estimatedSavingsBytes', 'runbook', 'params', 'steps', 'detail'].includes(k))).toBe(true);
        expect('estimatedSavingsBytes' in r && 'runbook' in r).toBe(true); // null, never missing
      }
    }
    const prefork = json.findings.find((f) => (f as unknown as { code: string }).code === 'prefork-concurrency');
    expect(prefork?.recommendations[0]).toMatchObject({ runbook: 'lower-celery-concurrency', params: { concurrency: 2 } });
  });

  it('is an empty list when nothing was found', () => {
    expect(toDiagnosisJson(diagnose(snapshot(), emptyDiagnosisHistory(), opts))).toEqual({ findings: [] });
  });
});
