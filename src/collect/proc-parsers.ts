// Pure parsers for the /proc files the process collector reads. Each takes the file's text and
// returns plain data, or null when the text is not what the kernel writes (a process that exited
// mid-read leaves empty or truncated files behind). Formats: proc(5) and
// Documentation/filesystems/proc.rst in the kernel tree.
import type { MlLibrary } from '../model/snapshot.js';

const KIB = 1024;

export interface ProcStatus {
  /** `Name:` (the comm, at most 15 characters). */
  name: string;
  ppid: number;
  /** `VmRSS:` in bytes; null for kernel threads and zombies, which have no mm. */
  rssBytes: number | null;
  /** Last `NSpid:` entry when it differs from the host pid (the pid inside its container). */
  nsPid: number | null;
  /** `Kthread: 1` (kernel 6.x); kernel threads have no VmRSS on older kernels either. */
  kernelThread: boolean;
}

/** Parses /proc/<pid>/status. `pid` is the directory's pid, used to tell whether NSpid differs. */
export function parseStatus(text: string, pid: number): ProcStatus | null {
  let name: string | null = null;
  let ppid: number | null = null;
  let rssBytes: number | null = null;
  let nsPid: number | null = null;
  let kernelThread = false;
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon);
    const value = line.slice(colon + 1).trim();
    switch (key) {
      case 'Name':
        name = value;
        break;
      case 'PPid':
        ppid = parseNonNegativeInt(value);
        break;
      case 'VmRSS':
        rssBytes = parseKib(value);
        break;
      case 'NSpid': {
        const ids = value.split(/\s+/).map(parseNonNegativeInt);
        const last = ids[ids.length - 1];
        if (ids.length > 1 && last !== null && last !== undefined && last !== pid) nsPid = last;
        break;
      }
      case 'Kthread':
        kernelThread = value === '1';
        break;
    }
  }
  if (name === null || ppid === null) return null;
  return { name, ppid, rssBytes, nsPid, kernelThread };
}

/** /proc/<pid>/cmdline: NUL-separated argv, usually NUL-terminated. Empty for kernel threads. */
export function parseCmdline(text: string): string[] {
  // setproctitle (Celery, gunicorn) overwrites argv in place and pads with NULs or spaces.
  const args = text.split('\0');
  while (args.length > 0 && (args[args.length - 1] ?? '').trim() === '') args.pop();
  return args;
}

const DOCKER_ID = /(?:^|\/)docker[-/]([0-9a-f]{64})(?:\.scope)?(?=\/|$)/;

/**
 * The docker container id from /proc/<pid>/cgroup, or null on the host.
 * v1: `N:memory:/docker/<id>` (cgroupfs driver) or `...:/system.slice/docker-<id>.scope`
 * (systemd driver); v2: `0::/system.slice/docker-<id>.scope` or `0::/docker/<id>`.
 * The memory controller's line wins on v1: it is the one docker's memory limit applies to.
 */
export function parseCgroupContainerId(text: string): string | null {
  let fallback: string | null = null;
  for (const line of text.split('\n')) {
    // hierarchy-ID:controller-list:cgroup-path; the path may itself contain ':'.
    const first = line.indexOf(':');
    const second = first < 0 ? -1 : line.indexOf(':', first + 1);
    if (second < 0) continue;
    const controllers = line.slice(first + 1, second);
    const match = DOCKER_ID.exec(line.slice(second + 1).trim());
    if (!match?.[1]) continue;
    if (controllers.split(',').includes('memory')) return match[1];
    fallback ??= match[1];
  }
  return fallback;
}

export interface SmapsRollup {
  rssBytes: number;
  pssBytes: number;
  /** Private_Clean + Private_Dirty: what the kernel would free if this process alone exited. */
  ussBytes: number;
}

/** /proc/<pid>/smaps_rollup (kernel >= 4.14). Null unless Rss, Pss and both Private_* are there. */
export function parseSmapsRollup(text: string): SmapsRollup | null {
  let rss: number | null = null;
  let pss: number | null = null;
  let privateClean: number | null = null;
  let privateDirty: number | null = null;
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon);
    if (key === 'Rss') rss = parseKib(line.slice(colon + 1));
    else if (key === 'Pss') pss = parseKib(line.slice(colon + 1));
    else if (key === 'Private_Clean') privateClean = parseKib(line.slice(colon + 1));
    else if (key === 'Private_Dirty') privateDirty = parseKib(line.slice(colon + 1));
  }
  if (rss === null || pss === null || privateClean === null || privateDirty === null) return null;
  return { rssBytes: rss, pssBytes: pss, ussBytes: privateClean + privateDirty };
}

// Which mapped files belong to which ML library. Matched against the full path of the mapping.
const ML_LIBRARIES: readonly { name: string; pattern: RegExp }[] = [
  { name: 'torch', pattern: /(?:^|\/)libtorch[^/]*$|\/torch\/lib\// },
  { name: 'paddle', pattern: /(?:^|\/)libpaddle[^/]*$|\/paddle\// },
  { name: 'tensorflow', pattern: /(?:^|\/)libtensorflow[^/]*$/ },
  { name: 'onnxruntime', pattern: /(?:^|\/)libonnxruntime[^/]*$/ },
  { name: 'opencv', pattern: /\/cv2\/|(?:^|\/)libopencv[^/]*$|\/opencv_python[^/]*\.libs\// },
];
// Cheap pre-filter so the (often thousands of) unrelated lines of a maps file cost one test each.
const ML_HINT = /torch|paddle|tensorflow|onnxruntime|cv2\/|opencv/;
// start-end perms offset dev inode [pathname]; the pathname may contain spaces.
const MAPS_LINE = /^([0-9a-f]+)-([0-9a-f]+)\s+\S+\s+\S+\s+\S+\s+\d+\s+(.+)$/;

/** Classifies a mapped file's path as one of the ML libraries we report, or null. */
export function classifyMlLibrary(path: string): string | null {
  for (const { name, pattern } of ML_LIBRARIES) if (pattern.test(path)) return name;
  return null;
}

/**
 * Sums the mapped size (end - start, virtual, not resident) of the files of each ML library in
 * /proc/<pid>/maps. A mapping that appears twice is counted once. Sorted by size, largest first.
 */
export function parseMapsMlLibraries(text: string): MlLibrary[] {
  const totals = new Map<string, number>();
  const seen = new Set<string>();
  for (const line of text.split('\n')) {
    if (!ML_HINT.test(line)) continue;
    const match = MAPS_LINE.exec(line);
    if (!match) continue;
    const [, start, end, rawPath] = match;
    if (!start || !end || !rawPath) continue;
    const path = rawPath.replace(/ \(deleted\)$/, '');
    const library = classifyMlLibrary(path);
    if (!library) continue;
    const range = `${start}-${end}`;
    if (seen.has(range)) continue;
    seen.add(range);
    // BigInt: user-space addresses can exceed 2^53 with 5-level paging.
    const size = Number(BigInt(`0x${end}`) - BigInt(`0x${start}`));
    if (size <= 0) continue;
    totals.set(library, (totals.get(library) ?? 0) + size);
  }
  return [...totals]
    .map(([name, mappedBytes]) => ({ name, mappedBytes }))
    .sort((a, b) => b.mappedBytes - a.mappedBytes || a.name.localeCompare(b.name));
}

function parseNonNegativeInt(value: string): number | null {
  if (!/^\d+$/.test(value)) return null;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : null;
}

/** "123456 kB" -> bytes. The kernel writes kB meaning KiB. */
function parseKib(value: string): number | null {
  const match = /^\s*(\d+)\s*kB\s*$/.exec(value);
  if (!match?.[1]) return null;
  const n = Number(match[1]) * KIB;
  return Number.isSafeInteger(n) ? n : null;
}
