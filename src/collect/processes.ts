// Reads every process's memory from /proc. Processes come and go while we read: a pid whose files
// vanish (ENOENT/ESRCH) is skipped, and smaps_rollup that we may not read (EACCES, or ESRCH for a
// process exiting) degrades that process to RSS only instead of failing the scan.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import {
  parseCgroupContainerId,
  parseCmdline,
  parseMapsMlLibraries,
  parseSmapsRollup,
  parseStatus,
} from './proc-parsers.js';
import { detectPreforkKind, groupProcesses, looksLikePython } from './process-groups.js';
import type { MlLibrary, ProcessGroup, ProcessMemory } from './types.js';

export interface CollectProcessesOptions {
  /** Usually /proc; /host/proc when running in a container with the host's /proc mounted. */
  procRoot: string;
  /** Read smaps_rollup for PSS/USS (~0.5 ms per process); false gives RSS only. */
  withSmaps: boolean;
  /** Full container id -> container name. */
  containerNames: ReadonlyMap<string, string>;
  /** memwarden's own pid in procRoot's namespace: its group is named "memwarden". */
  selfPid?: number;
}

export interface ProcessCollection {
  /** Sorted by pid. */
  processes: ProcessMemory[];
  /** Sorted by PSS, largest first. */
  groups: ProcessGroup[];
}

// libuv's pool has 4 threads by default; a few pids in flight each keep it busy without queueing
// hundreds of open() calls.
const CONCURRENCY = 16;
// Some command lines carry whole JSON environments; a snapshot does not need more than this.
const MAX_CMDLINE_CHARS = 4096;

/**
 * Collects every user-space process under `procRoot` and groups them (prefork servers as one
 * group). Throws only when `procRoot` itself cannot be listed.
 */
export async function collectProcesses(opts: CollectProcessesOptions): Promise<ProcessCollection> {
  const entries = await fsp.readdir(opts.procRoot);
  const pids = entries
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .sort((a, b) => a - b);
  const results = await mapWithConcurrency(pids, CONCURRENCY, (pid) =>
    readProcess(join(opts.procRoot, String(pid)), pid, opts.withSmaps),
  );
  const processes = results.filter((p): p is ProcessMemory => p !== null);
  const groupOptions = opts.selfPid === undefined ? {} : { selfPid: opts.selfPid };
  const groups = groupProcesses(processes, opts.containerNames, groupOptions);
  return { processes, groups };
}

async function readProcess(dir: string, pid: number, withSmaps: boolean): Promise<ProcessMemory | null> {
  const statusText = await readProcFile(join(dir, 'status'));
  if (statusText === null) return null;
  const status = parseStatus(statusText, pid);
  // No VmRSS: a kernel thread or a zombie, neither holds user memory.
  if (status === null || status.kernelThread || status.rssBytes === null) return null;

  const [cmdlineText, cgroupText, smapsText] = await Promise.all([
    readProcFile(join(dir, 'cmdline')),
    readProcFile(join(dir, 'cgroup')),
    withSmaps ? readProcFile(join(dir, 'smaps_rollup')) : Promise.resolve(null),
  ]);
  // cmdline and cgroup are world-readable: failing to read them means the process is gone.
  if (cmdlineText === null || cgroupText === null) return null;
  const argv = parseCmdline(cmdlineText);
  if (argv.length === 0) return null;
  const cmdline = argv.join(' ').slice(0, MAX_CMDLINE_CHARS);
  const smaps = smapsText === null ? null : parseSmapsRollup(smapsText);

  // maps of a torch process runs to thousands of lines: only read it where ML libraries live.
  let mlLibraries: MlLibrary[] = [];
  if (looksLikePython(status.name, cmdline) || detectPreforkKind(status.name, cmdline) !== null) {
    const mapsText = await readProcFile(join(dir, 'maps'));
    if (mapsText !== null) mlLibraries = parseMapsMlLibraries(mapsText);
  }

  return {
    pid,
    ppid: status.ppid,
    nsPid: status.nsPid,
    comm: status.name,
    cmdline,
    // smaps' Rss is exact; status's VmRSS may lag by per-thread counter batching (proc(5)).
    rssBytes: smaps?.rssBytes ?? status.rssBytes,
    pssBytes: smaps?.pssBytes ?? null,
    ussBytes: smaps?.ussBytes ?? null,
    precision: smaps ? 'smaps' : 'rss-only',
    containerId: parseCgroupContainerId(cgroupText),
    mlLibraries,
  };
}

/**
 * Reads a /proc file, or null when the kernel refuses (EACCES/EPERM), the process is gone
 * (ENOENT/ESRCH) or the read fails otherwise (EINVAL, EIO): one process never fails the scan.
 */
async function readProcFile(path: string): Promise<string | null> {
  try {
    return await fsp.readFile(path, 'utf8');
  } catch (err) {
    if (isErrnoError(err)) return null;
    throw err;
  }
}

function isErrnoError(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string';
}

async function mapWithConcurrency<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
