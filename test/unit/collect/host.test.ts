import { describe, expect, it } from 'vitest';
import { parseOomKills, parsePressure, toHostMemory } from '../../../src/collect/host.js';

describe('toHostMemory', () => {
  it('computes the columns `free` (procps-ng 4) prints', () => {
    const host = toHostMemory(
      { total: 1000, free: 300, available: 600, buffers: 10, cached: 200, reclaimable: 40, swaptotal: 0, swapused: 0 },
      null,
      3,
    );
    // used = total - available = 1000 - 600; buff/cache = Buffers + Cached + SReclaimable = 10 + 200 + 40
    expect(host).toMatchObject({ totalBytes: 1000, usedBytes: 400, freeBytes: 300, availableBytes: 600, buffCacheBytes: 250, oomKillCount: 3, pressure: null });
  });
});

describe('parsePressure', () => {
  it('reads some/full averages', () => {
    const text = 'some avg10=1.50 avg60=12.25 avg300=3.00 total=123\nfull avg10=0.00 avg60=5.10 avg300=0.10 total=9\n';
    expect(parsePressure(text)).toEqual({ some: { avg10: 1.5, avg60: 12.25, avg300: 3 }, full: { avg10: 0, avg60: 5.1, avg300: 0.1 } });
  });

  it('is unknown (null) when a line is missing or garbled', () => {
    expect(parsePressure('some avg10=1.50 avg60=12.25 avg300=3.00 total=123\n')).toBeNull();
    expect(parsePressure('')).toBeNull();
    expect(parsePressure('some avg10=x avg60=y avg300=z total=1\nfull nonsense\n')).toBeNull();
  });
});

describe('parseOomKills', () => {
  it('finds the oom_kill counter and nothing that merely contains the word', () => {
    expect(parseOomKills('pgfault 10\noom_kill 7\nnr_foo 1\n')).toBe(7);
    expect(parseOomKills('oom_kill_extra 3\n')).toBeNull();
    expect(parseOomKills('')).toBeNull();
  });
});
