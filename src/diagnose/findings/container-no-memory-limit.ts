// container-no-memory-limit: a container that may take all of the host's memory. The suggested
// limit comes from its own history (percentile × factor, rounded up to a readable size); with
// too little history, from its current usage. A limit frees nothing now: it bounds the damage.
import { formatBytes, formatPercent, percentOf } from '../../format/units.js';
import { bytesOrNull, type DiagnosisContext } from '../context.js';
import { levelFor } from '../levels.js';
import { serviceName } from '../prefork.js';
import { dockerSize, suggestMemoryLimit } from '../sizing.js';
import type { Finding, Severity } from '../../model/finding.js';

const HOUR = 3_600_000;

export function findContainersWithoutLimit(ctx: DiagnosisContext): Finding[] {
  const findings: Finding[] = [];
  const { host } = ctx.snapshot;
  const cfg = ctx.options.diagnosis.containerLimit;
  for (const c of ctx.snapshot.containers) {
    if (c.memoryLimitBytes !== null) continue;
    const percent = percentOf(c.memoryUsageBytes, host.totalBytes);
    const level = levelFor(percent, ctx.options.thresholds.unlimitedContainer);
    const severity: Severity = level === 'CRITICAL' ? 'critical' : level === 'HIGH' ? 'warning' : 'info';
    const week = ctx.containerHistory(c.name)?.week ?? [];
    const s = suggestMemoryLimit(c.memoryUsageBytes, week, cfg);
    const size = dockerSize(s.limitBytes);
    const service = serviceName(c, c.name);
    const hours = Math.round((s.historySpanMs / HOUR) * 10) / 10;
    const basis =
      s.basis === 'history'
        ? `p${cfg.percentile} of its usage over the last ${hours} h is ${formatBytes(s.percentileBytes)}; × ${cfg.factor} and rounded up to ${formatBytes(cfg.step)} steps gives ${formatBytes(s.limitBytes)}.`
        : `${s.samples === 0 ? 'No history' : `Only ${hours} h of history`} (less than ${Math.round(cfg.minHistory / HOUR)} h), too little for a percentile: current usage ${formatBytes(c.memoryUsageBytes)} × ${cfg.fallbackFactor}, rounded up, gives ${formatBytes(s.limitBytes)}. Check it again once there is more history.`;
    const peakWarning =
      s.peakBytes !== null && s.peakBytes > s.limitBytes
        ? ` Its peak in that history, ${formatBytes(s.peakBytes)}, is above this limit: at such a peak the kernel would OOM-kill inside the container, so bring the peak down first (fewer pool children, lazy model loading) or choose a higher limit.`
        : '';
    findings.push({
      code: 'container-no-memory-limit',
      severity,
      target: { kind: 'container', name: c.name },
      summary: `${c.name} has no memory limit and uses ${formatBytes(c.memoryUsageBytes)} (${formatPercent(percent)} of host RAM)`,
      evidence: {
        usageBytes: bytesOrNull(c.memoryUsageBytes),
        hostPercent: Math.round(percent * 10) / 10,
        suggestedLimitBytes: s.limitBytes,
        basis: s.basis,
        percentile: cfg.percentile,
        percentileBytes: bytesOrNull(s.percentileBytes),
        peakBytes: bytesOrNull(s.peakBytes),
        historyHours: hours,
        historySamples: s.samples,
      },
      recommendations: [
        {
          title: `Set a memory limit of ${formatBytes(s.limitBytes)} on ${c.name}`,
          priority: severity === 'info' ? 'medium' : 'urgent',
          estimatedSavingsBytes: null,
          runbook: 'set-memory-limit',
          params: { limit: s.limitBytes },
          steps: [
            `docker update --memory ${size} --memory-swap ${size} ${c.name}   # now; lost when the container is recreated`,
            '# docker-compose.yml, so it stays:',
            'services:',
            `  ${service}:`,
            '    deploy:',
            '      resources:',
            '        limits:',
            `          memory: ${size}`,
          ],
          detail: `${basis}${peakWarning} A limit frees nothing now: it keeps this container from taking the whole host down with it (the kernel reclaims and, past the limit, kills inside the container only).`,
        },
      ],
    });
  }
  return findings;
}
