// A remediation as Slack shows it, pure: the approval request (what, where, with which
// parameters, the expected effect, the risk, who may approve, until when, and the dry run: exactly
// what would be executed), its state as it changes, the replies in its thread (running, the
// result, the verification), the reply in the originating alert's thread, and the ephemeral
// answers to the person who asked or clicked. Every piece of outside text (names, summaries,
// output) is escaped and cut, so every message passes checkBlockKitLimits for any input.
import type { ExecutionStatus } from '../../remediate/executors/types.js';
import type { RequestStatus } from '../../model/remediation.js';
import type { VerifyMetric } from '../../remediate/runbook-schema.js';
import { formatMetric, METRIC_LABEL, type Measurement, type Verification } from '../../remediate/verification.js';
import { formatBytes } from '../../format/units.js';
import { ACTION, BLOCK } from '../ids.js';
import { BLOCK_KIT_LIMITS, escapeMrkdwn, fitList, type KnownBlock, type SlackMessage, truncateMrkdwn } from './block-kit-limits.js';
import { truncate } from '../../format/truncate.js';
import { context, header, message, mrkdwnWithMentions, name, section, slackDate, userText } from './command-common.js';

/** What the approval message shows besides the request's state; stored with the request. */
export interface ApprovalView {
  requestId: string;
  runbook: { id: string; title: string; description: string; file: string; sha256: string; risk: 'low' | 'high' };
  target: { name: string; containerId: string };
  /** Validated values as people read them (sizes formatted). */
  params: { name: string; value: string }[];
  requestedBy: string;
  requestedAt: number;
  expiresAt: number;
  approvers: { users: string[]; groups: string[] };
  required: number;
  allowSelfApproval: boolean;
  dryRun: boolean;
  /** The dry run: the exact exec argv or API call (describeAction), the plan's line and notes. */
  plan: { action: string; summary: string; notes: string[] };
  /** The target when the request was made. */
  current: { memoryUsageBytes: number | null; memoryLimitBytes: number | null; poolSize: number | null };
  /** When the request came from an alert: the recommendation and its measured estimate. */
  expected: { title: string; estimatedSavingsBytes: number | null; fingerprint: string } | null;
  verify: { afterMs: number; metric: VerifyMetric; goal: string | null };
  timeoutMs: number;
}

/** The request's state, read from the store whenever the message is rendered. */
export interface ApprovalState {
  status: RequestStatus;
  approvals: readonly { user: string; decision: 'approve' | 'reject'; at: number }[];
  /** How it ended, in one line: the result's summary, or why it expired or was interrupted. */
  detail: string | null;
}

/** What a run did, for its thread reply. */
export interface ResultView {
  status: ExecutionStatus | 'dry-run';
  summary: string;
  output: string;
  notes: string[];
  /** What actually ran (describeAction), or null. */
  action: string | null;
  before: Measurement | null;
  after: Measurement | null;
  durationMs: number;
  /** When the verification is due, or null when none is. */
  verifyAt: number | null;
}

const RISK_TEXT = { low: '🟢 low', high: '🔴 high' } as const;
// Budgets (UTF-16 units, after escaping) that keep every message far below Slack's limits, the
// ~12k characters of blocks JSON included, whatever the input.
const TITLE_MAX = 100;
const SUMMARY_MAX = 600;
const ACTION_MAX = 1500;
const OUTPUT_MAX = 1500;
const NOTE_MAX = 300;
const MAX_NOTES = 4;
const MAX_PEOPLE = 12;
const MAX_PARAMS = 8;
const DESCRIPTION_MAX = 600;
const GOAL_MAX = 200;

const STATUS_HEAD: Record<RequestStatus, string> = {
  pending: '🛠 Approval needed',
  approved: '▶️ Approved',
  executing: '▶️ Running',
  succeeded: '✅ Done',
  failed: '❌ Failed',
  rejected: '🚫 Rejected',
  expired: '⌛ Expired',
  'not-executed': '⚪ Not run',
};

const RESULT_HEAD: Record<ResultView['status'], string> = {
  applied: '✅ *Done*',
  'nothing-to-do': '✅ *Nothing to do*',
  partial: '⚠️ *Partly done*',
  failed: '❌ *Failed*',
  refused: '🚫 *Refused, nothing was changed*',
  'timed-out': '⏱ *Timed out*',
  'dry-run': '🧪 *Dry run, nothing was executed*',
};

export function approvalMessageKey(requestId: string): string {
  return `remediation:${requestId}`;
}

/** The approval request, in its current state: buttons while pending, the outcome after. */
export function renderApprovalRequest(view: ApprovalView, state: ApprovalState): SlackMessage {
  const title = truncate(view.runbook.title, TITLE_MAX);
  const dry = view.dryRun ? ' (dry run)' : '';
  const blocks: KnownBlock[] = [
    header(`${STATUS_HEAD[state.status]}${dry}: ${title}`),
    section(
      `${user(view.requestedBy)} asks to run *${name(title, TITLE_MAX)}* (runbook \`${name(view.runbook.id, 64)}\`) on *${name(view.target.name)}*.` +
        (view.dryRun ? '\n🧪 *Dry run*: approving it shows what would happen; nothing is executed.' : ''),
    ),
    {
      type: 'section',
      fields: [
        `*Container*\n${name(view.target.name)}`,
        `*Parameters*\n${view.params.length === 0 ? 'none' : fitList(view.params, MAX_PARAMS, (p) => `${name(p.name, 32)} = ${name(p.value, 60)}`).join('\n')}`,
        `*Risk*\n${RISK_TEXT[view.runbook.risk]}`,
        `*Who may approve*\n${describeApprovers(view)}`,
        `*Expires*\n${slackDate(view.expiresAt)}`,
        `*Now*\n${describeCurrent(view.current)}`,
      ].map((text) => ({ type: 'mrkdwn' as const, text: truncateMrkdwn(text, BLOCK_KIT_LIMITS.fieldText) })),
    },
    section(`*Expected effect:* ${describeExpected(view)}`),
    section(`*Dry run: exactly what would be executed*\n${codeBlock(view.plan.action, ACTION_MAX)}\n${userText(view.plan.summary, SUMMARY_MAX)}`),
  ];
  const notes = view.plan.notes.filter((note) => note.trim() !== '');
  if (notes.length > 0) blocks.push(context(...fitList(notes, MAX_NOTES, (note) => `ℹ️ ${userText(note, NOTE_MAX)}`)));
  blocks.push(
    context(
      `Verified ${describeDelay(view.verify.afterMs)} after the run: ${view.verify.goal === null ? `${METRIC_LABEL[view.verify.metric]} (no goal declared)` : userText(view.verify.goal, GOAL_MAX)}`,
      `\`${name(view.runbook.file, 80)}\` @${view.runbook.sha256.slice(0, 12)} · request \`${view.requestId.slice(0, 8)}\``,
    ),
  );
  if (state.status === 'pending') {
    const approvals = state.approvals.filter((a) => a.decision === 'approve');
    if (approvals.length > 0) blocks.push(section(`Approved so far by ${people(approvals.map((a) => a.user))} (${approvals.length} of ${view.required}).`));
    blocks.push(approvalButtons(view));
  } else {
    blocks.push(section(describeState(view, state)));
  }
  return message(
    `memwarden: ${state.status === 'pending' ? 'approval needed' : state.status}${dry}: ${view.runbook.title} on ${view.target.name} (request ${view.requestId.slice(0, 8)}, requested by ${view.requestedBy})`,
    blocks,
  );
}

function approvalButtons(view: ApprovalView): KnownBlock {
  const approve = {
    type: 'button' as const,
    action_id: ACTION.approveRemediation,
    text: { type: 'plain_text' as const, text: view.dryRun ? 'Approve dry run' : 'Approve', emoji: true },
    // The request id only: the listener reads everything else back from the store.
    value: view.requestId,
    style: 'primary' as const,
    ...(view.runbook.risk === 'high'
      ? {
          confirm: {
            title: { type: 'plain_text' as const, text: 'Approve a high-risk remediation?' },
            text: {
              type: 'mrkdwn' as const,
              text: truncateMrkdwn(`This runs *${name(view.runbook.title, 80)}* on *${name(view.target.name)}* now: ${escapeMrkdwn(truncate(view.plan.action, 140))}`, BLOCK_KIT_LIMITS.confirmText),
            },
            confirm: { type: 'plain_text' as const, text: 'Approve and run' },
            deny: { type: 'plain_text' as const, text: 'Cancel' },
            style: 'danger' as const,
          },
        }
      : {}),
  };
  const reject = {
    type: 'button' as const,
    action_id: ACTION.rejectRemediation,
    text: { type: 'plain_text' as const, text: 'Reject', emoji: true },
    value: view.requestId,
    style: 'danger' as const,
  };
  return { type: 'actions', block_id: BLOCK.approvalActions, elements: [approve, reject] };
}

function describeState(view: ApprovalView, state: ApprovalState): string {
  const approvedBy = state.approvals.filter((a) => a.decision === 'approve').map((a) => a.user);
  const by = approvedBy.length > 0 ? `, approved by ${people(approvedBy)}` : '';
  const detail = state.detail ? `: ${userText(state.detail, SUMMARY_MAX)}` : '';
  switch (state.status) {
    case 'approved':
    case 'executing':
      return `▶️ *Running*${by}. Progress and the result follow in the thread.`;
    case 'succeeded':
      return `✅ *Done*${by}${detail}`;
    case 'failed':
      return `❌ *Failed*${by}${detail}`;
    case 'rejected': {
      const rejecter = state.approvals.find((a) => a.decision === 'reject')?.user;
      return `🚫 *Rejected*${rejecter ? ` by ${user(rejecter)}` : ''}: it will not run.`;
    }
    case 'expired':
      return `⌛ *Expired* ${slackDate(view.expiresAt)} without enough approvals: nothing was run. Request it again if it is still needed.`;
    case 'not-executed':
      return `⚪ *Not run*${detail}`;
    case 'pending':
      return 'Waiting for approval.';
  }
}

/** The first thread reply once approved: what runs now. */
export function renderRemediationStarted(view: ApprovalView, approvedBy: readonly string[]): SlackMessage {
  const lead = view.dryRun
    ? `🧪 Dry run approved by ${people(approvedBy)}: nothing is executed. It would run:`
    : `▶️ Approved by ${people(approvedBy)}: running on *${name(view.target.name)}* (at most ${describeDelay(view.timeoutMs)}):`;
  return message(`memwarden: ${view.dryRun ? 'dry run of' : 'running'} ${view.runbook.title} on ${view.target.name}`, [section(`${lead}\n${codeBlock(view.plan.action, ACTION_MAX)}`)]);
}

/** The thread reply with what the run did. */
export function renderRemediationResult(view: ApprovalView, result: ResultView): SlackMessage {
  const blocks: KnownBlock[] = [section(`${RESULT_HEAD[result.status]} (${describeDelay(result.durationMs)}): ${userText(result.summary, SUMMARY_MAX)}`)];
  if (result.action !== null && !view.dryRun) blocks.push(section(`Ran:\n${codeBlock(result.action, ACTION_MAX)}`));
  if (result.output.trim() !== '') blocks.push(section(`Output:\n${codeBlock(result.output, OUTPUT_MAX)}`));
  const figures = measurementFields(result.before, result.after);
  if (figures.length > 0) blocks.push({ type: 'section', fields: figures.map((text) => ({ type: 'mrkdwn' as const, text })) });
  const notes = result.notes.filter((note) => note.trim() !== '');
  if (notes.length > 0) blocks.push(context(...fitList(notes, MAX_NOTES, (note) => `ℹ️ ${userText(note, NOTE_MAX)}`)));
  if (result.verifyAt !== null) blocks.push(context(`memwarden measures again ${slackDate(result.verifyAt)} to verify: ${view.verify.goal === null ? METRIC_LABEL[view.verify.metric] : userText(view.verify.goal, GOAL_MAX)}.`));
  return message(`memwarden: ${view.runbook.title} on ${view.target.name}: ${result.status}: ${result.summary}`, blocks);
}

/** The thread reply after verify.after: the figures re-measured, and whether the goal was met. */
export function renderVerification(view: ApprovalView, verification: Verification): SlackMessage {
  const verdict =
    verification.goalMet === null
      ? verification.expected === null
        ? '🔎 *Verified* (the runbook declares no goal)'
        : '🔎 *Could not verify*'
      : verification.goalMet
        ? '🔎✅ *Verified: the goal was met*'
        : '🔎⚠️ *Verified: the goal was NOT met*';
  const blocks: KnownBlock[] = [
    section(`${verdict}: ${userText(verification.summary, SUMMARY_MAX)}`),
  ];
  const figures = measurementFields(verification.beforeMeasurement, verification.afterMeasurement);
  if (figures.length > 0) blocks.push({ type: 'section', fields: figures.map((text) => ({ type: 'mrkdwn' as const, text })) });
  blocks.push(
    context(
      `Measured just before the run (${slackDate(verification.beforeMeasurement.at)}) and again ${describeDelay(verification.afterMeasurement.at - verification.beforeMeasurement.at)} later (${slackDate(verification.afterMeasurement.at)}): usage as docker stats shows it, PSS for the process group, the master's live children for the pool.`,
    ),
  );
  return message(`memwarden: verified ${view.runbook.title} on ${view.target.name}: ${verification.summary}`, blocks);
}

/** The reply in the originating alert's thread: what was run about it, and how it went. */
export function renderAlertFollowup(view: ApprovalView, approvedBy: readonly string[], result: Pick<ResultView, 'status' | 'summary'>, verification: Verification | null): SlackMessage {
  const lines = [
    `🛠 *${name(view.runbook.title, TITLE_MAX)}* was run on *${name(view.target.name)}*${approvedBy.length > 0 ? `, approved by ${people(approvedBy)}` : ''}: ${RESULT_HEAD[result.status]}: ${userText(result.summary, 600)}`,
  ];
  if (verification !== null) {
    const mark = verification.goalMet === null ? '🔎' : verification.goalMet ? '✅' : '⚠️';
    lines.push(`${mark} Verification: ${userText(verification.summary, 600)}`);
  }
  return message(`memwarden: ${view.runbook.title} on ${view.target.name}: ${verification?.summary ?? result.summary}`, [section(lines.join('\n'))]);
}

// --- ephemeral answers ---

/** A request or click that changed nothing, and why; `reason` is raw text with memwarden's mention tokens (the approvers). */
export function renderRemediationRefused(reason: string): SlackMessage {
  return message(`memwarden: nothing was changed. ${reason}`, [section(`⚠️ *Nothing was changed.* ${mrkdwnWithMentions(reason, 2000)}`)]);
}

export function renderRequestAccepted(view: ApprovalView, channel: string): SlackMessage {
  return message(`memwarden: requested ${view.runbook.title} on ${view.target.name} (request ${view.requestId.slice(0, 8)})`, [
    section(
      `📨 Requested *${name(view.runbook.title, TITLE_MAX)}* on *${name(view.target.name)}*${view.dryRun ? ' as a dry run' : ''}. The approval message is in ${SLACK_ID.test(channel) ? `<#${channel}>` : name(channel, 40)}: ${describeApprovers(view)} may approve it until ${slackDate(view.expiresAt)}.`,
    ),
    context(`Request \`${view.requestId.slice(0, 8)}\` · what would run: ${userText(view.plan.action, 300)}`),
  ]);
}

export type DecisionAnswer =
  | { kind: 'waiting'; approvals: number; required: number }
  | { kind: 'rejected' }
  | { kind: 'executed'; outcome: 'succeeded' | 'failed'; summary: string };

export function renderDecisionAnswer(view: ApprovalView | null, what: string, answer: DecisionAnswer): SlackMessage {
  const subject = view ? `*${name(view.runbook.title, TITLE_MAX)}* on *${name(view.target.name)}*` : userText(what, 200);
  switch (answer.kind) {
    case 'waiting':
      return message(`memwarden: approval recorded (${answer.approvals} of ${answer.required})`, [
        section(`👍 Your approval of ${subject} is recorded: ${answer.approvals} of ${answer.required}. It runs when enough approvers have approved.`),
      ]);
    case 'rejected':
      return message(`memwarden: rejected ${what}`, [section(`🚫 You rejected ${subject}: it will not run.`)]);
    case 'executed':
      return message(`memwarden: ${what}: ${answer.outcome}: ${answer.summary}`, [
        section(`${answer.outcome === 'succeeded' ? '✅' : '❌'} You approved ${subject}; it ${answer.outcome === 'succeeded' ? 'ran' : 'failed'}: ${userText(answer.summary, SUMMARY_MAX)}\nThe details are in the approval message's thread.`),
      ]);
  }
}

export function renderSwitchChanged(on: boolean): SlackMessage {
  return message(`memwarden: remediation switched ${on ? 'on' : 'off'}`, [
    section(
      on
        ? '🟢 Remediation is *on*: runbooks that are enabled can be requested and approved again.'
        : '🔴 Remediation is *off* for everyone: nothing can be approved or run until an admin switches it on (`/mem remediation on`).',
    ),
  ]);
}

export function renderRemediationNotConfigured(): SlackMessage {
  return message('memwarden: remediation is not configured here', [
    section('Remediation is not configured in this memwarden: it only reports. An operator enables it with runbooks in `commands/` (see the README).'),
  ]);
}

// --- pieces ---

/** Slack ids are [A-Z0-9]; only those go inside <...>, anything else is shown as text. */
const SLACK_ID = /^[A-Z0-9]{2,30}$/;

function user(id: string): string {
  return SLACK_ID.test(id) ? `<@${id}>` : name(id, 40);
}

function people(users: readonly string[]): string {
  if (users.length === 0) return 'nobody';
  return fitList(users, MAX_PEOPLE, user).join(', ');
}

function describeApprovers(view: Pick<ApprovalView, 'approvers' | 'required' | 'allowSelfApproval' | 'runbook'>): string {
  const who = [
    ...view.approvers.users.map(user),
    ...view.approvers.groups.map((g) => (/^S[A-Z0-9]{2,30}$/.test(g) ? `<!subteam^${g}>` : name(g, 40))),
  ];
  const list = who.length === 0 ? 'nobody (the runbook lists no approvers)' : fitList(who, MAX_PEOPLE, (w) => w).join(', ');
  const self = view.runbook.risk === 'high' || !view.allowSelfApproval ? ', not the requester' : '';
  return `${list}\n${view.required} approval${view.required === 1 ? '' : 's'} needed${self}`;
}

function describeCurrent(current: ApprovalView['current']): string {
  const parts = [`usage ${formatBytes(current.memoryUsageBytes)}`];
  parts.push(current.memoryLimitBytes === null || current.memoryLimitBytes === 0 ? 'no limit' : `limit ${formatBytes(current.memoryLimitBytes)}`);
  if (current.poolSize !== null) parts.push(`pool ${formatMetric('pool-size', current.poolSize)}`);
  return parts.join(' · ');
}

function describeExpected(view: ApprovalView): string {
  const expected = view.expected;
  if (expected !== null) {
    const saving = expected.estimatedSavingsBytes === null ? 'memwarden measured no saving for it' : `frees about *${formatBytes(expected.estimatedSavingsBytes)}* (memwarden's estimate from its measurements)`;
    return `${saving}. From the alert \`${name(expected.fingerprint, 16)}\`: ${userText(expected.title, 300)}.`;
  }
  return userText(view.runbook.description, DESCRIPTION_MAX);
}

function measurementFields(before: Measurement | null, after: Measurement | null): string[] {
  if (before === null && after === null) return [];
  const rows: [string, VerifyMetric][] = [
    ['Container usage', 'container-usage'],
    ['Group PSS', 'group-pss'],
    ['Pool size', 'pool-size'],
  ];
  const value = (m: Measurement | null, metric: VerifyMetric): number | null => {
    if (m === null) return null;
    return metric === 'container-usage' ? m.containerUsageBytes : metric === 'group-pss' ? m.groupPssBytes : m.poolSize;
  };
  return rows
    .filter(([, metric]) => value(before, metric) !== null || value(after, metric) !== null)
    .map(([label, metric]) => `*${label}*\n${formatMetric(metric, value(before, metric))} → ${formatMetric(metric, value(after, metric))}`);
}

/** Text in a code block: escaped (Slack still parses <...> there), no ``` run to end it early. */
function codeBlock(text: string, max: number): string {
  return '```' + truncateMrkdwn(escapeMrkdwn(text.replace(/`{3,}/g, 'ˋˋˋ')), max) + '```';
}

function describeDelay(ms: number): string {
  if (!Number.isFinite(ms) || ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.round(seconds / 60);
  return minutes < 120 ? `${minutes}m` : `${Math.round(minutes / 60)}h`;
}

