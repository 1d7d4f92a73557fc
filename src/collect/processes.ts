// Reads every process's memory from /proc. Processes come and go while we read: a pid whose files
// vanish (ENOENT/ESRCH) is skipped, and smaps_rollup that we may not read (EACCES, or ESRCH for a
// process exiting) degrades that process to RSS only instead of failing the scan.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readProcText } from './proc-file.js';
import {
  parseCgroupContainerId,
  parseCmdline,
  parseMapsMlLibraries,
  parseSmapsRollup,
  parseStatus,
} from './proc-parsers.js';
import { detectPreforkKind, groupProcesses, looksLikePython } from './process-groups.js';
import type { MlLibrary, ProcessGroup, ProcessMemory } from '../model/snapshot.js';

export interface CollectProcessesOptions {
  /** Usually /proc; /host/proc when running in a container with the host's /proc mounted. */
  procRoot: string;
  /** Read smaps_rollup for PSS/USS (~0.5 ms per process); false gives RSS only. */
  withSmaps: boolean;
  /** Full container id -> container name. */
  containerNames: ReadonlyMap<string, string>;
  /** memwarden's own pid in procRoot's namespace: its group is named "memwarden". */
  selfPid?: number;
  /** Reads one /proc file, null when unreadable or gone; tests inject the kernel's refusals. */
  readFile?: (path: string) => string | null;
}

export interface ProcessCollection {
  /** Sorted by pid. */
  processes: ProcessMemory[];
  /** Sorted by PSS, largest first. */
  groups: ProcessGroup[];
}

// Some command lines carry whole JSON environments; a snapshot does not need more than this.
const MAX_CMDLINE_CHARS = 4096;

/**
 * Collects every user-space process under `procRoot` and groups them (prefork servers as one
 * group). Throws only when `procRoot` itself cannot be listed.
 */
export async function collectProcesses(opts: CollectProcessesOptions): Promise<ProcessCollection> {
  const read = opts.readFile ?? readProcText;
  const pids = readdirSync(opts.procRoot)
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .sort((a, b) => a - b);
  const processes: ProcessMemory[] = [];
  for (const pid of pids) {
    const proc = readProcess(join(opts.procRoot, String(pid)), pid, opts.withSmaps, read);
    if (proc !== null) processes.push(proc);
  }
  const groupOptions = opts.selfPid === undefined ? {} : { selfPid: opts.selfPid };
  const groups = groupProcesses(processes, opts.containerNames, groupOptions);
  return { processes, groups };
}

function readProcess(dir: string, pid: number, withSmaps: boolean, read: (path: string) => string | null): ProcessMemory | null {
  const statusText = read(join(dir, 'status'));
  if (statusText === null) return null;
  const status = parseStatus(statusText, pid);
  // No VmRSS: a kernel thread or a zombie, neither holds user memory.
  if (status === null || status.kernelThread || status.rssBytes === null) return null;

  const cmdlineText = read(join(dir, 'cmdline'));
  const cgroupText = read(join(dir, 'cgroup'));
  const smapsText = withSmaps ? read(join(dir, 'smaps_rollup')) : null;
  // cmdline and cgroup are world-readable: failing to read them means the process is gone.
  if (cmdlineText === null || cgroupText === null) return null;
  const argv = parseCmdline(cmdlineText);
  if (argv.length === 0) return null;
  const cmdline = argv.join(' ').slice(0, MAX_CMDLINE_CHARS);
  const smaps = smapsText === null ? null : parseSmapsRollup(smapsText);

  // maps of a torch process runs to thousands of lines: only read it where ML libraries live.
  let mlLibraries: MlLibrary[] = [];
  if (looksLikePython(status.name, cmdline) || detectPreforkKind(status.name, cmdline) !== null) {
    const mapsText = read(join(dir, 'maps'));
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
