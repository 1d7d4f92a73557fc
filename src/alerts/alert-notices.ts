// What an alert tells people, as notices (model/notice.ts): the parent message, updated in place
// for the alert's whole episode; the first thread reply with the details (evidence, every
// recommendation); and one reply per later transition. Pure. Outside text (names, summaries,
// evidence) is cut to budgets here that keep each message well within what any renderer shows;
// escaping it is the renderer's.
import { formatDuration } from '../config/units.js';
import { formatBytes } from '../format/units.js';
import { truncate } from '../format/truncate.js';
import { utcMinute } from '../format/utc-minute.js';
import { SILENCE_CHOICES, type AlertTarget, type AlertTransition, type Evidence, type ResolveReason } from '../model/alert.js';
import type { Severity } from '../model/alert-rule.js';
import type { Finding, Recommendation } from '../model/finding.js';
import type { Notice, NoticeBlock, NoticeButton, NoticeField, Span, Text } from '../model/notice.js';
import type { AlertDisplayStatus, AlertViewModel } from './alert-view.js';
import { formatValue } from './summary.js';

/** Buttons of recommended fixes on the parent (only those an approved runbook can apply). */
export const MAX_FIX_BUTTONS = 3;

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

/** The parent message: what, how bad, since when, the diagnosis, and what to do. */
export function alertParentNotice(vm: AlertViewModel): Notice {
  const active = vm.status === 'pending' || vm.status === 'firing';
  const silenced = active && vm.silencedUntil !== null;
  const mention: Span[] = active && !silenced && vm.mention !== null ? [{ group: vm.mention }, ' '] : [];
  const summary = truncate(vm.summary, SUMMARY_MAX);

  const blocks: NoticeBlock[] = [
    { type: 'heading', text: headerText(vm, silenced) },
    { type: 'text', text: [...mention, summary] },
    { type: 'fields', fields: parentFields(vm) },
  ];

  const top = vm.findings[0];
  if (top) {
    const others = vm.findings.length - 1;
    const more: Span[] = others > 0 ? ['\n', { em: `${others} more finding${others === 1 ? '' : 's'} in the thread` }] : [];
    blocks.push({ type: 'text', text: [{ strong: 'Diagnosis:' }, ' ', truncate(top.summary, SUMMARY_MAX), ...more] });
  }

  const status: Text[] = [];
  if (silenced && vm.silencedUntil !== null) status.push(['🔕 Silenced until ', { time: vm.silencedUntil }, ': this message stays up to date, the thread stays quiet']);
  if (vm.status === 'resolved' && vm.endedAt !== null) {
    status.push(['✅ Resolved ', { time: vm.endedAt }, ` after ${duration(vm.endedAt - vm.startedAt)}${vm.resolveReason ? `: ${REASON_TEXT[vm.resolveReason]}` : ''}`]);
  }
  if (vm.status === 'cancelled' && vm.endedAt !== null) {
    status.push(['⚪ Cancelled ', { time: vm.endedAt }, ` after ${duration(vm.endedAt - vm.startedAt)}: ${vm.resolveReason ? REASON_TEXT[vm.resolveReason] : 'it cleared'} before it fired`]);
  }
  status.push(['Updated ', { time: vm.updatedAt }, ' · rule ', { code: truncate(vm.ruleId, 64) }]);
  blocks.push({ type: 'note', lines: status });

  if (active) blocks.push({ type: 'buttons', row: 'alert', buttons: [...fixButtons(vm), ...silenceButtons(vm)] });

  const plainStatus = silenced && vm.silencedUntil !== null ? ` (silenced until ${utcMinute(vm.silencedUntil)})` : '';
  return { summary: [...mention, `${headerText(vm, silenced)}: `, summary, plainStatus], blocks };
}

/** The first thread reply: the numbers behind the alert and every recommendation with its steps. */
export function alertDetailsNotice(vm: AlertViewModel): Notice {
  const blocks: NoticeBlock[] = [{ type: 'text', text: [{ strong: 'Evidence' }, ` for ${truncate(targetText(vm.target), LINE_MAX)}`], ...evidenceFields(vm.evidence) }];
  const top = vm.findings[0];
  if (top) {
    blocks.push({
      type: 'text',
      text: [`${FINDING_EMOJI[top.severity]} `, { strong: 'Diagnosis' }, ' (', { code: top.code }, '): ', truncate(top.summary, SUMMARY_MAX)],
      ...evidenceFields(top.evidence),
    });
  }
  const others = vm.findings.slice(1);
  if (others.length > 0) {
    const lines = fitLines(others, MAX_OTHER_FINDINGS, (f) => `• ${FINDING_EMOJI[f.severity]} ${truncate(f.summary, LINE_MAX)}`);
    blocks.push({ type: 'text', text: [{ strong: 'Other findings' }, `\n${lines.join('\n')}`] });
  }
  const recs = vm.recommendations;
  blocks.push({
    type: 'text',
    text: recs.length === 0 ? [{ strong: 'Recommendations:' }, ' none; the numbers above are all memwarden measured.'] : [{ strong: 'Recommendations' }, ` (${recs.length}), most important first:`],
  });
  if (recs.length > 0) {
    blocks.push({ type: 'list', noun: 'recommendation', hint: [{ code: '/mem diagnose' }, ' lists them all'], blocks: recs.map((rec, index) => ({ type: 'text', text: recommendationText(rec, index) })) });
  }
  const summary: Span[] = ['Details: ', truncate(vm.summary, SUMMARY_MAX)];
  if (top) summary.push(' · diagnosis: ', truncate(top.summary, SUMMARY_MAX));
  summary.push(` · ${recs.length} recommendation${recs.length === 1 ? '' : 's'}`);
  return { summary, blocks };
}

/** A thread reply for a later transition: escalation, firing, resolution (with duration), … */
export function alertTimelineNotice(transition: AlertTransition, options: { criticalMention?: string | null } = {}): Notice {
  const t = transition;
  const when: Span = { time: t.at };
  const lasted = duration(t.at - t.startedAt);
  const escalated = t.event === 'severity-changed' && t.severity === 'critical';
  let lead: Span[];
  switch (t.event) {
    case 'pending':
      lead = ['⏳ ', { strong: 'Pending' }, ' ', when];
      break;
    case 'firing':
      lead = ['🔥 ', { strong: 'Firing' }, ' ', when, ` (${t.severity})`];
      break;
    case 'updated':
      lead = ['📈 ', { strong: `Now ${formatValue(t.unit, t.value)}` }, ' ', when];
      break;
    case 'severity-changed':
      lead = [escalated ? '⬆️ ' : '⬇️ ', { strong: escalated ? 'Escalated' : 'De-escalated' }, ` ${t.previousSeverity ?? '?'} → ${t.severity} `, when];
      break;
    case 'cancelled':
      lead = ['⚪ ', { strong: 'Cancelled' }, ' ', when, ` after ${lasted}`];
      break;
    case 'resolved':
      lead = ['✅ ', { strong: 'Resolved' }, ' ', when, ` after ${lasted}${t.reason ? ` (${REASON_TEXT[t.reason]})` : ''}`];
      break;
  }
  const mention: Span[] = escalated && !t.silenced && options.criticalMention ? [{ group: options.criticalMention }, ' '] : [];
  const silenced: Span[] = t.silenced ? [' ', { em: '(silenced)' }] : [];
  const body: Text = [...mention, ...lead, ': ', truncate(t.summary, SUMMARY_MAX), ...silenced];
  return { summary: body, blocks: [{ type: 'text', text: body }] };
}

// --- pieces ---

function fixButtons(vm: AlertViewModel): NoticeButton[] {
  return vm.recommendations
    .map((rec, index) => ({ rec, id: vm.recommendationIds[index] }))
    .filter((entry): entry is { rec: Recommendation; id: string } => entry.rec.runbook !== null && typeof entry.id === 'string' && entry.id !== '')
    .slice(0, MAX_FIX_BUTTONS)
    .map(({ rec, id }, index) => ({ kind: 'request-remediation', variant: String(index), label: rec.title, value: id, ...(index === 0 ? { style: 'primary' as const } : {}) }));
}

function silenceButtons(vm: AlertViewModel): NoticeButton[] {
  return SILENCE_CHOICES.map((choice) => ({ kind: 'silence-alert', variant: choice, label: `Silence ${choice}`, value: `${vm.fingerprint}|${choice}` }));
}

function headerText(vm: AlertViewModel, silenced: boolean): string {
  const emoji = vm.status === 'resolved' ? '✅' : vm.status === 'cancelled' ? '⚪' : silenced ? '🔕' : SEVERITY_EMOJI[vm.severity];
  return `${emoji} ${STATUS_LABEL[vm.status]}${silenced ? ' (silenced)' : ''} · ${vm.severity} · ${truncate(targetLabel(vm.target), NAME_MAX)}`;
}

function parentFields(vm: AlertViewModel): NoticeField[] {
  const end = vm.endedAt ?? vm.updatedAt;
  const lasted = end - vm.startedAt;
  const fields: NoticeField[] =
    vm.unit === 'count'
      ? // An event alert (OOM kills): a count, no level to compare it with.
        [{ label: 'Events', value: [formatValue(vm.unit, vm.value)] }]
      : [
          { label: 'Value', value: [formatValue(vm.unit, vm.value)] },
          { label: 'Threshold', value: [`${formatValue(vm.unit, vm.threshold)} (${vm.severity})`] },
        ];
  fields.push({ label: 'Started', value: [{ time: vm.startedAt }] });
  if (vm.endedAt !== null) fields.push({ label: 'Lasted', value: [duration(lasted)] });
  else if (lasted >= 1000) fields.push({ label: 'For', value: [duration(lasted)] });
  if (vm.firingSince !== null && vm.firingSince !== vm.startedAt) fields.push({ label: 'Firing since', value: [{ time: vm.firingSince }] });
  fields.push({ label: 'Target', value: [truncate(targetText(vm.target), FIELD_MAX)] });
  return fields;
}

function evidenceFields(evidence: Evidence): { fields?: NoticeField[] } {
  const entries = Object.entries(evidence);
  if (entries.length === 0) return {};
  const shown = entries.length <= MAX_EVIDENCE_FIELDS ? entries : entries.slice(0, MAX_EVIDENCE_FIELDS - 1);
  const fields: NoticeField[] = shown.map(([key, value]) => ({ label: truncate(key, 60), value: [truncate(formatEvidence(key, value), FIELD_MAX)] }));
  if (shown.length < entries.length) fields.push({ label: '', value: [`…and ${entries.length - shown.length} more`] });
  return { fields };
}

function recommendationText(rec: Recommendation, index: number): Text {
  const savings = rec.estimatedSavingsBytes === null ? 'saving not measured' : `saves ~${formatBytes(rec.estimatedSavingsBytes)}`;
  const runbook: Span[] = rec.runbook === null ? ['manual'] : ['runbook ', { code: truncate(rec.runbook, 64) }];
  const spans: Span[] = [{ strong: `${index + 1}. ${truncate(rec.title, 200)}` }, '\n', { em: [`${rec.priority} · ${savings} · `, ...runbook] }];
  if (rec.detail.trim() !== '') spans.push('\n', truncate(rec.detail, DETAIL_MAX));
  const params = Object.entries(rec.params ?? {});
  if (params.length > 0) spans.push('\n', fitLines(params, 6, ([key, value]) => `${key}=${formatParam(key, value)}`).map((p) => truncate(p, 100)).join(', '));
  const steps = (rec.steps ?? []).filter((step) => step.trim() !== '');
  if (steps.length > 0) spans.push('\n', { pre: fitLines(steps, MAX_STEPS, (step) => truncate(step, STEP_MAX)).join('\n') });
  return spans;
}

/** At most `max` lines: all when they fit, else the first max - 1 and "…and N more". */
function fitLines<T>(items: readonly T[], max: number, line: (item: T) => string): string[] {
  if (items.length <= max) return items.map(line);
  return [...items.slice(0, max - 1).map(line), `…and ${items.length - (max - 1)} more`];
}

/** Runbook parameters carry sizes in bytes (model/finding.ts) under names like `limit`. */
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
