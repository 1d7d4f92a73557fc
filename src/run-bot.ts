// `memwarden run`: open the store, poll, record history, and shut down cleanly on SIGTERM or
// SIGINT. Later stages (alerts, Slack, remediation, digest) hang off the snapshot stream here.
import { join, resolve } from 'node:path';
import type Dockerode from 'dockerode';
import type { CliIo } from './cli/cli-io.js';
import { EXIT } from './cli/cli-io.js';
import { createAlertEngine } from './alerts/alert-engine.js';
import type { AlertTransition } from './alerts/types.js';
import { renderTransitionLine } from './cli/render-transition.js';
import { collectSnapshot } from './collect/collect-snapshot.js';
import { watchOomEvents } from './collect/docker-events.js';
import { startPoller } from './collect/poller.js';
import type { Snapshot } from './collect/types.js';
import { resolveRules } from './config/alerts-schema.js';
import type { Config } from './config/schema.js';
import { formatBytes } from './format/units.js';
import type { Logger } from './log/logger.js';
import { storeHistoryReader } from './store/alert-state.js';
import { closeDatabase, openDatabase } from './store/database.js';
import { enforceRetention } from './store/retention.js';
import { recordSnapshot } from './store/samples.js';

export interface BotDeps {
  config: Config;
  configFile: string | null;
  logger: Logger;
  docker: Dockerode;
  io: CliIo;
  version: string;
  /** Resolves when the bot should stop; defaults to SIGTERM/SIGINT. */
  stopSignal?: Promise<string>;
}

/** How often history retention runs; cheap, but no need to do it every poll. */
const RETENTION_EVERY_MS = 5 * 60_000;

export function databasePath(config: Config): string {
  return join(resolve(config.dataDir), 'memwarden.db');
}

export async function runBot(deps: BotDeps): Promise<number> {
  const { config, logger } = deps;
  const dbFile = databasePath(config);
  const db = openDatabase(dbFile);
  const consoleMode = !config.slack.botToken;
  logger.info(
    { version: deps.version, configFile: deps.configFile, dbFile, intervalMs: config.poll.interval, mode: consoleMode ? 'console' : 'slack' },
    'memwarden starting',
  );
  if (consoleMode) {
    deps.io.out('memwarden: console mode (no SLACK_BOT_TOKEN): what would be posted to Slack is printed here.');
  }

  const engine = createAlertEngine({ db, rules: resolveRules(config.alerts), clock: Date.now });
  const history = storeHistoryReader(db);
  const oomWatcher = watchOomEvents({ docker: deps.docker, logger: logger.child({ source: 'docker-events' }) });
  const notify = (transitions: AlertTransition[]) => {
    if (consoleMode) for (const transition of transitions) deps.io.out(renderTransitionLine(transition));
  };

  let lastRetention = 0;
  let first = true;
  let previous: Snapshot | null = null;
  const onSnapshot = (collected: Snapshot, log: Logger) => {
    const snapshot: Snapshot = { ...collected, oomEvents: oomWatcher.drain() };
    recordSnapshot(db, snapshot, config.poll.topGroups);
    const transitions = engine.evaluate(snapshot, previous, history);
    previous = snapshot;
    for (const transition of transitions) {
      log.info({ event: transition.event, rule: transition.ruleId, target: transition.target.name, severity: transition.severity, silenced: transition.silenced }, 'Alert transition');
    }
    notify(transitions);
    const now = Date.parse(snapshot.takenAt);
    if (now - lastRetention >= RETENTION_EVERY_MS) {
      enforceRetention(db, now, { rawMs: config.history.raw, rollupMs: config.history.rollups, rollupIntervalMs: config.history.rollupInterval });
      lastRetention = now;
    }
    for (const error of snapshot.errors) log.warn({ source: error.source, error: error.message }, 'A memory source failed');
    if (!snapshot.docker.reachable) log.warn({ reason: snapshot.docker.error }, 'Docker unreachable');
    if (first) {
      first = false;
      log.info(
        {
          usedBytes: snapshot.host.usedBytes,
          availableBytes: snapshot.host.availableBytes,
          containers: snapshot.containers.length,
          groups: snapshot.processGroups.length,
          durationMs: snapshot.durationMs,
          botRss: formatBytes(snapshot.bot.rssBytes),
        },
        'First snapshot taken',
      );
    }
  };

  const poller = startPoller({
    intervalMs: config.poll.interval,
    logger,
    collect: () =>
      collectSnapshot({
        docker: deps.docker,
        procRoot: config.paths.proc,
        cgroupRoot: config.paths.cgroup,
        withProcesses: config.poll.processes,
        timeoutMs: config.poll.sourceTimeout,
      }),
    onSnapshot,
  });

  const signal = await (deps.stopSignal ?? waitForSignal());
  logger.info({ signal }, 'Stopping');
  await poller.stop();
  oomWatcher.stop();
  closeDatabase(db);
  logger.info('Stopped');
  return EXIT.ok;
}

function waitForSignal(): Promise<string> {
  return new Promise((resolveSignal) => {
    const handler = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', handler);
      process.off('SIGINT', handler);
      resolveSignal(signal);
    };
    process.on('SIGTERM', handler);
    process.on('SIGINT', handler);
  });
}
