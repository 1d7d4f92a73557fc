// Prometheus metrics for the bot's /metrics endpoint. The HTTP server only calls render() and
// sends contentType; the poller reports each poll through observeSnapshot / observePollFailure.
//
// Every instance has its own Registry, never prom-client's global one: two instances (tests, or a
// restart inside one process) would otherwise collide on metric names, and nothing else in the
// process can slip metrics into our output.
//
// Metrics (all `memwarden_`; base units, bytes and seconds):
//   from the latest snapshot (metrics-snapshot.ts): memwarden_host_memory_{total,used,free,
//     available,buff_cache}_bytes, memwarden_host_swap_{total,used}_bytes,
//     memwarden_host_memory_pressure_ratio{kind,window}, memwarden_host_oom_kills_total,
//     memwarden_docker_up, memwarden_container_memory_{usage,limit}_bytes, memwarden_container_
//     {oom_kills,restarts}_total {container,compose_project,compose_service},
//     memwarden_process_group_{pss,rss,uss}_bytes{group,container} (the poll.topGroups largest);
//   polls (here): memwarden_poll_duration_seconds, memwarden_polls_total{result},
//     memwarden_last_successful_poll_timestamp_seconds; whether the database takes writes
//     (memwarden_store_writable) and the Slack ops held in memory meanwhile
//     (memwarden_outbox_held_in_memory_messages);
//   from the store at scrape time (metrics-store.ts): memwarden_alerts{state,severity},
//     memwarden_remediation_requests_total{runbook,status}, memwarden_remediation_requests_open
//     {runbook,status}, memwarden_outbox_pending_messages, memwarden_outbox_oldest_pending_age_seconds,
//     memwarden_metrics_store_errors_total;
//   and prom-client's default process/Node.js metrics (process_resident_memory_bytes,
//     nodejs_heap_size_used_bytes, ...): the bot watching memory should show its own.
import type Database from 'better-sqlite3';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Snapshot } from '../model/snapshot.js';
import { createSnapshotMetrics } from './metrics-snapshot.js';
import { registerStoreMetrics } from './metrics-store.js';

export interface BotMetrics {
  /** After every successful poll. */
  observeSnapshot(snapshot: Snapshot): void;
  /** A poll that threw. */
  observePollFailure(): void;
  readonly contentType: string;
  /** The exposition text; store-backed gauges (alerts, remediations, outbox) are read from the db at scrape time. */
  render(): Promise<string>;
}

/**
 * Poll duration buckets, seconds. A poll measured ~0.1 s median on a busy host (docs/benchmarks.md)
 * and each source has a timeout of a few seconds, so 10 ms-10 s covers a fast host, a slow
 * Docker API and a source running into its timeout, with the resolution densest around 0.1 s.
 */
export const POLL_DURATION_BUCKETS: readonly number[] = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10];

export interface BotMetricsDeps {
  db: Database.Database;
  clock: () => number;
  /** Process groups with series: the largest by PSS, as many as history keeps (poll.topGroups). */
  topGroups: number;
  /** Whether the database takes writes, and the outbox ops held in memory while it does not. */
  storeWrites?: { writable: () => boolean; heldInMemory: () => number };
}

export function createBotMetrics(deps: BotMetricsDeps): BotMetrics {
  const register = new Registry();
  collectDefaultMetrics({ register });

  const snapshotMetrics = createSnapshotMetrics(register, deps.topGroups);

  const pollDuration = new Histogram({
    name: 'memwarden_poll_duration_seconds',
    help: 'How long a successful poll (snapshot collection) took.',
    buckets: [...POLL_DURATION_BUCKETS],
    registers: [register],
  });
  const polls = new Counter({
    name: 'memwarden_polls_total',
    help: 'Polls by result: ok (a snapshot was taken) or failed (the poll threw).',
    labelNames: ['result'] as const,
    registers: [register],
  });
  // Both results from the start: rate() and increase() miss a first failure whose series appears
  // only with it.
  polls.inc({ result: 'ok' }, 0);
  polls.inc({ result: 'failed' }, 0);
  const lastSuccess = new Gauge({
    name: 'memwarden_last_successful_poll_timestamp_seconds',
    help: 'When the last successful poll was observed (Unix time); absent until the first one.',
    registers: [register],
  });
  // Before the first poll there is no such time: absent, rather than 0 (1970) that would read as
  // "stale for 55 years".
  lastSuccess.remove();

  const { storeWrites } = deps;
  if (storeWrites) {
    new Gauge({
      name: 'memwarden_store_writable',
      help: 'Whether the database takes writes (1) or refused the last ones (0: full disk, read-only file; alerts are held in memory).',
      registers: [register],
      collect() {
        this.set(storeWrites.writable() ? 1 : 0);
      },
    });
    new Gauge({
      name: 'memwarden_outbox_held_in_memory_messages',
      help: 'Slack outbox ops held in memory because the database refused them (sent or not); lost if memwarden stops before they are written.',
      registers: [register],
      collect() {
        this.set(storeWrites.heldInMemory());
      },
    });
  }

  // Last, so the store-read error counter sees this scrape's failures (see metrics-store.ts).
  registerStoreMetrics(register, deps);

  return {
    observeSnapshot(snapshot) {
      snapshotMetrics.update(snapshot);
      const seconds = snapshot.durationMs / 1000;
      if (Number.isFinite(seconds) && seconds >= 0) pollDuration.observe(seconds);
      polls.inc({ result: 'ok' });
      // The injected clock (when the result arrived), not takenAt (when collection began): staleness
      // alerts compare this with time(), and a slow poll is not an old one.
      lastSuccess.set(deps.clock() / 1000);
    },
    observePollFailure() {
      polls.inc({ result: 'failed' });
    },
    contentType: register.contentType,
    render: () => register.metrics(),
  };
}
