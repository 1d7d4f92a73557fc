// The gauges that mirror the latest Snapshot (host, Docker, containers, process groups).
//
// Every update first clears what the previous snapshot set, so a container or process group that
// is gone is gone from /metrics too, instead of repeating its last value forever. A figure the
// snapshot does not know (null, or a source that failed) is left out of the output, never
// written as 0: Prometheus then sees "no data", which absent() and alerting treat correctly,
// where a 0 would read as "no memory used" or "unlimited".
//
// Host figures are separate gauges rather than one gauge with a `kind` label: total, used, free,
// available and buff/cache overlap (used is total - available; available counts free memory and
// reclaimable cache), so sum() over such a label would mean nothing, and the Prometheus naming
// guide (and node_exporter) gives such figures metrics of their own. PSI is the exception:
// its `window` label selects a smoothing of one and the same figure, like a summary's quantile.
//
// The kernel's and cgroups' OOM kill counts and Docker's restart count only grow (until a reboot
// or a new container, which Prometheus' rate() treats as a counter reset), so they are counters;
// prom-client counters cannot be set, so each update resets them and adds the current total.
import { Counter, Gauge, type Registry } from 'prom-client';
import { largestGroups } from '../model/snapshot.js';
import type { ContainerMemory, ProcessGroup, Snapshot } from '../model/snapshot.js';

export interface SnapshotMetrics {
  update(snapshot: Snapshot): void;
}

type LabelSet<T extends string> = Partial<Record<T, string>>;

const CONTAINER_LABELS = ['container', 'compose_project', 'compose_service'] as const;
type ContainerLabel = (typeof CONTAINER_LABELS)[number];
const GROUP_LABELS = ['group', 'container'] as const;
type GroupLabel = (typeof GROUP_LABELS)[number];

/** The figure, when it is a real number; anything else is unknown and must not be exported. */
function known(value: number | null | undefined): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** topGroups: how many process groups (the largest by PSS, as history keeps) get series. */
export function createSnapshotMetrics(register: Registry, topGroups: number): SnapshotMetrics {
  const gauge = <T extends string>(name: string, help: string, labelNames: readonly T[] = []): Gauge<T> => {
    const g = new Gauge<T>({ name, help, labelNames, registers: [register] });
    // A gauge without labels starts at 0; until the first snapshot its value is unknown.
    if (labelNames.length === 0) g.remove();
    return g;
  };
  const counter = <T extends string>(name: string, help: string, labelNames: readonly T[] = []): Counter<T> => {
    const c = new Counter<T>({ name, help, labelNames, registers: [register] });
    if (labelNames.length === 0) c.remove();
    return c;
  };

  const host = {
    total: gauge('memwarden_host_memory_total_bytes', 'Host memory: MemTotal from /proc/meminfo.'),
    used: gauge('memwarden_host_memory_used_bytes', 'Host memory used: total - available, as `free` computes it.'),
    free: gauge('memwarden_host_memory_free_bytes', 'Host memory: MemFree (neither used nor cache).'),
    available: gauge('memwarden_host_memory_available_bytes', 'Host memory: MemAvailable, what can be allocated without swapping.'),
    buffCache: gauge('memwarden_host_memory_buff_cache_bytes', 'Host memory: Buffers + Cached + SReclaimable, as `free` shows buff/cache.'),
    swapTotal: gauge('memwarden_host_swap_total_bytes', 'Host swap size.'),
    swapUsed: gauge('memwarden_host_swap_used_bytes', 'Host swap in use.'),
  };
  const pressure = gauge(
    'memwarden_host_memory_pressure_ratio',
    'Memory PSI from /proc/pressure/memory as a ratio (0-1) of time stalled; kind some|full, window 10s|60s|300s. Absent when the kernel has no PSI.',
    ['kind', 'window'] as const,
  );
  const hostOomKills = counter('memwarden_host_oom_kills_total', 'Kernel OOM kills since boot (oom_kill in /proc/vmstat). Absent when the kernel does not report it.');
  const dockerUp = gauge('memwarden_docker_up', '1 when the Docker API answered the last poll, else 0.');

  const container = {
    usage: gauge('memwarden_container_memory_usage_bytes', 'Container memory usage as `docker stats` shows it (cgroup usage minus inactive file cache).', CONTAINER_LABELS),
    limit: gauge('memwarden_container_memory_limit_bytes', 'Container memory limit. Absent when the container has no limit.', CONTAINER_LABELS),
    oomKills: counter('memwarden_container_oom_kills_total', 'OOM kills in the container cgroup. Absent when unknown.', CONTAINER_LABELS),
    restarts: counter('memwarden_container_restarts_total', 'Docker restart count of the container.', CONTAINER_LABELS),
  };

  const group = {
    pss: gauge('memwarden_process_group_pss_bytes', 'Proportional set size of a process group (the poll.topGroups largest by PSS get series). Absent unless every member was measured (smaps_rollup readable).', GROUP_LABELS),
    rss: gauge('memwarden_process_group_rss_bytes', 'Resident set size summed over a process group (shared pages counted per member).', GROUP_LABELS),
    uss: gauge('memwarden_process_group_uss_bytes', 'Unique set size of a process group. Absent unless every member was measured (smaps_rollup readable).', GROUP_LABELS),
  };

  const setHost = (g: Gauge<string>, value: number | null): void => {
    if (known(value)) g.set(value);
    else g.remove();
  };

  return {
    update(snapshot) {
      const h = snapshot.host;
      setHost(host.total, h.totalBytes);
      setHost(host.used, h.usedBytes);
      setHost(host.free, h.freeBytes);
      setHost(host.available, h.availableBytes);
      setHost(host.buffCache, h.buffCacheBytes);
      setHost(host.swapTotal, h.swapTotalBytes);
      setHost(host.swapUsed, h.swapUsedBytes);

      pressure.reset();
      for (const kind of ['some', 'full'] as const) {
        const figures = h.pressure?.[kind];
        if (!figures) continue;
        for (const [window, value] of [['10s', figures.avg10], ['60s', figures.avg60], ['300s', figures.avg300]] as const) {
          // The kernel reports percent; Prometheus' base unit for a fraction is a 0-1 ratio.
          if (known(value)) pressure.set({ kind, window }, value / 100);
        }
      }

      hostOomKills.reset();
      if (known(h.oomKillCount)) hostOomKills.inc(h.oomKillCount);
      else hostOomKills.remove();

      dockerUp.set(snapshot.docker.reachable ? 1 : 0);

      for (const m of [container.usage, container.limit, container.oomKills, container.restarts]) m.reset();
      for (const c of snapshot.containers) setContainer(c);

      for (const m of [group.pss, group.rss, group.uss]) m.reset();
      for (const [labels, figures] of aggregateGroups(largestGroups(snapshot.processGroups, topGroups))) {
        if (known(figures.rss)) group.rss.set(labels, figures.rss);
        if (figures.exact && known(figures.pss)) group.pss.set(labels, figures.pss);
        if (figures.exact && known(figures.uss)) group.uss.set(labels, figures.uss);
      }
    },
  };

  function setContainer(c: ContainerMemory): void {
    const labels: LabelSet<ContainerLabel> = {
      container: c.name,
      compose_project: c.composeProject ?? '',
      compose_service: c.composeService ?? '',
    };
    if (known(c.memoryUsageBytes)) container.usage.set(labels, c.memoryUsageBytes);
    if (known(c.memoryLimitBytes)) container.limit.set(labels, c.memoryLimitBytes);
    if (known(c.oomKillCount)) container.oomKills.inc(labels, c.oomKillCount);
    if (known(c.restartCount)) container.restarts.inc(labels, c.restartCount);
  }
}

interface GroupFigures {
  pss: number;
  rss: number;
  uss: number;
  /** Every member of every group behind the series had its PSS/USS measured. */
  exact: boolean;
}

/**
 * Groups by their labels. Group names are not unique: every ungrouped process is a group of its
 * own, so two `python3 app.py` on the host share a name. Setting a gauge per group would keep only
 * the last one's figure; summing keeps the series true to its labels (all memory of the processes
 * named so, there), as PSS and USS add up across processes.
 */
function aggregateGroups(groups: readonly ProcessGroup[]): Map<LabelSet<GroupLabel>, GroupFigures> {
  const byKey = new Map<string, [LabelSet<GroupLabel>, GroupFigures]>();
  for (const g of groups) {
    // A container whose name we did not learn still is not the host: fall back to its short id.
    const containerLabel = g.containerName ?? (g.containerId === null ? '' : g.containerId.slice(0, 12));
    const key = JSON.stringify([g.name, containerLabel]);
    const entry = byKey.get(key);
    if (entry) {
      const figures = entry[1];
      figures.pss += g.pssBytes;
      figures.rss += g.rssBytes;
      figures.uss += g.ussBytes;
      figures.exact &&= g.exact;
    } else {
      byKey.set(key, [{ group: g.name, container: containerLabel }, { pss: g.pssBytes, rss: g.rssBytes, uss: g.ussBytes, exact: g.exact }]);
    }
  }
  return new Map(byKey.values());
}
