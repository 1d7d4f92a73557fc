// Remediation messages as Slack sees them: the remediation's notices (remediate/remediation-notices.ts)
// rendered to Block Kit. Two things Slack shows have no notice form yet, so they are added here,
// after rendering: the red confirm button of a high-risk approval, and the link to the channel
// that holds the approval message.
import {
  alertFollowupNotice,
  approvalRequestNotice,
  decisionAnswerNotice,
  remediationNotConfiguredNotice,
  remediationRefusedNotice,
  remediationResultNotice,
  remediationStartedNotice,
  requestAcceptedNotice,
  switchChangedNotice,
  verificationNotice,
} from '../../remediate/remediation-notices.js';
import type { ApprovalState, ApprovalView, DecisionAnswer, ResultView } from '../../remediate/remediation-views.js';
import type { Verification } from '../../remediate/verification.js';
import type { Notice } from '../../model/notice.js';
import { BLOCK_KIT_LIMITS, type KnownBlock, type SlackMessage, truncateMrkdwn } from './block-kit-limits.js';
import { renderNotice } from './render-notice.js';

/** Channel ids as Slack issues them: only these become a link; anything else stays text. */
const CHANNEL_ID = /^[A-Z0-9]{2,30}$/;

function slack(notice: Notice): SlackMessage {
  const { text, blocks } = renderNotice(notice);
  return { text, blocks };
}

/** The approval request, in its current state: buttons while pending, the outcome after. */
export function renderApprovalRequest(view: ApprovalView, state: ApprovalState): SlackMessage {
  const message = slack(approvalRequestNotice(view, state));
  return { ...message, blocks: message.blocks.map(dangerousConfirm) };
}

/** The first thread reply once approved: what runs now. */
export function renderRemediationStarted(view: ApprovalView, approvedBy: readonly string[]): SlackMessage {
  return slack(remediationStartedNotice(view, approvedBy));
}

/** The thread reply with what the run did. */
export function renderRemediationResult(view: ApprovalView, result: ResultView): SlackMessage {
  return slack(remediationResultNotice(view, result));
}

/** The thread reply after verify.after: the figures re-measured, and whether the goal was met. */
export function renderVerification(view: ApprovalView, verification: Verification): SlackMessage {
  return slack(verificationNotice(view, verification));
}

/** The reply in the originating alert's thread: what was run about it, and how it went. */
export function renderAlertFollowup(view: ApprovalView, approvedBy: readonly string[], result: Pick<ResultView, 'status' | 'summary'>, verification: Verification | null): SlackMessage {
  return slack(alertFollowupNotice(view, approvedBy, result, verification));
}

/** A request or click that changed nothing, and why; `reason` is raw text with memwarden's mention tokens (the approvers). */
export function renderRemediationRefused(reason: string): SlackMessage {
  return slack(remediationRefusedNotice(reason));
}

export function renderRequestAccepted(view: ApprovalView, channel: string): SlackMessage {
  const message = slack(requestAcceptedNotice(view, channel));
  return CHANNEL_ID.test(channel) ? { ...message, blocks: message.blocks.map((block, index) => (index === 0 ? linkChannel(block, channel) : block)) } : message;
}

export function renderDecisionAnswer(view: ApprovalView | null, what: string, answer: DecisionAnswer): SlackMessage {
  return slack(decisionAnswerNotice(view, what, answer));
}

export function renderSwitchChanged(on: boolean): SlackMessage {
  return slack(switchChangedNotice(on));
}

export function renderRemediationNotConfigured(): SlackMessage {
  return slack(remediationNotConfiguredNotice());
}

/** A confirm dialog on an approval asks before running something high-risk: its button is red. */
function dangerousConfirm(block: KnownBlock): KnownBlock {
  if (block.type !== 'actions') return block;
  return { ...block, elements: block.elements.map((element) => ('confirm' in element && element.confirm ? { ...element, confirm: { ...element.confirm, style: 'danger' as const } } : element)) };
}

/**
 * The notice names the channel as text ("…is in C0123ABCD: …"); Slack shows an id as a link.
 * The phrase is the notice's own and the last of its kind in the text (only approver ids and
 * handles, which hold no spaces, and a date follow it), so the last occurrence is the one replaced.
 */
function linkChannel(block: KnownBlock, channel: string): KnownBlock {
  if (block.type !== 'section' || block.text?.type !== 'mrkdwn') return block;
  const phrase = ` is in ${channel}: `;
  const at = block.text.text.lastIndexOf(phrase);
  if (at < 0) return block;
  const text = truncateMrkdwn(`${block.text.text.slice(0, at)} is in <#${channel}>: ${block.text.text.slice(at + phrase.length)}`, BLOCK_KIT_LIMITS.sectionText);
  return { ...block, text: { ...block.text, text } };
}
