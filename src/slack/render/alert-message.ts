// Alert messages as Slack sees them, pure: a view model (one alert, its findings, its
// recommendations) in, Block Kit out. The parent message is updated in place for the alert's
// whole episode; its thread holds the details (evidence, every recommendation) and one entry
// per later transition. Every message passes checkBlockKitLimits for any input: names, summaries
// and evidence are escaped and cut to budgets that add up to less than the limits.
import { describeValue, formatValue } from '../../alerts/summary.js';
import type { AlertState, AlertTarget, AlertTransition, Evidence, ResolveReason } from '../../model/alert.js';
import type { RuleKind, RuleUnit, Severity } from '../../model/alert-rule.js';
import { formatDuration } from '../../config/units.js';
import type { Finding, Recommendation } from '../../model/finding.js';
import { formatBytes } from '../../format/units.js';
import { ACTION, BLOCK, SILENCE_CHOICES } from '../ids.js';
import {
  BLOCK_KIT_LIMITS,
  escapeMrkdwn,
  fitBlocks,
  fitList,
  type KnownBlock,
  MESSAGE_BUDGET,
  plainText,
  type SlackMessage,
  truncate,
  truncateMrkdwn,
} from './block-kit-limits.js';

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

/** Buttons of recommended fixes on the parent (only those an approved runbook can apply). */
export const MAX_FIX_BUTTONS = 3;

/**
 * action_ids must be unique within their block, so each button's is the ACTION constant plus a
 * suffix ("alert_silence:4h", "remediation_request:0"); listeners match with these patterns.
 */
export const ALERT_ACTION_PATTERN = {
  silenceAlert: new RegExp(`^${ACTION.silenceAlert}(:.*)?$`),
  requestRemediation: new RegExp(`^${ACTION.requestRemediation}(:.*)?$`),
} as const;

const SEVERITY_RANK: Record<Finding['severity'], number> = { critical: 0, warning: 1, info: 2 };
const SEVERITY_EMOJI: Record<Severity, string> = { critical: '🔴', warning: '🟠' };
const FINDING_EMOJI: Record<Finding['severity'], string> = { critical: '🔴', warning: '🟠', info: '🔵' };
const STATUS_LABEL: Record<AlertDisplayStatus, string> = { pending: 'PENDING', firing: 'FIRING', resolved: 'RESOLVED', cancelled: 'CANCELLED' };
const REASON_TEXT: Record<ResolveReason, string> = {
  cleared: 'the condition cleared',
  'target-gone': 'the target is gone',
  'rule-removed': 'the rule was removed or disabled',
};

// Budgets (UTF-16 units) that keep each block far below its limit whatever the input.
const NAME_MAX = 120;
const SUMMARY_MAX = 1200;
const FIELD_MAX = 300;
const LINE_MAX = 400;
const DETAIL_MAX = 1000;
const STEP_MAX = 200;
const MAX_STEPS = 8;
const MAX_EVIDENCE_FIELDS = 10;
const MAX_OTHER_FINDINGS = 8;

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

/** The parent message: what, how bad, since when, the diagnosis, and what to do. */
export function renderAlertParent(vm: AlertViewModel): SlackMessage {
  const active = vm.status === 'pending' || vm.status === 'firing';
  const silenced = active && vm.silencedUntil !== null;
  const mention = active && !silenced && vm.mention !== null ? `<!subteam^${vm.mention}> ` : '';
  const summary = escapeMrkdwn(truncate(vm.summary, SUMMARY_MAX));

  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: plainText(headerText(vm, silenced), BLOCK_KIT_LIMITS.headerText), emoji: true } },
    { type: 'section', text: { type: 'mrkdwn', text: truncateMrkdwn(`${mention}${summary}`, BLOCK_KIT_LIMITS.sectionText) } },
    { type: 'section', fields: parentFields(vm).map((text) => ({ type: 'mrkdwn', text })) },
  ];

  const top = vm.findings[0];
  if (top) {
    const others = vm.findings.length - 1;
    const more = others > 0 ? `\n_${others} more finding${others === 1 ? '' : 's'} in the thread_` : '';
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: truncateMrkdwn(`*Diagnosis:* ${escapeMrkdwn(truncate(top.summary, SUMMARY_MAX))}${more}`, BLOCK_KIT_LIMITS.sectionText) },
    });
  }

  const status: string[] = [];
  if (silenced && vm.silencedUntil !== null) status.push(`🔕 Silenced until ${slackDate(vm.silencedUntil)}: this message stays up to date, the thread stays quiet`);
  if (vm.status === 'resolved' && vm.endedAt !== null) {
    status.push(`✅ Resolved ${slackDate(vm.endedAt)} after ${duration(vm.endedAt - vm.startedAt)}${vm.resolveReason ? `: ${REASON_TEXT[vm.resolveReason]}` : ''}`);
  }
  if (vm.status === 'cancelled' && vm.endedAt !== null) {
    status.push(`⚪ Cancelled ${slackDate(vm.endedAt)} after ${duration(vm.endedAt - vm.startedAt)}: ${vm.resolveReason ? REASON_TEXT[vm.resolveReason] : 'it cleared'} before it fired`);
  }
  status.push(`Updated ${slackDate(vm.updatedAt)} · rule \`${escapeMrkdwn(truncate(vm.ruleId, 64))}\``);
  blocks.push({ type: 'context', elements: status.map((text) => ({ type: 'mrkdwn', text: truncateMrkdwn(text, LINE_MAX) })) });

  if (active) {
    const fixes = vm.recommendations
      .map((rec, index) => ({ rec, id: vm.recommendationIds[index] }))
      .filter((entry): entry is { rec: Recommendation; id: string } => entry.rec.runbook !== null && typeof entry.id === 'string' && entry.id !== '')
      .slice(0, MAX_FIX_BUTTONS);
    blocks.push({
      type: 'actions',
      block_id: BLOCK.alertActions,
      elements: [
        ...fixes.map(({ rec, id }, index) => ({
          type: 'button' as const,
          action_id: `${ACTION.requestRemediation}:${index}`,
          text: { type: 'plain_text' as const, text: plainText(rec.title, BLOCK_KIT_LIMITS.buttonText), emoji: true },
          value: truncate(id, BLOCK_KIT_LIMITS.buttonValue),
          ...(index === 0 ? { style: 'primary' as const } : {}),
        })),
        ...SILENCE_CHOICES.map((choice) => ({
          type: 'button' as const,
          action_id: `${ACTION.silenceAlert}:${choice}`,
          text: { type: 'plain_text' as const, text: `Silence ${choice}`, emoji: true },
          value: `${vm.fingerprint}|${choice}`,
        })),
      ],
    });
  }

  const plainStatus = silenced && vm.silencedUntil !== null ? ` (silenced until ${isoMinute(vm.silencedUntil)})` : '';
  const text = truncateMrkdwn(`${mention}${escapeMrkdwn(headerText(vm, silenced))}: ${summary}${plainStatus}`, 3000);
  return { text, blocks };
}

/** The first thread reply: the numbers behind the alert and every recommendation with its steps. */
export function renderAlertDetails(vm: AlertViewModel): SlackMessage {
  const head: KnownBlock[] = [
    {
      type: 'section',
      text: { type: 'mrkdwn', text: truncateMrkdwn(`*Evidence* for ${escapeMrkdwn(targetText(vm.target))}`, LINE_MAX) },
      ...evidenceFields(vm.evidence),
    },
  ];
  const top = vm.findings[0];
  if (top) {
    head.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: truncateMrkdwn(`${FINDING_EMOJI[top.severity]} *Diagnosis* (\`${top.code}\`): ${escapeMrkdwn(truncate(top.summary, SUMMARY_MAX))}`, BLOCK_KIT_LIMITS.sectionText),
      },
      ...evidenceFields(top.evidence),
    });
  }
  const others = vm.findings.slice(1);
  if (others.length > 0) {
    const lines = fitList(others, MAX_OTHER_FINDINGS, (f) => `• ${FINDING_EMOJI[f.severity]} ${escapeMrkdwn(truncate(f.summary, LINE_MAX))}`);
    head.push({ type: 'section', text: { type: 'mrkdwn', text: truncateMrkdwn(`*Other findings*\n${lines.join('\n')}`, BLOCK_KIT_LIMITS.sectionText) } });
  }
  const recs = vm.recommendations;
  head.push({
    type: 'section',
    text: {
      type: 'mrkdwn',
      text: recs.length === 0 ? '*Recommendations:* none; the numbers above are all memwarden measured.' : `*Recommendations* (${recs.length}), most important first:`,
    },
  });
  // No more than maxBlocks can show; rendering 200 to drop 180 would be wasted work.
  const items: KnownBlock[] = recs.slice(0, MESSAGE_BUDGET.maxBlocks).map((rec, index) => ({
    type: 'section',
    text: { type: 'mrkdwn', text: truncateMrkdwn(recommendationText(rec, index), BLOCK_KIT_LIMITS.sectionText) },
  }));
  const blocks = fitBlocks(
    head,
    items,
    [],
    (hidden) => ({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `…and ${hidden} more recommendation${hidden === 1 ? '' : 's'}: \`/mem diagnose\` lists them all` }],
    }),
    MESSAGE_BUDGET,
    recs.length,
  );
  const text = truncateMrkdwn(
    `Details: ${escapeMrkdwn(truncate(vm.summary, SUMMARY_MAX))}${top ? ` · diagnosis: ${escapeMrkdwn(truncate(top.summary, SUMMARY_MAX))}` : ''} · ${recs.length} recommendation${recs.length === 1 ? '' : 's'}`,
    3000,
  );
  return { text, blocks };
}

export interface TimelineOptions {
  /** Mentioned when the alert escalates to critical (an edit of the parent notifies no one). */
  criticalMention?: string | null;
}

/** A thread reply for a later transition: escalation, firing, resolution (with duration), … */
export function renderAlertTimelineEntry(transition: AlertTransition, options: TimelineOptions = {}): SlackMessage {
  const t = transition;
  const when = slackDate(t.at);
  const lasted = duration(t.at - t.startedAt);
  const escalated = t.event === 'severity-changed' && t.severity === 'critical';
  let lead: string;
  switch (t.event) {
    case 'pending':
      lead = `⏳ *Pending* ${when}`;
      break;
    case 'firing':
      lead = `🔥 *Firing* ${when} (${t.severity})`;
      break;
    case 'updated':
      lead = `📈 *Now ${formatValue(t.unit, t.value)}* ${when}`;
      break;
    case 'severity-changed':
      lead = `${escalated ? '⬆️ *Escalated*' : '⬇️ *De-escalated*'} ${t.previousSeverity ?? '?'} → ${t.severity} ${when}`;
      break;
    case 'cancelled':
      lead = `⚪ *Cancelled* ${when} after ${lasted}`;
      break;
    case 'resolved':
      lead = `✅ *Resolved* ${when} after ${lasted}${t.reason ? ` (${REASON_TEXT[t.reason]})` : ''}`;
      break;
  }
  const mention = escalated && !t.silenced && options.criticalMention ? `<!subteam^${options.criticalMention}> ` : '';
  const silenced = t.silenced ? ' _(silenced)_' : '';
  const summary = escapeMrkdwn(truncate(t.summary, SUMMARY_MAX));
  const body = truncateMrkdwn(`${mention}${lead}: ${summary}${silenced}`, BLOCK_KIT_LIMITS.sectionText);
  return { text: body, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: body } }] };
}

// --- pieces ---

function headerText(vm: AlertViewModel, silenced: boolean): string {
  const emoji = vm.status === 'resolved' ? '✅' : vm.status === 'cancelled' ? '⚪' : silenced ? '🔕' : SEVERITY_EMOJI[vm.severity];
  return `${emoji} ${STATUS_LABEL[vm.status]}${silenced ? ' (silenced)' : ''} · ${vm.severity} · ${truncate(targetLabel(vm.target), NAME_MAX)}`;
}

function parentFields(vm: AlertViewModel): string[] {
  const end = vm.endedAt ?? vm.updatedAt;
  const lasted = end - vm.startedAt;
  const fields =
    vm.unit === 'count'
      ? // An event alert (OOM kills): a count, no level to compare it with.
        [`*Events*\n${formatValue(vm.unit, vm.value)}`]
      : [`*Value*\n${formatValue(vm.unit, vm.value)}`, `*Threshold*\n${formatValue(vm.unit, vm.threshold)} (${vm.severity})`];
  fields.push(`*Started*\n${slackDate(vm.startedAt)}`);
  if (vm.endedAt !== null) fields.push(`*Lasted*\n${duration(lasted)}`);
  else if (lasted >= 1000) fields.push(`*For*\n${duration(lasted)}`);
  if (vm.firingSince !== null && vm.firingSince !== vm.startedAt) fields.push(`*Firing since*\n${slackDate(vm.firingSince)}`);
  fields.push(`*Target*\n${escapeMrkdwn(truncate(targetText(vm.target), FIELD_MAX))}`);
  return fields.map((field) => truncateMrkdwn(field, BLOCK_KIT_LIMITS.fieldText));
}

function evidenceFields(evidence: Evidence): { fields?: { type: 'mrkdwn'; text: string }[] } {
  const entries = Object.entries(evidence);
  if (entries.length === 0) return {};
  const lines = fitList(entries, MAX_EVIDENCE_FIELDS, ([key, value]) => `*${escapeMrkdwn(truncate(key, 60))}*\n${escapeMrkdwn(truncate(formatEvidence(key, value), FIELD_MAX))}`);
  return { fields: lines.map((text) => ({ type: 'mrkdwn', text: truncateMrkdwn(text, BLOCK_KIT_LIMITS.fieldText) })) };
}

function recommendationText(rec: Recommendation, index: number): string {
  const savings = rec.estimatedSavingsBytes === null ? 'saving not measured' : `saves ~${formatBytes(rec.estimatedSavingsBytes)}`;
  const runbook = rec.runbook === null ? 'manual' : `runbook \`${escapeMrkdwn(truncate(rec.runbook, 64))}\``;
  const lines = [`*${index + 1}. ${escapeMrkdwn(truncate(rec.title, 200))}*`, `_${rec.priority} · ${savings} · ${runbook}_`];
  if (rec.detail.trim() !== '') lines.push(escapeMrkdwn(truncate(rec.detail, DETAIL_MAX)));
  const params = Object.entries(rec.params ?? {});
  if (params.length > 0) {
    lines.push(fitList(params, 6, ([key, value]) => `${key}=${formatParam(key, value)}`).map((p) => escapeMrkdwn(truncate(p, 100))).join(', '));
  }
  const steps = (rec.steps ?? []).filter((step) => step.trim() !== '');
  if (steps.length > 0) {
    // Inside a code block nothing is formatted, but Slack still parses <...>, so escape anyway;
    // a backtick run would end the block early, so it becomes a lookalike.
    const shown = fitList(steps, MAX_STEPS, (step) => escapeMrkdwn(truncate(step.replace(/`{3,}/g, 'ˋˋˋ'), STEP_MAX)));
    lines.push('```' + shown.join('\n') + '```');
  }
  return lines.join('\n');
}

/** Runbook parameters carry sizes in bytes (diagnose/types.ts) under names like `limit`. */
function formatParam(key: string, value: number | string): string {
  return typeof value === 'number' && /(bytes|limit|memory|size|swap)$/i.test(key) ? formatBytes(value) : formatEvidence(key, value);
}

function formatEvidence(key: string, value: number | string | null): string {
  if (value === null) return 'unknown';
  if (typeof value === 'string') return value === '' ? '(empty)' : value;
  if (!Number.isFinite(value)) return String(value);
  if (/Bytes$/.test(key)) return formatBytes(value);
  if (/Ms$/.test(key)) return duration(value);
  if (/Percent$/.test(key)) return `${value.toFixed(1)}%`;
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(3)));
}

function targetLabel(target: AlertTarget): string {
  if (target.kind === 'group' && target.containerName !== null) return `${target.name} in ${target.containerName}`;
  return target.name;
}

function targetText(target: AlertTarget): string {
  return `${target.kind} ${targetLabel(target)}`;
}

/** "5m", "2h"; "0s" under a second. */
function duration(ms: number): string {
  return ms < 1000 ? '0s' : formatDuration(ms);
}

function isoMinute(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** Slack shows the date in each reader's time zone; the fallback is UTC. */
function slackDate(ms: number): string {
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${isoMinute(ms)}>`;
}
