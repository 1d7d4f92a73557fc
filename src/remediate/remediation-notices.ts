// What a remediation tells people, as notices (model/notice.ts): the approval request in its
// current state (buttons while pending, the outcome after), the replies in its thread (running,
// the result, the verification), the reply in the originating alert's thread, and the answers to
// the person who asked or clicked. Pure. Outside text (names, summaries, output) is cut to budgets
// here that keep each message well within what any renderer shows; escaping it is the renderer's.
import { formatBytes } from '../format/units.js';
import { truncate } from '../format/truncate.js';
import { plainMentions } from '../format/mentions.js';
import type { RequestStatus } from '../model/remediation.js';
import type { Notice, NoticeBlock, NoticeButton, NoticeField, Span, Text } from '../model/notice.js';
import { describeApprovers, describeDelay, fitSpans, joined, measurementBlock, notesBlock, people, person, reasonSpans } from './notice-parts.js';
import type { ApprovalState, ApprovalView, DecisionAnswer, ResultView } from './remediation-views.js';
import { formatMetric, METRIC_LABEL, type Verification } from './verification.js';

const RISK_TEXT = { low: '🟢 low', high: '🔴 high' } as const;
// Budgets (UTF-16 units of the text as it is, before a renderer escapes it) that keep every
// message far below Slack's limits, the ~12k characters of blocks JSON included. Text that
// escaping lengthens several times over ("<", "&", control characters throughout) is still cut
// to each block's limit by the renderer, but a whole message of it can pass the JSON budget.
const TITLE_MAX = 100;
const NAME_MAX = 60;
const SUMMARY_MAX = 600;
const ACTION_MAX = 1500;
const OUTPUT_MAX = 1500;
const MAX_PARAMS = 8;
const DESCRIPTION_MAX = 600;
const GOAL_MAX = 200;
const REASON_MAX = 2000;
/** The summary is one line for a notification, not the whole message. */
const LINE_MAX = 500;

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

const RESULT_HEAD: Record<ResultView['status'], [mark: string, label: string]> = {
  applied: ['✅', 'Done'],
  'nothing-to-do': ['✅', 'Nothing to do'],
  partial: ['⚠️', 'Partly done'],
  failed: ['❌', 'Failed'],
  refused: ['🚫', 'Refused, nothing was changed'],
  'timed-out': ['⏱', 'Timed out'],
  'dry-run': ['🧪', 'Dry run, nothing was executed'],
};

/** The approval request, in its current state: buttons while pending, the outcome after. */
export function approvalRequestNotice(view: ApprovalView, state: ApprovalState): Notice {
  const title = truncate(view.runbook.title, TITLE_MAX);
  const dry = view.dryRun ? ' (dry run)' : '';
  const blocks: NoticeBlock[] = [
    { type: 'heading', text: `${STATUS_HEAD[state.status]}${dry}: ${title}` },
    {
      type: 'text',
      text: [
        person(view.requestedBy), ' asks to run ', { strong: title }, ' (runbook ', { code: truncate(view.runbook.id, 64) }, ') on ', { strong: targetName(view) }, '.',
        ...(view.dryRun ? ['\n🧪 ', { strong: 'Dry run' }, ': approving it shows what would happen; nothing is executed.'] : []),
      ],
    },
    { type: 'fields', fields: requestFields(view) },
    { type: 'text', text: [{ strong: 'Expected effect:' }, ' ', ...describeExpected(view)] },
    { type: 'text', text: [{ strong: 'Dry run: exactly what would be executed' }, '\n', { pre: truncate(view.plan.action, ACTION_MAX) }, '\n', truncate(view.plan.summary, SUMMARY_MAX)] },
  ];
  blocks.push(...notesBlock(view.plan.notes));
  const goal = view.verify.goal === null ? `${METRIC_LABEL[view.verify.metric]} (no goal declared)` : truncate(view.verify.goal, GOAL_MAX);
  blocks.push({
    type: 'note',
    lines: [
      [`Verified ${describeDelay(view.verify.afterMs)} after the run: ${goal}`],
      [{ code: truncate(view.runbook.file, 80) }, ` @${view.runbook.sha256.slice(0, 12)} · request `, { code: view.requestId.slice(0, 8) }],
    ],
  });
  if (state.status === 'pending') {
    const approvals = state.approvals.filter((a) => a.decision === 'approve');
    if (approvals.length > 0) blocks.push({ type: 'text', text: ['Approved so far by ', ...people(approvals.map((a) => a.user)), ` (${approvals.length} of ${view.required}).`] });
    blocks.push({ type: 'buttons', row: 'approval', buttons: approvalButtons(view) });
  } else {
    blocks.push({ type: 'text', text: describeState(view, state) });
  }
  const status = state.status === 'pending' ? 'approval needed' : state.status;
  return {
    summary: line(`memwarden: ${status}${dry}: ${view.runbook.title} on ${view.target.name} (request ${view.requestId.slice(0, 8)}, requested by ${view.requestedBy})`),
    blocks,
  };
}

/** The first thread reply once approved: what runs now. */
export function remediationStartedNotice(view: ApprovalView, approvedBy: readonly string[]): Notice {
  const lead: Span[] = view.dryRun
    ? ['🧪 Dry run approved by ', ...people(approvedBy), ': nothing is executed. It would run:']
    : ['▶️ Approved by ', ...people(approvedBy), ': running on ', { strong: targetName(view) }, ` (at most ${describeDelay(view.timeoutMs)}):`];
  return {
    summary: line(`memwarden: ${view.dryRun ? 'dry run of' : 'running'} ${view.runbook.title} on ${view.target.name}`),
    blocks: [{ type: 'text', text: [...lead, '\n', { pre: truncate(view.plan.action, ACTION_MAX) }] }],
  };
}

/** The thread reply with what the run did. */
export function remediationResultNotice(view: ApprovalView, result: ResultView): Notice {
  const blocks: NoticeBlock[] = [{ type: 'text', text: [...resultHead(result.status), ` (${describeDelay(result.durationMs)}): `, truncate(result.summary, SUMMARY_MAX)] }];
  if (result.action !== null && !view.dryRun) blocks.push({ type: 'text', text: ['Ran:\n', { pre: truncate(result.action, ACTION_MAX) }] });
  if (result.output.trim() !== '') blocks.push({ type: 'text', text: ['Output:\n', { pre: truncate(result.output, OUTPUT_MAX) }] });
  blocks.push(...measurementBlock(result.before, result.after));
  blocks.push(...notesBlock(result.notes));
  if (result.verifyAt !== null) {
    const goal = view.verify.goal === null ? METRIC_LABEL[view.verify.metric] : truncate(view.verify.goal, GOAL_MAX);
    blocks.push({ type: 'note', lines: [['memwarden measures again ', { time: result.verifyAt }, ` to verify: ${goal}.`]] });
  }
  return { summary: line(`memwarden: ${view.runbook.title} on ${view.target.name}: ${result.status}: ${result.summary}`), blocks };
}

/** The thread reply after verify.after: the figures re-measured, and whether the goal was met. */
export function verificationNotice(view: ApprovalView, verification: Verification): Notice {
  const verdict: Span[] =
    verification.goalMet === null
      ? verification.expected === null
        ? ['🔎 ', { strong: 'Verified' }, ' (the runbook declares no goal)']
        : ['🔎 ', { strong: 'Could not verify' }]
      : verification.goalMet
        ? ['🔎✅ ', { strong: 'Verified: the goal was met' }]
        : ['🔎⚠️ ', { strong: 'Verified: the goal was NOT met' }];
  const { beforeMeasurement: before, afterMeasurement: after } = verification;
  return {
    summary: line(`memwarden: verified ${view.runbook.title} on ${view.target.name}: ${verification.summary}`),
    blocks: [
      { type: 'text', text: [...verdict, ': ', truncate(verification.summary, SUMMARY_MAX)] },
      ...measurementBlock(before, after),
      {
        type: 'note',
        lines: [
          [
            'Measured just before the run (', { time: before.at }, `) and again ${describeDelay(after.at - before.at)} later (`, { time: after.at },
            "): usage as docker stats shows it, PSS for the process group, the master's live children for the pool.",
          ],
        ],
      },
    ],
  };
}

/** The reply in the originating alert's thread: what was run about it, and how it went. */
export function alertFollowupNotice(view: ApprovalView, approvedBy: readonly string[], result: Pick<ResultView, 'status' | 'summary'>, verification: Verification | null): Notice {
  const text: Span[] = [
    '🛠 ', { strong: truncate(view.runbook.title, TITLE_MAX) }, ' was run on ', { strong: targetName(view) },
    ...(approvedBy.length > 0 ? [', approved by ', ...people(approvedBy)] : []),
    ': ', ...resultHead(result.status), ': ', truncate(result.summary, SUMMARY_MAX),
  ];
  if (verification !== null) {
    const mark = verification.goalMet === null ? '🔎' : verification.goalMet ? '✅' : '⚠️';
    text.push(`\n${mark} Verification: `, truncate(verification.summary, SUMMARY_MAX));
  }
  return { summary: line(`memwarden: ${view.runbook.title} on ${view.target.name}: ${verification?.summary ?? result.summary}`), blocks: [{ type: 'text', text }] };
}

// --- answers to the person who asked or clicked ---

/** A request or click that changed nothing, and why; `reason` is raw text with memwarden's mention tokens (the approvers). */
export function remediationRefusedNotice(reason: string): Notice {
  return { summary: line(`memwarden: nothing was changed. ${reason}`), blocks: [{ type: 'text', text: ['⚠️ ', { strong: 'Nothing was changed.' }, ' ', ...reasonSpans(reason, REASON_MAX)] }] };
}

/** What the requester is told once the approval message is posted; `channel` is where. */
export function requestAcceptedNotice(view: ApprovalView, channel: string): Notice {
  return {
    summary: line(`memwarden: requested ${view.runbook.title} on ${view.target.name} (request ${view.requestId.slice(0, 8)})`),
    blocks: [
      {
        type: 'text',
        text: [
          '📨 Requested ', { strong: truncate(view.runbook.title, TITLE_MAX) }, ' on ', { strong: targetName(view) }, `${view.dryRun ? ' as a dry run' : ''}. The approval message is in `, { channel: truncate(channel, 40) }, ': ',
          ...describeApprovers(view), ' may approve it until ', { time: view.expiresAt }, '.',
        ],
      },
      { type: 'note', lines: [['Request ', { code: view.requestId.slice(0, 8) }, ' · what would run: ', truncate(view.plan.action, 300)]] },
    ],
  };
}

/** The answer to Approve or Reject; `what` names the request when its view is gone. */
export function decisionAnswerNotice(view: ApprovalView | null, what: string, answer: DecisionAnswer): Notice {
  const subject: Span[] = view ? [{ strong: truncate(view.runbook.title, TITLE_MAX) }, ' on ', { strong: targetName(view) }] : [truncate(what, 200)];
  switch (answer.kind) {
    case 'waiting':
      return notice(`memwarden: approval recorded (${answer.approvals} of ${answer.required})`, [
        '👍 Your approval of ', ...subject, ` is recorded: ${answer.approvals} of ${answer.required}. It runs when enough approvers have approved.`,
      ]);
    case 'rejected':
      return notice(`memwarden: rejected ${what}`, ['🚫 You rejected ', ...subject, ': it will not run.']);
    case 'executed': {
      const ok = answer.outcome === 'succeeded';
      return notice(`memwarden: ${what}: ${answer.outcome}: ${answer.summary}`, [
        `${ok ? '✅' : '❌'} You approved `, ...subject, `; it ${ok ? 'ran' : 'failed'}: `, truncate(answer.summary, SUMMARY_MAX), "\nThe details are in the approval message's thread.",
      ]);
    }
  }
}

export function switchChangedNotice(on: boolean): Notice {
  return notice(
    `memwarden: remediation switched ${on ? 'on' : 'off'}`,
    on
      ? ['🟢 Remediation is ', { strong: 'on' }, ': runbooks that are enabled can be requested and approved again.']
      : ['🔴 Remediation is ', { strong: 'off' }, ' for everyone: nothing can be approved or run until an admin switches it on (', { code: '/mem remediation on' }, ').'],
  );
}

export function remediationNotConfiguredNotice(): Notice {
  return notice('memwarden: remediation is not configured here', [
    'Remediation is not configured in this memwarden: it only reports. An operator enables it with runbooks in ', { code: 'commands/' }, ' (see the README).',
  ]);
}

// --- pieces ---

/** A notice of one paragraph. */
function notice(summary: string, text: Text): Notice {
  return { summary: line(summary), blocks: [{ type: 'text', text }] };
}

/** The summary: one line, and memwarden's mention tokens as "@id", so it never notifies anyone. */
function line(text: string): Text {
  const clean = plainMentions(text).replace(/\s+/g, ' ').trim();
  return [truncate(clean === '' ? 'memwarden' : clean, LINE_MAX)];
}

function targetName(view: ApprovalView): string {
  return truncate(view.target.name, NAME_MAX);
}

function requestFields(view: ApprovalView): NoticeField[] {
  const params = view.params.length === 0 ? ['none'] : joined(fitSpans(view.params, MAX_PARAMS, (p) => [`${truncate(p.name, 32)} = ${truncate(p.value, 60)}`]), '\n');
  return [
    { label: 'Container', value: [targetName(view)] },
    { label: 'Parameters', value: params },
    { label: 'Risk', value: [RISK_TEXT[view.runbook.risk]] },
    { label: 'Who may approve', value: describeApprovers(view) },
    { label: 'Expires', value: [{ time: view.expiresAt }] },
    { label: 'Now', value: [describeCurrent(view.current)] },
  ];
}

function approvalButtons(view: ApprovalView): NoticeButton[] {
  // The request id only: the listener reads everything else back from the store.
  const approve: NoticeButton = { kind: 'approve-remediation', value: view.requestId, label: view.dryRun ? 'Approve dry run' : 'Approve', style: 'primary' };
  if (view.runbook.risk === 'high') {
    const text = ['This runs ', { strong: truncate(view.runbook.title, 80) }, ' on ', { strong: targetName(view) }, ` now: ${truncate(view.plan.action, 140)}`];
    approve.confirm = { title: 'Approve a high-risk remediation?', text, confirm: 'Approve and run', deny: 'Cancel', danger: true };
  }
  return [approve, { kind: 'reject-remediation', value: view.requestId, label: 'Reject', style: 'danger' }];
}

function describeState(view: ApprovalView, state: ApprovalState): Span[] {
  const approvedBy = state.approvals.filter((a) => a.decision === 'approve').map((a) => a.user);
  const by: Span[] = approvedBy.length > 0 ? [', approved by ', ...people(approvedBy)] : [];
  const detail: Span[] = state.detail ? [': ', truncate(state.detail, SUMMARY_MAX)] : [];
  switch (state.status) {
    case 'approved':
    case 'executing':
      return ['▶️ ', { strong: 'Running' }, ...by, '. Progress and the result follow in the thread.'];
    case 'succeeded':
      return ['✅ ', { strong: 'Done' }, ...by, ...detail];
    case 'failed':
      return ['❌ ', { strong: 'Failed' }, ...by, ...detail];
    case 'rejected': {
      const rejecter = state.approvals.find((a) => a.decision === 'reject')?.user;
      return ['🚫 ', { strong: 'Rejected' }, ...(rejecter ? [' by ', person(rejecter)] : []), ': it will not run.'];
    }
    case 'expired':
      return ['⌛ ', { strong: 'Expired' }, ' ', { time: view.expiresAt }, ' without enough approvals: nothing was run. Request it again if it is still needed.'];
    case 'not-executed':
      return ['⚪ ', { strong: 'Not run' }, ...detail];
    case 'pending':
      return ['Waiting for approval.'];
  }
}

function describeCurrent(current: ApprovalView['current']): string {
  const parts = [`usage ${formatBytes(current.memoryUsageBytes)}`];
  parts.push(current.memoryLimitBytes === null || current.memoryLimitBytes === 0 ? 'no limit' : `limit ${formatBytes(current.memoryLimitBytes)}`);
  if (current.poolSize !== null) parts.push(`pool ${formatMetric('pool-size', current.poolSize)}`);
  return parts.join(' · ');
}

function describeExpected(view: ApprovalView): Span[] {
  const expected = view.expected;
  if (expected === null) return [truncate(view.runbook.description, DESCRIPTION_MAX)];
  const saving: Span[] =
    expected.estimatedSavingsBytes === null
      ? ['memwarden measured no saving for it']
      : ['frees about ', { strong: formatBytes(expected.estimatedSavingsBytes) }, " (memwarden's estimate from its measurements)"];
  return [...saving, '. From the alert ', { code: truncate(expected.fingerprint, 16) }, ': ', truncate(expected.title, 300), '.'];
}

function resultHead(status: ResultView['status']): Span[] {
  const [mark, label] = RESULT_HEAD[status];
  return [`${mark} `, { strong: label }];
}

