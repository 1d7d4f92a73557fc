// `memwarden run`: open the store, poll, record history, evaluate alerts, deliver them to Slack
// (or print them in console mode) and shut down cleanly on SIGTERM or SIGINT.
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type Dockerode from 'dockerode';
import { createAlertEngine } from './alerts/alert-engine.js';
import type { AlertTarget, AlertTransition } from './model/alert.js';
import { within } from './async/timeouts.js';
import { type CliIo, EXIT } from './cli/cli-io.js';
import { takeConfiguredSnapshot } from './collect/collect-snapshot.js';
import { watchOomEvents } from './collect/docker-events.js';
import { startPoller } from './collect/poller.js';
import type { Snapshot } from './model/snapshot.js';
import { resolveRules } from './config/alerts-schema.js';
import type { Config } from './config/schema.js';
import { diagnose } from './diagnose/diagnose.js';
import { digestNow, startDigest } from './digest/start-digest.js';
import { loadDiagnosisHistory } from './diagnose/load-history.js';
import { diagnoseOptions } from './diagnose/options.js';
import type { Finding } from './model/finding.js';
import { formatBytes } from './format/units.js';
import { loadRunbooks } from './remediate/load-runbooks.js';
import { createGroupCache } from './remediate/group-cache.js';
import type { Runbook } from './remediate/runbook-schema.js';
import { createRemediation } from './remediate/remediation.js';
import type { Logger } from './log/logger.js';
import { defaultStaleAfterMs, evaluateHealth } from './ops/health.js';
import { createStoreWriteMonitor } from './ops/store-writes.js';
import { createBotMetrics } from './ops/metrics.js';
import { startOpsServer } from './ops/ops-server.js';
import { createAlertNotifier } from './alerts/alert-notifier.js';
import type { BotServices } from './slack/bot-services.js';
import { createConsoleSink } from './console/console-sink.js';
import { contentOf, contentText } from './delivery/outbox-content.js';
import { createOutboxDispatcher, enqueueOp, type OutboxDispatcher } from './delivery/outbox-dispatcher.js';
import { createSilenceNotes } from './alerts/silence-notes.js';
import { startSlack } from './slack/start-slack.js';
import { createStoreAlert } from './alerts/store-alert.js';
import { createUsergroupLookup } from './slack/usergroup-lookup.js';
import { storeHistoryReader } from './store/alert-state.js';
import { type DataDirLock, DataDirLockedError, lockDataDir } from './store/data-dir-lock.js';
import { closeDatabase, openDatabase } from './store/database.js';
import { createSpillingOutbox } from './store/outbox-spill.js';
import { pruneRecords, type RecordLimits } from './store/prune-records.js';
import { enforceRetention, type RetentionOptions } from './store/retention.js';
import { recordSnapshot } from './store/samples.js';
import { StoreError, storeErrorReason } from './store/store-error.js';

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
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** The channel console mode "posts" to when none is configured. */
const CONSOLE_CHANNEL = 'console';

/** What each table keeps (history.*), with the floors the features reading them need. */
export function retentionLimits(config: Config, runbooks: readonly Pick<Runbook, 'cooldownMs'>[]): { samples: RetentionOptions; records: RecordLimits } {
  const { history } = config;
  return {
    samples: { rawMs: history.raw, rollupMs: history.rollups, rollupIntervalMs: history.rollupInterval },
    records: {
      alertsMs: history.alerts,
      outboxMs: history.outbox,
      // A marker pruned inside the catch-up window would let a restart send that day again.
      digestMarkersMs: Math.max(history.outbox, config.digest.catchUpWithin + DAY_MS),
      // The cooldown and hourly limit read past executions: keep them for the longest cooldown.
      remediationsMs: Math.max(history.remediations, HOUR_MS, ...runbooks.map((rb) => rb.cooldownMs)),
    },
  };
}

export function databasePath(config: Config): string {
  return join(resolve(config.dataDir), 'memwarden.db');
}

export async function runBot(deps: BotDeps): Promise<number> {
  const consoleMode = !deps.config.slack.botToken;
  // Console mode prints every alert, so it needs a channel even when none is configured.
  const config: Config =
    consoleMode && !deps.config.slack.channels.default
      ? { ...deps.config, slack: { ...deps.config.slack, channels: { ...deps.config.slack.channels, default: CONSOLE_CHANNEL } } }
      : deps.config;
  // Runbooks first: an invalid one stops start (exit 2, like a bad config) before anything opens.
  const { runbooks } = loadRunbooks(config.remediation.runbooksDir);
  // Then the data directory, before the database: a second memwarden must not recover() (mark
  // interrupted) what the first one is running, nor send its outbox.
  let lock: DataDirLock;
  try {
    lock = lockDataDir(resolve(config.dataDir), { pid: process.pid, hostname: hostname(), startedAt: new Date().toISOString() });
  } catch (err) {
    if (!(err instanceof DataDirLockedError)) throw err;
    deps.io.err(`memwarden: ${err.message} (${err.code})`);
    return EXIT.usage;
  }
  try {
    return await runOwned(deps, config, runbooks);
  } finally {
    lock.release();
  }
}

/** The bot itself, once this process owns the data directory. */
async function runOwned(deps: BotDeps, config: Config, runbooks: Runbook[]): Promise<number> {
  const { logger } = deps;
  const consoleMode = !config.slack.botToken;
  const dbFile = databasePath(config);
  const db = openDatabase(dbFile);
  logger.info(
    { version: deps.version, configFile: deps.configFile, dbFile, intervalMs: config.poll.interval, mode: consoleMode ? 'console' : 'slack' },
    'memwarden starting',
  );
  if (consoleMode) deps.io.out('memwarden: console mode (no SLACK_BOT_TOKEN): what would be posted to Slack is printed here.');

  const takeSnapshot = () => takeConfiguredSnapshot(deps.docker, config);
  // Assigned once Slack (or the console) is up; the closures below run only after that.
  // eslint-disable-next-line prefer-const
  let dispatcher: OutboxDispatcher | undefined;
  // A database that refuses writes (a full disk, a read-only file) must not stop alerting: the
  // outbox spills into memory, the alert engine keeps its state in memory, /healthz and a
  // critical alert say so, and everything is written once the database takes writes again.
  const storeWrites = createStoreWriteMonitor((state, previousState, at) => {
    if (!state.writable) logger.error({ reason: state.reason, dbFile }, 'memwarden cannot write its database; alerting goes on, what it queues is held in memory');
    else logger.info({ dbFile, forMs: previousState.writable ? 0 : at - previousState.since }, 'memwarden can write its database again');
    storeAlert.changed(state, previousState, at);
  });
  const storeRefused = (err: StoreError) => storeWrites.refused(storeErrorReason(err), Date.now());
  const outbox = createSpillingOutbox(db, { onRefused: storeRefused });
  const storeAlert = createStoreAlert({ outbox, config, file: dbFile, onEnqueued: () => dispatcher?.wake(), logger: logger.child({ component: 'alerts' }) });
  const engine = createAlertEngine({ db, rules: resolveRules(config.alerts), clock: Date.now, onSaveRefused: storeRefused });
  const history = storeHistoryReader(db);
  const options = diagnoseOptions(config);
  const findingsOf = (snapshot: Snapshot): Finding[] => diagnose(snapshot, loadDiagnosisHistory(db, snapshot, options.leak?.windowMs ?? null), options);
  let previous: Snapshot | null = null;
  const digestSources = { findings: () => (previous ? findingsOf(previous) : null), hostname: () => previous?.hostname ?? null };

  const { botToken, apiUrl } = config.slack;
  const groupsOf = botToken ? createUsergroupLookup({ token: botToken, ...(apiUrl ? { slackApiUrl: apiUrl } : {}) }) : async () => [];
  const remediation = createRemediation({
    db,
    docker: deps.docker,
    config,
    runbooks,
    clock: Date.now,
    logger: logger.child({ component: 'remediation' }),
    cgroupRoot: config.paths.cgroup,
    procRoot: config.paths.proc,
    groupsOf,
    enqueue: (op) => {
      outbox.write((target) => enqueueOp(target, op, Date.now()));
      dispatcher?.wake();
    },
    takeSnapshot,
  });
  // Before any click is handled: a request left executing by a crash is never run twice.
  remediation.recover();

  const services: BotServices = {
    config,
    clock: Date.now,
    latestSnapshot: () => previous,
    takeSnapshot,
    history,
    alerts: engine,
    // The silence policy's groups, cached like the approvers' (one usergroups.list per user and 5 minutes).
    groupsOf: createGroupCache(groupsOf, { clock: Date.now }).groupsOf,
    silenceNotes: createSilenceNotes({ db, config, alerts: engine, clock: Date.now, logger: logger.child({ component: 'alerts' }), onEnqueued: () => dispatcher?.wake() }),
    diagnose: findingsOf,
    digest: () => digestNow(db, config, digestSources, Date.now()),
    remediation,
  };
  const slack = await startSlack({ services, logger: logger.child({ component: 'slack' }), out: deps.io.out });
  for (const problem of slack.problems) {
    deps.io.err(`memwarden: Slack ${problem.severity}: ${problem.message}`);
  }
  if (slack.problems.some((p) => p.severity === 'fatal')) {
    closeDatabase(db);
    return EXIT.usage;
  }

  dispatcher = createOutboxDispatcher({ db, outbox, sink: slack.sink ?? createConsoleSink(deps.io.out, { chartDir: config.dataDir }), clock: Date.now, logger: logger.child({ component: 'outbox' }) });
  let roundFindings: Finding[] = [];
  const notifier = createAlertNotifier({
    db,
    config,
    findingsFor: (target: AlertTarget) => roundFindings.filter((f) => f.target.name === target.name || f.target.name === target.containerName),
    logger: logger.child({ component: 'alerts' }),
    onEnqueued: () => dispatcher?.wake(),
    recommendationIds: (vm) => remediation.recommendationIdsFor(vm),
    outbox,
  });
  dispatcher.start();
  const digest = startDigest({
    db,
    config,
    logger,
    clock: Date.now,
    onEnqueued: () => dispatcher?.wake(),
    ...digestSources,
  });
  const oomWatcher = watchOomEvents({ docker: deps.docker, logger: logger.child({ source: 'docker-events' }) });

  let lastRetention = 0;
  const limits = retentionLimits(config, runbooks);
  /** A write the database may refuse: refused, it is reported (not thrown) and the poll goes on. */
  const written = (write: () => void): boolean => {
    try {
      write();
      return true;
    } catch (err) {
      if (!(err instanceof StoreError)) throw err;
      storeRefused(err);
      return false;
    }
  };
  const onSnapshot = (collected: Snapshot, log: Logger) => {
    const snapshot: Snapshot = { ...collected, oomEvents: oomWatcher.drain() };
    const refusalsBefore = storeWrites.refusals();
    // Before the alerts, but not in their way: a refused write leaves a gap in the history only.
    written(() => recordSnapshot(db, snapshot, config.poll.topGroups));
    const now = Date.parse(snapshot.takenAt);
    void remediation.tick(now);
    const retain = () => {
      enforceRetention(db, now, limits.samples);
      pruneRecords(db, now, limits.records);
    };
    if (now - lastRetention >= RETENTION_EVERY_MS && written(retain)) lastRetention = now;
    const transitions: AlertTransition[] = engine.evaluate(snapshot, previous, history);
    if (previous === null) {
      log.info(
        { usedBytes: snapshot.host.usedBytes, containers: snapshot.containers.length, groups: snapshot.processGroups.length, durationMs: snapshot.durationMs, botRss: formatBytes(snapshot.bot.rssBytes) },
        'First snapshot taken',
      );
    }
    previous = snapshot;
    for (const error of snapshot.errors) log.warn({ source: error.source, error: error.message }, 'A memory source failed');
    if (!snapshot.docker.reachable) log.warn({ reason: snapshot.docker.error }, 'Docker unreachable');
    if (transitions.length > 0) {
      for (const t of transitions) {
        log.info({ event: t.event, rule: t.ruleId, target: t.target.name, severity: t.severity, silenced: t.silenced }, 'Alert transition');
      }
      // Diagnosis only when something changed: it reads the history, which polls need not pay for.
      roundFindings = findingsOf(snapshot);
      notifier.notify(transitions);
    }
    if (storeWrites.refusals() === refusalsBefore) storeWrites.pollWritten(now);
  };

  const metrics = createBotMetrics({
    db,
    clock: Date.now,
    topGroups: config.poll.topGroups,
    storeWrites: { writable: () => storeWrites.state().writable, heldInMemory: () => outbox.heldCount() },
  });
  const poller = startPoller({
    intervalMs: config.poll.interval,
    logger,
    collect: takeSnapshot,
    onSnapshot: (snapshot, log) => {
      onSnapshot(snapshot, log);
      metrics.observeSnapshot(snapshot);
    },
    onFailure: () => metrics.observePollFailure(),
  });

  const startedAt = Date.now();
  const staleAfterMs = config.ops.pollStaleAfter ?? defaultStaleAfterMs(config.poll.interval, config.poll.sourceTimeout);
  let stopping = false;
  const health = () =>
    evaluateHealth({
      now: Date.now(),
      startedAt,
      lastPollAt: poller.lastSuccessAt()?.getTime() ?? null,
      staleAfterMs,
      docker: previous ? previous.docker : null,
      slack: slack.link(),
      store: storeWrites.state(),
      stopping,
    });
  let ops: Awaited<ReturnType<typeof startOpsServer>> | null = null;
  try {
    ops = config.ops.port === 0 ? null : await startOpsServer({ host: config.ops.host, port: config.ops.port, health, metrics, logger: logger.child({ component: 'ops' }) });
  } catch (err) {
    // A taken port must not take alerting down with it: say so loudly and run without it.
    logger.error({ err, port: config.ops.port }, 'Cannot serve /metrics and /healthz (set ops.port or MEMWARDEN_OPS_PORT); running without them');
  }

  const signal = await (deps.stopSignal ?? waitForSignal());
  // Everything below shares one grace period, so memwarden exits before Docker's SIGKILL.
  const graceEnd = Date.now() + config.ops.shutdownGrace;
  const left = (reserveMs: number) => Math.max(0, graceEnd - reserveMs - Date.now());
  stopping = true;
  logger.info({ signal, graceMs: config.ops.shutdownGrace }, 'Stopping');
  // The poll in flight finishes and is recorded; none starts after it.
  if ((await within(poller.stop(), left(3_000))) === 'timeout') logger.warn('Stopped without waiting longer for the poll in flight');
  oomWatcher.stop();
  await within(slack.stop(), left(2_500));
  await digest?.stop();
  // A running remediation finishes (bounded by its runbook's timeout and the grace)...
  await remediation.stop(left(2_000));
  // ...then what it and the alerts queued is sent while time is left; the rest stays in the
  // outbox (SQLite) and goes out after the next start.
  let sent = 0;
  try {
    sent = (await dispatcher.flush(Date.now() + left(1_500))).sent;
  } catch (err) {
    logger.error({ err }, 'Sending the outbox at shutdown failed; what is queued in the database goes out after the next start');
  }
  // Held in memory because the database refused them, and not sent: nothing can keep these.
  const lost = outbox.unsent();
  if (lost.length > 0) {
    logger.error({ unsent: lost.length, messages: lost.slice(0, 20).map((op) => ({ channel: op.channel, op: op.op, text: messageText(op.payload) })) }, 'Slack messages held in memory could not be written to the database and were not sent; they are lost');
  }
  await ops?.close();
  const notCheckpointed = closeDatabase(db);
  if (notCheckpointed) logger.warn({ err: notCheckpointed }, 'Database closed without its checkpoint; the next start replays its WAL, nothing is lost');
  logger.info({ sent, waitedMs: Date.now() - (graceEnd - config.ops.shutdownGrace) }, 'Stopped');
  return EXIT.ok;
}

/** The fallback text of an outbox payload, shortened for a log line. */
function messageText(payload: unknown): string {
  const content = contentOf(payload);
  return content === null ? '' : contentText(content).slice(0, 200);
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
