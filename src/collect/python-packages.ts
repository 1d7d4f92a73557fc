// Which Python distributions are installed in each container, read from the container's own
// filesystem through /proc/<pid>/root of one of its Python processes: no `docker exec`, no pip,
// nothing run inside the container. A distribution is a `*.dist-info` (wheels) or `*.egg-info`
// (setuptools, Debian's python3-* packages) entry in a site-packages or dist-packages directory.
//
// Which directories: the ones the interpreter would use, found from what the process shows us
// (its executable, its command line, PYTHONPATH/VIRTUAL_ENV/HOME in its environment, the
// site-packages its maps already load from) plus the usual prefixes (/usr, /usr/local,
// ~/.local). Paths are resolved inside the container: an absolute symlink in the container's
// filesystem must not lead us into the host's /usr through /proc/<pid>/root.
//
// The directory scan runs once per container lifetime (cached by container id + init pid). Only
// the mapped size of the few distributions worth measuring (OpenCV, see duplicate-opencv) is
// read again on every call, from the maps of at most MAX_MAPS_PROCESSES processes.
import { promises as fsp } from 'node:fs';
import { join, posix } from 'node:path';
import { detectPreforkKind, looksLikePython, tokenizeCmdline } from './process-groups.js';
import type { ProcessMemory, PythonDistribution } from '../model/snapshot.js';

/** The OpenCV distributions on PyPI: they all install the same `cv2` package. */
export const OPENCV_DISTRIBUTIONS: readonly string[] = [
  'opencv-python',
  'opencv-python-headless',
  'opencv-contrib-python',
  'opencv-contrib-python-headless',
];

export interface CollectPythonDistributionsOptions {
  /** Scans to reuse; defaults to one cache for the life of the process. */
  cache?: PythonDistributionCache;
  /** Distributions whose bundled libraries' mapped size is measured; default: OpenCV's. */
  measureLibsOf?: readonly string[];
}

interface ContainerScan {
  distributions: PythonDistribution[];
  /** Distribution name -> its `<name>.libs` directory inside the container. */
  libsDirs: Map<string, string>;
}

export interface PythonDistributionCache {
  /** `${containerId}:${initPid}` -> scan. */
  readonly scans: Map<string, ContainerScan>;
}

export function createPythonDistributionCache(): PythonDistributionCache {
  return { scans: new Map() };
}

const defaultCache = createPythonDistributionCache();

// Bounds: a scan reads at most this many directories, keeps at most this many entries per
// container, tries at most this many processes for the root, and measures at most this many maps.
const MAX_SITE_DIRS = 24;
const MAX_DISTRIBUTIONS = 5000;
const MAX_ROOT_ATTEMPTS = 3;
const MAX_MAPS_PROCESSES = 8;
const MAX_SYMLINK_HOPS = 40;
const MAX_ENVIRON_CHARS = 64 * 1024;
const SITE_DIR = /^(.*\/(?:site|dist)-packages)\//;
const MAPS_LINE = /^([0-9a-f]+)-([0-9a-f]+)\s+\S+\s+\S+\s+\S+\s+\d+\s+(.+)$/;

/**
 * The Python distributions installed in each container that runs a Python process, by full
 * container id. Containers whose filesystem cannot be read (not root, process gone) are left out.
 */
export async function collectPythonDistributions(
  procRoot: string,
  processes: readonly ProcessMemory[],
  options: CollectPythonDistributionsOptions = {},
): Promise<Map<string, PythonDistribution[]>> {
  const cache = options.cache ?? defaultCache;
  const measured = new Set(options.measureLibsOf ?? OPENCV_DISTRIBUTIONS);
  const byContainer = new Map<string, ProcessMemory[]>();
  for (const p of processes) {
    if (p.containerId === null) continue;
    const list = byContainer.get(p.containerId);
    if (list) list.push(p);
    else byContainer.set(p.containerId, [p]);
  }

  const result = new Map<string, PythonDistribution[]>();
  const liveKeys = new Set<string>();
  for (const [containerId, members] of byContainer) {
    const python = members.filter(isPythonProcess).sort((a, b) => a.pid - b.pid);
    if (python.length === 0) continue;
    const key = `${containerId}:${initPid(members)}`;
    liveKeys.add(key);
    const scan = cache.scans.get(key) ?? (await scanContainer(procRoot, python));
    if (scan === null) continue;
    cache.scans.set(key, scan);
    const distributions = scan.distributions.map((d) => ({ ...d }));
    const toMeasure = distributions.filter((d) => measured.has(d.name));
    if (toMeasure.some((d) => scan.libsDirs.has(d.name))) {
      const byLargest = [...python].sort((a, b) => b.rssBytes - a.rssBytes).slice(0, MAX_MAPS_PROCESSES);
      // A distribution without a .libs directory bundles nothing of its own: 0 once maps were read.
      const sizes = await measureLibsMapped(procRoot, byLargest, toMeasure.map((d) => scan.libsDirs.get(d.name) ?? null));
      toMeasure.forEach((d, i) => {
        d.libsMappedBytes = sizes[i] ?? null;
      });
    }
    result.set(containerId, distributions);
  }
  // Forget containers that are gone (or restarted: a new init pid is a new key).
  for (const key of [...cache.scans.keys()]) if (!liveKeys.has(key)) cache.scans.delete(key);
  return result;
}

/** pip's comparison form of a name (PEP 503): `OpenCV_Python.headless` -> `opencv-python-headless`. */
export function normalizeDistributionName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/**
 * Name and version from a metadata directory's name: `opencv_python-4.6.0.66.dist-info`,
 * `celery-5.2.6.egg-info`, `zope.interface-5.5.2-py3.11.egg-info`. The version is the first
 * dash-separated part that starts with a digit; null when there is none.
 */
export function parseDistributionEntry(entry: string): { name: string; version: string | null } | null {
  const match = /^(.+)\.(?:dist-info|egg-info)$/.exec(entry);
  if (!match?.[1]) return null;
  const parts = match[1].split('-');
  const versionAt = parts.findIndex((part, i) => i > 0 && /^\d/.test(part));
  const nameParts = versionAt < 0 ? parts : parts.slice(0, versionAt);
  const name = normalizeDistributionName(nameParts.join('-'));
  if (name === '' || name === '-') return null;
  return { name, version: versionAt < 0 ? null : (parts[versionAt] ?? null) };
}

function isPythonProcess(p: ProcessMemory): boolean {
  const kind = detectPreforkKind(p.comm, p.cmdline);
  return looksLikePython(p.comm, p.cmdline) || kind === 'celery' || kind === 'gunicorn' || kind === 'uwsgi';
}

/** The container's init: pid 1 in its namespace, else its oldest process. */
function initPid(members: readonly ProcessMemory[]): number {
  const init = members.find((p) => p.nsPid === 1);
  return init?.pid ?? Math.min(...members.map((p) => p.pid));
}

async function scanContainer(procRoot: string, python: readonly ProcessMemory[]): Promise<ContainerScan | null> {
  for (const p of python.slice(0, MAX_ROOT_ATTEMPTS)) {
    const procDir = join(procRoot, String(p.pid));
    const root = join(procDir, 'root');
    try {
      await fsp.access(root);
      await fsp.readdir(root);
    } catch {
      continue; // exited, or we may not look inside (not root): try the next process
    }
    const candidates = await candidateSiteDirs(procDir, root, p);
    return readSiteDirs(root, candidates);
  }
  return null;
}

/** Site directories worth a look, most specific first, as paths inside the container. */
async function candidateSiteDirs(procDir: string, root: string, p: ProcessMemory): Promise<string[]> {
  const direct: string[] = [];
  const prefixes: string[] = [];
  const exe = await readlinkOrNull(join(procDir, 'exe'));
  if (exe?.startsWith('/')) prefixes.push(posix.dirname(posix.dirname(exe.replace(/ \(deleted\)$/, ''))));
  // argv[0] of a venv's python (not resolved like exe) and argv[1] of `python /venv/bin/celery`.
  for (const token of tokenizeCmdline(p.cmdline).slice(0, 2)) {
    if (token.startsWith('/') && posix.basename(posix.dirname(token)) === 'bin') {
      prefixes.push(posix.dirname(posix.dirname(token)));
    }
  }
  const environ = await readTextOrNull(join(procDir, 'environ'));
  if (environ !== null) {
    const env = new Map<string, string>();
    for (const pair of environ.slice(0, MAX_ENVIRON_CHARS).split('\0')) {
      const eq = pair.indexOf('=');
      if (eq > 0) env.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    for (const dir of (env.get('PYTHONPATH') ?? '').split(':')) if (dir.startsWith('/')) direct.push(dir);
    for (const name of ['VIRTUAL_ENV', 'PYTHONHOME', 'CONDA_PREFIX']) {
      const value = env.get(name);
      if (value?.startsWith('/')) prefixes.push(value.split(':')[0] ?? value);
    }
    const home = env.get('HOME');
    if (home?.startsWith('/')) prefixes.push(posix.join(home, '.local'));
  }
  const maps = await readTextOrNull(join(procDir, 'maps'));
  if (maps !== null) {
    for (const line of maps.split('\n')) {
      if (!line.includes('-packages/')) continue;
      const path = MAPS_LINE.exec(line)?.[3];
      const dir = path === undefined ? undefined : SITE_DIR.exec(path)?.[1];
      if (dir !== undefined) direct.push(dir);
    }
  }
  prefixes.push('/usr/local', '/usr', '/root/.local', '/opt/conda');

  const dirs = [...direct];
  for (const prefix of unique(prefixes)) {
    const lib = await resolveInRoot(root, posix.join(prefix, 'lib'));
    if (lib === null) continue;
    let entries: string[];
    try {
      entries = await fsp.readdir(join(root, lib));
    } catch {
      continue;
    }
    for (const entry of entries.filter((e) => /^python\d+(?:\.\d+)?$/.test(e)).sort()) {
      dirs.push(posix.join(lib, entry, 'site-packages'), posix.join(lib, entry, 'dist-packages'));
    }
  }
  return unique(dirs);
}

async function readSiteDirs(root: string, candidates: readonly string[]): Promise<ContainerScan> {
  const distributions: PythonDistribution[] = [];
  const libsDirs = new Map<string, string>();
  const seenDirs = new Set<string>();
  let read = 0;
  for (const candidate of candidates) {
    if (read >= MAX_SITE_DIRS || distributions.length >= MAX_DISTRIBUTIONS) break;
    const dir = await resolveInRoot(root, candidate);
    if (dir === null || seenDirs.has(dir)) continue;
    seenDirs.add(dir);
    let entries: string[];
    try {
      entries = await fsp.readdir(join(root, dir));
    } catch {
      continue;
    }
    read++;
    const libsHere = new Map<string, string>();
    for (const entry of entries) {
      if (entry.endsWith('.libs')) libsHere.set(normalizeDistributionName(entry.slice(0, -'.libs'.length)), entry);
    }
    for (const entry of entries.sort()) {
      const parsed = parseDistributionEntry(entry);
      if (parsed === null) continue;
      distributions.push({ name: parsed.name, version: parsed.version, path: posix.join(dir, entry) });
      const libs = libsHere.get(parsed.name);
      if (libs !== undefined && !libsDirs.has(parsed.name)) libsDirs.set(parsed.name, posix.join(dir, libs));
      if (distributions.length >= MAX_DISTRIBUTIONS) break;
    }
  }
  return { distributions, libsDirs };
}

/**
 * For each directory, the mapped size of the files under it, in the process that maps the most
 * of them (file pages are shared between processes, so a sum over processes would over-count).
 */
async function measureLibsMapped(
  procRoot: string,
  processes: readonly ProcessMemory[],
  dirs: readonly (string | null)[],
): Promise<(number | null)[]> {
  const best = dirs.map(() => 0);
  const prefixes = dirs.map((dir) => (dir === null ? null : `${dir}/`));
  let measuredAny = false;
  for (const p of processes) {
    const maps = await readTextOrNull(join(procRoot, String(p.pid), 'maps'));
    if (maps === null) continue;
    measuredAny = true;
    const totals = dirs.map(() => 0);
    const seen = new Set<string>();
    for (const line of maps.split('\n')) {
      if (!line.includes('.libs/')) continue;
      const match = MAPS_LINE.exec(line);
      if (!match?.[1] || !match[2] || !match[3]) continue;
      const path = match[3].replace(/ \(deleted\)$/, '');
      const index = prefixes.findIndex((prefix) => prefix !== null && path.startsWith(prefix));
      const range = `${match[1]}-${match[2]}`;
      if (index < 0 || seen.has(range)) continue;
      seen.add(range);
      totals[index] = (totals[index] ?? 0) + Number(BigInt(`0x${match[2]}`) - BigInt(`0x${match[1]}`));
    }
    totals.forEach((total, i) => {
      best[i] = Math.max(best[i] ?? 0, total);
    });
  }
  return measuredAny ? best : dirs.map(() => null);
}

/**
 * `path` (absolute, inside the container) with every symlink resolved inside the container:
 * an absolute link target starts again at the container's root, not the host's. Null when a
 * component does not exist or the links loop.
 */
export async function resolveInRoot(root: string, path: string): Promise<string | null> {
  const pending = path.split('/').filter((part) => part !== '');
  const resolved: string[] = [];
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '.') continue;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const here = join(root, ...resolved, part);
    let isLink: boolean;
    try {
      isLink = (await fsp.lstat(here)).isSymbolicLink();
    } catch {
      return null;
    }
    if (!isLink) {
      resolved.push(part);
      continue;
    }
    if (++hops > MAX_SYMLINK_HOPS) return null;
    const target = await readlinkOrNull(here);
    if (target === null) return null;
    if (target.startsWith('/')) resolved.length = 0;
    pending.unshift(...target.split('/').filter((t) => t !== ''));
  }
  return `/${resolved.join('/')}`;
}

async function readlinkOrNull(path: string): Promise<string | null> {
  try {
    return await fsp.readlink(path);
  } catch {
    return null;
  }
}

async function readTextOrNull(path: string): Promise<string | null> {
  try {
    return await fsp.readFile(path, 'utf8');
  } catch {
    return null;
  }
}

function unique(items: readonly string[]): string[] {
  return [...new Set(items.map((item) => posix.normalize(item)))];
}
