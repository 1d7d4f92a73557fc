// An alert as its messages show it: one alert (from a transition the notifier has, or a stored
// state), its findings most severe first, and every recommendation with the opaque id its button
// carries. Pure; alert-notices.ts turns it into notices.
import type { AlertState, AlertTarget, AlertTransition, Evidence, ResolveReason } from '../model/alert.js';
import type { RuleKind, RuleUnit, Severity } from '../model/alert-rule.js';
import type { Finding, Recommendation } from '../model/finding.js';
import { describeValue } from './summary.js';

export type AlertDisplayStatus = 'pending' | 'firing' | 'resolved' | 'cancelled';

export interface AlertViewModel {
  fingerprint: string;
  ruleId: string;
  kind: RuleKind;
  target: AlertTarget;
  status: AlertDisplayStatus;
  severity: Severity;
  /** The one line a human reads (AlertTransition.summary). */
  summary: string;
  value: number;
  threshold: number;
  unit: RuleUnit;
  /** When the episode began. */
  startedAt: number;
  /** When it started firing; null while pending or when unknown. */
  firingSince: number | null;
  /** When it resolved or was cancelled. */
  endedAt: number | null;
  resolveReason: ResolveReason | null;
  /** Time of the state shown (the latest transition). */
  updatedAt: number;
  /** Silenced until this time (epoch ms), or null. */
  silencedUntil: number | null;
  /** A Slack user group id ("S0123ABCD") mentioned while the alert is critical and active. */
  mention: string | null;
  evidence: Evidence;
  /** Most severe first; the first is the diagnosis shown on the parent. */
  findings: Finding[];
  /** Every recommendation of the findings, in that order. */
  recommendations: Recommendation[];
  /** Opaque ids, aligned with `recommendations`: the value of their buttons. */
  recommendationIds: string[];
}

export interface AlertViewModelOptions {
  silencedUntil?: number | null;
  /** config.slack.criticalMention; used only while the alert is critical. */
  criticalMention?: string | null;
  /** Aligned with the recommendations; missing ids are derived from fingerprint, episode and index. */
  recommendationIds?: readonly string[];
  /** From the stored AlertState when the transition alone does not tell. */
  firingSince?: number | null;
}

const SEVERITY_RANK: Record<Finding['severity'], number> = { critical: 0, warning: 1, info: 2 };

/** The view model of an alert, from a transition (what the notifier has) or a stored state. */
export function buildAlertViewModel(
  source: AlertTransition | AlertState,
  findings: readonly Finding[],
  options: AlertViewModelOptions = {},
): AlertViewModel {
  const isTransition = 'event' in source;
  const status: AlertDisplayStatus = isTransition
    ? source.event === 'cancelled'
      ? 'cancelled'
      : source.to === 'inactive'
        ? 'cancelled'
        : source.to
    : source.status;
  const at = isTransition ? source.at : source.updatedAt;
  const ended = status === 'resolved' || status === 'cancelled';
  const firingSince =
    options.firingSince ?? (isTransition ? (source.event === 'firing' ? source.at : null) : source.firingSince);
  const sorted = [...findings].sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity]);
  const recommendations = sorted.flatMap((finding) => finding.recommendations);
  const ids = recommendations.map(
    (_, index) => options.recommendationIds?.[index] ?? `${source.fingerprint}-${source.startedAt.toString(36)}-${index}`,
  );
  return {
    fingerprint: source.fingerprint,
    ruleId: source.ruleId,
    kind: source.kind,
    target: source.target,
    status,
    severity: source.severity,
    summary: isTransition ? source.summary : describeValue(source),
    value: source.value,
    threshold: source.threshold,
    unit: source.unit,
    startedAt: source.startedAt,
    firingSince: status === 'pending' || status === 'cancelled' ? null : firingSince,
    endedAt: ended ? at : null,
    resolveReason: isTransition ? source.reason : null,
    updatedAt: at,
    silencedUntil: options.silencedUntil ?? null,
    mention: source.severity === 'critical' ? (options.criticalMention ?? null) : null,
    evidence: source.evidence,
    findings: sorted,
    recommendations,
    recommendationIds: ids,
  };
}
