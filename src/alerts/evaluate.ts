// evaluateRules: every enabled rule against one snapshot (and the previous one, and history),
// one observation per (rule, target). Pure: no clock, no I/O beyond the HistoryReader given.
import type { ContainerMemory, ProcessGroup, ProcessMemory, Snapshot } from '../model/snapshot.js';
import type { AlertRule, Thresholds } from '../model/alert-rule.js';
import { settingsFor } from '../config/alerts-schema.js';
import { fitHolds, fitLeak, leakCeiling, type LeakCeiling, timeToCeiling } from '../signals/leak.js';
import { formatBytes, percentOf } from '../format/units.js';
import { alertFingerprint, isIgnored } from './targets.js';
import type { AlertTarget, Evidence, HistoryReader, Observation } from '../model/alert.js';
import type { Severity } from '../model/alert-rule.js';

/** Whether the value reaches `level` in the rule's direction (>= for 'above', <= for 'below'). */
export function reaches(value: number, level: number | null, t: Thresholds): boolean {
  if (level === null) return false;
  return t.direction === 'above' ? value >= level : value <= level;
}

/** Whether the value is past a clear level (strictly below it for 'above', above it for 'below'). */
export function pastClear(value: number, clear: number, t: Thresholds): boolean {
  return t.direction === 'above' ? value < clear : value > clear;
}

/** The level the value reaches by the entry thresholds alone. */
export function levelOf(value: number, t: Thresholds): Severity | null {
  if (reaches(value, t.critical, t)) return 'critical';
  if (reaches(value, t.warning, t)) return 'warning';
  return null;
}

export function thresholdOf(severity: Severity | null, t: Thresholds): number {
  if (severity === 'critical' && t.critical !== null) return t.critical;
  return t.warning ?? (t.critical as number);
}

/** Names a target's overrides may match: its own, and for a group the container it runs in. */
export function overrideNames(target: AlertTarget): (string | null)[] {
  return target.kind === 'group' ? [target.name, target.containerName] : [target.name];
}

interface Context {
  snapshot: Snapshot;
  previous: Snapshot | null;
  history: HistoryReader;
  now: number;
  host: AlertTarget;
  containerLabels: Map<string, Record<string, string>>;
}

/**
 * One observation per (enabled rule, target not ignored). When two targets share a fingerprint
 * (two groups of one name in one container) the one further past the threshold is kept.
 */
export function evaluateRules(
  rules: readonly AlertRule[],
  snapshot: Snapshot,
  previous: Snapshot | null,
  history: HistoryReader,
  now: number,
): Observation[] {
  const ctx: Context = {
    snapshot,
    previous,
    history,
    now,
    host: { kind: 'host', name: snapshot.hostname, containerId: null, containerName: null, labels: {} },
    containerLabels: new Map(snapshot.containers.map((c) => [c.id, c.labels])),
  };
  const out = new Map<string, Observation>();
  for (const rule of rules) {
    if (!rule.enabled) continue;
    for (const observation of observe(rule, ctx)) {
      if (isIgnored(rule.ignore, observation.target)) continue;
      const seen = out.get(observation.fingerprint);
      const t = observation.settings.thresholds;
      if (!seen || (observation.value !== seen.value && reaches(observation.value, seen.value, t))) out.set(observation.fingerprint, observation);
    }
  }
  return [...out.values()];
}

/**
 * Whether a rule could have observed `target` in this snapshot. An alert whose target was not
 * observable (Docker unreachable, the process scan failed, no PSI) is held as it is rather than
 * resolved as "gone".
 */
export function isObservable(rule: AlertRule, target: AlertTarget, snapshot: Snapshot): boolean {
  switch (target.kind) {
    case 'host':
      if (rule.kind === 'psi-some-avg60' || rule.kind === 'psi-full-avg60') return snapshot.host.pressure !== null;
      return true;
    case 'container':
      return snapshot.docker.reachable;
    case 'group':
      return !snapshot.errors.some((e) => e.source === 'processes') && (target.containerName === null || snapshot.docker.reachable);
  }
}

function containerTarget(c: ContainerMemory): AlertTarget {
  return { kind: 'container', name: c.name, containerId: c.id, containerName: c.name, labels: c.labels };
}

function groupTarget(g: ProcessGroup, ctx: Context): AlertTarget {
  const labels = g.containerId === null ? {} : (ctx.containerLabels.get(g.containerId) ?? {});
  return { kind: 'group', name: g.name, containerId: g.containerId, containerName: g.containerName, labels };
}

/** The observation of `value` for `rule` on `target`: the target's settings, the level reached (none when not eligible). */
export function observation(rule: AlertRule, target: AlertTarget, value: number, evidence: Evidence, eligible = true): Observation {
  const settings = settingsFor(rule, overrideNames(target));
  const level = eligible ? levelOf(value, settings.thresholds) : null;
  return {
    fingerprint: alertFingerprint(rule.id, target),
    ruleId: rule.id,
    kind: rule.kind,
    target,
    value,
    unit: rule.unit,
    settings,
    level,
    threshold: thresholdOf(level, settings.thresholds),
    eligible,
    evidence,
  };
}

function observe(rule: AlertRule, ctx: Context): Observation[] {
  const { snapshot } = ctx;
  const host = snapshot.host;
  switch (rule.kind) {
    case 'host-used-percent':
      if (!(host.totalBytes > 0)) return [];
      return [
        observation(rule, ctx.host, percentOf(host.usedBytes, host.totalBytes), {
          usedBytes: host.usedBytes,
          totalBytes: host.totalBytes,
          availableBytes: host.availableBytes,
          swapUsedBytes: host.swapUsedBytes,
        }),
      ];
    case 'host-available-below':
      return [observation(rule, ctx.host, host.availableBytes, { availableBytes: host.availableBytes, totalBytes: host.totalBytes })];
    case 'psi-some-avg60':
    case 'psi-full-avg60': {
      if (host.pressure === null) return [];
      const figures = rule.kind === 'psi-some-avg60' ? host.pressure.some : host.pressure.full;
      return [observation(rule, ctx.host, figures.avg60, { avg10: figures.avg10, avg60: figures.avg60, avg300: figures.avg300 })];
    }
    case 'container-limit-percent':
      return snapshot.containers
        .filter((c) => c.memoryLimitBytes !== null && c.memoryLimitBytes > 0)
        .map((c) =>
          observation(rule, containerTarget(c), percentOf(c.memoryUsageBytes, c.memoryLimitBytes as number), {
            usageBytes: c.memoryUsageBytes,
            limitBytes: c.memoryLimitBytes,
          }),
        );
    case 'container-usage-bytes':
      return snapshot.containers.map((c) =>
        observation(rule, containerTarget(c), c.memoryUsageBytes, { usageBytes: c.memoryUsageBytes, limitBytes: c.memoryLimitBytes }),
      );
    case 'container-unlimited-host-percent':
      if (!(host.totalBytes > 0)) return [];
      return snapshot.containers
        .filter((c) => c.memoryLimitBytes === null)
        .map((c) =>
          observation(rule, containerTarget(c), percentOf(c.memoryUsageBytes, host.totalBytes), {
            usageBytes: c.memoryUsageBytes,
            hostTotalBytes: host.totalBytes,
          }),
        );
    case 'group-pss-bytes':
      return snapshot.processGroups.map((g) =>
        observation(rule, groupTarget(g, ctx), g.pssBytes, {
          pssBytes: g.pssBytes,
          rssBytes: g.rssBytes,
          members: g.pids.length,
          precision: g.exact ? 'pss' : 'rss for some members',
        }),
      );
    case 'oom-kill':
      return observeOomKills(rule, ctx);
    case 'memory-leak':
      return observeLeaks(rule, ctx);
  }
}

// ---------------------------------------------------------------------------------------------
// OOM kills: three signals, one observation per container (value = new kills this round).
//   1. docker `oom` events (snapshot.oomEvents), named by the event;
//   2. the container's cgroup oom_kill counter going up;
//   3. the kernel's /proc/vmstat oom_kill going up. The kernel does not say where: kills the
//      first two signals do not account for are attributed to the largest processes that
//      vanished since the previous snapshot (the OOM killer picks the process with the highest
//      oom_score, i.e. roughly the largest), marked "inferred"; with no such process, to the host.

/** Growth of a monotonic counter; a counter that went down was reset (new cgroup), so all of it is new. */
function counterDelta(previous: number | null | undefined, current: number | null): number {
  if (current === null || previous === null || previous === undefined) return 0;
  return current >= previous ? current - previous : current;
}

function sameContainer(eventId: string, containerId: string): boolean {
  if (eventId === containerId) return true;
  // Docker accepts any unique prefix of 12+ hex digits as an id.
  return eventId.length >= 12 && containerId.length >= 12 && (eventId.startsWith(containerId) || containerId.startsWith(eventId));
}

/** Processes of the previous snapshot that are gone now, largest first; [] when either scan failed. */
function vanishedProcesses(snapshot: Snapshot, previous: Snapshot | null): ProcessMemory[] {
  if (previous === null || snapshot.processes.length === 0) return [];
  const failed = (s: Snapshot) => s.errors.some((e) => e.source === 'processes');
  if (failed(snapshot) || failed(previous)) return [];
  const alive = new Set(snapshot.processes.map((p) => p.pid));
  return previous.processes.filter((p) => !alive.has(p.pid)).sort((a, b) => b.rssBytes - a.rssBytes || a.pid - b.pid);
}

/** The Celery worker (node name) a process belonged to, if any. */
function celeryWorkerOf(pid: number, snapshots: (Snapshot | null)[]): string | null {
  for (const snapshot of snapshots) {
    const group = snapshot?.processGroups.find((g) => g.kind === 'celery' && g.pids.includes(pid));
    if (group) return group.celery?.nodeName ?? group.name;
  }
  return null;
}

/** Celery workers of a container: those whose processes vanished, else every worker in it. */
function celeryWorkersIn(containerId: string | null, name: string, victims: readonly ProcessMemory[], ctx: Context): string[] {
  const snapshots = [ctx.previous, ctx.snapshot];
  const hit = victims.map((p) => celeryWorkerOf(p.pid, snapshots)).filter((w): w is string => w !== null);
  if (hit.length > 0) return [...new Set(hit)].sort();
  const names = new Set<string>();
  for (const snapshot of snapshots) {
    for (const g of snapshot?.processGroups ?? []) {
      if (g.kind !== 'celery') continue;
      if ((containerId !== null && g.containerId === containerId) || (g.containerName !== null && g.containerName === name)) {
        names.add(g.celery?.nodeName ?? g.name);
      }
    }
  }
  return [...names].sort();
}

interface OomFinding {
  target: AlertTarget;
  fromEvents: number;
  fromCounter: number;
  inferred: ProcessMemory[];
}

function observeOomKills(rule: AlertRule, ctx: Context): Observation[] {
  const { snapshot, previous } = ctx;
  const findings = new Map<string, OomFinding>();
  const findingFor = (target: AlertTarget): OomFinding => {
    const key = `${target.kind}:${target.name}`;
    let finding = findings.get(key);
    if (!finding) {
      finding = { target, fromEvents: 0, fromCounter: 0, inferred: [] };
      findings.set(key, finding);
    }
    return finding;
  };
  // Counters only compare with a snapshot that saw the containers; the first round has no baseline.
  const baseline = previous !== null && previous.docker.reachable ? new Map(previous.containers.map((c) => [c.id, c])) : null;
  const events = snapshot.oomEvents ?? [];
  const claimed = new Set<number>();
  for (const c of snapshot.containers) {
    let fromCounter = 0;
    if (baseline !== null) {
      const before = baseline.get(c.id);
      // A container started since the previous snapshot counts every kill of its (new) cgroup.
      fromCounter = before ? counterDelta(before.oomKillCount, c.oomKillCount) : (c.oomKillCount ?? 0);
    }
    let fromEvents = 0;
    events.forEach((e, index) => {
      if (claimed.has(index)) return;
      if (sameContainer(e.containerId, c.id) || (e.containerName !== null && e.containerName === c.name)) {
        claimed.add(index);
        fromEvents += 1;
      }
    });
    if (fromCounter + fromEvents === 0) continue;
    const finding = findingFor(containerTarget(c));
    finding.fromCounter += fromCounter;
    finding.fromEvents += fromEvents;
  }
  // Events for containers that are gone (an OOM-killed init process ends its container).
  events.forEach((e, index) => {
    if (claimed.has(index)) return;
    const name = e.containerName ?? e.containerId.slice(0, 12);
    findingFor({ kind: 'container', name, containerId: e.containerId, containerName: name, labels: {} }).fromEvents += 1;
  });

  const killsOf = (f: OomFinding) => Math.max(f.fromCounter, f.fromEvents) + f.inferred.length;
  const vanished = vanishedProcesses(snapshot, previous);
  const attributed = [...findings.values()].reduce((sum, f) => sum + killsOf(f), 0);
  const kernel = previous === null ? 0 : counterDelta(previous.host.oomKillCount, snapshot.host.oomKillCount);
  let unexplained = Math.max(0, kernel - attributed);
  let hostKills = 0;
  if (unexplained > 0) {
    const containers = new Map([...(previous?.containers ?? []), ...snapshot.containers].map((c) => [c.id, c]));
    for (const victim of vanished) {
      if (unexplained === 0) break;
      const container = victim.containerId === null ? undefined : containers.get(victim.containerId);
      if (container) findingFor(containerTarget(container)).inferred.push(victim);
      else hostKills += 1;
      unexplained -= 1;
    }
    hostKills += unexplained;
  }

  const out: Observation[] = [];
  for (const f of findings.values()) {
    const victims = f.inferred.length > 0 ? f.inferred : vanished.filter((p) => p.containerId !== null && p.containerId === f.target.containerId);
    const workers = celeryWorkersIn(f.target.containerId, f.target.name, victims, ctx);
    const signals = [
      f.fromEvents > 0 ? 'docker oom event' : null,
      f.fromCounter > 0 ? 'cgroup oom_kill counter' : null,
      f.inferred.length > 0 ? 'kernel oom_kill counter' : null,
    ].filter((x) => x !== null);
    const current = ctx.snapshot.containers.find((c) => c.id === f.target.containerId);
    const victim = victims[0];
    out.push(
      observation(rule, f.target, killsOf(f), {
        newKills: killsOf(f),
        dockerEvents: f.fromEvents,
        counterIncrease: f.fromCounter,
        oomKillCount: current?.oomKillCount ?? null,
        celeryWorkers: workers.length > 0 ? workers.join(', ') : null,
        signals: signals.join(', '),
        attribution: f.fromEvents + f.fromCounter > 0 ? 'measured' : 'inferred',
        victim: victim ? `pid ${victim.pid} (${victim.comm}), ${formatBytes(victim.rssBytes)} RSS` : null,
      }),
    );
  }
  if (hostKills > 0) {
    out.push(
      observation(rule, ctx.host, hostKills, {
        newKills: hostKills,
        kernelOomKills: kernel,
        attributedToContainers: kernel - hostKills,
        oomKillCount: snapshot.host.oomKillCount,
        signals: 'kernel oom_kill counter',
        attribution: 'host',
      }),
    );
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Memory leaks: a least-squares trend over the window (value = slope in bytes per hour).

interface LeakSeries {
  target: AlertTarget;
  historyTarget: { kind: 'container' | 'group'; name: string };
  current: number;
  ceiling: LeakCeiling;
}

function observeLeaks(rule: AlertRule, ctx: Context): Observation[] {
  const leak = rule.leak;
  if (!leak) return [];
  const { snapshot } = ctx;
  const series: LeakSeries[] = [];
  const available = snapshot.host.availableBytes;
  if (leak.targets.includes('containers')) {
    for (const c of snapshot.containers) {
      series.push({ target: containerTarget(c), historyTarget: { kind: 'container', name: c.name }, current: c.memoryUsageBytes, ceiling: leakCeiling(c, available) });
    }
  }
  if (leak.targets.includes('groups')) {
    const containers = new Map(snapshot.containers.map((c) => [c.id, c]));
    for (const g of snapshot.processGroups) {
      const container = g.containerId === null ? null : (containers.get(g.containerId) ?? null);
      series.push({ target: groupTarget(g, ctx), historyTarget: { kind: 'group', name: g.name }, current: g.pssBytes, ceiling: leakCeiling(container, available) });
    }
  }
  const out: Observation[] = [];
  for (const s of series) {
    if (isIgnored(rule.ignore, s.target)) continue;
    const history = ctx.history(s.historyTarget, ctx.now - leak.windowMs, ctx.now);
    const fit = fitLeak(history, ctx.now, leak.windowMs, s.current);
    if (fit === null) {
      out.push(observation(rule, s.target, 0, { points: history.length, currentBytes: s.current }, false));
      continue;
    }
    const timeToLimitMs = timeToCeiling(fit, ctx.now, s.current, s.ceiling);
    out.push(
      observation(
        rule,
        s.target,
        fit.slopePerHour,
        {
          slopeBytesPerHour: Math.round(fit.slopePerHour),
          r2: Math.round(fit.r2 * 1000) / 1000,
          points: fit.points,
          spanMs: fit.spanMs,
          currentBytes: s.current,
          limitBytes: s.ceiling.limitBytes,
          roomBytes: s.ceiling.roomBytes,
          limitKind: s.ceiling.kind,
          timeToLimitMs: timeToLimitMs === null ? null : Math.round(timeToLimitMs),
        },
        fitHolds(fit, leak),
      ),
    );
  }
  return out;
}
