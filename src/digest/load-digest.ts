// Reads the two days a digest compares from the store into plain data (DigestData): history,
// counters, alert transitions, finished remediation runs and the current recommendations.
import type { Finding } from '../model/finding.js';
import type { LeakTerms } from '../signals/leak.js';
import { loadAlertStates, listAlertTransitions } from '../store/alert-state.js';
import type { Database } from '../store/database.js';
import { containerCounters, hostOomCounter, latestHostSize } from '../store/digest.js';
import type { ContainerCounters } from '../model/history.js';
import { containerNames, queryHistory } from '../store/history.js';
import { listAudit } from '../store/remediation.js';
import type { AuditEntry } from '../model/remediation.js';
import { localDay } from './schedule-rule.js';
import { DAY_MS, type DigestData, type DigestRecommendationInput, type DigestRun } from './digest-data.js';

/** Alert transitions are read this far back, so an alert firing since before the window is seen opening. */
const ALERT_LOOKBACK_MS = 30 * DAY_MS;

export interface LoadDigestOptions {
  now: number;
  tz: string;
  hostname?: string | null;
  /** The current diagnosis; null or omitted when there is none. */
  findings?: readonly Finding[] | null;
  leak?: LeakTerms | null;
}

/** Reads the two days from the store. */
export function loadDigestData(db: Database, options: LoadDigestOptions): DigestData {
  const { now, tz } = options;
  const from = now - 2 * DAY_MS;
  const host = { kind: 'host' } as const;
  const size = latestHostSize(db, from, now);
  const containers = containerNames(db, from).map((name) => {
    const target = { kind: 'container' as const, name };
    return { name, usage: queryHistory(db, target, from, now, 'usage'), limit: queryHistory(db, target, from, now, 'limit'), counters: [] as ContainerCounters['instances'] };
  });
  for (const counters of containerCounters(db, from, now)) {
    const entry = containers.find((c) => c.name === counters.name);
    if (entry) entry.counters = counters.instances;
  }
  const transitions = listAlertTransitions(db, { sinceMs: now - ALERT_LOOKBACK_MS, limit: 10_000 }).reverse();
  const firing = loadAlertStates(db)
    .filter((state) => state.status === 'firing' && state.firingSince !== null)
    .map((state) => ({ fingerprint: state.fingerprint, ruleId: state.ruleId, target: state.target.name, severity: state.severity, firingSince: state.firingSince as number }));
  return {
    day: localDay(now, tz),
    tz,
    now,
    hostname: options.hostname ?? null,
    host: {
      totalBytes: size?.totalBytes ?? null,
      swapTotalBytes: size?.swapTotalBytes ?? null,
      used: queryHistory(db, host, from, now, 'used'),
      available: queryHistory(db, host, from, now, 'available'),
      swapUsed: queryHistory(db, host, from, now, 'swapUsed'),
      psiSome: queryHistory(db, host, from, now, 'psiSome'),
      psiFull: queryHistory(db, host, from, now, 'psiFull'),
      oomKills: hostOomCounter(db, from, now),
    },
    containers,
    alerts: { transitions, firing },
    runs: loadRuns(db, from, now),
    recommendations: options.findings == null ? null : recommendationsOf(options.findings),
    leak: options.leak ?? null,
  };
}

/** Finished remediation runs from the audit log, each with who asked and who approved. */
function loadRuns(db: Database, fromMs: number, toMs: number): DigestRun[] {
  const finished = listAudit(db, { limit: 10_000 }).filter(
    (e) => (e.action === 'succeeded' || e.action === 'failed') && e.requestId !== null && e.at > fromMs && e.at <= toMs,
  );
  return finished
    .map((entry) => {
      const history = listAudit(db, { requestId: entry.requestId as string, limit: 1000 });
      return runOf(entry, history);
    })
    .sort((a, b) => a.at - b.at || a.requestId.localeCompare(b.requestId));
}

function runOf(entry: AuditEntry, history: readonly AuditEntry[]): DigestRun {
  const requested = history.find((e) => e.action === 'requested');
  const approvers = history.filter((e) => e.action === 'approved').map((e) => e.actor);
  return {
    requestId: entry.requestId as string,
    at: entry.at,
    runbookId: entry.runbookId,
    target: entry.target,
    outcome: entry.action as DigestRun['outcome'],
    requestedBy: requested?.actor ?? null,
    approvedBy: [...new Set(approvers)].sort(),
    // The request's own audit row says so (store/remediation.ts createRequest writes "dry run; ...").
    dryRun: history.some((e) => (e.action === 'requested' || e.action === 'executing') && (e.detail ?? '').startsWith('dry run')),
    beforeBytes: entry.beforeBytes,
    afterBytes: entry.afterBytes,
    detail: entry.detail,
  };
}

/** Every recommendation of the diagnosis, flattened. */
export function recommendationsOf(findings: readonly Finding[]): DigestRecommendationInput[] {
  return findings.flatMap((finding) =>
    finding.recommendations.map((rec) => ({
      findingCode: finding.code,
      severity: finding.severity,
      target: finding.target.name,
      title: rec.title,
      priority: rec.priority,
      estimatedSavingsBytes: rec.estimatedSavingsBytes,
      runbook: rec.runbook,
    })),
  );
}
