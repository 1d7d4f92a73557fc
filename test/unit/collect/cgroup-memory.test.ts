import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { readCgroupMemory } from '../../../src/collect/cgroup-memory.js';
import { limitBytesOrNull, memPercent, memUsageNoCache, statsLimit } from '../../../src/collect/docker-memory.js';

const V1 = fileURLToPath(new URL('../../fixtures/cgroup/v1', import.meta.url));
const V2 = fileURLToPath(new URL('../../fixtures/cgroup/v2', import.meta.url));

// Container ids of the fixtures (see test/fixtures/cgroup/README.md).
const V1_LIMITED = '1f0c3a5e9b7d2c4f6a8e0b1d3c5f7a9e2b4d6f8a0c1e3b5d7f9a2c4e6b8d0f1a';
const V1_UNLIMITED = '2a4c6e8f0b1d3f5a7c9e1b3d5f7a9c0e2b4d6f8a1c3e5b7d9f0a2c4e6b8d1f3a';
const V1_SYSTEMD = '3b5d7f9a1c3e5b7d9f0a2c4e6b8d1f3a5c7e9b0d2f4a6c8e1b3d5f7a9c0e2b4d';
const V1_GARBAGE_USAGE = '4c6e8a0b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f1a3c5e7b9d0f2a4c';
const V1_NO_STAT = '5d7f9b1c3e5a7c9e0b2d4f6a8c1e3b5d7f9a0c2e4b6d8f1a3c5e7b9d2f4a6c8e';
const V1_GARBAGE_FILES = '6e8a0c2d4f6b8d0f1a3c5e7b9d1f3a5c7e9b0d2f4a6c8e0b2d4f6a8c1e3b5d7f';
const V2_SYSTEMD = '7f9b1d3e5a7c9e1b3d5f7a9c0e2b4d6f8a1c3e5b7d9f0a2c4e6b8d1f3a5c7e9b';
const V2_CGROUPFS = '8a0c2e4f6b8d0a2c4e6f8b1d3f5a7c9e0b2d4f6a8c1e3b5d7f9a2c4e6b8d0f1a';
const V2_HOSTILE = '9b1d3f5a7c9e1b3d5f7a9c0e2b4d6f8a1c3e5b7d9f0a2c4e6b8d1f3a5c7e9b0d';

const MiB = 1024 * 1024;
const HOST_TOTAL = 24683656 * 1024;

describe('readCgroupMemory, cgroup v1', () => {
  it('reads a container with --memory 128m', () => {
    const memory = readCgroupMemory(V1, V1_LIMITED);
    expect(memory).toMatchObject({
      version: 1,
      usageBytes: 72531968,
      limit: 128 * MiB,
      memorySwapLimit: 256 * MiB, // docker's default --memory-swap: twice --memory
      limitHitCount: 3,
      oomKillCount: 1,
      pids: 2,
    });
    expect(memory!.dir).toContain(`memory/docker/${V1_LIMITED}`);
    // MEM USAGE: 72531968 - total_inactive_file 4096000 = 68435968 (65.27MiB)
    const used = memUsageNoCache(memory!.usageBytes, memory!.stat);
    expect(used).toBe(68435968);
    // MEM %: 68435968 / 134217728 * 100 = 50.99%
    expect(memPercent(used, statsLimit(memory!.limit!, HOST_TOTAL))).toBeCloseTo(50.99, 2);
  });

  it('reads the unlimited value 9223372036854771712 as no limit and divides by host RAM', () => {
    const memory = readCgroupMemory(V1, V1_UNLIMITED);
    expect(memory).toMatchObject({
      usageBytes: 1003520,
      limit: 'unlimited',
      memorySwapLimit: null, // memory.memsw.* absent: the kernel does not account swap
      limitHitCount: 0,
      oomKillCount: null, // no oom_kill line before Linux 4.13
      pids: null, // no pids cgroup
    });
    expect(limitBytesOrNull(memory!.limit)).toBeNull();
    // 1003520 - total_inactive_file 1060864: not smaller, so inactive_file: 1003520 - 135168 = 868352
    const used = memUsageNoCache(memory!.usageBytes, memory!.stat);
    expect(used).toBe(868352);
    // 868352 / 25275863040 * 100 = 0.0034%
    expect(memPercent(used, statsLimit(memory!.limit!, HOST_TOTAL))).toBeCloseTo(0.003435, 5);
  });

  it('finds the systemd driver layout', () => {
    const memory = readCgroupMemory(V1, V1_SYSTEMD);
    expect(memory).toMatchObject({ version: 1, usageBytes: 8 * MiB, limit: 'unlimited', memorySwapLimit: 'unlimited', pids: 5 });
    expect(memory!.dir).toContain(`system.slice/docker-${V1_SYSTEMD}.scope`);
    // 8 MiB - 2 MiB = 6 MiB
    expect(memUsageNoCache(memory!.usageBytes, memory!.stat)).toBe(6 * MiB);
  });

  it('is null when the usage is garbage ("12abc")', () => {
    expect(readCgroupMemory(V1, V1_GARBAGE_USAGE)).toBeNull();
  });

  it('is null when memory.stat is missing (no-cache usage cannot be computed)', () => {
    expect(readCgroupMemory(V1, V1_NO_STAT)).toBeNull();
  });

  it('turns garbage in the other files into unknowns, never numbers', () => {
    const memory = readCgroupMemory(V1, V1_GARBAGE_FILES);
    expect(memory).toMatchObject({
      usageBytes: 20 * MiB,
      limit: null, // "-5"
      memorySwapLimit: null, // empty file
      limitHitCount: null, // "NaN"
      oomKillCount: null, // "oom_kill 0x10"
      pids: null, // "many"
    });
    // Only the well-formed memory.stat lines count: 20 MiB - total_inactive_file 1 MiB = 19 MiB
    expect(memUsageNoCache(memory!.usageBytes, memory!.stat)).toBe(19 * MiB);
    expect(Object.keys(memory!.stat).sort()).toEqual(['__proto__', 'constructor', 'total_cache', 'total_inactive_file']);
  });
});

describe('readCgroupMemory, cgroup v2', () => {
  it('reads an unlimited container under system.slice', () => {
    const memory = readCgroupMemory(V2, V2_SYSTEMD);
    expect(memory).toMatchObject({
      version: 2,
      usageBytes: 70463488,
      limit: 'unlimited', // memory.max "max"
      memorySwapLimit: 'unlimited',
      limitHitCount: 0,
      oomKillCount: 0,
      pids: 1,
    });
    // 70463488 - inactive_file 1593344 = 68870144 (65.68MiB)
    const used = memUsageNoCache(memory!.usageBytes, memory!.stat);
    expect(used).toBe(68870144);
    // 68870144 / 25275863040 * 100 = 0.2725%
    expect(memPercent(used, statsLimit(memory!.limit!, HOST_TOTAL))).toBeCloseTo(0.2725, 4);
  });

  it('reads a limited container under docker/ (cgroupfs driver), with memory.events', () => {
    const memory = readCgroupMemory(V2, V2_CGROUPFS);
    expect(memory).toMatchObject({
      version: 2,
      usageBytes: 134213632,
      limit: 128 * MiB,
      memorySwapLimit: 256 * MiB, // memory.max 128 MiB + memory.swap.max 128 MiB
      limitHitCount: 12, // memory.events max
      oomKillCount: 2, // memory.events oom_kill (not oom 3)
      pids: 4,
    });
    expect(memory!.dir).toContain(`docker/${V2_CGROUPFS}`);
    // 134213632 - 3801088 = 130412544; / 134217728 * 100 = 97.16%
    const used = memUsageNoCache(memory!.usageBytes, memory!.stat);
    expect(used).toBe(130412544);
    expect(memPercent(used, statsLimit(memory!.limit!, HOST_TOTAL))).toBeCloseTo(97.16, 2);
  });

  it('copes with no swap controller, garbled memory.events and no pids', () => {
    const memory = readCgroupMemory(V2, V2_HOSTILE);
    expect(memory).toMatchObject({
      usageBytes: 1 * MiB,
      limit: 'unlimited',
      memorySwapLimit: null,
      limitHitCount: null,
      oomKillCount: null,
      pids: null,
    });
    // inactive_file 2 MiB is not smaller than usage 1 MiB: usage stays 1 MiB
    expect(memUsageNoCache(memory!.usageBytes, memory!.stat)).toBe(1 * MiB);
  });
});

describe('readCgroupMemory, unreadable', () => {
  it('is null for an unknown container, a missing root and a non-hex id', () => {
    expect(readCgroupMemory(V1, 'f'.repeat(64))).toBeNull();
    expect(readCgroupMemory('/nonexistent/cgroup/root', V1_LIMITED)).toBeNull();
    // An id must never walk the tree: this would reach another fixture's files otherwise.
    expect(readCgroupMemory(V1, `../docker/${V1_LIMITED}`)).toBeNull();
    expect(readCgroupMemory(V1, '')).toBeNull();
  });
});
