import { describe, expect, it } from 'vitest';

import {
  apiLimitHitCount,
  hostConfigLimit,
  limitBytesOrNull,
  memPercent,
  memUsageNoCache,
  parseApiMemoryStats,
  parseCgroupCounters,
  parseCgroupInteger,
  parseMemoryEvents,
  parseMemoryLimit,
  parseOomControl,
  statsLimit,
} from '../../../src/collect/docker-memory.js';

const MiB = 1024 * 1024;
const HOST_TOTAL = 24683656 * 1024; // MemTotal: 24683656 kB

describe('memUsageNoCache (docker/cli calculateMemUsageUnixNoCache)', () => {
  it('subtracts total_inactive_file on cgroup v1', () => {
    // 72531968 - 4096000 = 68435968 (65.27 MiB)
    expect(memUsageNoCache(72531968, { total_inactive_file: 4096000, inactive_file: 1000 })).toBe(68435968);
  });

  it('subtracts inactive_file on cgroup v2', () => {
    // 70463488 - 1593344 = 68870144 (65.68 MiB)
    expect(memUsageNoCache(70463488, { inactive_file: 1593344, file: 2674688 })).toBe(68870144);
  });

  it('does not subtract cache, unlike Docker 19.03 and older', () => {
    // usage - inactive file: 100 MiB - 10 MiB = 90 MiB; usage - cache would be 100 - 40 = 60 MiB
    expect(memUsageNoCache(100 * MiB, { cache: 40 * MiB, total_inactive_file: 10 * MiB })).toBe(90 * MiB);
  });

  it('falls back to inactive_file when total_inactive_file is not smaller than usage (v1)', () => {
    // total_inactive_file 2 MiB >= usage 1 MiB, so the CLI tries inactive_file: 1 MiB - 256 KiB = 768 KiB
    expect(memUsageNoCache(1 * MiB, { total_inactive_file: 2 * MiB, inactive_file: 256 * 1024 })).toBe(768 * 1024);
  });

  it('returns usage when the inactive file cache is equal to or larger than usage', () => {
    // inactive_file 2 MiB >= usage 1 MiB: nothing subtracted
    expect(memUsageNoCache(1 * MiB, { inactive_file: 2 * MiB })).toBe(1 * MiB);
    // equal is not smaller: 4096 stays 4096
    expect(memUsageNoCache(4096, { total_inactive_file: 4096, inactive_file: 4096 })).toBe(4096);
  });

  it('returns usage when neither key is present (a missing key counts as 0)', () => {
    // 5 MiB - 0 = 5 MiB
    expect(memUsageNoCache(5 * MiB, {})).toBe(5 * MiB);
    expect(memUsageNoCache(0, {})).toBe(0);
  });
});

describe('memPercent (docker/cli calculateMemPercentUnixNoCache)', () => {
  it('is used / limit * 100', () => {
    // 68435968 / 134217728 * 100 = 50.99 %
    expect(memPercent(68435968, 134217728)).toBeCloseTo(50.9886, 3);
    // 64 MiB / 128 MiB * 100 = 50 %
    expect(memPercent(64 * MiB, 128 * MiB)).toBe(50);
  });

  it('is 0 when the limit is 0, as the CLI shows for a container without data', () => {
    expect(memPercent(64 * MiB, 0)).toBe(0);
  });
});

describe('statsLimit (the daemon clamps limits above MemTotal to MemTotal)', () => {
  it('uses host RAM for an unlimited container', () => {
    // 64 MiB / 25275863040 B * 100 = 0.2655 %, what docker stats shows without --memory
    expect(statsLimit('unlimited', HOST_TOTAL)).toBe(HOST_TOTAL);
    expect(memPercent(64 * MiB, statsLimit('unlimited', HOST_TOTAL))).toBeCloseTo(0.2655, 3);
  });

  it('keeps a limit below host RAM and clamps one above it', () => {
    expect(statsLimit(128 * MiB, HOST_TOTAL)).toBe(128 * MiB);
    expect(statsLimit(HOST_TOTAL * 2, HOST_TOTAL)).toBe(HOST_TOTAL);
  });

  it('gives 0 (percent 0) when the host total is unknown and there is no limit', () => {
    expect(statsLimit('unlimited', 0)).toBe(0);
    expect(statsLimit(128 * MiB, 0)).toBe(128 * MiB);
  });
});

describe('parseMemoryLimit', () => {
  it('reads bytes', () => {
    expect(parseMemoryLimit('134217728\n')).toBe(134217728);
  });

  it('treats v1 page-rounded max int64 and v2 "max" as unlimited', () => {
    expect(parseMemoryLimit('9223372036854771712\n')).toBe('unlimited'); // 4 KiB pages
    expect(parseMemoryLimit('9223372036854710272')).toBe('unlimited'); // 64 KiB pages
    expect(parseMemoryLimit('max\n')).toBe('unlimited');
    expect(parseMemoryLimit('-1')).toBe('unlimited');
  });

  it('keeps the largest exact integer as a limit', () => {
    expect(parseMemoryLimit(String(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('rejects garbage', () => {
    for (const garbage of ['', '\n', '-5', '12abc', '0x1000', '1e9', 'NaN', 'unlimited', '1 2']) {
      expect(parseMemoryLimit(garbage), JSON.stringify(garbage)).toBeNull();
    }
  });

  it('maps to the Snapshot field: null when unlimited or unknown', () => {
    expect(limitBytesOrNull(parseMemoryLimit('9223372036854771712'))).toBeNull();
    expect(limitBytesOrNull(parseMemoryLimit('garbage'))).toBeNull();
    expect(limitBytesOrNull(parseMemoryLimit('134217728'))).toBe(134217728);
  });
});

describe('hostConfigLimit (docker inspect HostConfig.Memory / MemorySwap)', () => {
  it('reads 0 as unset and -1 as unlimited swap', () => {
    expect(hostConfigLimit(0)).toBe('unlimited');
    expect(hostConfigLimit(-1)).toBe('unlimited');
    expect(hostConfigLimit(134217728)).toBe(134217728);
  });

  it('is unknown when absent', () => {
    expect(hostConfigLimit(undefined)).toBeNull();
    expect(hostConfigLimit(null)).toBeNull();
    expect(hostConfigLimit(Number.NaN)).toBeNull();
  });
});

describe('parseCgroupInteger', () => {
  it('reads decimal integers and nothing else', () => {
    expect(parseCgroupInteger('72531968\n')).toBe(72531968);
    expect(parseCgroupInteger('0')).toBe(0);
    for (const garbage of ['', ' ', '-1', '12abc', '1.5', '0x10', 'max']) {
      expect(parseCgroupInteger(garbage), JSON.stringify(garbage)).toBeNull();
    }
  });
});

describe('parseCgroupCounters', () => {
  it('parses memory.stat', () => {
    const stat = parseCgroupCounters('cache 5033984\nrss 67497984\ntotal_inactive_file 4096000\n');
    expect({ ...stat }).toEqual({ cache: 5033984, rss: 67497984, total_inactive_file: 4096000 });
  });

  it('skips malformed lines instead of guessing', () => {
    const stat = parseCgroupCounters('total_inactive_file lots\nrss\n\n  \ncache 1e6\ninactive_file -4\ntotal_rss 1 2\nswap 0\n');
    expect({ ...stat }).toEqual({ swap: 0 });
  });

  it('keeps hostile keys as plain data', () => {
    const stat = parseCgroupCounters('__proto__ 7\nconstructor 9\ntoString 1\n');
    expect(Object.getPrototypeOf(stat)).toBeNull();
    expect(Object.keys(stat).sort()).toEqual(['__proto__', 'constructor', 'toString']);
    expect(stat['constructor']).toBe(9);
    // A prototype key never looks like an inactive_file counter.
    expect(memUsageNoCache(4096, parseCgroupCounters('hasOwnProperty 1\n'))).toBe(4096);
  });

  it('does not see inherited properties as counters', () => {
    expect(memUsageNoCache(4096, parseCgroupCounters(''))).toBe(4096);
    expect(parseOomControl('')).toBeNull();
  });
});

describe('parseOomControl (cgroup v1 memory.oom_control)', () => {
  it('reads oom_kill', () => {
    expect(parseOomControl('oom_kill_disable 0\nunder_oom 0\noom_kill 3\n')).toBe(3);
  });

  it('is null before Linux 4.13 (no oom_kill line) and for garbage', () => {
    expect(parseOomControl('oom_kill_disable 0\nunder_oom 0\n')).toBeNull();
    expect(parseOomControl('oom_kill 0x10\n')).toBeNull();
  });
});

describe('parseMemoryEvents (cgroup v2 memory.events)', () => {
  it('reads max (limit hits) and oom_kill, not oom', () => {
    expect(parseMemoryEvents('low 0\nhigh 0\nmax 12\noom 3\noom_kill 2\noom_group_kill 0\n')).toEqual({
      limitHitCount: 12,
      oomKillCount: 2,
    });
  });

  it('is null per counter when absent or garbled', () => {
    expect(parseMemoryEvents('max many\noom_kill\n')).toEqual({ limitHitCount: null, oomKillCount: null });
    expect(parseMemoryEvents('max 0\n')).toEqual({ limitHitCount: 0, oomKillCount: null });
  });
});

describe('parseApiMemoryStats and apiLimitHitCount (Engine API memory_stats)', () => {
  const v1 = {
    usage: 72531968,
    limit: 134217728,
    stats: { total_inactive_file: 4096000, inactive_file: 4096000, cache: 5033984 },
  };

  it('reads a cgroup v1 answer; failcnt absent means 0 limit hits', () => {
    const memory = parseApiMemoryStats(v1);
    expect(memory).not.toBeNull();
    // 72531968 - 4096000 = 68435968, as docker stats shows
    expect(memUsageNoCache(memory!.usage, memory!.stats)).toBe(68435968);
    expect(apiLimitHitCount(memory!)).toBe(0);
    expect(apiLimitHitCount(parseApiMemoryStats({ ...v1, failcnt: 3 })!)).toBe(3);
  });

  it('does not take the v2 failcnt (the "oom" event count) for limit hits', () => {
    const memory = parseApiMemoryStats({ usage: 70463488, limit: HOST_TOTAL, failcnt: 1, stats: { inactive_file: 1593344 } });
    expect(apiLimitHitCount(memory!)).toBeNull();
    // 70463488 - 1593344 = 68870144; / host total 25275863040 * 100 = 0.2725 %
    expect(memPercent(memUsageNoCache(memory!.usage, memory!.stats), memory!.limit)).toBeCloseTo(0.2725, 3);
  });

  it('is null for a stopped container and keeps only numbers', () => {
    expect(parseApiMemoryStats({})).toBeNull();
    expect(parseApiMemoryStats(undefined)).toBeNull();
    expect(parseApiMemoryStats({ usage: 'lots' })).toBeNull();
    const memory = parseApiMemoryStats({ usage: 10, stats: { inactive_file: '4', total_inactive_file: null, cache: -1, rss: 8 } });
    expect(memory).toEqual({ usage: 10, limit: 0, failcnt: null, stats: { rss: 8 } });
  });
});
