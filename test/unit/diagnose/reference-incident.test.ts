// The incident of shared/reference/ram-usage-report.md, replayed: diagnose() must surface the
// report's critical issues and recommend its fixes, with savings computed from the measurements
// (test/fixtures/reference-incident.ts explains every figure).
import { beforeAll, describe, expect, it } from 'vitest';
import { diagnose } from '../../../src/diagnose/diagnose.js';
import type { Finding } from '../../../src/model/finding.js';
import {
  BACKEND_CONTAINER,
  CELERY_CONTAINER,
  CELERY_GROUP,
  CELERY_LOW_PSS,
  CELERY_PEAK_PSS,
  CELERY_SHARED,
  CELERY_USS,
  CONTRIB_LIBS_MAPPED,
  GiB,
  MiB,
  referenceHistory,
  referenceSnapshot,
} from '../../fixtures/reference-incident.js';
import { options } from './build.js';

let findings: Finding[];
const find = (code: string, name?: string): Finding | undefined =>
  findings.find((f) => f.code === code && (name === undefined || f.target.name === name));

beforeAll(() => {
  findings = diagnose(referenceSnapshot(), referenceHistory(), options());
});

describe('the reference incident (27 Oct 2025)', () => {
  it('finds swap disabled as critical and gives the exact manual steps to add 4 GiB', () => {
    const f = find('host-swap-disabled');
    expect(f).toMatchObject({ severity: 'critical', target: { kind: 'host', name: 'bizcard-prod' } });
    const rec = f?.recommendations[0];
    expect(rec).toMatchObject({ priority: 'urgent', runbook: null, estimatedSavingsBytes: null, params: { size: 4 * GiB } });
    // As in the report's "Enable Swap": 11.68 GiB of RAM -> 4 GiB of swap.
    expect(rec?.steps?.slice(0, 5)).toEqual([
      'sudo fallocate -l 4G /swapfile',
      'sudo chmod 600 /swapfile',
      'sudo mkswap /swapfile',
      'sudo swapon /swapfile',
      "echo '/swapfile none swap sw 0 0' | sudo tee -a /etc/fstab",
    ]);
  });

  it('finds no memory limit on the Celery worker and the backend, and suggests limits from their history (set-memory-limit)', () => {
    const celery = find('container-no-memory-limit', CELERY_CONTAINER);
    const backend = find('container-no-memory-limit', BACKEND_CONTAINER);
    expect(celery?.severity).toBe('critical'); // 22% of host RAM, nothing caps it
    expect(backend?.severity).toBe('warning'); // 12%
    // p99 of 7 days × 1.3, rounded up to 64 MiB: the backend gets the report's 2G.
    expect(backend?.recommendations[0]).toMatchObject({ priority: 'urgent', runbook: 'set-memory-limit', params: { limit: 2 * GiB } });
    expect(backend?.evidence).toMatchObject({ basis: 'history', suggestedLimitBytes: 2 * GiB });
    const celeryLimit = celery?.recommendations[0]?.params?.limit as number;
    expect(celery?.recommendations[0]).toMatchObject({ priority: 'urgent', runbook: 'set-memory-limit' });
    expect(celeryLimit % (64 * MiB)).toBe(0);
    expect(celeryLimit).toBeGreaterThan(2.57 * GiB * 1.3 - 1);
    // The once-a-day OCR peak is above a p99 limit: the recommendation says so.
    expect(celery?.recommendations[0]?.detail).toMatch(/peak .* is above this limit/);
    // The compose snippet, for a limit that survives `docker compose up`.
    expect(celery?.recommendations[0]?.steps).toEqual(expect.arrayContaining(['  celery-worker:', '          memory: 3584M']));
    // The small containers are listed too, but only as notes.
    expect(find('container-no-memory-limit', 'bizcard-redis')?.severity).toBe('info');
  });

  it('finds the Celery concurrency too high and recommends lower-celery-concurrency with a saving from the USS figures', () => {
    const f = find('prefork-concurrency', CELERY_GROUP);
    expect(f?.severity).toBe('critical');
    // Children cost their USS (worker 1 with its subprocess); the master its PSS.
    const childUss = (CELERY_USS.worker1 + CELERY_USS.subprocess + CELERY_USS.worker2 + CELERY_USS.worker3) / 3;
    const masterPss = CELERY_USS.master + Math.round(CELERY_SHARED / 5);
    // At the daily peak each child held (6.6 GiB - master) / 3; need = 3 × that + master = the peak.
    const perChild = (CELERY_PEAK_PSS - masterPss) / 3;
    const groupPss = f?.evidence.groupPssBytes as number;
    const usable = (5.1 * GiB + groupPss) * 0.8;
    const target = Math.floor((usable - masterPss) / perChild);
    expect(target).toBe(2);
    expect(f?.evidence).toMatchObject({ concurrency: 3, configuredConcurrency: 3, targetConcurrency: 2, childUssBytes: Math.round(childUss), masterPssBytes: masterPss });
    const rec = f?.recommendations[0];
    expect(rec).toMatchObject({ priority: 'urgent', runbook: 'lower-celery-concurrency', params: { concurrency: 2 } });
    expect(rec?.estimatedSavingsBytes).toBe(Math.round((3 - 2) * childUss));
    expect(rec?.estimatedSavingsBytes).toBeGreaterThan(0);
    // The live shrink is lost on restart: the persistent fix is in the command.
    expect(rec?.detail).toMatch(/lost when the worker restarts/);
    expect(rec?.steps).toEqual(expect.arrayContaining(['#     command: celery -A app.celery_app worker --loglevel=info --concurrency=2']));
  });

  it('finds torch, paddle and opencv mapped in every worker and advises lazy loading, recycling and a separate worker', () => {
    const f = find('ml-libraries-per-worker', CELERY_GROUP);
    expect(f).toMatchObject({ severity: 'warning', evidence: { children: 3, libraries: 'torch,paddle,opencv', loadedInMaster: 1 } });
    expect(f?.evidence.torchMappedBytes).toBe(1436 * MiB);
    const titles = f?.recommendations.map((r) => r.title).join('\n');
    expect(titles).toMatch(/lazily/);
    expect(titles).toMatch(/worker_max_tasks_per_child/);
    expect(titles).toMatch(/worker of their own with concurrency 1/);
    // It frees memory now: the group was at 1.9 GiB after this morning's restart.
    const restart = f?.recommendations.find((r) => r.runbook === 'restart-celery-worker');
    expect(restart?.estimatedSavingsBytes).toBe((f?.evidence.groupPssBytes as number) - CELERY_LOW_PSS);
    const recycle = f?.recommendations.find((r) => r.title.includes('worker_max_memory_per_child'));
    expect(recycle?.steps?.join('\n')).toMatch(/worker_max_memory_per_child=\d+, {2}# KiB/);
  });

  it('finds three OpenCV distributions and keeps opencv-python-headless', () => {
    const f = find('duplicate-opencv', CELERY_CONTAINER);
    expect(f?.evidence).toMatchObject({ keep: 'opencv-python-headless', keepInstalled: 1, duplicatesMappedBytes: CONTRIB_LIBS_MAPPED });
    const rec = f?.recommendations[0];
    expect(rec).toMatchObject({ title: expect.stringContaining('opencv-python-headless'), estimatedSavingsBytes: CONTRIB_LIBS_MAPPED });
    expect(rec?.steps).toEqual(
      expect.arrayContaining([
        'opencv-python-headless==4.10.0.84',
        'pip uninstall -y opencv-python opencv-python-headless opencv-contrib-python',
        'pip install --no-cache-dir opencv-python-headless==4.10.0.84',
      ]),
    );
  });

  it('finds the backend image grown from 1.33 GiB to 7.86 GiB', () => {
    const f = find('image-size-growth');
    expect(f?.evidence).toMatchObject({ repository: 'bizcard/backend', sizeBytes: Math.round(7.86 * GiB), previousSizeBytes: Math.round(1.33 * GiB) });
  });

  it('calls it no leak and no high host memory: the measurements say ML libraries per worker, at 56% used', () => {
    expect(find('memory-leak-suspected')).toBeUndefined();
    expect(find('host-memory-high')).toBeUndefined();
    expect(findings.filter((f) => f.severity === 'critical').map((f) => f.code)).toEqual([
      'host-swap-disabled',
      'container-no-memory-limit',
      'prefork-concurrency',
    ]);
  });

  it('carries bytes as integers and savings as null or a non-negative integer everywhere', () => {
    for (const f of findings) {
      for (const [key, value] of Object.entries(f.evidence)) {
        if (key.endsWith('Bytes') && value !== null) expect(Number.isSafeInteger(value), `${f.code}.${key}`).toBe(true);
      }
      for (const r of f.recommendations) {
        const s = r.estimatedSavingsBytes;
        expect(s === null || (Number.isSafeInteger(s) && s >= 0), `${f.code}: ${r.title}`).toBe(true);
      }
    }
  });
});
