// ml-libraries-per-worker and duplicate-opencv.
import { describe, expect, it } from 'vitest';
import type { PythonDistribution } from '../../../src/model/snapshot.js';
import { diagnose } from '../../../src/diagnose/diagnose.js';
import { recycleKib } from '../../../src/diagnose/findings/ml-libraries-per-worker.js';
import { emptyDiagnosisHistory, type Finding } from '../../../src/model/finding.js';
import { container, history, MiB, options, pool, series, snapshot } from './build.js';

const byCode = (findings: Finding[], code: string) => findings.filter((f) => f.code === code);
const TORCH = { name: 'torch', mappedBytes: 900 * MiB };
const CV = { name: 'opencv', mappedBytes: 150 * MiB };

describe('ml-libraries-per-worker', () => {
  it('reports the heavy libraries mapped in every child, with their mapped sizes, and whether the master has them', () => {
    const processes = pool({ children: 3, masterPss: 100 * MiB, childUss: 80 * MiB, childMl: [[TORCH, CV], [TORCH, CV], [TORCH]] });
    const f = byCode(diagnose(snapshot({ processes }), emptyDiagnosisHistory(), options()), 'ml-libraries-per-worker')[0];
    // opencv is missing from one child: only torch is in every child.
    expect(f?.evidence).toMatchObject({ libraries: 'torch', torchMappedBytes: 900 * MiB, totalMappedBytes: 900 * MiB, loadedInMaster: 0, children: 3 });
    expect(f?.recommendations.every((r) => r.estimatedSavingsBytes === null)).toBe(true);
    expect(f?.recommendations.find((r) => r.title.includes('lazily'))?.detail).toMatch(/every child imports them after the fork/);
  });

  it('says nothing for pools without children or without heavy libraries', () => {
    const none = pool({ children: 0, masterPss: 100 * MiB, childUss: 80 * MiB, mlLibraries: [TORCH] });
    const plain = pool({ children: 3, masterPss: 100 * MiB, childUss: 80 * MiB });
    for (const processes of [none, plain]) {
      expect(byCode(diagnose(snapshot({ processes }), emptyDiagnosisHistory(), options()), 'ml-libraries-per-worker')).toEqual([]);
    }
  });

  it('offers restart-celery-worker only when the group\'s 24 h low shows it frees memory now', () => {
    const processes = pool({ children: 2, masterPss: 100 * MiB, childUss: 300 * MiB, shared: 0, mlLibraries: [TORCH] });
    const groupPss = 100 * MiB + 2 * 300 * MiB;
    const withLow = history({ groups: [{ name: 'celery worker@box (proj)', pss: series([300 * MiB, groupPss]) }] });
    const f = byCode(diagnose(snapshot({ processes }), withLow, options()), 'ml-libraries-per-worker')[0];
    expect(f?.recommendations[0]).toMatchObject({ runbook: 'restart-celery-worker', estimatedSavingsBytes: groupPss - 300 * MiB });
    const flat = history({ groups: [{ name: 'celery worker@box (proj)', pss: series([groupPss - 10 * MiB, groupPss]) }] });
    const g = byCode(diagnose(snapshot({ processes }), flat, options()), 'ml-libraries-per-worker')[0];
    expect(g?.recommendations.some((r) => r.runbook !== null)).toBe(false);
    const noHistory = byCode(diagnose(snapshot({ processes }), emptyDiagnosisHistory(), options()), 'ml-libraries-per-worker')[0];
    expect(noHistory?.recommendations.some((r) => r.runbook !== null)).toBe(false);
  });

  it('gives worker_max_memory_per_child in KiB, not bytes', () => {
    // Largest child RSS 1000 MiB × 1.25 = 1250 -> 1280 MiB = 1310720 KiB.
    expect(recycleKib([{ rssBytes: 1000 * MiB }, { rssBytes: 10 * MiB }])).toBe(1280 * 1024);
    expect(recycleKib([])).toBe(64 * 1024);
  });
});

describe('duplicate-opencv', () => {
  const id = 'c'.repeat(64);
  const dist = (name: string, version: string, libsMappedBytes?: number | null): PythonDistribution => ({
    name,
    version,
    path: `/usr/local/lib/python3.11/site-packages/${name.replace(/-/g, '_')}-${version}.dist-info`,
    ...(libsMappedBytes === undefined ? {} : { libsMappedBytes }),
  });
  const run = (distributions: PythonDistribution[]) =>
    byCode(diagnose(snapshot({ containers: [container('ocr', { id })], pythonDistributions: [{ containerId: id, distributions }] }), emptyDiagnosisHistory(), options()), 'duplicate-opencv');

  it('keeps opencv-python-headless and counts the duplicates\' mapped libraries as the saving', () => {
    const f = run([dist('opencv-python', '4.6.0.66', 90 * MiB), dist('opencv-python-headless', '4.10.0.84', 0), dist('numpy', '1.26.0')]);
    expect(f[0]).toMatchObject({ target: { kind: 'container', name: 'ocr' }, evidence: { keep: 'opencv-python-headless', duplicatesMappedBytes: 90 * MiB } });
    expect(f[0]?.recommendations[0]).toMatchObject({ estimatedSavingsBytes: 90 * MiB, runbook: null });
    expect(f[0]?.recommendations[0]?.steps).toContain('pip uninstall -y opencv-python opencv-python-headless');
  });

  it('gives a null saving when the duplicates\' mapped size is unknown', () => {
    const f = run([dist('opencv-python', '4.6.0.66'), dist('opencv-contrib-python', '4.6.0.66', 50 * MiB)]);
    expect(f[0]?.recommendations[0]?.estimatedSavingsBytes).toBeNull();
    // headless not installed: the steps install it.
    expect(f[0]?.evidence.keepInstalled).toBe(0);
    expect(f[0]?.recommendations[0]?.steps).toContain('pip install --no-cache-dir opencv-python-headless');
    expect(f[0]?.recommendations[0]?.detail).toMatch(/opencv-contrib-python-headless instead/);
  });

  it('says nothing for one OpenCV, the same one twice, no data, or a container that is gone', () => {
    expect(run([dist('opencv-python-headless', '4.10.0.84')])).toEqual([]);
    expect(run([dist('opencv-python', '4.6.0.66'), { ...dist('opencv-python', '4.6.0.66'), path: '/usr/lib/python3/dist-packages/opencv_python-4.6.0.66.dist-info' }])).toEqual([]);
    expect(byCode(diagnose(snapshot(), emptyDiagnosisHistory(), options()), 'duplicate-opencv')).toEqual([]);
    const orphan = byCode(
      diagnose(snapshot({ pythonDistributions: [{ containerId: 'f'.repeat(64), distributions: [dist('opencv-python', '1'), dist('opencv-python-headless', '2')] }] }), emptyDiagnosisHistory(), options()),
      'duplicate-opencv',
    );
    expect(orphan[0]?.target.name).toBe('ffffffffffff');
  });
});
