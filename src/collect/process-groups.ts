// Groups processes the way an operator thinks of them: a prefork server (Celery, gunicorn, uWSGI)
// is one thing with one memory figure, not a master and N look-alike children. The figure is the
// PSS sum: the children share the master's copy-on-write pages, so an RSS sum counts them once
// per child (platform-facts.md: RSS 312 MiB vs PSS 217 MiB for a 4-child Celery worker).
import type { CeleryInfo, GroupKind, MlLibrary, ProcessGroup, ProcessMemory } from '../model/snapshot.js';

export type PreforkKind = Exclude<GroupKind, 'process'>;

export interface GroupOptions {
  /** The collector's own pid: its group is named "memwarden" rather than "node". */
  selfPid?: number;
}

const PYTHON = /^python(?:\d+(?:\.\d+)*)?[dmu]?$/;
// Interpreters whose first non-option argument names the program better than the comm does.
const INTERPRETER = /^(?:python(?:\d+(?:\.\d+)*)?[dmu]?|node|nodejs|ruby|perl|php|java|bash|sh|dash)$/;
const MAX_NAME = 60;

export function tokenizeCmdline(cmdline: string): string[] {
  return cmdline.split(/\s+/).filter((t) => t !== '');
}

function basename(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? path : path.slice(slash + 1);
}

/**
 * The command as the user typed it, without the interpreter: `/usr/bin/python3 /usr/bin/celery
 * -A x worker` and `python -m celery -A x worker` both give `['celery', '-A', 'x', 'worker']`.
 */
function effectiveCommand(tokens: readonly string[]): string[] {
  const [argv0, ...rest] = tokens;
  if (argv0 === undefined) return [];
  if (!PYTHON.test(basename(argv0))) return [basename(argv0), ...rest];
  for (let i = 0; i < rest.length; i++) {
    const token = rest[i] ?? '';
    if (token === '-m') return rest[i + 1] === undefined ? [] : [rest[i + 1] ?? '', ...rest.slice(i + 2)];
    if (token === '-c') return [];
    if (token === '-X' || token === '-W') i++; // interpreter options that take a value
    else if (!token.startsWith('-')) return [basename(token), ...rest.slice(i + 1)];
  }
  return [];
}

/** Whether the process runs a Python interpreter (worth scanning its maps for ML libraries). */
export function looksLikePython(comm: string, cmdline: string): boolean {
  if (PYTHON.test(comm)) return true;
  const argv0 = tokenizeCmdline(cmdline)[0];
  return argv0 !== undefined && PYTHON.test(basename(argv0));
}

/** The prefork server a process belongs to, judged from its command line; null for anything else. */
export function detectPreforkKind(comm: string, cmdline: string): PreforkKind | null {
  // setproctitle titles: Celery "[celeryd: node:MainProcess] ...", gunicorn "gunicorn: master [app]",
  // uWSGI with --auto-procname "uWSGI master" / "uWSGI worker 1".
  if (cmdline.startsWith('[celeryd: ')) return 'celery';
  if (/^gunicorn: (?:master|worker)\b/.test(cmdline)) return 'gunicorn';
  if (/^uWSGI (?:master|worker|http|mule)\b/.test(cmdline)) return 'uwsgi';
  const command = effectiveCommand(tokenizeCmdline(cmdline));
  const program = command[0];
  if (program === 'celery') return command.includes('worker') ? 'celery' : null;
  if (program === 'gunicorn') return 'gunicorn';
  if (program !== undefined && /^uwsgi(?:[_-]\w+)?$/.test(program)) return 'uwsgi';
  if (comm === 'uwsgi') return 'uwsgi';
  return null;
}

/** Value of `-A x`, `-Ax`, `--app x`, `--app=x`; the last occurrence wins, as with click. */
function optionValue(tokens: readonly string[], short: string | null, long: string): string | null {
  let value: string | null = null;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] ?? '';
    if (token === long || token === short) value = tokens[i + 1] ?? null;
    else if (token.startsWith(`${long}=`)) value = token.slice(long.length + 1);
    else if (short !== null && token.startsWith(short) && !token.startsWith('--') && token.length > 2) {
      value = token.slice(2);
    }
  }
  return value === '' ? null : value;
}

/** Celery's -A/--app, -n/--hostname and -c/--concurrency from the master's command line. */
export function parseCeleryCmdline(cmdline: string): Omit<CeleryInfo, 'poolSize'> {
  let tokens = tokenizeCmdline(cmdline);
  let titleNode: string | null = null;
  // With setproctitle the master reads "[celeryd: worker@h:MainProcess] -active- (-A app worker ...)".
  const title = /^\[celeryd: (.+):[^:\]]+\](?:.*?\((.*)\))?/.exec(cmdline);
  if (title) {
    titleNode = title[1] ?? null;
    tokens = tokenizeCmdline(title[2] ?? '');
  }
  const concurrency = optionValue(tokens, '-c', '--concurrency');
  const parsed = concurrency !== null && /^\d+$/.test(concurrency) ? Number(concurrency) : null;
  return {
    app: optionValue(tokens, '-A', '--app'),
    nodeName: titleNode ?? optionValue(tokens, '-n', '--hostname'),
    configuredConcurrency: parsed !== null && parsed > 0 ? parsed : null,
  };
}

// gunicorn flags that take no value; every other option is assumed to take one.
const GUNICORN_FLAGS = new Set([
  '-D', '--daemon', '-R', '--enable-stdio-inheritance', '--reload', '--preload', '--spew',
  '--check-config', '--print-config', '--capture-output', '--no-sendfile', '--reuse-port',
  '--log-syslog', '--disable-redirect-access-to-syslog', '--proxy-protocol', '--strip-header-spaces',
  '--suppress-ragged-eofs', '--do-handshake-on-connect', '--help', '--version', '-v',
]);

/** The WSGI app gunicorn serves: "[app]" in its process title, else its positional argument. */
export function parseGunicornApp(cmdline: string): string | null {
  const title = /^gunicorn: (?:master|worker) \[(.+)\]/.exec(cmdline);
  if (title?.[1]) return title[1];
  const command = effectiveCommand(tokenizeCmdline(cmdline));
  let app: string | null = null;
  for (let i = 1; i < command.length; i++) {
    const token = command[i] ?? '';
    if (token.startsWith('-')) {
      if (!token.includes('=') && !GUNICORN_FLAGS.has(token)) i++;
      continue;
    }
    app = token;
  }
  return app;
}

/** What a uWSGI instance runs: --module / --wsgi-file / --ini, whichever comes first in that order. */
export function parseUwsgiApp(cmdline: string): string | null {
  const tokens = tokenizeCmdline(cmdline);
  return (
    optionValue(tokens, '-w', '--module') ??
    optionValue(tokens, null, '--wsgi-file') ??
    optionValue(tokens, null, '--ini')
  );
}

function truncate(text: string): string {
  return text.length <= MAX_NAME ? text : `${text.slice(0, MAX_NAME - 1)}…`;
}

/** A short human name for a lone process: its comm, or "python3 manage.py" for interpreters. */
export function processName(p: Pick<ProcessMemory, 'comm' | 'cmdline'>): string {
  const tokens = tokenizeCmdline(p.cmdline);
  const argv0 = tokens[0] === undefined ? '' : basename(tokens[0]);
  if (INTERPRETER.test(argv0)) {
    for (let i = 1; i < tokens.length; i++) {
      const token = tokens[i] ?? '';
      if (token === '-m' && tokens[i + 1]) return truncate(`${argv0} -m ${tokens[i + 1]}`);
      if (token === '-c') break;
      if (!token.startsWith('-')) return truncate(`${argv0} ${basename(token)}`);
    }
  }
  return truncate(p.comm !== '' ? p.comm : argv0 !== '' ? argv0 : '?');
}

function mergeMlLibraries(lists: readonly MlLibrary[][]): MlLibrary[] {
  const max = new Map<string, number>();
  for (const list of lists) {
    for (const lib of list) max.set(lib.name, Math.max(max.get(lib.name) ?? 0, lib.mappedBytes));
  }
  return [...max]
    .map(([name, mappedBytes]) => ({ name, mappedBytes }))
    .sort((a, b) => b.mappedBytes - a.mappedBytes || a.name.localeCompare(b.name));
}

/**
 * One group per prefork server (master = a process of that kind whose parent is not of that kind;
 * members = the master and its descendants, minus subtrees headed by another kind's master) and
 * one group per remaining process. Sorted by PSS, largest first.
 */
export function groupProcesses(
  processes: readonly ProcessMemory[],
  containerNames: ReadonlyMap<string, string>,
  options: GroupOptions = {},
): ProcessGroup[] {
  const byPid = new Map<number, ProcessMemory>();
  for (const p of processes) byPid.set(p.pid, p);
  const kinds = new Map<number, PreforkKind | null>();
  for (const p of byPid.values()) kinds.set(p.pid, detectPreforkKind(p.comm, p.cmdline));
  const childrenOf = new Map<number, number[]>();
  for (const p of byPid.values()) {
    if (p.ppid === p.pid) continue;
    const siblings = childrenOf.get(p.ppid);
    if (siblings) siblings.push(p.pid);
    else childrenOf.set(p.ppid, [p.pid]);
  }
  const isMaster = (pid: number): boolean => {
    const kind = kinds.get(pid);
    if (!kind) return false;
    const parent = byPid.get(pid)?.ppid;
    return parent === undefined || parent === pid || kinds.get(parent) !== kind;
  };

  const groups: ProcessGroup[] = [];
  const grouped = new Set<number>();
  const masters = [...byPid.keys()].filter(isMaster).sort((a, b) => a - b);
  for (const masterPid of masters) {
    const master = byPid.get(masterPid);
    const kind = kinds.get(masterPid);
    if (!master || !kind) continue;
    const members = [masterPid];
    grouped.add(masterPid);
    const queue = [...(childrenOf.get(masterPid) ?? [])];
    for (let i = 0; i < queue.length; i++) {
      const pid = queue[i] ?? masterPid;
      // Another kind's master heads its own group; `grouped` guards against ppid cycles.
      if (grouped.has(pid) || isMaster(pid)) continue;
      grouped.add(pid);
      members.push(pid);
      queue.push(...(childrenOf.get(pid) ?? []));
    }
    const memberSet = new Set(members);
    const directChildren = (childrenOf.get(masterPid) ?? []).filter((pid) => memberSet.has(pid)).length;
    groups.push(buildGroup(kind, master, members, byPid, containerNames, directChildren, options));
  }
  for (const p of byPid.values()) {
    if (grouped.has(p.pid)) continue;
    groups.push(buildGroup('process', p, [p.pid], byPid, containerNames, 0, options));
  }
  return groups.sort((a, b) => b.pssBytes - a.pssBytes || a.masterPid - b.masterPid);
}

function buildGroup(
  kind: GroupKind,
  master: ProcessMemory,
  memberPids: number[],
  byPid: ReadonlyMap<number, ProcessMemory>,
  containerNames: ReadonlyMap<string, string>,
  directChildren: number,
  options: GroupOptions,
): ProcessGroup {
  const pids = [memberPids[0] ?? master.pid, ...memberPids.slice(1).sort((a, b) => a - b)];
  const members = pids.map((pid) => byPid.get(pid)).filter((p): p is ProcessMemory => p !== undefined);
  let pssBytes = 0;
  let rssBytes = 0;
  let ussBytes = 0;
  let exact = true;
  for (const p of members) {
    rssBytes += p.rssBytes;
    // Unmeasured members count at their RSS: an upper bound, flagged by exact = false.
    pssBytes += p.pssBytes ?? p.rssBytes;
    ussBytes += p.ussBytes ?? p.rssBytes;
    if (p.pssBytes === null || p.ussBytes === null) exact = false;
  }
  const celery = kind === 'celery' ? { ...parseCeleryCmdline(master.cmdline), poolSize: directChildren } : null;
  return {
    name: groupName(kind, master, celery, options),
    kind,
    masterPid: master.pid,
    pids,
    children: pids.length - 1,
    containerId: master.containerId,
    containerName: master.containerId === null ? null : (containerNames.get(master.containerId) ?? null),
    pssBytes,
    rssBytes,
    ussBytes,
    exact,
    celery,
    mlLibraries: mergeMlLibraries(members.map((p) => p.mlLibraries)),
  };
}

function groupName(kind: GroupKind, master: ProcessMemory, celery: CeleryInfo | null, options: GroupOptions): string {
  switch (kind) {
    case 'celery': {
      const node = celery?.nodeName ?? 'worker';
      return truncate(celery?.app ? `celery ${node} (${celery.app})` : `celery ${node}`);
    }
    case 'gunicorn': {
      const app = parseGunicornApp(master.cmdline);
      return truncate(app ? `gunicorn ${app}` : 'gunicorn');
    }
    case 'uwsgi': {
      const app = parseUwsgiApp(master.cmdline);
      return truncate(app ? `uwsgi ${app}` : 'uwsgi');
    }
    case 'process':
      return master.pid === options.selfPid ? 'memwarden' : processName(master);
  }
}
