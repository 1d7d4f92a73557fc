// Plain data of the alert pipeline: observations (what a rule measured on a target this round),
// the per-alert state, and the transitions handed to notifiers and stored as history.
import type { RuleKind, RuleSettings, RuleUnit, Severity } from './alert-rule.js';
import type { HistoryPoint } from './history.js';

export type TargetKind = 'host' | 'container' | 'group';

export interface AlertTarget {
  kind: TargetKind;
  /** Host name, container name or process group name. */
  name: string;
  containerId: string | null;
  /** The container the target is (for a container) or runs in (for a group); null on the host. */
  containerName: string | null;
  /** Labels of that container. */
  labels: Record<string, string>;
}

/** Numbers (and a few names) behind an observation, e.g. usedBytes, r2, celeryWorkers. */
export type Evidence = Record<string, number | string | null>;

/** One rule measured on one target in one round. */
export interface Observation {
  fingerprint: string;
  ruleId: string;
  kind: RuleKind;
  target: AlertTarget;
  /** In the rule's unit: percent, bytes, bytes per hour (memory-leak), or new events (oom-kill). */
  value: number;
  unit: RuleUnit;
  /** The rule's settings for this target, per-target overrides applied. */
  settings: RuleSettings;
  /** The level the value reaches by the entry thresholds alone (no hysteresis); null below both. */
  level: Severity | null;
  /** The threshold of `level`, else the lowest trigger. */
  threshold: number;
  /**
   * False when a side condition of the rule fails (a leak whose fit is too loose or whose
   * history is too short): the value is reported but cannot raise or escalate an alert.
   */
  eligible: boolean;
  evidence: Evidence;
}

/**
 * Reads one series of the history: container usage, group PSS or host used bytes, as
 * store/history.ts's queryHistory returns them. Keeps the alert code free of SQLite.
 */
export type HistoryReader = (target: { kind: TargetKind; name: string }, fromMs: number, toMs: number) => HistoryPoint[];

export type AlertStatus = 'inactive' | 'pending' | 'firing' | 'resolved';

/** One alert (rule x target) between rounds; stored per fingerprint. */
export interface AlertState {
  fingerprint: string;
  ruleId: string;
  kind: RuleKind;
  target: AlertTarget;
  status: Exclude<AlertStatus, 'inactive'>;
  severity: Severity;
  value: number;
  threshold: number;
  unit: RuleUnit;
  /** When the current status began. */
  since: number;
  /** When this episode began (it went pending, or straight to firing). */
  startedAt: number;
  firingSince: number | null;
  /** While firing: since when the condition has been clear (keepFiringFor counts from here). */
  clearedAt: number | null;
  /** Value of the last transition, the baseline for "changed materially". */
  reportedValue: number;
  /** Time of the last transition that was not silenced. */
  lastNotifiedAt: number | null;
  /** Whether this episode's firing has been announced without a silence. */
  firingNotified: boolean;
  evidence: Evidence;
  updatedAt: number;
}

/**
 * What happened to an alert in a round:
 * - pending: the value crossed a trigger and waits for `for`;
 * - firing: the alert fires (also sent once more when a silence that hid the firing ends);
 * - cancelled: a pending alert cleared before `for` elapsed;
 * - severity-changed: a firing alert escalated or de-escalated;
 * - updated: the value of a pending or firing alert changed materially (or another OOM kill);
 * - resolved: the condition cleared (after keepFiringFor), the target went away, or the rule was removed.
 */
export type TransitionEvent = 'pending' | 'firing' | 'cancelled' | 'severity-changed' | 'updated' | 'resolved';

export type ResolveReason = 'cleared' | 'target-gone' | 'rule-removed';

export interface AlertTransition {
  event: TransitionEvent;
  fingerprint: string;
  ruleId: string;
  kind: RuleKind;
  target: AlertTarget;
  from: AlertStatus;
  to: AlertStatus;
  severity: Severity;
  /** For severity-changed: the severity before. */
  previousSeverity: Severity | null;
  value: number;
  threshold: number;
  unit: RuleUnit;
  /** When the episode began. */
  startedAt: number;
  at: number;
  silenced: boolean;
  /** For resolved (and cancelled): why. */
  reason: ResolveReason | null;
  /** One line a human reads, e.g. "bizcard-celery-worker uses 2.57 GiB, above 2 GiB for 5m". */
  summary: string;
  evidence: Evidence;
}

export interface Silence {
  id: number;
  /** null: every rule. */
  ruleId: string | null;
  /** Glob on the target name (or the container a group runs in); null: every target. */
  target: string | null;
  until: number;
  createdBy: string;
  reason: string;
  createdAt: number;
}

export interface NewSilence {
  ruleId?: string | null;
  target?: string | null;
  until: number;
  createdBy: string;
  reason: string;
}

/** The silence durations an alert offers as buttons. */
export const SILENCE_CHOICES = ['1h', '4h', '24h'] as const;
