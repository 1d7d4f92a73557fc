// diagnose() as a whole: ordering, and invariants on hostile input.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ProcessMemory, Snapshot } from '../../../src/model/snapshot.js';
import { diagnose, rankRecommendations } from '../../../src/diagnose/diagnose.js';
import { emptyDiagnosisHistory, FINDING_CODES, type DiagnosisHistory, type Recommendation } from '../../../src/model/finding.js';
import { container, GiB, host, MiB, NOW, options, pool, proc, snapshot } from './build.js';

describe('diagnose', () => {
  it('sorts findings by severity, then code, then target, and is pure', () => {
    const s = snapshot({
      host: host({ swapTotalBytes: 0 }),
      containers: [container('b', { memoryLimitBytes: null, memoryUsageBytes: 5 * GiB }), container('a', { memoryLimitBytes: null, memoryUsageBytes: 5 * GiB }), container('c', { memoryLimitBytes: null, memoryUsageBytes: MiB })],
    });
    const frozen = structuredClone(s);
    const findings = diagnose(s, emptyDiagnosisHistory(), options());
    expect(findings.map((f) => `${f.severity} ${f.code} ${f.target.name}`)).toEqual([
      'critical host-swap-disabled box',
      'critical container-no-memory-limit a',
      'critical container-no-memory-limit b',
      'info container-no-memory-limit c',
    ]);
    expect(s).toEqual(frozen);
    expect(diagnose(s, emptyDiagnosisHistory(), options())).toEqual(findings);
  });

  it('finds nothing on a healthy host', () => {
    expect(diagnose(snapshot({ containers: [container('api')] }), emptyDiagnosisHistory(), options())).toEqual([]);
  });

  it('ranks recommendations by priority, then measured saving, unknown last', () => {
    const r = (title: string, priority: Recommendation['priority'], estimatedSavingsBytes: number | null): Recommendation => ({ title, priority, estimatedSavingsBytes, runbook: null, detail: '' });
    const ranked = rankRecommendations([r('a', 'medium', 9), r('b', 'high', null), r('c', 'high', 5), r('d', 'urgent', null), r('e', 'high', 7)]);
    expect(ranked.map((x) => x.title)).toEqual(['d', 'e', 'c', 'b', 'a']);
  });

  it('takes an unparsable takenAt without throwing', () => {
    expect(() => diagnose(snapshot({ takenAt: 'yesterday' }), emptyDiagnosisHistory(), options())).not.toThrow();
  });

  it('never throws, and never reports a non-integer byte, a negative saving or an unknown code, whatever it is fed', () => {
    const bytes = fc.oneof(fc.constantFrom(0, 1, MiB, GiB, 64 * GiB, Math.floor(Number.MAX_SAFE_INTEGER / 4)), fc.nat());
    const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null });
    const processArb = fc.record({
      pid: fc.integer({ min: 1, max: 40 }),
      ppid: fc.integer({ min: 0, max: 40 }),
      kind: fc.constantFrom('celery', 'gunicorn', 'python', 'other'),
      rss: bytes,
      pss: maybe(bytes),
      uss: maybe(bytes),
      ml: fc.subarray(['torch', 'paddle', 'opencv', 'tensorflow']),
      inContainer: fc.boolean(),
    });
    const cid = 'd'.repeat(64);
    const arb = fc.record({
      total: bytes,
      available: bytes,
      swap: bytes,
      oom: maybe(fc.nat(5)),
      limit: maybe(bytes),
      usage: bytes,
      containerOom: maybe(fc.nat(3)),
      processes: fc.array(processArb, { maxLength: 12 }),
      points: fc.array(fc.record({ dt: fc.integer({ min: -30 * 86_400_000, max: 3_600_000 }), v: bytes, count: fc.nat(30) }), { maxLength: 40 }),
      images: fc.array(maybe(bytes), { maxLength: 4 }),
      dists: fc.subarray(['opencv-python', 'opencv-python-headless', 'opencv-contrib-python', 'numpy']),
    });
    fc.assert(
      fc.property(arb, (x) => {
        const cmd = { celery: '/usr/bin/celery -A p worker -c 4', gunicorn: 'gunicorn app:app', python: 'python3 x.py', other: 'nginx' } as const;
        const byPid = new Map<number, ProcessMemory>();
        for (const p of x.processes) {
          byPid.set(
            p.pid,
            proc(p.pid, p.ppid, {
              cmdline: cmd[p.kind as keyof typeof cmd],
              comm: p.kind,
              rssBytes: p.rss,
              pssBytes: p.pss,
              ussBytes: p.uss,
              precision: p.pss === null || p.uss === null ? 'rss-only' : 'smaps',
              containerId: p.inContainer ? cid : null,
              mlLibraries: p.ml.map((name) => ({ name, mappedBytes: MiB })),
            }),
          );
        }
        const s: Snapshot = snapshot({
          host: host({ totalBytes: x.total, availableBytes: x.available, usedBytes: Math.max(0, x.total - x.available), swapTotalBytes: x.swap, oomKillCount: x.oom }),
          containers: [container('w', { id: cid, memoryLimitBytes: x.limit, memoryUsageBytes: x.usage, oomKillCount: x.containerOom, imageId: 'img1' })],
          processes: [...byPid.values(), ...pool({ children: 2, masterPss: null, childUss: null, masterPid: 900 })],
          pythonDistributions: [{ containerId: cid, distributions: x.dists.map((name) => ({ name, version: '1', path: `/x/${name}` })) }],
        });
        const points = x.points.map((p) => ({ t: NOW + p.dt, min: p.v, avg: p.v, max: p.v, count: p.count })).sort((a, b) => a.t - b.t);
        const h: DiagnosisHistory = {
          source: 'database',
          containers: [{ name: 'w', day: points, week: points }],
          groups: s.processGroups.map((g) => ({ name: g.name, pss: points })),
          images: [{ repository: 'acme/w', images: x.images.map((size, i) => ({ imageId: `img${i}`, image: `acme/w:${i}`, sizeBytes: size, firstSeen: i, lastSeen: i })) }],
        };
        for (const f of diagnose(s, h, options())) {
          expect(FINDING_CODES).toContain(f.code);
          expect(f.summary.length).toBeGreaterThan(0);
          for (const [key, value] of Object.entries(f.evidence)) {
            if (typeof value === 'number') expect(Number.isFinite(value), `${f.code}.${key}`).toBe(true);
            if (key.endsWith('Bytes') && typeof value === 'number') expect(Number.isSafeInteger(value), `${f.code}.${key} = ${value}`).toBe(true);
          }
          for (const r of f.recommendations) {
            const saving = r.estimatedSavingsBytes;
            expect(saving === null || (Number.isSafeInteger(saving) && saving >= 0), `${f.code}: ${r.title} saves ${saving}`).toBe(true);
            for (const value of Object.values(r.params ?? {})) if (typeof value === 'number') expect(Number.isSafeInteger(value)).toBe(true);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
