// The durability benchmark (issue "Trust": synchronous=FULL): what durable commits cost per
// poll. `npm run bench` runs it after the snapshot benchmark; alone:
//   node --import tsx bench/durability.bench.ts [--polls N (1000)] [--rounds N (3)] [--dir DIR]
//        [--out FILE (docs/benchmarks.md)]
//
// One real snapshot (the default configuration: host, every container, every process with PSS)
// is recorded `polls` times into a fresh SQLite file, as `memwarden run` does per poll
// (recordSnapshot, then the default alert rules' evaluation, which stores a round only when an
// alert changed), once with synchronous=NORMAL and once with FULL, alternating `rounds` times on
// the same filesystem so that the machine's state hits both alike. The remediation transactions
// (request, decision, claim, finish) are timed the same way. The results replace the section
// between the durability markers of docs/benchmarks.md (bench/snapshot.bench.ts keeps it).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Dockerode from 'dockerode';

import { createAlertEngine } from '../src/alerts/alert-engine.js';
import { takeConfiguredSnapshot } from '../src/collect/collect-snapshot.js';
import type { Snapshot } from '../src/model/snapshot.js';
import { resolveRules } from '../src/config/alerts-schema.js';
import { configSchema } from '../src/config/schema.js';
import { storeHistoryReader } from '../src/store/alert-state.js';
import { closeDatabase, openDatabase } from '../src/store/database.js';
import { claimExecution, createRequest, finishExecution, recordDecision } from '../src/store/remediation.js';
import { recordSnapshot } from '../src/store/samples.js';
import { DURABILITY_END, DURABILITY_START, spliceDurability } from './report-sections.js';
import { type Summary, summarize } from './stats.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MODES = ['NORMAL', 'FULL'] as const;
type Mode = (typeof MODES)[number];

const { values: opts } = parseArgs({
  options: {
    polls: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '3' },
    dir: { type: 'string' },
    out: { type: 'string' },
  },
});
const POLLS = Number(opts.polls);
const ROUNDS = Number(opts.rounds);
if (!Number.isInteger(POLLS) || POLLS < 10 || !Number.isInteger(ROUNDS) || ROUNDS < 1) throw new Error('--polls must be an integer >= 10 and --rounds >= 1');
const OUT = resolve(ROOT, opts.out ?? 'docs/benchmarks.md');
const BASE = resolve(opts.dir ?? os.tmpdir());

const log = (message: string) => process.stderr.write(`[durability ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
const ms = (v: number, digits = 2) => v.toFixed(digits);

interface Samples {
  poll: number[];
  request: number[];
  decision: number[];
  claim: number[];
  finish: number[];
}

const emptySamples = (): Samples => ({ poll: [], request: [], decision: [], claim: [], finish: [] });

function timed<T>(into: number[], fn: () => T): T {
  const started = performance.now();
  const result = fn();
  into.push(performance.now() - started);
  return result;
}

/** One block of polls and remediation transactions on a fresh database with `mode`. */
function runBlock(mode: Mode, snapshot: Snapshot, into: Samples, startAt: number): void {
  const dir = mkdtempSync(join(BASE, 'mw-durability-'));
  try {
    const db = openDatabase(join(dir, 'memwarden.db'));
    db.pragma(`synchronous = ${mode}`);
    const config = configSchema.parse({});
    const engine = createAlertEngine({ db, rules: resolveRules(config.alerts), clock: () => now });
    const history = storeHistoryReader(db);
    let now = startAt;
    let previous: Snapshot | null = null;
    for (let i = 0; i < POLLS; i++) {
      now = startAt + i * config.poll.interval;
      const current: Snapshot = { ...snapshot, takenAt: new Date(now).toISOString() };
      timed(into.poll, () => {
        recordSnapshot(db, current, config.poll.topGroups);
        engine.evaluate(current, previous, history);
      });
      previous = current;
    }
    for (let i = 0; i < POLLS / 3; i++) {
      const at = now + i * 10;
      const request = timed(into.request, () =>
        createRequest(
          db,
          { runbookId: 'bench', runbookSha256: 'a'.repeat(64), target: { containerId: 'c'.repeat(64), name: 'bench' }, params: {}, requestedBy: 'U_BENCH', origin: 'command', dryRun: true, requiredApprovals: 1 },
          at,
        ),
      );
      timed(into.decision, () => recordDecision(db, request.id, 'U_APPROVER', 'approve', at + 1));
      timed(into.claim, () => claimExecution(db, request.id, at + 2));
      timed(into.finish, () => finishExecution(db, request.id, { outcome: 'succeeded' }, at + 3));
    }
    closeDatabase(db);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function filesystemOf(path: string): string {
  const r = spawnSync('df', ['--output=source,fstype,target', path], { encoding: 'utf8' });
  const line = r.stdout.trim().split('\n')[1]?.trim().split(/\s+/) ?? [];
  return line.length === 3 ? `${line[1]} on ${line[0]} (mounted at ${line[2]})` : 'unknown';
}

function render(snapshot: Snapshot, results: Record<Mode, Samples>): string {
  const s = (mode: Mode, key: keyof Samples): Summary => summarize(results[mode][key]);
  const pollNormal = s('NORMAL', 'poll');
  const pollFull = s('FULL', 'poll');
  const extra = pollFull.median - pollNormal.median;
  const interval = configSchema.parse({}).poll.interval;
  const rows = (['poll', 'request', 'decision', 'claim', 'finish'] as const).map((key) => {
    const normal = s('NORMAL', key);
    const full = s('FULL', key);
    const what = {
      poll: 'a poll\'s store work (recordSnapshot + the alert rules\' round)',
      request: 'remediation: request (createRequest)',
      decision: 'remediation: decision (recordDecision)',
      claim: 'remediation: claim (claimExecution)',
      finish: 'remediation: finish (finishExecution)',
    }[key];
    return `| ${what} | ${normal.n} | ${ms(normal.median)} | ${ms(normal.p95)} | ${ms(full.median)} | ${ms(full.p95)} | ${ms(full.median - normal.median)} |`;
  });
  return [
    DURABILITY_START,
    '## Durable commits: synchronous=FULL',
    '',
    'Written by `bench/durability.bench.ts` (`npm run bench` runs it after the snapshot benchmark); do not edit it by hand.',
    '',
    `Generated ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')} on ${filesystemOf(BASE)}, Node.js ${process.version}, ${os.availableParallelism()} CPUs, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' / ')} at the end.`,
    '',
    `memwarden opens its database with \`synchronous=FULL\` (WAL mode): every commit syncs the WAL, so an OS crash or a power loss cannot roll back an approval or an execution claim after the action ran. With \`NORMAL\` a commit is not synced until the next checkpoint. One real snapshot (${snapshot.containers.length} containers, ${snapshot.processGroups.length} process groups, ${snapshot.processes.length} processes) was recorded ${POLLS} times per block into a fresh database, as a poll does, with the default alert rules evaluated after each; the two modes alternated over ${ROUNDS} blocks each. Times are wall time of the calls, in ms.`,
    '',
    '| | n | NORMAL median | NORMAL p95 | FULL median | FULL p95 | FULL − NORMAL (median) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    `**Cost per poll: ${ms(extra)} ms** (median ${ms(pollNormal.median)} → ${ms(pollFull.median)} ms), ${((extra / interval) * 100).toFixed(4)} % of the default ${interval / 1000} s poll interval and ${((extra / snapshot.durationMs) * 100).toFixed(1)} % of the time the snapshot itself took here (${ms(snapshot.durationMs, 1)} ms). A poll commits once (its samples); the alert round commits only when an alert changed. The price is one fsync of the WAL per commit, so it follows the disk: a disk without a write cache, or a network volume, pays more per commit than this one.`,
    DURABILITY_END,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  log(`taking one snapshot; databases in ${BASE}`);
  const snapshot = await takeConfiguredSnapshot(new Dockerode(), configSchema.parse({}));
  const results: Record<Mode, Samples> = { NORMAL: emptySamples(), FULL: emptySamples() };
  const startAt = Date.parse(snapshot.takenAt);
  // A warm-up block, discarded: the first database file and prepared statements cost more.
  runBlock('NORMAL', snapshot, emptySamples(), startAt);
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of round % 2 === 0 ? MODES : [...MODES].reverse()) {
      log(`round ${round + 1}/${ROUNDS}: ${mode}`);
      runBlock(mode, snapshot, results[mode], startAt);
    }
  }
  const section = render(snapshot, results);
  writeFileSync(OUT, spliceDurability(readFileSync(OUT, 'utf8'), section));
  log(`wrote ${OUT}`);
  process.stdout.write(section);
}

await main();
