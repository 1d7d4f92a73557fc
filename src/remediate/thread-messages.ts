// The two places a remediation talks in: its approval message (and that message's thread) and the
// thread of the alert it came from. Everything goes through the outbox (deps.enqueue) under the
// message's own ordering key, so an update never overtakes the post it edits and nothing is lost
// across a crash or a Slack outage.
import type { Notice } from '../model/notice.js';
import { approvalRequestNotice } from './remediation-notices.js';
import { type ApprovalState, type ApprovalView, approvalMessageKey } from './remediation-views.js';
import { getAlertMessage } from '../store/outbox.js';
import { getExecution, getRequest } from '../store/remediation.js';
import type { RemediationRequest } from '../model/remediation.js';
import { type Followup, getFollowup } from '../store/remediation-flow.js';
import { reportSummary } from './message-views.js';
import type { RemediationDeps } from './remediation.js';

export interface ThreadMessages {
  /** Posts, updates or replies to the approval message of a request. */
  toThread(requestId: string, channel: string, op: 'post' | 'update' | 'reply', notice: Notice): void;
  /** Replies under the originating alert; nothing when the request did not come from one. */
  toAlertThread(followup: Followup, notice: Notice): void;
  /** The request's state as the approval message shows it. */
  stateOf(request: RemediationRequest): ApprovalState;
  /** Re-renders the approval message with the request's state now. */
  refreshApproval(requestId: string): void;
}

export function createThreadMessages(deps: Pick<RemediationDeps, 'db' | 'enqueue'>): ThreadMessages {
  const { db } = deps;

  function toThread(requestId: string, channel: string, op: 'post' | 'update' | 'reply', notice: Notice): void {
    const key = approvalMessageKey(requestId);
    deps.enqueue({ orderingKey: key, messageKey: key, op, channel, content: { notice } });
  }

  function toAlertThread(followup: Followup, notice: Notice): void {
    if (followup.alertMessageKey === null || followup.alertFingerprint === null) return;
    const alert = getAlertMessage(db, followup.alertMessageKey);
    if (!alert) return;
    deps.enqueue({ orderingKey: followup.alertFingerprint, messageKey: followup.alertMessageKey, op: 'reply', channel: alert.channel, content: { notice } });
  }

  function stateOf(request: RemediationRequest): ApprovalState {
    const execution = getExecution(db, request.id);
    const summary = reportSummary(execution?.result);
    return { status: request.status, approvals: request.approvals, detail: summary ?? request.statusDetail };
  }

  function refreshApproval(requestId: string): void {
    const followup = getFollowup(db, requestId);
    const request = getRequest(db, requestId);
    if (!followup || !request) return;
    toThread(requestId, followup.channel, 'update', approvalRequestNotice(followup.view as ApprovalView, stateOf(request)));
  }

  return { toThread, toAlertThread, stateOf, refreshApproval };
}
