// host-memory-high and host-swap-disabled.
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../../src/diagnose/diagnose.js';
import { recommendedSwapBytes } from '../../../src/diagnose/sizing.js';
import { emptyDiagnosisHistory, type Finding } from '../../../src/model/finding.js';
import { container, GiB, host, MiB, options, snapshot } from './build.js';

const byCode = (findings: Finding[], code: string) => findings.filter((f) => f.code === code);

describe('host-memory-high', () => {
  it('follows the host-memory-used rule: nothing below warn, warning, critical', () => {
    const at = (usedPercent: number, input = {}) =>
      byCode(diagnose(snapshot({ host: host({ usedBytes: (16 * GiB * usedPercent) / 100, availableBytes: 16 * GiB * (1 - usedPercent / 100) }) }), emptyDiagnosisHistory(), options(input)), 'host-memory-high');
    expect(at(84)).toEqual([]);
    expect(at(85)[0]?.severity).toBe('warning');
    expect(at(96)[0]?.severity).toBe('critical');
    expect(at(70, { alerts: { rules: { 'host-memory-used': { warning: 60, critical: 90 } } } })[0]?.severity).toBe('warning');
    expect(at(96)[0]?.evidence).toMatchObject({ warnPercent: 85, critPercent: 95 });
    // Without a critical level the host is never critical, and the evidence says there is none.
    const noCritical = at(96, { alerts: { rules: { 'host-memory-used': { critical: false } } } })[0];
    expect(noCritical).toMatchObject({ severity: 'warning', evidence: { warnPercent: 85, critPercent: null } });
  });

  it('names the largest consumers and claims no saving of its own', () => {
    const s = snapshot({
      host: host({ usedBytes: 15 * GiB, availableBytes: 1 * GiB }),
      containers: [container('db', { memoryUsageBytes: 6 * GiB }), container('api', { memoryUsageBytes: 2 * GiB })],
    });
    const f = byCode(diagnose(s, emptyDiagnosisHistory(), options()), 'host-memory-high')[0];
    expect(f?.recommendations[0]).toMatchObject({ estimatedSavingsBytes: null, runbook: null, priority: 'high' });
    expect(f?.recommendations[0]?.detail).toMatch(/container db 6 GiB; container api 2 GiB/);
  });

  it('survives a host with zero total memory (a broken /proc/meminfo)', () => {
    const s = snapshot({ host: host({ totalBytes: 0, usedBytes: 0, availableBytes: 0, swapTotalBytes: 0 }) });
    expect(() => diagnose(s, emptyDiagnosisHistory(), options())).not.toThrow();
    expect(byCode(diagnose(s, emptyDiagnosisHistory(), options()), 'host-memory-high')).toEqual([]);
  });
});

describe('host-swap-disabled', () => {
  it('sizes swap from RAM like Red Hat\'s table', () => {
    expect(recommendedSwapBytes(1 * GiB)).toBe(2 * GiB);
    expect(recommendedSwapBytes(1.5 * GiB)).toBe(3 * GiB);
    expect(recommendedSwapBytes(4 * GiB)).toBe(4 * GiB);
    expect(recommendedSwapBytes(7.6 * GiB)).toBe(8 * GiB);
    expect(recommendedSwapBytes(11.68 * GiB)).toBe(4 * GiB);
    expect(recommendedSwapBytes(256 * GiB)).toBe(4 * GiB);
  });

  it('gives the exact manual steps, with no runbook and no claimed saving', () => {
    const s = snapshot({ host: host({ totalBytes: 2 * GiB, usedBytes: 1 * GiB, availableBytes: 1 * GiB, swapTotalBytes: 0 }) });
    const f = byCode(diagnose(s, emptyDiagnosisHistory(), options()), 'host-swap-disabled')[0];
    expect(f?.severity).toBe('warning'); // RAM fine, nothing large without a limit
    expect(f?.recommendations[0]).toMatchObject({ runbook: null, estimatedSavingsBytes: null, priority: 'high', params: { size: 4 * GiB } });
    expect(f?.recommendations[0]?.steps).toEqual([
      'sudo fallocate -l 4G /swapfile',
      'sudo chmod 600 /swapfile',
      'sudo mkswap /swapfile',
      'sudo swapon /swapfile',
      "echo '/swapfile none swap sw 0 0' | sudo tee -a /etc/fstab",
      'swapon --show && free -h',
    ]);
  });

  it('is critical when a large container has no limit, or host memory is already high', () => {
    const big = snapshot({ host: host({ swapTotalBytes: 0 }), containers: [container('ml', { memoryLimitBytes: null, memoryUsageBytes: 4 * GiB })] });
    expect(byCode(diagnose(big, emptyDiagnosisHistory(), options()), 'host-swap-disabled')[0]?.severity).toBe('critical');
    const small = snapshot({ host: host({ swapTotalBytes: 0 }), containers: [container('tiny', { memoryLimitBytes: null, memoryUsageBytes: 10 * MiB })] });
    expect(byCode(diagnose(small, emptyDiagnosisHistory(), options()), 'host-swap-disabled')[0]?.severity).toBe('warning');
    const full = snapshot({ host: host({ swapTotalBytes: 0, usedBytes: 15 * GiB, availableBytes: GiB }) });
    expect(byCode(diagnose(full, emptyDiagnosisHistory(), options()), 'host-swap-disabled')[0]?.severity).toBe('critical');
  });

  it('says nothing when there is swap', () => {
    expect(byCode(diagnose(snapshot(), emptyDiagnosisHistory(), options()), 'host-swap-disabled')).toEqual([]);
  });
});
