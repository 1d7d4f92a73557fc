// Container memory arithmetic, mirroring what `docker stats` prints. Pure functions over plain
// data: the cgroup reader and the Engine API fallback both end up here, so both agree with the
// docker CLI to the byte.
//
// Sources:
// - docker/cli cli/command/container/stats_helpers.go: calculateMemUsageUnixNoCache,
//   calculateMemPercentUnixNoCache.
// - moby/moby daemon/daemon_unix.go statsV1/statsV2 (Engine 20.10): "if the container does not
//   set memory limit, use the machineMemory" — the daemon clamps any limit above MemTotal
//   (including "unlimited") to MemTotal before the CLI divides by it. On v1 `failcnt` is the
//   cgroup's memory.failcnt (omitted from the JSON while 0); on v2 the daemon fills `failcnt`
//   with memory.events "oom", which is not a count of limit hits.
// - kernel mm/page_counter.h: PAGE_COUNTER_MAX is LONG_MAX rounded down to a page, which cgroup
//   v1 prints as 9223372036854771712 (4 KiB pages) when no limit is set; cgroup v2 prints "max".

/** A cgroup memory limit: bytes, or no limit at all. */
export type MemoryLimit = number | 'unlimited';

/** Counters from a flat-keyed cgroup file (memory.stat, memory.events, memory.oom_control). */
export type CgroupCounters = Record<string, number>;

const DECIMAL = /^\d+$/;

/**
 * Parses one non-negative decimal integer as cgroup files print it (a trailing newline is fine).
 * Returns null for anything else: empty, negative, hex, "12abc", "1e9", "NaN".
 */
export function parseCgroupInteger(text: string): number | null {
  const trimmed = text.trim();
  if (!DECIMAL.test(trimmed)) return null;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : null;
}

/**
 * Parses a memory limit file (v1 memory.limit_in_bytes / memory.memsw.limit_in_bytes, v2
 * memory.max / memory.swap.max). "max" (v2) and anything above 2^53 (v1's page-rounded
 * PAGE_COUNTER_MAX, 9223372036854771712 with 4 KiB pages, 9223372036854710272 with 64 KiB pages,
 * and the -1 docker writes) mean no limit: no machine has 8 PiB of RAM. null when unparseable.
 */
export function parseMemoryLimit(text: string): MemoryLimit | null {
  const trimmed = text.trim();
  if (trimmed === 'max' || trimmed === '-1') return 'unlimited';
  if (!DECIMAL.test(trimmed)) return null;
  // BigInt so the comparison is exact even where Number would round.
  if (BigInt(trimmed) > BigInt(Number.MAX_SAFE_INTEGER)) return 'unlimited';
  return Number(trimmed);
}

/**
 * Parses "key value" lines (memory.stat, memory.events, memory.oom_control) into a record.
 * Lines that are not exactly a key and a non-negative integer are ignored, so a truncated or
 * garbled file yields fewer keys rather than wrong numbers. The record has no prototype, so keys
 * such as "__proto__" or "constructor" in a hostile file are plain data.
 */
export function parseCgroupCounters(text: string): CgroupCounters {
  const counters: CgroupCounters = Object.create(null) as CgroupCounters;
  for (const line of text.split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (parts.length !== 2) continue;
    const [key, raw] = parts as [string, string];
    const value = parseCgroupInteger(raw);
    if (value !== null) counters[key] = value;
  }
  return counters;
}

function counter(counters: CgroupCounters, key: string): number | null {
  return Object.hasOwn(counters, key) ? (counters[key] ?? null) : null;
}

/**
 * OOM kills from cgroup v1 memory.oom_control ("oom_kill_disable 0 / under_oom 0 / oom_kill N").
 * The oom_kill line exists since Linux 4.13; null when absent.
 */
export function parseOomControl(text: string): number | null {
  return counter(parseCgroupCounters(text), 'oom_kill');
}

/**
 * cgroup v2 memory.events: `max` counts the times usage hit memory.max (the v2 analogue of v1's
 * failcnt), `oom_kill` the processes the OOM killer chose in this cgroup. null when absent.
 */
export function parseMemoryEvents(text: string): { limitHitCount: number | null; oomKillCount: number | null } {
  const counters = parseCgroupCounters(text);
  return { limitHitCount: counter(counters, 'max'), oomKillCount: counter(counters, 'oom_kill') };
}

/**
 * docker stats' MEM USAGE: usage minus the inactive file cache, exactly as docker/cli
 * calculateMemUsageUnixNoCache does it:
 *   cgroup v1: usage - total_inactive_file, if that key is present and smaller than usage;
 *   otherwise: usage - inactive_file, if smaller than usage (a missing key counts as 0, as a
 *   missing Go map key does; on v1 this is the cgroup's own, non-hierarchical inactive_file);
 *   otherwise usage.
 * Docker 19.03 and older subtracted `cache` instead (moby/moby#40727); we do not.
 */
export function memUsageNoCache(usage: number, stats: CgroupCounters): number {
  const totalInactiveFile = counter(stats, 'total_inactive_file');
  if (totalInactiveFile !== null && totalInactiveFile < usage) return usage - totalInactiveFile;
  const inactiveFile = counter(stats, 'inactive_file') ?? 0;
  if (inactiveFile < usage) return usage - inactiveFile;
  return usage;
}

/**
 * The limit docker stats divides by. The daemon replaces any limit above the host's MemTotal
 * (so also "unlimited") with MemTotal (moby statsV1/statsV2, see the top of this file).
 */
export function statsLimit(limit: MemoryLimit, hostTotalBytes: number): number {
  if (hostTotalBytes <= 0) return limit === 'unlimited' ? 0 : limit;
  if (limit === 'unlimited' || limit > hostTotalBytes) return hostTotalBytes;
  return limit;
}

/**
 * MEM % as docker stats shows it, in percent (0-100, above 100 is possible only transiently):
 * docker/cli calculateMemPercentUnixNoCache, which returns 0 when the limit is 0.
 */
export function memPercent(used: number, limit: number): number {
  if (limit <= 0) return 0;
  return (used / limit) * 100;
}

/** The configured limit for the Snapshot: null when there is none. */
export function limitBytesOrNull(limit: MemoryLimit | null): number | null {
  return limit === null || limit === 'unlimited' ? null : limit;
}

/**
 * The limit Docker configured, from `docker inspect` HostConfig.Memory / HostConfig.MemorySwap:
 * 0 means not set and -1 (MemorySwap only) means unlimited swap.
 */
export function hostConfigLimit(value: number | undefined | null): MemoryLimit | null {
  if (value === undefined || value === null || !Number.isFinite(value)) return null;
  if (value <= 0) return 'unlimited';
  return value;
}

/** The memory part of an Engine API stats answer, reduced to plain data. */
export interface ApiMemoryStats {
  usage: number;
  limit: number;
  failcnt: number | null;
  stats: CgroupCounters;
}

function finiteNumber(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null;
}

/**
 * Reads `memory_stats` of a `GET /containers/{id}/stats` answer. @types/dockerode types it with
 * cgroup v1 keys only and the Engine omits fields freely, so this takes `unknown` and keeps only
 * numbers. null when there is no usage (a container that stopped meanwhile answers `{}`).
 */
export function parseApiMemoryStats(memoryStats: unknown): ApiMemoryStats | null {
  if (typeof memoryStats !== 'object' || memoryStats === null) return null;
  const raw = memoryStats as Record<string, unknown>;
  const usage = finiteNumber(raw['usage']);
  if (usage === null) return null;
  const stats: CgroupCounters = Object.create(null) as CgroupCounters;
  if (typeof raw['stats'] === 'object' && raw['stats'] !== null) {
    for (const [key, value] of Object.entries(raw['stats'] as Record<string, unknown>)) {
      const parsed = finiteNumber(value);
      if (parsed !== null) stats[key] = parsed;
    }
  }
  return { usage, limit: finiteNumber(raw['limit']) ?? 0, failcnt: finiteNumber(raw['failcnt']), stats };
}

/**
 * Limit hits from the API: on cgroup v1 (recognised by `total_inactive_file`, as docker/cli
 * does) `failcnt` is memory.failcnt and omitted while 0, so absent means 0. On v2 the field holds
 * the "oom" event count instead (see the top of this file), so the limit hit count is unknown.
 */
export function apiLimitHitCount(memory: ApiMemoryStats): number | null {
  const cgroupV1 = Object.hasOwn(memory.stats, 'total_inactive_file');
  if (!cgroupV1) return null;
  return memory.failcnt ?? 0;
}
