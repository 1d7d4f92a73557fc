// The snapshot benchmark (issue "Measure memory exactly"): `npm run bench`.
//
// In one run, on the same containers:
//   1. starts 20 busybox containers (mw-bench-0..19; every 5th holds 16 MiB) next to whatever runs;
//   2. times, interleaved, a full memwarden snapshot (in-process), `docker stats --no-stream` and
//      `smem -c "pid pss"`: wall and CPU time, plus the Docker engine's CPU;
//   3. breaks the snapshot down by source (host, containers, processes with and without PSS);
//   4. runs the bot's poll loop 1000 times back to back in a fresh process (bench/poll-loop.mjs)
//      and records its RSS and heap: as the bot runs (then asks glibc, through gdb, how much of
//      what malloc holds is in use), with a forced full GC at each checkpoint (live data only),
//      with jemalloc preloaded (when installed) and with V8's young generation capped
//      (--max-semi-space-size=4); counts malloc traffic per poll with heaptrack (when installed);
//   5. writes everything to docs/benchmarks.md (overwritten: results are never hand-edited; the
//      durability section of bench/durability.bench.ts is kept), and removes its containers,
//      also on failure or Ctrl-C.
//
// Options: --iterations N (20) --warmup N (2) --containers N (20) --polls N (1000)
//          --out FILE (docs/benchmarks.md) --max-start-load X (nproc/2) --load-wait SECONDS (300)
//          --heap-snapshots DIR (V8 heap snapshots at each checkpoint of the forced-GC loop run,
//            to compare what is retained; writing them inflates that run's RSS)
//          --quick (5 iterations, 1 warm-up, 60 polls, written to /tmp/memwarden-bench-quick.md)
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Dockerode from 'dockerode';

import { collectSnapshot } from '../src/collect/collect-snapshot.js';
import { collectContainers } from '../src/collect/containers.js';
import { collectHost } from '../src/collect/host.js';
import { collectProcesses } from '../src/collect/processes.js';
import type { Snapshot } from '../src/model/snapshot.js';
import { keptDurability } from './report-sections.js';
import { enginePids, hostBusyTicks, processTicks, type Summary, summarize, ticksOf } from './stats.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..');
const IMAGE = 'memwarden-test/busybox:1';
const PREFIX = 'mw-bench-';
const HOLD_BYTES = 16 * 1024 * 1024;
const HOLDER_EVERY = 5;
const PROC = '/proc';
const CGROUP = '/sys/fs/cgroup';
const TIMEOUT_MS = 5000;
const MiB = 1024 * 1024;
/** Above this many CPUs used by other work during the timed comparison, the report says the times are pessimistic. */
const OTHERS_CPU_LIMIT = 0.25;

// ---------------------------------------------------------------------------------------------
// Options

const { values: opts } = parseArgs({
  options: {
    iterations: { type: 'string' },
    warmup: { type: 'string' },
    containers: { type: 'string', default: '20' },
    polls: { type: 'string' },
    out: { type: 'string' },
    'max-start-load': { type: 'string' },
    'load-wait': { type: 'string', default: '300' },
    'heap-snapshots': { type: 'string' },
    quick: { type: 'boolean', default: false },
  },
});

function intOption(value: string | undefined, fallback: number, name: string, min: number): number {
  const n = value === undefined ? fallback : Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got ${value}`);
  return n;
}

const quick = opts.quick === true;
const ITERATIONS = intOption(opts.iterations, quick ? 5 : 20, 'iterations', 1);
const WARMUP = intOption(opts.warmup, quick ? 1 : 2, 'warmup', 0);
const CONTAINERS = intOption(opts.containers, 20, 'containers', 1);
const POLLS = intOption(opts.polls, quick ? 60 : 1000, 'polls', 10);
const OUT = resolve(ROOT, opts.out ?? (quick ? '/tmp/memwarden-bench-quick.md' : 'docs/benchmarks.md'));
const NPROC = os.availableParallelism();
const MAX_START_LOAD = opts['max-start-load'] === undefined ? NPROC / 2 : Number(opts['max-start-load']);
const LOAD_WAIT_S = Number(opts['load-wait']);
const CLK_TCK = Number(run('getconf', ['CLK_TCK']).trim()) || 100;
const NAMES = Array.from({ length: CONTAINERS }, (_, i) => `${PREFIX}${i}`);
const isHolder = (i: number) => i % HOLDER_EVERY === 0;

// ---------------------------------------------------------------------------------------------
// Small utilities

function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/** Runs a command, returns stdout; throws with stderr on a non-zero exit unless allowFail. */
function run(cmd: string, args: string[], allowFail = false): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * MiB });
  if (r.error) throw r.error;
  if (r.status !== 0 && !allowFail) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.trim()}`);
  return r.stdout;
}

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));
const ms = (v: number, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');
const mib = (bytes: number) => (bytes / MiB).toFixed(1);
const pct = (v: number) => `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)} %`;
const loadavg = () => os.loadavg().map((l) => l.toFixed(2)).join(' / ');

// ---------------------------------------------------------------------------------------------
// Containers (ours only: mw-bench-*, always removed by name)

let containersStarted = false;
let loopChild: ChildProcess | null = null;
let tempDir: string | null = null;

function removeOurContainers(): void {
  // Only the names we create; `docker rm -f` of a name that does not exist just reports it.
  spawnSync('docker', ['rm', '-f', ...NAMES], { encoding: 'utf8' });
}

function cleanup(): void {
  if (loopChild?.pid !== undefined && loopChild.exitCode === null) {
    try {
      process.kill(loopChild.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  if (containersStarted) {
    log(`removing ${NAMES.length} containers ${NAMES[0]}..${NAMES[NAMES.length - 1]}`);
    removeOurContainers();
    containersStarted = false;
  }
  if (tempDir) {
    rmSync(tempDir, { recursive: true, force: true });
    tempDir = null;
  }
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    log(`${signal}: cleaning up`);
    cleanup();
    process.exit(130);
  });
}

async function startContainers(docker: Dockerode): Promise<void> {
  if (spawnSync('docker', ['image', 'inspect', IMAGE], { stdio: 'ignore' }).status !== 0) {
    log(`${IMAGE} missing: bash scripts/test-env.sh up`);
    run('bash', [join(ROOT, 'scripts/test-env.sh'), 'up']);
  }
  removeOurContainers(); // leftovers of an interrupted run
  containersStarted = true;
  log(`starting ${CONTAINERS} containers (${NAMES[0]}..${NAMES[NAMES.length - 1]})`);
  for (const [i, name] of NAMES.entries()) {
    const command = isHolder(i)
      ? ['awk', `BEGIN{s=sprintf("%${HOLD_BYTES}s","x"); while(1) system("sleep 1000000")}`]
      : ['sleep', '1000000'];
    run('docker', ['run', '-d', '--name', name, '--network', 'host', '--label', 'memwarden.bench=1', IMAGE, ...command]);
  }
  // Running, and the holders' 16 MiB resident (cgroup usage, as docker stats shows it).
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { containers } = await collectContainers({ docker, cgroupRoot: CGROUP, hostTotalBytes: os.totalmem(), timeoutMs: TIMEOUT_MS });
    const byName = new Map(containers.map((c) => [c.name, c]));
    const waiting = NAMES.filter((name, i) => {
      const c = byName.get(name);
      return c === undefined || (isHolder(i) && c.memoryUsageBytes < HOLD_BYTES);
    });
    if (waiting.length === 0) return;
    if (Date.now() > deadline) throw new Error(`containers not ready after 60 s: ${waiting.join(', ')}`);
    await sleep(500);
  }
}

// ---------------------------------------------------------------------------------------------
// Measurements

interface Sample {
  wallMs: number;
  userMs: number;
  sysMs: number;
  /** CPU of dockerd + containerd + shims during the sample (clock-tick resolution). */
  engineMs: number;
}
const cpuMs = (s: Sample) => s.userMs + s.sysMs;

function engineStart(): { pids: number[]; ticks: number } {
  const pids = enginePids();
  return { pids, ticks: ticksOf(pids) };
}
const engineMsSince = (start: { pids: number[]; ticks: number }) => ((ticksOf(start.pids) - start.ticks) * 1000) / CLK_TCK;

/** Times `fn` in this process: wall (performance.now) and CPU (process.cpuUsage, all threads). */
async function inProcess<T>(fn: () => Promise<T> | T): Promise<{ sample: Sample; result: T }> {
  const engine = engineStart();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await fn();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { sample: { wallMs, userMs: cpu.user / 1000, sysMs: cpu.system / 1000, engineMs: engineMsSince(engine) }, result };
}

interface ChildSample extends Sample {
  stdout: string;
  /** This process's cutime+cstime delta (wrapper included), clock ticks -> ms: the cross-check. */
  cutimeMs: number;
}

/** Runs a command through measure-child.py (wait4 rusage): wall and CPU of the command itself. */
function childProcess(command: string[]): ChildSample {
  const engine = engineStart();
  const before = processTicks('self')?.children ?? 0;
  const r = spawnSync('/usr/bin/python3', [join(HERE, 'measure-child.py'), ...command], { encoding: 'utf8', maxBuffer: 64 * MiB });
  const after = processTicks('self')?.children ?? 0;
  const engineMs = engineMsSince(engine);
  if (r.error) throw r.error;
  const line = r.stderr
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('@@measure '));
  if (!line) throw new Error(`${command.join(' ')}: no measurement (${r.stderr.trim()})`);
  const m = JSON.parse(line.slice('@@measure '.length)) as { wallMs: number; userMs: number; sysMs: number; exitCode: number };
  if (m.exitCode !== 0) throw new Error(`${command.join(' ')} exited ${m.exitCode}: ${r.stderr.trim()}`);
  return { wallMs: m.wallMs, userMs: m.userMs, sysMs: m.sysMs, engineMs, stdout: r.stdout, cutimeMs: ((after - before) * 1000) / CLK_TCK };
}

const dataLines = (stdout: string) => stdout.trim().split('\n').length - 1; // minus the header

// ---------------------------------------------------------------------------------------------
// Machine

interface Machine {
  rows: [string, string][];
  loadAtStart: number[];
}

function describeMachine(): Machine {
  const osRelease = readFileSync('/etc/os-release', 'utf8').match(/^PRETTY_NAME="?([^"\n]*)"?/m)?.[1] ?? 'unknown';
  const dockerVersion = run('docker', ['version', '--format', '{{.Server.Version}} (client {{.Client.Version}})'], true).trim();
  const dockerInfo = run('docker', ['info', '--format', '{{.Driver}}, cgroup v{{.CgroupVersion}} ({{.CgroupDriver}} driver)'], true).trim();
  const smemVersion = run('dpkg-query', ['-W', '-f', '${Version}', 'smem'], true).trim() || 'unknown';
  const commit = run('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], true).trim() || 'unknown';
  const dirty = run('git', ['-C', ROOT, 'status', '--porcelain'], true).trim() !== '';
  const cpu = os.cpus()[0]?.model ?? 'unknown';
  const loadAtStart = os.loadavg();
  return {
    loadAtStart,
    rows: [
      ['CPUs (nproc)', `${NPROC} × ${cpu}`],
      ['RAM', `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`],
      ['OS, kernel', `${osRelease}, Linux ${os.release()}`],
      ['Docker', `${dockerVersion}; ${dockerInfo}`],
      ['Node.js', process.version],
      ['smem', smemVersion],
      ['Clock ticks (CLK_TCK)', String(CLK_TCK)],
      ['Commit', `${commit}${dirty ? ' (with uncommitted changes in the working tree)' : ''}`],
      ['Load average when the benchmark started (1 / 5 / 15 min)', loadAtStart.map((l) => l.toFixed(2)).join(' / ')],
    ],
  };
}

async function waitForLowLoad(): Promise<void> {
  const deadline = Date.now() + LOAD_WAIT_S * 1000;
  while ((os.loadavg()[0] ?? 0) > MAX_START_LOAD && Date.now() < deadline) {
    log(`load average ${loadavg()} above ${MAX_START_LOAD}: waiting (up to ${LOAD_WAIT_S} s; --max-start-load, --load-wait)`);
    await sleep(15_000);
  }
}

// ---------------------------------------------------------------------------------------------
// The poll loop in a fresh process

interface Checkpoint {
  poll: number;
  elapsedMs: number;
  rss: number;
  /** VmHWM: the highest RSS so far. */
  peakRss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  residentByKind: { heap: number; anon: number; file: number; other: number };
  newSpace: number;
  oldSpace: number;
  containers: number;
  processes: number;
}
interface LoopDone {
  polls: number;
  failedPolls: number;
  snapshotErrors: number;
  retentionRuns: number;
  alertTransitions: number;
  scrapes: number;
  lastScrapeBytes: number;
  elapsedMs: number;
  snapshotMedianMs: number;
  snapshotP95Ms: number;
  dbBytes: number;
}
/** glibc's malloc_stats() totals and the RSS around malloc_trim(0), taken with gdb after the run. */
interface MallocInspection {
  systemBytes: number;
  inUseBytes: number;
  rssBeforeTrim: number;
  rssAfterTrim: number;
}
interface LoopRun {
  variant: LoopVariant;
  checkpoints: Checkpoint[];
  done: LoopDone;
  malloc: MallocInspection | string | null;
}
interface LoopVariant {
  key: 'natural' | 'forced' | 'jemalloc' | 'semispace';
  /** Extra node options for the loop process. */
  nodeArgs?: string[];
  forceGc: boolean;
  /** Inspect glibc malloc with gdb after the last poll. */
  inspectMalloc: boolean;
  env: Record<string, string>;
}

const JEMALLOC = ['/usr/lib/x86_64-linux-gnu/libjemalloc.so.2', '/usr/lib/aarch64-linux-gnu/libjemalloc.so.2'].find((path) => {
  try {
    return readFileSync(path).length > 0;
  } catch {
    return false;
  }
});
/** A smaller young generation: V8's default lets new space grow to 32 MiB (2 × 16 MiB semi-spaces). */
const SEMI_SPACE_ARG = '--max-semi-space-size=4';
const HAVE_GDB = spawnSync('gdb', ['--version'], { stdio: 'ignore' }).status === 0;

function checkpointList(polls: number): number[] {
  const list = new Set([1, 10, 25, 50]);
  for (let i = 1; i <= 10; i++) list.add(Math.round((polls * i) / 10));
  return [...list].filter((n) => n >= 1 && n <= polls).sort((a, b) => a - b);
}

function vmRss(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : Number.NaN;
}

/** Asks glibc (through gdb) how much of what malloc holds is in use, then trims it. */
async function inspectMalloc(pid: number, stderrText: () => string): Promise<MallocInspection | string> {
  if (!HAVE_GDB) return 'gdb not installed';
  const rssBeforeTrim = vmRss(pid);
  const r = spawnSync('gdb', ['-p', String(pid), '-batch', '-ex', 'call (void)malloc_stats()', '-ex', 'call (int)malloc_trim(0)'], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.status !== 0) return `gdb failed: ${(r.stderr || r.error?.message || '').trim().split('\n')[0]}`;
  await sleep(500); // malloc_stats wrote to the child's stderr: let the pipe drain
  const rssAfterTrim = vmRss(pid);
  const total = /Total \(incl\. mmap\):\s*\nsystem bytes\s*=\s*(\d+)\s*\nin use bytes\s*=\s*(\d+)/.exec(stderrText());
  if (!total) return 'malloc_stats printed nothing';
  return { systemBytes: Number(total[1]), inUseBytes: Number(total[2]), rssBeforeTrim, rssAfterTrim };
}

async function runLoop(variant: LoopVariant): Promise<LoopRun> {
  const dataDir = mkdtempSync(join(tempDir ?? os.tmpdir(), `loop-${variant.key}-`));
  const heapSnapshots = variant.forceGc && opts['heap-snapshots'] ? resolve(opts['heap-snapshots']) : undefined;
  const args = [
    ...(variant.nodeArgs ?? []),
    ...(variant.forceGc ? ['--expose-gc'] : []),
    join(HERE, 'poll-loop.mjs'),
    '--polls',
    String(POLLS),
    '--data-dir',
    dataDir,
    '--checkpoints',
    checkpointList(POLLS).join(','),
    ...(variant.forceGc ? ['--force-gc'] : []),
    ...(heapSnapshots ? ['--heap-snapshots', heapSnapshots] : []),
    ...(variant.inspectMalloc && HAVE_GDB ? ['--hold'] : []),
  ];
  // A clean environment for the child: no loader hooks inherited through NODE_OPTIONS.
  const env: NodeJS.ProcessEnv = { ...process.env, ...variant.env };
  delete env.NODE_OPTIONS;
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  loopChild = child;
  const lines: string[] = [];
  let partial = '';
  let stderr = '';
  let onHolding: (() => void) | null = null;
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr += chunk;
    process.stderr.write(chunk);
  });
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      if (line.trim() === '') continue;
      lines.push(line);
      const poll = /"poll":(\d+)/.exec(line);
      if (poll) log(`  ${variant.key}: poll ${poll[1]}/${POLLS}, RSS ${mib(Number(/"rss":(\d+)/.exec(line)?.[1]))} MiB`);
      if (line.includes('"type":"holding"')) onHolding?.();
    }
  });
  const closed = new Promise<number | null>((done) => child.on('close', done));
  let malloc: MallocInspection | string | null = null;
  if (args.includes('--hold')) {
    const held = await Promise.race([new Promise<boolean>((done) => (onHolding = () => done(true))), closed.then(() => false)]);
    if (held && child.pid !== undefined) {
      malloc = await inspectMalloc(child.pid, () => stderr);
      child.kill('SIGTERM');
    }
  } else if (variant.inspectMalloc) {
    malloc = 'gdb not installed';
  }
  const code = await closed;
  loopChild = null;
  if (code !== 0) throw new Error(`poll-loop.mjs (${variant.key}) exited ${code}`);
  const objects = lines.map((l) => JSON.parse(l) as { type: string } & Record<string, unknown>);
  const done = objects.find((o) => o.type === 'done') as unknown as LoopDone | undefined;
  if (!done) throw new Error('poll-loop.mjs did not report');
  if (done.failedPolls > 0) throw new Error(`poll-loop.mjs (${variant.key}): ${done.failedPolls} polls failed`);
  return { variant, checkpoints: objects.filter((o) => o.type === 'checkpoint') as unknown as Checkpoint[], done, malloc };
}

// ---------------------------------------------------------------------------------------------
// Allocation churn (heaptrack, when installed)

interface Churn {
  polls: number;
  totalBytes: number;
  bigCount: number;
  bigBytes: number;
  exact64Count: number;
  /** The most frequent allocation sizes of 64 KiB or more: [size, count over all polls]. */
  topBig: [number, number][];
  /** Bytes in allocations of 16 KiB or more per fs.promises.readFile / readFileSync of /proc/self/status. */
  asyncReadBytes: number;
  syncReadBytes: number;
}

const CHURN_POLLS = 50;
const READ_CALLS = 1000;

/** Runs `command` under heaptrack and returns its allocation-size histogram (size -> count). */
function heaptrackHistogram(name: string, command: string[]): Map<number, number> {
  const dir = join(tempDir ?? os.tmpdir(), 'heaptrack');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const traced = spawnSync('heaptrack', ['-o', join(dir, name), ...command], { cwd: ROOT, env, encoding: 'utf8', timeout: 600_000 });
  if (traced.status !== 0) throw new Error(`heaptrack ${name} exited ${traced.status}: ${traced.stderr.trim().split('\n').slice(-3).join(' ')}`);
  const data = readdirSync(dir).find((f) => f.startsWith(`${name}.`));
  if (!data) throw new Error(`heaptrack ${name}: no data file`);
  const histogram = join(dir, `${name}.histogram`);
  run('heaptrack_print', ['-f', join(dir, data), '--print-histogram', histogram, '--print-peaks', '0', '--print-allocators', '0', '--print-temporary', '0', '--print-leaks', '0']);
  const result = new Map<number, number>();
  for (const line of readFileSync(histogram, 'utf8').split('\n')) {
    const [size, count] = line.trim().split(/\s+/).map(Number);
    if (size !== undefined && count !== undefined && Number.isFinite(size) && Number.isFinite(count)) result.set(size, (result.get(size) ?? 0) + count);
  }
  return result;
}

const bytesAtLeast = (h: Map<number, number>, min: number) => [...h].filter(([size]) => size >= min).reduce((sum, [size, count]) => sum + size * count, 0);

function measureChurn(): Churn | string {
  for (const tool of ['heaptrack', 'heaptrack_print']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0) return `${tool} not installed`;
  }
  try {
    const dbDir = mkdtempSync(join(tempDir ?? os.tmpdir(), 'loop-heaptrack-'));
    const loop = heaptrackHistogram('loop', [process.execPath, join(HERE, 'poll-loop.mjs'), '--polls', String(CHURN_POLLS), '--data-dir', dbDir, '--checkpoints', String(CHURN_POLLS)]);
    const script = join(tempDir ?? os.tmpdir(), 'read-alloc.mjs');
    writeFileSync(
      script,
      [
        "import { promises as fsp, readFileSync } from 'node:fs';",
        'const mode = process.argv[2];',
        `for (let i = 0; i < ${READ_CALLS}; i++) {`,
        "  if (mode === 'async') await fsp.readFile('/proc/self/status', 'utf8');",
        "  else if (mode === 'sync') readFileSync('/proc/self/status', 'utf8');",
        '}',
        '',
      ].join('\n'),
    );
    const perCall = (mode: string) => {
      const base = bytesAtLeast(heaptrackHistogram('none', [process.execPath, script, 'none']), 16 * 1024);
      return Math.max(0, bytesAtLeast(heaptrackHistogram(mode, [process.execPath, script, mode]), 16 * 1024) - base) / READ_CALLS;
    };
    return {
      polls: CHURN_POLLS,
      totalBytes: bytesAtLeast(loop, 0),
      bigCount: [...loop].filter(([size]) => size >= 64 * 1024).reduce((sum, [, count]) => sum + count, 0),
      bigBytes: bytesAtLeast(loop, 64 * 1024),
      exact64Count: loop.get(64 * 1024) ?? 0,
      topBig: [...loop].filter(([size]) => size >= 64 * 1024).sort((a, b) => b[1] - a[1]).slice(0, 3),
      asyncReadBytes: perCall('async'),
      syncReadBytes: perCall('sync'),
    };
  } catch (err) {
    return (err as Error).message;
  }
}

// ---------------------------------------------------------------------------------------------
// The benchmark

interface Series {
  label: string;
  samples: Sample[];
  note: string;
}

interface RollupCost {
  pid: number;
  comm: string;
  rssBytes: number;
  ms: number;
}

interface Interference {
  wallMs: number;
  /** CPU time of the whole machine during the timed loop. */
  machineMs: number;
  /** Ours: this process, its reaped children (docker CLI, smem, the wrapper) and the Docker engine. */
  oursMs: number;
}

function cpuMark() {
  const pids = enginePids();
  return {
    t: performance.now(),
    host: hostBusyTicks(),
    own: process.cpuUsage(),
    children: processTicks('self')?.children ?? 0,
    engine: { pids, ticks: ticksOf(pids) },
  };
}

/** How much CPU the rest of the machine used while we measured: other engineers' tests, say. */
function interferenceSince(mark: ReturnType<typeof cpuMark>): Interference {
  const own = process.cpuUsage(mark.own);
  const tick = 1000 / CLK_TCK;
  return {
    wallMs: performance.now() - mark.t,
    machineMs: (hostBusyTicks() - mark.host) * tick,
    oursMs: (own.user + own.system) / 1000 + ((processTicks('self')?.children ?? 0) - mark.children) * tick + engineMsSince(mark.engine),
  };
}

async function main(): Promise<void> {
  const machine = describeMachine();
  log(`load average ${loadavg()}; writing ${relative(ROOT, OUT) || OUT}`);
  await waitForLowLoad();
  const loadBeforeTiming = os.loadavg();
  tempDir = mkdtempSync(join(os.tmpdir(), 'memwarden-bench-'));
  const docker = new Dockerode();
  await startContainers(docker);

  const sources = { docker, procRoot: PROC, cgroupRoot: CGROUP, withProcesses: true, timeoutMs: TIMEOUT_MS };
  const snapshotSamples: Sample[] = [];
  const statsSamples: ChildSample[] = [];
  const smemSamples: ChildSample[] = [];
  let lastSnapshot: Snapshot | null = null;
  let statsContainers = 0;
  let smemProcesses = 0;

  // Interleaved, so a burst of load from elsewhere hits all three alike.
  log(`timing: ${WARMUP} warm-up + ${ITERATIONS} iterations of snapshot, docker stats, smem`);
  let interference: Interference | null = null;
  let mark: ReturnType<typeof cpuMark> | null = null;
  for (let i = 0; i < WARMUP + ITERATIONS; i++) {
    const warm = i < WARMUP;
    if (i === WARMUP) mark = cpuMark();
    const snap = await inProcess(() => collectSnapshot(sources));
    if (snap.result.errors.length > 0) throw new Error(`snapshot errors: ${JSON.stringify(snap.result.errors)}`);
    const stats = childProcess(['docker', 'stats', '--no-stream']);
    const smem = childProcess(['smem', '-c', 'pid pss']);
    if (warm) continue;
    snapshotSamples.push(snap.sample);
    statsSamples.push(stats);
    smemSamples.push(smem);
    lastSnapshot = snap.result;
    statsContainers = dataLines(stats.stdout);
    smemProcesses = dataLines(smem.stdout);
    log(
      `  ${i - WARMUP + 1}/${ITERATIONS}: snapshot ${ms(snap.sample.wallMs)} ms, docker stats ${ms(stats.wallMs)} ms, smem ${ms(smem.wallMs)} ms`,
    );
  }
  if (!lastSnapshot || !mark) throw new Error('no iterations');
  interference = interferenceSince(mark);
  const snapshot = lastSnapshot;
  const loadAfterTiming = os.loadavg();

  // Where the snapshot's time goes: each source alone, same containers and processes.
  log(`breakdown: ${ITERATIONS} iterations per source`);
  const containerNames = new Map(snapshot.containers.map((c) => [c.id, c.name]));
  const parts: Record<string, Sample[]> = {
    host: [],
    containers: [],
    processesPss: [],
    processesRss: [],
    syncReads: [],
    rollupOnly: [],
  };
  let rollupPids = 0;
  for (let i = 0; i < WARMUP + ITERATIONS; i++) {
    const warm = i < WARMUP;
    const host = await inProcess(() => collectHost(PROC));
    const containers = await inProcess(() =>
      collectContainers({ docker, cgroupRoot: CGROUP, hostTotalBytes: snapshot.host.totalBytes, timeoutMs: TIMEOUT_MS }),
    );
    const pss = await inProcess(() => collectProcesses({ procRoot: PROC, withSmaps: true, containerNames, selfPid: process.pid }));
    const rss = await inProcess(() => collectProcesses({ procRoot: PROC, withSmaps: false, containerNames, selfPid: process.pid }));
    const syncReads = await inProcess(() => {
      let bytes = 0;
      for (const name of readdirSync(PROC)) {
        if (!/^\d+$/.test(name)) continue;
        for (const file of ['status', 'cmdline', 'cgroup', 'smaps_rollup']) {
          try {
            bytes += readFileSync(join(PROC, name, file), 'utf8').length;
          } catch {
            // gone or unreadable
          }
        }
      }
      return bytes;
    });
    const rollup = await inProcess(() => {
      let n = 0;
      for (const name of readdirSync(PROC)) {
        if (!/^\d+$/.test(name)) continue;
        try {
          if (readFileSync(join(PROC, name, 'smaps_rollup'), 'utf8') !== '') n += 1;
        } catch {
          // gone or unreadable
        }
      }
      return n;
    });
    if (warm) continue;
    parts.host?.push(host.sample);
    parts.containers?.push(containers.sample);
    parts.processesPss?.push(pss.sample);
    parts.processesRss?.push(rss.sample);
    parts.syncReads?.push(syncReads.sample);
    parts.rollupOnly?.push(rollup.sample);
    rollupPids = rollup.result;
  }
  const rollupCosts = measureRollupPerProcess(snapshot);

  // Bot memory over POLLS polls, in fresh processes.
  log(`poll loop: ${POLLS} polls as the bot runs`);
  const natural = await runLoop({ key: 'natural', forceGc: false, inspectMalloc: true, env: {} });
  log(`poll loop: ${POLLS} polls with a forced full GC at each checkpoint`);
  const forced = await runLoop({ key: 'forced', forceGc: true, inspectMalloc: false, env: {} });
  let jemalloc: LoopRun | null = null;
  if (JEMALLOC) {
    log(`poll loop: ${POLLS} polls with jemalloc (LD_PRELOAD=${JEMALLOC})`);
    jemalloc = await runLoop({ key: 'jemalloc', forceGc: false, inspectMalloc: false, env: { LD_PRELOAD: JEMALLOC } });
  }
  log(`poll loop: ${POLLS} polls with node ${SEMI_SPACE_ARG}`);
  const semispace = await runLoop({ key: 'semispace', forceGc: false, inspectMalloc: false, env: {}, nodeArgs: [SEMI_SPACE_ARG] });
  log(`allocation churn: ${CHURN_POLLS} polls under heaptrack`);
  const churn = measureChurn();
  const loadAtEnd = os.loadavg();

  const markdown = render({
    machine,
    loadBeforeTiming,
    loadAfterTiming,
    interference,
    loadAtEnd,
    snapshot,
    statsContainers,
    smemProcesses,
    series: [
      { label: 'memwarden snapshot (`collectSnapshot`, in-process)', samples: snapshotSamples, note: 'own process (all threads)' },
      { label: '`docker stats --no-stream`', samples: statsSamples, note: 'the docker CLI process' },
      { label: '`smem -c "pid pss"`', samples: smemSamples, note: 'the smem process' },
    ],
    cutimeCheck: {
      stats: sumOf(statsSamples.map((s) => s.cutimeMs)),
      statsWait4: sumOf(statsSamples.map(cpuMs)),
      smem: sumOf(smemSamples.map((s) => s.cutimeMs)),
      smemWait4: sumOf(smemSamples.map(cpuMs)),
    },
    parts,
    rollupPids,
    rollupCosts,
    natural,
    forced,
    jemalloc,
    semispace,
    churn,
  });
  // The durability section is bench/durability.bench.ts's (npm run bench runs it next): kept as it was.
  const kept = keptDurability(OUT);
  writeFileSync(OUT, kept === '' ? markdown : `${markdown.trimEnd()}\n\n${kept}\n`);
  log(`wrote ${OUT}`);
  process.stdout.write(markdown);
}

const sumOf = (values: number[]) => values.reduce((a, b) => a + b, 0);

/** smaps_rollup read time per process (best of 3), with its RSS: what makes PSS cost what it does. */
function measureRollupPerProcess(snapshot: Snapshot): RollupCost[] {
  const costs: RollupCost[] = [];
  for (const p of snapshot.processes) {
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      try {
        readFileSync(join(PROC, String(p.pid), 'smaps_rollup'), 'utf8');
      } catch {
        break;
      }
      best = Math.min(best, performance.now() - t0);
    }
    if (Number.isFinite(best)) costs.push({ pid: p.pid, comm: p.comm, rssBytes: p.rssBytes, ms: best });
  }
  return costs.sort((a, b) => b.ms - a.ms);
}

// ---------------------------------------------------------------------------------------------
// Report

interface ReportInput {
  machine: Machine;
  loadBeforeTiming: number[];
  loadAfterTiming: number[];
  interference: Interference;
  loadAtEnd: number[];
  snapshot: Snapshot;
  statsContainers: number;
  smemProcesses: number;
  series: Series[];
  cutimeCheck: { stats: number; statsWait4: number; smem: number; smemWait4: number };
  parts: Record<string, Sample[]>;
  rollupPids: number;
  rollupCosts: RollupCost[];
  natural: LoopRun;
  forced: LoopRun;
  jemalloc: LoopRun | null;
  semispace: LoopRun;
  churn: Churn | string | null;
}

const passFail = (ok: boolean) => (ok ? '**pass**' : '**FAIL**');

function render(r: ReportInput): string {
  const out: string[] = [];
  const push = (...lines: string[]) => out.push(...lines);
  const s = (samples: Sample[], f: (x: Sample) => number): Summary => summarize(samples.map(f));
  const [snap, stats] = r.series as [Series, Series, Series];
  const snapWall = s(snap.samples, (x) => x.wallMs);
  const statsWall = s(stats.samples, (x) => x.wallMs);
  const snapCpu = s(snap.samples, cpuMs);
  const statsCpu = s(stats.samples, cpuMs);
  const ratio = snapWall.median / statsWall.median;
  const cpuRatio = snapCpu.median / statsCpu.median;
  const snapTotal = s(snap.samples, (x) => cpuMs(x) + x.engineMs);
  const statsTotal = s(stats.samples, (x) => cpuMs(x) + x.engineMs);
  const others = r.interference;
  const othersCpus = Math.max(0, others.machineMs - others.oursMs) / others.wallMs;
  const busy = othersCpus > OTHERS_CPU_LIMIT;

  const snapshot = r.snapshot;
  const ours = snapshot.containers.filter((c) => c.name.startsWith(PREFIX)).length;
  const exact = snapshot.processes.filter((p) => p.precision === 'smaps').length;
  const totalRss = sumOf(snapshot.processes.map((p) => p.rssBytes));

  const cp = (run: LoopRun, poll: number) => run.checkpoints.find((c) => c.poll === poll);
  const n10 = cp(r.natural, 10);
  const nEnd = cp(r.natural, POLLS);
  const f10 = cp(r.forced, 10);
  const fEnd = cp(r.forced, POLLS);
  if (!n10 || !nEnd || !f10 || !fEnd) throw new Error('missing checkpoints');
  const rssGrowth = (nEnd.rss - n10.rss) / n10.rss;
  const forcedRssGrowth = (fEnd.rss - f10.rss) / f10.rss;
  const liveHeapGrowth = fEnd.heapUsed - f10.heapUsed;

  push(
    '# Benchmarks',
    '',
    'How much a memwarden snapshot costs next to the tools it replaces, and whether the bot itself',
    'stays flat over a long run (issue "Measure memory exactly"). Everything below was written by',
    '`bench/snapshot.bench.ts`, except the last section (durable commits), written by',
    '`bench/durability.bench.ts`; do not edit it by hand, run the benchmark again.',
    '',
    '```sh',
    'npm run bench            # builds, then: node --import tsx bench/snapshot.bench.ts, then bench/durability.bench.ts',
    '```',
    '',
    `Generated ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}, ${ITERATIONS} timed iterations after ${WARMUP} warm-ups, ${POLLS} polls.`,
    '',
    '## Machine',
    '',
    '| | |',
    '| --- | --- |',
    ...r.machine.rows.map(([k, v]) => `| ${k} | ${v} |`),
    `| Load average before timing / after timing / at the end | ${[r.loadBeforeTiming, r.loadAfterTiming, r.loadAtEnd].map((l) => l.map((x) => x.toFixed(2)).join(' / ')).join(' · ')} |`,
    `| CPU used by other work during the timed comparison | ${othersCpus.toFixed(2)} CPUs on average (${(others.wallMs / 1000).toFixed(0)} s: machine ${(others.machineMs / 1000).toFixed(1)} s of CPU, this benchmark, its commands and the Docker engine ${(others.oursMs / 1000).toFixed(1)} s) |`,
    '',
    busy
      ? `> Other work used ${othersCpus.toFixed(2)} of the ${NPROC} CPUs on average while the comparison was timed (more than ${OTHERS_CPU_LIMIT}): the times below are pessimistic. Re-run when the machine is quieter (the benchmark waits for a 1-minute load average below ${MAX_START_LOAD} before it starts, up to --load-wait seconds). (Load averages count the benchmark's own work too; the row above separates it out.)`
      : `> The machine was quiet while the comparison was timed: other work used ${othersCpus.toFixed(2)} of the ${NPROC} CPUs on average. (Load averages count the benchmark's own work too; the row above separates it out.)`,
    '',
    '## What was measured',
    '',
    `- ${CONTAINERS} containers started for the run (\`${PREFIX}0..${CONTAINERS - 1}\`, busybox \`sleep\`; every ${HOLDER_EVERY}th runs busybox \`awk\` holding a 16 MiB string), plus what was already running: the snapshot saw **${snapshot.containers.length} running containers** (${ours} of ours), \`docker stats\` printed **${r.statsContainers}**.`,
    `- The snapshot read **${snapshot.processes.length} user processes** (${exact} with PSS from smaps_rollup, ${snapshot.processes.length - exact} RSS only; ${mib(totalRss)} MiB RSS in total) into ${snapshot.processGroups.length} groups; \`smem\` printed **${r.smemProcesses}** processes. Among them is this benchmark's own process (${mib(snapshot.processes.find((p) => p.pid === process.pid)?.rssBytes ?? Number.NaN)} MiB RSS), as memwarden's own process is among them in production.`,
    '- Snapshot: `collectSnapshot({ withProcesses: true })` (host, every running container, every process with PSS), called in this process, as `memwarden run` calls it: wall time from `performance.now()`, CPU time from the `process.cpuUsage()` delta (user + system, all threads of the process, so the libuv threads reading /proc count too).',
    '- `docker stats --no-stream` and `smem`: run through `bench/measure-child.py`, which spawns the command and reads its CPU time from the rusage `wait4(2)` returns (µs resolution); wall time is taken around spawn .. wait4. As a cross-check, this process\'s own `cutime + cstime` from `/proc/self/stat` (clock ticks, which also include the Python wrapper) moved by ' +
      `${ms(r.cutimeCheck.stats, 0)} ms over the ${stats.samples.length} \`docker stats\` runs (wait4 sum: ${ms(r.cutimeCheck.statsWait4, 0)} ms) and ${ms(r.cutimeCheck.smem, 0)} ms over the \`smem\` runs (wait4 sum: ${ms(r.cutimeCheck.smemWait4, 0)} ms).`,
    '- Engine CPU: utime + stime of dockerd, containerd and the containerd shims (`/proc/<pid>/stat`, clock ticks) across each sample: the work a tool makes the Docker engine do on its behalf. Other Docker clients on the machine add to it.',
    `- The three were run interleaved (snapshot, docker stats, smem; ${WARMUP} warm-up rounds discarded), on the same containers. p95 is nearest-rank: with ${ITERATIONS} samples, the ${Math.ceil(0.95 * ITERATIONS)}th smallest.`,
    '',
    '## Snapshot vs docker stats vs smem',
    '',
    '| | wall median (ms) | wall p95 (ms) | CPU median (ms) | CPU p95 (ms) | user / sys median (ms) | engine CPU median (ms) | CPU measured for |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  );
  for (const series of r.series) {
    const wall = s(series.samples, (x) => x.wallMs);
    const cpu = s(series.samples, cpuMs);
    push(
      `| ${series.label} | ${ms(wall.median)} | ${ms(wall.p95)} | ${ms(cpu.median)} | ${ms(cpu.p95)} | ${ms(s(series.samples, (x) => x.userMs).median)} / ${ms(s(series.samples, (x) => x.sysMs).median)} | ${ms(s(series.samples, (x) => x.engineMs).median, 0)} | ${series.note} |`,
    );
  }
  push(
    '',
    '| Target | Measured | Result |',
    '| --- | --- | --- |',
    `| snapshot median wall / \`docker stats\` median wall ≤ 0.1 | ${ratio.toFixed(3)} (${ms(snapWall.median)} / ${ms(statsWall.median)} ms) | ${passFail(ratio <= 0.1)} |`,
    `| (for information) snapshot median CPU / \`docker stats\` median CPU | ${cpuRatio.toFixed(2)} (${ms(snapCpu.median)} / ${ms(statsCpu.median)} ms; engine CPU not included) | — |`,
    `| (for information) the same with the engine's CPU added (median of the per-sample sums) | ${(snapTotal.median / statsTotal.median).toFixed(2)} (${ms(snapTotal.median)} / ${ms(statsTotal.median)} ms) | — |`,
    '',
  );

  // Breakdown
  const part = (key: string) => r.parts[key] ?? [];
  const pssWall = s(part('processesPss'), (x) => x.wallMs).median;
  const rssWall = s(part('processesRss'), (x) => x.wallMs).median;
  const rollupWall = s(part('rollupOnly'), (x) => x.wallMs).median;
  const rollupCpu = s(part('rollupOnly'), cpuMs).median;
  const rows: [string, string][] = [
    ['host', '`collectHost` (systeminformation `mem()`, /proc/pressure/memory, /proc/vmstat)'],
    ['containers', '`collectContainers` (list, inspect per container, image list, cgroup files)'],
    ['processesPss', '`collectProcesses` with smaps_rollup (status, cmdline, cgroup, smaps_rollup; maps for Python)'],
    ['processesRss', '`collectProcesses` without smaps_rollup (RSS only)'],
    ['syncReads', 'the same four files per process (status, cmdline, cgroup, smaps_rollup) with `readFileSync`, sequential, no parsing'],
    ['rollupOnly', `smaps_rollup alone: \`readFileSync\` of /proc/*/smaps_rollup, sequential (${r.rollupPids} non-empty)`],
  ];
  push(
    '## Where the snapshot time goes',
    '',
    `Each source timed alone, ${ITERATIONS} times after ${WARMUP} warm-ups, right after the comparison above.`,
    '',
    '| Part | wall median (ms) | wall p95 (ms) | CPU median (ms) | user / sys median (ms) |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...rows.map(([key, label]) => {
      const samples = part(key);
      return `| ${label} | ${ms(s(samples, (x) => x.wallMs).median)} | ${ms(s(samples, (x) => x.wallMs).p95)} | ${ms(s(samples, cpuMs).median)} | ${ms(s(samples, (x) => x.userMs).median)} / ${ms(s(samples, (x) => x.sysMs).median)} |`;
    }),
    '',
    `- PSS costs ${ms(pssWall - rssWall)} ms of wall time per snapshot over RSS only (${ms(pssWall)} vs ${ms(rssWall)} ms median), ${((100 * (pssWall - rssWall)) / snapWall.median).toFixed(0)} % of the full snapshot's median. Reading smaps_rollup alone, sequentially, takes ${ms(rollupWall)} ms wall / ${ms(rollupCpu)} ms CPU, almost all of it system time: the kernel walks each process's page tables to add up PSS, so the cost follows resident memory, not the number of processes.`,
    `- smaps_rollup read time per process (best of 3), the ${Math.min(8, r.rollupCosts.length)} most expensive of ${r.rollupCosts.length}; all ${r.rollupCosts.length} together: ${ms(sumOf(r.rollupCosts.map((c) => c.ms)))} ms for ${mib(sumOf(r.rollupCosts.map((c) => c.rssBytes)))} MiB RSS (${ms((1000 * sumOf(r.rollupCosts.map((c) => c.ms))) / (sumOf(r.rollupCosts.map((c) => c.rssBytes)) / MiB), 1)} µs per MiB):`,
    '',
    '| pid | comm | RSS (MiB) | smaps_rollup read (ms) |',
    '| ---: | --- | ---: | ---: |',
    ...r.rollupCosts.slice(0, 8).map((c) => `| ${c.pid} | ${c.comm.replace(/\|/g, '\\|')} | ${mib(c.rssBytes)} | ${ms(c.ms, 2)} |`),
    '',
  );

  // Memory
  const kib = (bytes: number) => `${bytes >= 0 ? '+' : ''}${(bytes / 1024).toFixed(0)} KiB`;
  const dmib = (bytes: number) => `${bytes >= 0 ? '+' : ''}${mib(bytes)} MiB`;
  const loopRow = (c: Checkpoint) =>
    `| ${c.poll} | ${mib(c.rss)} | ${mib(c.heapUsed)} | ${mib(c.heapTotal)} | ${mib(c.newSpace)} | ${mib(c.external)} | ${mib(c.arrayBuffers)} | ${mib(c.residentByKind.heap)} | ${mib(c.residentByKind.anon)} | ${mib(c.residentByKind.file)} | ${(c.elapsedMs / 1000).toFixed(1)} |`;
  const loopTable = (run: LoopRun) => [
    '| poll | RSS | heapUsed | heapTotal | of which new space | external | arrayBuffers | RSS in malloc [heap] | RSS anonymous | RSS file-backed | elapsed (s) |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...run.checkpoints.map(loopRow),
    '',
    `${run.done.polls} polls in ${(run.done.elapsedMs / 1000).toFixed(1)} s; peak RSS (VmHWM) ${mib(run.checkpoints.find((c) => c.poll === 10)?.peakRss ?? Number.NaN)} MiB by poll 10, ${mib(run.checkpoints[run.checkpoints.length - 1]?.peakRss ?? Number.NaN)} MiB by poll ${run.done.polls} (snapshot median ${ms(run.done.snapshotMedianMs)} ms, p95 ${ms(run.done.snapshotP95Ms)} ms, as each snapshot reports its own duration), ${run.done.failedPolls} failed polls, ${run.done.snapshotErrors} source errors, retention run ${run.done.retentionRuns} times, ${run.done.alertTransitions} alert transitions, /metrics rendered ${run.done.scrapes} times (${(run.done.lastScrapeBytes / 1024).toFixed(1)} KiB the last time), database ${(run.done.dbBytes / 1024).toFixed(0)} KiB at the end.`,
    '',
  ];
  const n100 = cp(r.natural, Math.min(100, POLLS)) ?? n10;
  const steadyGrowth = (nEnd.rss - n100.rss) / n100.rss;
  const j10 = r.jemalloc ? cp(r.jemalloc, 10) : undefined;
  const jEnd = r.jemalloc ? cp(r.jemalloc, POLLS) : undefined;
  const jGrowth = j10 && jEnd ? (jEnd.rss - j10.rss) / j10.rss : Number.NaN;
  const s10 = cp(r.semispace, 10);
  const sEnd = cp(r.semispace, POLLS);
  if (!s10 || !sEnd) throw new Error('missing checkpoints');
  const sGrowth = (sEnd.rss - s10.rss) / s10.rss;
  const newSpaceSizes = [...new Set(r.natural.checkpoints.map((c) => mib(c.newSpace)))];
  const malloc = r.natural.malloc;
  const dRss = nEnd.rss - n10.rss;
  const dHeapTotal = nEnd.heapTotal - n10.heapTotal;
  const dBrk = nEnd.residentByKind.heap - n10.residentByKind.heap;
  const dAnon = nEnd.residentByKind.anon - n10.residentByKind.anon;
  const dFile = nEnd.residentByKind.file - n10.residentByKind.file;
  const findings: string[] = [
    `- RSS grew ${dmib(dRss)} between poll 10 and poll ${POLLS}. By mapping (/proc/self/smaps): malloc's main arena (\`[heap]\`) ${dmib(dBrk)}, other anonymous memory (V8's heap pages, malloc's other arenas and mmapped blocks) ${dmib(dAnon)}, file-backed pages (code of node and its libraries, touched as new paths run) ${dmib(dFile)}.`,
    `- V8's heap: heapTotal ${dmib(dHeapTotal)}, heapUsed ${dmib(nEnd.heapUsed - n10.heapUsed)}; its new space (young generation, which V8 enlarges when much is allocated) was ${mib(r.natural.checkpoints[0]?.newSpace ?? Number.NaN)} MiB after poll 1, ${mib(n10.newSpace)} MiB after poll 10 and ${mib(nEnd.newSpace)} MiB after poll ${POLLS}. With a forced full GC before each reading the live heap went ${mib(f10.heapUsed)} → ${mib(fEnd.heapUsed)} MiB (${kib(liveHeapGrowth)} over ${POLLS - 10} polls) and external memory ${mib(f10.external)} → ${mib(fEnd.external)} MiB: ${Math.abs(liveHeapGrowth) < 2 * MiB && fEnd.external - f10.external < MiB ? 'no leak in JavaScript objects or buffers' : '**live JavaScript data grows: look at heap snapshots (--heap-snapshots DIR) for what is retained**'}.`,
  ];
  findings.push(
    `- V8 resizes its new space by itself (sizes seen at the checkpoints of the first run: ${newSpaceSizes.join(', ')} MiB): it grows when much survives scavenges and can shrink again later, and what it has committed is largely resident. The target compares two single readings, so it moves with that; the new space of this run changed by up to ${mib(Math.max(...r.natural.checkpoints.map((c) => c.newSpace)) - Math.min(...r.natural.checkpoints.map((c) => c.newSpace)))} MiB. With \`node ${SEMI_SPACE_ARG}\` new space stays at ${mib(sEnd.newSpace)} MiB: RSS ${mib(s10.rss)} → ${mib(sEnd.rss)} MiB (${pct(sGrowth)}), snapshot median ${ms(r.semispace.done.snapshotMedianMs)} ms against ${ms(r.natural.done.snapshotMedianMs)} ms in the first run.`,
  );
  if (malloc && typeof malloc !== 'string') {
    findings.push(
      `- After the last poll, glibc's \`malloc_stats()\` (called in the process with gdb) reported ${mib(malloc.systemBytes)} MiB obtained from the system and ${mib(malloc.inUseBytes)} MiB in use: ${mib(malloc.systemBytes - malloc.inUseBytes)} MiB is free memory that malloc keeps. \`malloc_trim(0)\` then took RSS from ${mib(malloc.rssBeforeTrim)} to ${mib(malloc.rssAfterTrim)} MiB (${dmib(malloc.rssAfterTrim - malloc.rssBeforeTrim)}).`,
    );
  } else if (typeof malloc === 'string') {
    findings.push(`- glibc malloc was not inspected: ${malloc}.`);
  }
  if (j10 && jEnd) {
    findings.push(
      `- The same loop with jemalloc (\`LD_PRELOAD=${JEMALLOC}\`), which returns freed pages to the system over time: RSS ${mib(j10.rss)} → ${mib(jEnd.rss)} MiB (${pct(jGrowth)}).`,
    );
  }
  if (r.churn && typeof r.churn !== 'string') {
    const c = r.churn;
    const perPoll = (n: number) => (n / c.polls).toFixed(0);
    findings.push(
      `- Allocation traffic (heaptrack, ${c.polls} polls including start-up): ${(c.totalBytes / c.polls / MiB).toFixed(1)} MiB allocated per poll through malloc, ${(c.bigBytes / c.polls / MiB).toFixed(1)} MiB of it in ${perPoll(c.bigCount)} blocks of 64 KiB or more per poll (most frequent sizes: ${c.topBig.map(([size, count]) => `${size} B × ${perPoll(count)}`).join(', ')}). For reference, \`fs.promises.readFile\` of a /proc file (st_size 0, so Node reads it into a fresh 64 KiB buffer) allocates ${(c.asyncReadBytes / 1024).toFixed(1)} KiB per call in blocks of 16 KiB or more, \`readFileSync\` ${(c.syncReadBytes / 1024).toFixed(1)} KiB.`,
    );
    if (dBrk >= 5 * MiB) {
      findings.push(
        `- malloc's main arena grew by ${mib(dBrk)} MiB: large short-lived buffers are freed only when V8 collects their ArrayBuffers, in whatever order, which leaves the arena fragmented; the freed space is reused, but its high-water mark creeps up. Fewer and smaller per-poll buffers (a reused read buffer) keep it flat.`,
      );
    }
  } else if (typeof r.churn === 'string') {
    findings.push(`- Allocation churn was not measured: ${r.churn}.`);
  }
  push(
    '## Bot memory over a long run',
    '',
    `\`bench/poll-loop.mjs\` runs the poll loop of \`memwarden run\` in a fresh \`node\` process started from the built \`dist/\` (no tsx loader, nothing of this harness): the real poller with a 0 ms interval instead of 15 s, \`collectSnapshot\` with the default configuration, \`recordSnapshot\` into a new SQLite file in a temporary directory, \`enforceRetention\` (on every poll, where \`memwarden run\` runs it every 5 minutes), the default alert rules' evaluation, the /metrics gauges' update and a render of the /metrics text after every poll (as if Prometheus scraped once per poll). Figures are \`process.memoryUsage()\` of that process after the given poll. ${POLLS} polls are ${((POLLS * 15) / 3600).toFixed(1)} hours of a real bot at the default 15 s interval.`,
    '',
    '| Target | Measured | Result |',
    '| --- | --- | --- |',
    `| RSS after ${POLLS} polls within 10 % of RSS after 10 | ${mib(n10.rss)} → ${mib(nEnd.rss)} MiB (${pct(rssGrowth)}) | ${passFail(rssGrowth <= 0.1)} |`,
    `| (for information) heapUsed after 10 / after ${POLLS} polls, as the bot runs | ${mib(n10.heapUsed)} → ${mib(nEnd.heapUsed)} MiB | — |`,
    `| (for information) with a forced full GC: RSS, live heap after 10 / after ${POLLS} polls | RSS ${mib(f10.rss)} → ${mib(fEnd.rss)} MiB (${pct(forcedRssGrowth)}); heapUsed ${mib(f10.heapUsed)} → ${mib(fEnd.heapUsed)} MiB (${kib(liveHeapGrowth)}) | — |`,
    `| (for information) RSS after ${n100.poll} / after ${POLLS} polls, as the bot runs | ${mib(n100.rss)} → ${mib(nEnd.rss)} MiB (${pct(steadyGrowth)}) | — |`,
    ...(j10 && jEnd ? [`| (for information) with jemalloc: RSS after 10 / after ${POLLS} polls | ${mib(j10.rss)} → ${mib(jEnd.rss)} MiB (${pct(jGrowth)}) | — |`] : []),
    `| (for information) with \`node ${SEMI_SPACE_ARG}\`: RSS after 10 / after ${POLLS} polls | ${mib(s10.rss)} → ${mib(sEnd.rss)} MiB (${pct(sGrowth)}); snapshot median ${ms(r.semispace.done.snapshotMedianMs)} ms vs ${ms(r.natural.done.snapshotMedianMs)} ms | — |`,
    '',
    '### What grows, and why',
    '',
    ...findings,
    '',
    '### As the bot runs (no forced GC)',
    '',
    'All figures in MiB except the last column. "RSS in malloc [heap]" is glibc\'s main arena; "anonymous" includes V8\'s heap.',
    '',
    ...loopTable(r.natural),
    '### With a forced full GC before each reading (`node --expose-gc`, `gc()` twice)',
    '',
    'What is still reachable after a full collection: live data, not garbage waiting for the collector. A leak shows here as heapUsed or external that keeps climbing.',
    '',
    ...loopTable(r.forced),
    `### With \`node ${SEMI_SPACE_ARG}\` (diagnostic)`,
    '',
    "V8's young generation capped at 2 × 4 MiB; otherwise the same as the first run.",
    '',
    ...loopTable(r.semispace),
    ...(r.jemalloc
      ? ['### With jemalloc instead of glibc malloc (diagnostic)', '', `\`LD_PRELOAD=${JEMALLOC}\`; otherwise the same as the first run.`, '', ...loopTable(r.jemalloc)]
      : []),
  );
  return `${out.join('\n')}\n`;
}

try {
  await main();
} catch (err) {
  log(`failed: ${(err as Error).stack ?? String(err)}`);
  process.exitCode = 1;
} finally {
  cleanup();
}
