// Host memory: totals from systeminformation (it reads /proc/meminfo), pressure and the OOM
// kill counter straight from /proc, which systeminformation does not cover.
import { join } from 'node:path';
import si from 'systeminformation';
import { readProcText } from './proc-file.js';
import type { HostMemory, PressureFigures } from '../model/snapshot.js';

export interface MeminfoFigures {
  total: number;
  free: number;
  available: number;
  buffers: number;
  cached: number;
  /** SReclaimable: part of `free`'s buff/cache column. */
  reclaimable: number;
  swaptotal: number;
  swapused: number;
}

/** Maps meminfo figures to the columns `free` (procps-ng 4) prints. */
export function toHostMemory(m: MeminfoFigures, pressure: HostMemory['pressure'], oomKillCount: number | null): HostMemory {
  return {
    totalBytes: m.total,
    // procps-ng >= 4.0 defines used as total - available; so do we, so the figures match `free`.
    usedBytes: m.total - m.available,
    freeBytes: m.free,
    availableBytes: m.available,
    buffCacheBytes: m.buffers + m.cached + m.reclaimable,
    swapTotalBytes: m.swaptotal,
    swapUsedBytes: m.swapused,
    pressure,
    oomKillCount,
  };
}

/** Parses /proc/pressure/memory ("some avg10=0.00 avg60=0.00 avg300=0.00 total=0"). */
export function parsePressure(text: string): HostMemory['pressure'] {
  const lines = new Map<string, PressureFigures>();
  for (const line of text.split('\n')) {
    const match = /^(some|full)\s+avg10=([\d.]+)\s+avg60=([\d.]+)\s+avg300=([\d.]+)/.exec(line.trim());
    if (match) lines.set(match[1] as string, { avg10: Number(match[2]), avg60: Number(match[3]), avg300: Number(match[4]) });
  }
  const some = lines.get('some');
  const full = lines.get('full');
  return some && full ? { some, full } : null;
}

/** The kernel's cumulative OOM kill counter from /proc/vmstat (absent before Linux 4.13). */
export function parseOomKills(vmstat: string): number | null {
  const match = /^oom_kill (\d+)$/m.exec(vmstat);
  return match ? Number(match[1]) : null;
}

export async function collectHost(procRoot = '/proc'): Promise<HostMemory> {
  const mem = await si.mem();
  const pressureText = readProcText(join(procRoot, 'pressure', 'memory'));
  const vmstat = readProcText(join(procRoot, 'vmstat'));
  return toHostMemory(
    { ...mem, reclaimable: mem.reclaimable ?? 0 },
    pressureText === null ? null : parsePressure(pressureText),
    vmstat === null ? null : parseOomKills(vmstat),
  );
}
