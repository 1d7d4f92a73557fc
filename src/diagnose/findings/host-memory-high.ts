// host-memory-high: the host's used memory (total - available) is above the status levels of
// the host-used-percent alert rule (options.thresholds.host, default rule host-memory-used).
// Names the largest consumers, so the reader knows where to look.
import { formatBytes, formatPercent, percentOf } from '../../format/units.js';
import { bytesOrNull, type DiagnosisContext, priorityFor } from '../context.js';
import { levelFor } from '../levels.js';
import type { Finding } from '../../model/finding.js';

export function findHostMemoryHigh(ctx: DiagnosisContext): Finding[] {
  const { host } = ctx.snapshot;
  if (!(host.totalBytes > 0)) return [];
  const usedPercent = percentOf(host.usedBytes, host.totalBytes);
  const level = levelFor(usedPercent, ctx.options.thresholds.host);
  if (level === 'OK') return [];
  const severity = level === 'CRITICAL' ? 'critical' : 'warning';
  const containers = [...ctx.snapshot.containers].sort((a, b) => b.memoryUsageBytes - a.memoryUsageBytes).slice(0, 3);
  const groups = ctx.snapshot.processGroups.slice(0, 3);
  const consumers = [
    ...containers.map((c) => `container ${c.name} ${formatBytes(c.memoryUsageBytes)}`),
    ...groups.map((g) => `${g.name} ${formatBytes(g.pssBytes)} PSS`),
  ];
  return [
    {
      code: 'host-memory-high',
      severity,
      target: { kind: 'host', name: ctx.snapshot.hostname },
      summary: `Host memory ${formatPercent(usedPercent)} used (${formatBytes(host.usedBytes)} of ${formatBytes(host.totalBytes)}), ${formatBytes(host.availableBytes)} available`,
      evidence: {
        totalBytes: bytesOrNull(host.totalBytes),
        usedBytes: bytesOrNull(host.usedBytes),
        availableBytes: bytesOrNull(host.availableBytes),
        usedPercent: Math.round(usedPercent * 10) / 10,
        warnPercent: finiteOrNull(ctx.options.thresholds.host.warnPercent),
        // null when the rule has no critical level.
        critPercent: finiteOrNull(ctx.options.thresholds.host.critPercent),
        swapTotalBytes: bytesOrNull(host.swapTotalBytes),
        swapUsedBytes: bytesOrNull(host.swapUsedBytes),
        pressureSomeAvg60: host.pressure?.some.avg60 ?? null,
      },
      recommendations: [
        {
          title: 'Free memory where it is used: act on the largest consumers first',
          priority: priorityFor(severity),
          estimatedSavingsBytes: null,
          runbook: null,
          detail:
            consumers.length > 0
              ? `Largest now: ${consumers.join('; ')}. The other findings give each one's fix with its measured saving.`
              : 'No container or process group was measured; run memwarden with access to /proc and Docker to see the consumers.',
        },
      ],
    },
  ];
}

function finiteOrNull(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}
