// Snapshot and alert state -> the rows the /mem renderers show. Pure; the OK / HIGH / CRITICAL
// levels come from diagnose/levels.ts, so Slack, the terminal and the alerts agree.
import type { AlertState, Silence } from '../../model/alert.js';
import { describeValue } from '../../alerts/summary.js';
import type { Snapshot } from '../../model/snapshot.js';
import { containerLevel, hostLevel, type StatusThresholds } from '../../diagnose/levels.js';
import { percentOf } from '../../format/units.js';
import type { AlertRow, ContainerRow, GroupRow, HostView, SilenceRow } from '../render/command-rows.js';

export function hostView(snapshot: Snapshot, thresholds: StatusThresholds): HostView {
  const { host } = snapshot;
  return {
    hostname: snapshot.hostname,
    totalBytes: host.totalBytes,
    usedBytes: host.usedBytes,
    availableBytes: host.availableBytes,
    usedPercent: percentOf(host.usedBytes, host.totalBytes),
    level: hostLevel(host, thresholds),
    swapTotalBytes: host.swapTotalBytes,
    swapUsedBytes: host.swapUsedBytes,
    pressureSomeAvg60: host.pressure?.some.avg60 ?? null,
    oomKillCount: host.oomKillCount,
  };
}

/** Every container, largest first (ties by name, so the order is stable). */
export function containerRows(snapshot: Snapshot, thresholds: StatusThresholds): ContainerRow[] {
  const total = snapshot.host.totalBytes;
  return [...snapshot.containers]
    .sort((a, b) => b.memoryUsageBytes - a.memoryUsageBytes || a.name.localeCompare(b.name))
    .map((container) => ({
      name: container.name,
      usageBytes: container.memoryUsageBytes,
      limitBytes: container.memoryLimitBytes,
      percentOfLimit: container.memoryLimitBytes === null ? null : percentOf(container.memoryUsageBytes, container.memoryLimitBytes),
      percentOfHost: percentOf(container.memoryUsageBytes, total),
      level: containerLevel(container, total, thresholds),
    }));
}

/** The `limit` largest process groups by PSS. */
export function groupRows(snapshot: Snapshot, limit: number): GroupRow[] {
  return [...snapshot.processGroups]
    .sort((a, b) => b.pssBytes - a.pssBytes || a.name.localeCompare(b.name))
    .slice(0, limit)
    .map((group) => ({
      name: group.name,
      containerName: group.containerName,
      pssBytes: group.pssBytes,
      rssBytes: group.rssBytes,
      processes: group.pids.length,
      exact: group.exact,
    }));
}

/** Firing before pending, critical before warning, oldest first. */
export function alertRows(alerts: readonly AlertState[]): AlertRow[] {
  const rank = (alert: AlertState) => (alert.status === 'firing' ? 0 : 2) + (alert.severity === 'critical' ? 0 : 1);
  return [...alerts]
    .sort((a, b) => rank(a) - rank(b) || a.startedAt - b.startedAt || a.fingerprint.localeCompare(b.fingerprint))
    .map((alert) => ({
      fingerprint: alert.fingerprint,
      ruleId: alert.ruleId,
      severity: alert.severity,
      status: alert.status === 'firing' ? 'firing' : 'pending',
      description: describeValue(alert),
      since: alert.startedAt,
    }));
}

export function silenceRow(silence: Silence): SilenceRow {
  return {
    id: silence.id,
    ruleId: silence.ruleId,
    target: silence.target,
    until: silence.until,
    createdBy: silence.createdBy,
    reason: silence.reason,
  };
}
