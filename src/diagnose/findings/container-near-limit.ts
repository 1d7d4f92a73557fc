// container-near-limit: a container with a memory limit uses more of it than the
// container-limit-percent alert rule allows (options.thresholds.container, default rule
// container-near-limit). Past the limit the kernel reclaims its cache, then OOM-kills.
import { formatBytes, formatPercent, percentOf } from '../../format/units.js';
import { bytesOrNull, type DiagnosisContext, priorityFor } from '../context.js';
import { levelFor } from '../levels.js';
import { averageChildCost, preforkGroups } from '../prefork.js';
import { dockerSize, suggestMemoryLimit } from '../sizing.js';
import type { Finding, Recommendation } from '../../model/finding.js';

export function findContainersNearLimit(ctx: DiagnosisContext): Finding[] {
  const findings: Finding[] = [];
  const prefork = preforkGroups(ctx);
  for (const c of ctx.snapshot.containers) {
    const limit = c.memoryLimitBytes;
    if (limit === null || !(limit > 0)) continue;
    const percent = percentOf(c.memoryUsageBytes, limit);
    const level = levelFor(percent, ctx.options.thresholds.container);
    if (level === 'OK') continue;
    const severity = level === 'CRITICAL' ? 'critical' : 'warning';
    const week = ctx.containerHistory(c.name)?.week ?? [];
    const suggestion = suggestMemoryLimit(c.memoryUsageBytes, week, ctx.options.diagnosis.containerLimit);
    const recommendations: Recommendation[] = [];
    const pool = prefork.find((pf) => pf.container?.id === c.id && pf.children.length > 1);
    if (pool) {
      const cost = averageChildCost(pool);
      recommendations.push({
        title: `Run fewer pool children in ${c.name} (${pool.group.name})`,
        priority: priorityFor(severity),
        estimatedSavingsBytes: cost === null ? null : Math.round(cost),
        runbook: null,
        detail: `Each of its ${pool.children.length} children costs ${cost === null ? 'an unmeasured amount (no smaps access)' : formatBytes(cost)} of private memory; the prefork-concurrency finding, when present, gives the concurrency that fits.`,
      });
    }
    if (suggestion.limitBytes > limit) {
      const growth = suggestion.limitBytes - c.memoryUsageBytes;
      const fitsHost = growth <= ctx.snapshot.host.availableBytes;
      recommendations.push({
        title: `Raise the memory limit of ${c.name} to ${formatBytes(suggestion.limitBytes)}`,
        priority: pool ? 'high' : priorityFor(severity),
        estimatedSavingsBytes: null,
        runbook: 'set-memory-limit',
        params: { limit: suggestion.limitBytes },
        steps: [`docker update --memory ${dockerSize(suggestion.limitBytes)} --memory-swap ${dockerSize(suggestion.limitBytes)} ${c.name}`],
        detail:
          (suggestion.basis === 'history'
            ? `p${ctx.options.diagnosis.containerLimit.percentile} of its usage over ${Math.round(suggestion.historySpanMs / 3_600_000)} h is ${formatBytes(suggestion.percentileBytes)}; × ${ctx.options.diagnosis.containerLimit.factor}, rounded up. `
            : `Too little history for a percentile; current usage × ${ctx.options.diagnosis.containerLimit.fallbackFactor}, rounded up. `) +
          `A higher limit frees nothing; it gives the container room${fitsHost ? '' : `, but the host has only ${formatBytes(ctx.snapshot.host.availableBytes)} available`}.`,
      });
    }
    findings.push({
      code: 'container-near-limit',
      severity,
      target: { kind: 'container', name: c.name },
      summary: `${c.name} uses ${formatBytes(c.memoryUsageBytes)} of its ${formatBytes(limit)} limit (${formatPercent(percent)})`,
      evidence: {
        usageBytes: bytesOrNull(c.memoryUsageBytes),
        limitBytes: bytesOrNull(limit),
        usedPercent: Math.round(percent * 10) / 10,
        limitHits: c.limitHitCount,
        oomKills: c.oomKillCount,
        weekPeakBytes: bytesOrNull(suggestion.peakBytes),
      },
      recommendations,
    });
  }
  return findings;
}
