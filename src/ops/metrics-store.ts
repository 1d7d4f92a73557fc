// The metrics read from SQLite at scrape time (each metric's collect() callback, which prom-client
// calls while rendering): the store is the truth for alerts, remediations and the outbox, and
// reading it per scrape means no other code path has to remember to tell the metrics.
//
// A store read that fails (locked past the busy timeout, or the database already closed during
// shutdown) must not fail the whole scrape: the bot's own memory and the poll metrics are most
// wanted exactly then. The failing metric's series are left out for that scrape (unknown, not 0)
// and memwarden_metrics_store_errors_total counts the failure.
import type Database from 'better-sqlite3';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { AlertState } from '../model/alert.js';
import type { RequestStatus } from '../model/remediation.js';
import { loadAlertStates } from '../store/alert-state.js';
import { countRemediationRequests, oldestOpenOutboxCreatedAt } from '../store/ops-counts.js';
import { countPendingOutbox } from '../store/outbox.js';

export interface StoreMetricsDeps {
  db: Database.Database;
  /** Epoch milliseconds. */
  clock: () => number;
}

// As the alert_state CHECK constraints allow. Every combination is exported, 0 when none, so
// `memwarden_alerts{state="firing"} > 0` has a series to compare before the first alert.
const ALERT_STATES = ['pending', 'firing', 'resolved'] as const satisfies readonly AlertState['status'][];
const SEVERITIES = ['warning', 'critical'] as const satisfies readonly AlertState['severity'][];

// A request ends in one of these and never leaves it (and requests are never deleted), so the
// number that ended so is monotonic: a counter. The other statuses are transient: a gauge.
const FINAL_STATUSES = ['succeeded', 'failed', 'rejected', 'expired', 'not-executed'] as const satisfies readonly RequestStatus[];
const isFinal = (status: RequestStatus): boolean => (FINAL_STATUSES as readonly RequestStatus[]).includes(status);

export function registerStoreMetrics(register: Registry, deps: StoreMetricsDeps): void {
  const { db, clock } = deps;
  /**
   * Runs one metric's read from a clean slate (so rows gone from the store are gone from the
   * output); on failure leaves the metric empty, removing the 0 that reset() gives a metric
   * without labels.
   */
  const read = (metric: Gauge<string> | Counter<string>, fill: () => void, labelless = false): void => {
    metric.reset();
    try {
      fill();
    } catch {
      metric.reset();
      if (labelless) metric.remove();
      errors.inc();
    }
  };

  new Gauge({
    name: 'memwarden_alerts',
    help: 'Stored alerts by state (pending, firing, resolved in the last round) and severity.',
    labelNames: ['state', 'severity'] as const,
    registers: [register],
    collect() {
      read(this, () => {
        const counts = new Map<string, { state: string; severity: string; n: number }>();
        for (const state of ALERT_STATES) for (const severity of SEVERITIES) counts.set(`${state}\0${severity}`, { state, severity, n: 0 });
        for (const alert of loadAlertStates(db)) {
          // A state the store gains later is still counted, not dropped.
          const key = `${alert.status}\0${alert.severity}`;
          const entry = counts.get(key) ?? { state: alert.status, severity: alert.severity, n: 0 };
          entry.n += 1;
          counts.set(key, entry);
        }
        for (const { state, severity, n } of counts.values()) this.set({ state, severity }, n);
      });
    },
  });

  new Counter({
    name: 'memwarden_remediation_requests_total',
    help: 'Remediation requests that ended, by runbook and final status (succeeded, failed, rejected, expired, not-executed).',
    labelNames: ['runbook', 'status'] as const,
    registers: [register],
    collect() {
      read(this, () => {
        const requestCounts = countRemediationRequests(db);
        // Every final status of a runbook that has requests, 0 when none: increase() only sees a
        // first failure if the series existed before it.
        const runbooks = new Set(requestCounts.map((row) => row.runbookId));
        for (const runbook of runbooks) for (const status of FINAL_STATUSES) this.inc({ runbook, status }, 0);
        for (const row of requestCounts) if (isFinal(row.status)) this.inc({ runbook: row.runbookId, status: row.status }, row.count);
      });
    },
  });
  new Gauge({
    name: 'memwarden_remediation_requests_open',
    help: 'Remediation requests not finished yet, by runbook and status (pending approval, approved, executing).',
    labelNames: ['runbook', 'status'] as const,
    registers: [register],
    collect() {
      read(this, () => {
        for (const row of countRemediationRequests(db)) if (!isFinal(row.status)) this.set({ runbook: row.runbookId, status: row.status }, row.count);
      });
    },
  });

  new Gauge({
    name: 'memwarden_outbox_pending_messages',
    help: 'Slack outbox ops not yet sent or given up on (pending or being sent).',
    registers: [register],
    collect() {
      read(this, () => this.set(countPendingOutbox(db)), true);
    },
  });
  new Gauge({
    name: 'memwarden_outbox_oldest_pending_age_seconds',
    help: 'Age of the oldest Slack outbox op not yet sent or given up on; 0 when the outbox is empty.',
    registers: [register],
    collect() {
      read(this, () => {
        const oldest = oldestOpenOutboxCreatedAt(db);
        // Nothing waiting is a known state, and 0 keeps `> threshold` alerts quiet without absent().
        // A clock that stepped back must not make the age negative.
        this.set(oldest === null ? 0 : Math.max(0, (clock() - oldest) / 1000));
      }, true);
    },
  });

  // Registered after the metrics above: prom-client runs the collect() callbacks in registration
  // order, so a failure is counted in the very scrape that left its metric out.
  const errors = new Counter({
    name: 'memwarden_metrics_store_errors_total',
    help: 'Scrape-time reads of the SQLite store that failed; the metrics they feed were left out of that scrape.',
    registers: [register],
  });
}
