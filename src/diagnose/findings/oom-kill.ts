// oom-kill: the kernel killed processes for lack of memory. Per container from its cgroup's
// oom_kill counter (since the container started) and the docker `oom` events seen since the
// previous snapshot (recent, and the only sign where the cgroup has no counter); for the host
// from /proc/vmstat (since boot).
import { formatBytes } from '../../format/units.js';
import { bytesOrNull, type DiagnosisContext } from '../context.js';
import { preforkGroups } from '../prefork.js';
import { seriesMax } from '../series.js';
import { roundUpTo } from '../sizing.js';
import type { Finding, Recommendation } from '../../model/finding.js';

export function findOomKills(ctx: DiagnosisContext): Finding[] {
  const findings: Finding[] = [];
  const prefork = preforkGroups(ctx);
  let inContainers = 0;
  const events = new Map<string, { count: number; last: number; name: string | null }>();
  for (const e of ctx.snapshot.oomEvents ?? []) {
    const seen = events.get(e.containerId);
    events.set(e.containerId, { count: (seen?.count ?? 0) + 1, last: Math.max(seen?.last ?? 0, e.at), name: e.containerName ?? seen?.name ?? null });
  }
  for (const c of ctx.snapshot.containers) {
    const recent = events.get(c.id);
    events.delete(c.id);
    const kills = Math.max(c.oomKillCount ?? 0, recent?.count ?? 0);
    if (!(kills > 0)) continue;
    inContainers += kills;
    const recommendations: Recommendation[] = [];
    const pool = prefork.find((pf) => pf.container?.id === c.id && pf.children.length > 1);
    if (pool) {
      recommendations.push({
        title: `Size the pool of ${pool.group.name} to the memory it has`,
        priority: 'urgent',
        estimatedSavingsBytes: null,
        runbook: null,
        detail: 'Each pool child holds its own copy of what its tasks load: see the prefork-concurrency finding for the concurrency that fits and its measured saving.',
      });
    }
    if (c.memoryLimitBytes !== null) {
      const peak = seriesMax(ctx.containerHistory(c.name)?.week ?? []);
      const base = Math.max(c.memoryLimitBytes, peak ?? 0, c.memoryUsageBytes);
      const limit = roundUpTo(base * ctx.options.diagnosis.containerLimit.factor, ctx.options.diagnosis.containerLimit.step);
      const fitsHost = limit - c.memoryUsageBytes <= ctx.snapshot.host.availableBytes;
      recommendations.push({
        title: `Raise the memory limit of ${c.name} to ${formatBytes(limit)}`,
        priority: pool ? 'high' : 'urgent',
        estimatedSavingsBytes: null,
        runbook: 'set-memory-limit',
        params: { limit },
        detail: `It was killed at its limit of ${formatBytes(c.memoryLimitBytes)}${peak === null ? '' : ` (7-day peak ${formatBytes(peak)})`}. A higher limit frees nothing: it lets the container use more of the host${fitsHost ? '' : `, and the host has only ${formatBytes(ctx.snapshot.host.availableBytes)} available, so lower its usage instead`}.`,
      });
    }
    findings.push({
      code: 'oom-kill',
      severity: 'critical',
      target: { kind: 'container', name: c.name },
      summary: `${kills} process${kills === 1 ? '' : 'es'} in ${c.name} killed by the OOM killer since it started${recent ? ` (${recent.count} since the last poll)` : ''}`,
      evidence: {
        oomKills: kills,
        recentOomEvents: recent?.count ?? 0,
        lastOomAt: recent ? new Date(recent.last).toISOString() : null,
        usageBytes: bytesOrNull(c.memoryUsageBytes),
        limitBytes: bytesOrNull(c.memoryLimitBytes),
        limitHits: c.limitHitCount,
        restarts: c.restartCount,
      },
      recommendations,
    });
  }
  // Events of containers that are gone by now (an OOM kill of their init ends them).
  for (const [containerId, e] of events) {
    const name = e.name ?? containerId.slice(0, 12);
    findings.push({
      code: 'oom-kill',
      severity: 'critical',
      target: { kind: 'container', name },
      summary: `${e.count} OOM kill${e.count === 1 ? '' : 's'} in ${name} since the last poll; the container is no longer running`,
      evidence: { recentOomEvents: e.count, lastOomAt: new Date(e.last).toISOString() },
      recommendations: [
        {
          title: `Find out why ${name} died and give it the memory it needs`,
          priority: 'urgent',
          estimatedSavingsBytes: null,
          runbook: null,
          steps: [`docker inspect --format '{{.State.OOMKilled}} {{.State.ExitCode}} {{.HostConfig.Memory}}' ${name}`, `docker logs --tail 50 ${name}`],
          detail: 'Its memory limit (or the host) ran out while it ran; with no figures left to measure, its history shows how much it used before.',
        },
      ],
    });
  }
  const hostKills = ctx.snapshot.host.oomKillCount;
  if (hostKills !== null && hostKills > inContainers) {
    const outside = hostKills - inContainers;
    findings.push({
      code: 'oom-kill',
      severity: 'warning',
      target: { kind: 'host', name: ctx.snapshot.hostname },
      summary: `The kernel OOM killer has killed ${hostKills} process${hostKills === 1 ? '' : 'es'} since boot${inContainers > 0 ? ` (${outside} outside running containers)` : ''}`,
      evidence: {
        oomKillsSinceBoot: hostKills,
        oomKillsInRunningContainers: inContainers,
        availableBytes: bytesOrNull(ctx.snapshot.host.availableBytes),
        swapTotalBytes: bytesOrNull(ctx.snapshot.host.swapTotalBytes),
      },
      recommendations: [
        {
          title: 'Find what was killed and when',
          priority: 'high',
          estimatedSavingsBytes: null,
          runbook: null,
          steps: ["sudo journalctl -k --since '-7 days' | grep -iE 'out of memory|oom-kill'", "docker events --since 168h --filter event=oom"],
          detail: 'The counter is since boot, so these kills may be old; the kernel log names each victim and its memory at the time.',
        },
      ],
    });
  }
  return findings;
}
