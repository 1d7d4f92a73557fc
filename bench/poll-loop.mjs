// The bot's poll loop, back to back, in a fresh process: what `memwarden run` does per poll
// (collectSnapshot, recordSnapshot into SQLite, enforceRetention, the alert rules' evaluation,
// the /metrics gauges) plus a Prometheus scrape of /metrics' text after every poll, driven by the
// real poller with a 0 ms interval instead of 15 s. Started by bench/snapshot.bench.ts; it imports the built code
// in dist/ (what `node dist/main.js run` executes), not the TypeScript sources through tsx, so
// that no loader thread or transpiler cache is counted in the process's RSS.
//
// Usage: node [--expose-gc] bench/poll-loop.mjs --polls N --data-dir DIR [--checkpoints 1,10,100]
//        [--force-gc] [--heap-snapshots DIR] [--hold]
// Prints one JSON object per line on stdout: {"type":"checkpoint",...} at each checkpoint and
// {"type":"done",...} at the end. Logs (level warn) go to stderr. With --hold the process then
// idles until SIGTERM, for the caller to inspect it.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { clearInterval, setInterval } from 'node:timers';
import { parseArgs } from 'node:util';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import Dockerode from 'dockerode';

import { createAlertEngine } from '../dist/alerts/alert-engine.js';
import { collectSnapshot } from '../dist/collect/collect-snapshot.js';
import { startPoller } from '../dist/collect/poller.js';
import { resolveRules } from '../dist/config/alerts-schema.js';
import { configSchema } from '../dist/config/schema.js';
import { createLogger } from '../dist/log/logger.js';
import { createBotMetrics } from '../dist/ops/metrics.js';
import { storeHistoryReader } from '../dist/store/alert-state.js';
import { closeDatabase, openDatabase } from '../dist/store/database.js';
import { enforceRetention } from '../dist/store/retention.js';
import { recordSnapshot } from '../dist/store/samples.js';

const { values } = parseArgs({
  options: {
    polls: { type: 'string', default: '1000' },
    'data-dir': { type: 'string' },
    checkpoints: { type: 'string', default: '' },
    'force-gc': { type: 'boolean', default: false },
    'heap-snapshots': { type: 'string' },
    hold: { type: 'boolean', default: false },
  },
});

const polls = Number(values.polls);
const dataDir = values['data-dir'];
if (!Number.isInteger(polls) || polls < 1 || !dataDir) {
  console.error('usage: poll-loop.mjs --polls N --data-dir DIR [--checkpoints 1,10,100] [--force-gc] [--heap-snapshots DIR] [--hold]');
  process.exit(2);
}
const checkpoints = new Set(
  (values.checkpoints === '' ? [1, 10, polls] : values.checkpoints.split(',').map(Number)).filter((n) => n >= 1 && n <= polls),
);
checkpoints.add(polls);
const forceGc = values['force-gc'];
const gc = globalThis.gc;
if (forceGc && typeof gc !== 'function') {
  console.error('poll-loop.mjs: --force-gc needs node --expose-gc');
  process.exit(2);
}

// The defaults `memwarden run` uses (5 s source timeout, 50 top groups, 48 h / 35 d / 5 min history).
const config = configSchema.parse({ dataDir });
const logger = createLogger({ level: 'warn', format: 'json' });
const docker = new Dockerode();
const dbFile = join(dataDir, 'memwarden.db');
const db = openDatabase(dbFile);
// The default alert rules and the /metrics registry, as runBot builds them.
const engine = createAlertEngine({ db, rules: resolveRules(config.alerts), clock: Date.now });
const history = storeHistoryReader(db);
const metrics = createBotMetrics({ db, clock: Date.now, topGroups: config.poll.topGroups });

/**
 * This process's resident memory by kind of mapping, from /proc/self/smaps: "[heap]" is glibc
 * malloc's main arena (brk), "anon" holds V8's heap pages, malloc's other arenas and its large
 * mmapped blocks, "file" the node binary and shared libraries.
 */
function residentByKind() {
  const kinds = { heap: 0, anon: 0, file: 0, other: 0 };
  let kind = 'other';
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const header = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (header) {
      const name = header[1].trim();
      kind = name === '[heap]' ? 'heap' : name === '' ? 'anon' : name.startsWith('/') ? 'file' : 'other';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) kinds[kind] += Number(rss[1]) * 1024;
  }
  return kinds;
}

const write = (object) => process.stdout.write(`${JSON.stringify(object)}\n`);

let count = 0;
let failedPolls = 0;
let snapshotErrors = 0;
let retentionRuns = 0;
let transitions = 0;
let scrapes = 0;
let scrapeBytes = 0;
let previous = null;
const pollMs = [];
const started = performance.now();
let resolveDone;
const done = new Promise((resolve) => {
  resolveDone = resolve;
});

function checkpoint(poll, snapshot) {
  if (forceGc) {
    // Twice: the first full GC runs finalizers/weak callbacks whose garbage the second collects.
    gc();
    gc();
  }
  const usage = process.memoryUsage();
  const resident = residentByKind();
  const spaces = Object.fromEntries(getHeapSpaceStatistics().map((space) => [space.space_name, space.space_size]));
  if (values['heap-snapshots']) {
    writeHeapSnapshot(join(values['heap-snapshots'], `poll-${poll}.heapsnapshot`));
  }
  write({
    type: 'checkpoint',
    poll,
    forcedGc: forceGc,
    elapsedMs: Math.round(performance.now() - started),
    rss: usage.rss,
    peakRss: Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? Number.NaN) * 1024,
    heapTotal: usage.heapTotal,
    heapUsed: usage.heapUsed,
    external: usage.external,
    arrayBuffers: usage.arrayBuffers,
    residentByKind: resident,
    newSpace: spaces.new_space ?? 0,
    oldSpace: spaces.old_space ?? 0,
    containers: snapshot.containers.length,
    processes: snapshot.processes.length,
  });
}

const poller = startPoller({
  intervalMs: 0,
  logger,
  collect: () =>
    collectSnapshot({
      docker,
      procRoot: config.paths.proc,
      cgroupRoot: config.paths.cgroup,
      withProcesses: config.poll.processes,
      timeoutMs: config.poll.sourceTimeout,
    }),
  onSnapshot: (snapshot) => {
    if (count >= polls) return;
    try {
      recordSnapshot(db, snapshot, config.poll.topGroups);
      // run-bot.ts runs retention at most every 5 minutes; here it runs on every poll (more work,
      // never less).
      enforceRetention(db, Date.parse(snapshot.takenAt), {
        rawMs: config.history.raw,
        rollupMs: config.history.rollups,
        rollupIntervalMs: config.history.rollupInterval,
      });
      retentionRuns += 1;
      transitions += engine.evaluate(snapshot, previous, history).length;
      previous = snapshot;
      metrics.observeSnapshot(snapshot);
      // A scrape per poll: Prometheus usually scrapes every 15-60 s, about once per poll.
      void metrics.render().then((text) => {
        scrapes += 1;
        scrapeBytes = text.length;
      });
    } catch (err) {
      failedPolls += 1;
      logger.error({ err }, 'bench poll failed');
    }
    count += 1;
    snapshotErrors += snapshot.errors.length;
    pollMs.push(snapshot.durationMs);
    if (checkpoints.has(count)) checkpoint(count, snapshot);
    if (count >= polls) resolveDone();
  },
});

await done;
await poller.stop();
closeDatabase(db);
const sorted = [...pollMs].sort((a, b) => a - b);
const rank = (p) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)];
write({
  type: 'done',
  polls: count,
  failedPolls,
  snapshotErrors,
  retentionRuns,
  alertTransitions: transitions,
  scrapes,
  lastScrapeBytes: scrapeBytes,
  elapsedMs: Math.round(performance.now() - started),
  snapshotMedianMs: rank(0.5),
  snapshotP95Ms: rank(0.95),
  dbBytes: statSync(dbFile).size,
});
if (values.hold) {
  // Stay alive (idle) until SIGTERM, so the caller can inspect this process (gdb: malloc_stats).
  process.stdout.write('{"type":"holding"}\n');
  const keepAlive = setInterval(() => undefined, 60_000);
  process.once('SIGTERM', () => clearInterval(keepAlive));
}
