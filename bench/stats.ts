// Small helpers for the benchmark: summary statistics and /proc CPU counters.
import { readFileSync, readdirSync } from 'node:fs';

export interface Summary {
  n: number;
  median: number;
  p95: number;
  min: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile (0 < p <= 1) of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil(p * sorted.length));
  return sorted[rank - 1] as number;
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  // The median of an even count is the mean of the two middle values.
  const median =
    n === 0 ? Number.NaN : n % 2 === 1 ? (sorted[(n - 1) / 2] as number) : ((sorted[n / 2 - 1] as number) + (sorted[n / 2] as number)) / 2;
  return {
    n,
    median,
    p95: percentile(sorted, 0.95),
    min: sorted[0] ?? Number.NaN,
    max: sorted[n - 1] ?? Number.NaN,
    mean: n === 0 ? Number.NaN : sorted.reduce((a, b) => a + b, 0) / n,
  };
}

/** Fields of /proc/<pid>/stat after the comm (which may contain spaces and parentheses). */
function statFields(text: string): string[] {
  return text.slice(text.lastIndexOf(')') + 2).trim().split(/\s+/);
}

/**
 * utime + stime + cutime + cstime of a process, in clock ticks (proc(5): fields 14-17; after
 * the comm they are at index 11-14). Null when the process is gone.
 */
export function processTicks(pid: number | 'self'): { own: number; children: number } | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const f = statFields(text);
  return { own: Number(f[11]) + Number(f[12]), children: Number(f[13]) + Number(f[14]) };
}

/** The comm (process name, at most 15 characters) of every process, by pid. */
export function listProcesses(): Map<number, string> {
  const result = new Map<number, string>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      result.set(Number(name), readFileSync(`/proc/${name}/comm`, 'utf8').trim());
    } catch {
      // gone
    }
  }
  return result;
}

/** The Docker engine's processes: dockerd, containerd and one containerd-shim per container. */
export function enginePids(): number[] {
  const engine = new Set(['dockerd', 'containerd', 'containerd-shim', 'containerd-shim-runc-v2']);
  return [...listProcesses()].filter(([, comm]) => engine.has(comm)).map(([pid]) => pid);
}

/** Sum of utime + stime of `pids` in clock ticks (processes that vanished count 0). */
export function ticksOf(pids: readonly number[]): number {
  let sum = 0;
  for (const pid of pids) sum += processTicks(pid)?.own ?? 0;
  return sum;
}

/** Busy clock ticks of the whole machine since boot (/proc/stat "cpu": all but idle and iowait). */
export function hostBusyTicks(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return [user, nice, system, irq, softirq, steal].reduce<number>((sum, v) => sum + (v ?? 0), 0);
}
