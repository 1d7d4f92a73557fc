// Notices rendered the way the Slack sink renders them, one helper per message memwarden sends, so
// the renderer tests and golden files read as before: each is slackMessage(<the notice>).
import { alertDetailsNotice, alertParentNotice, alertTimelineNotice } from '../../../../src/alerts/alert-notices.js';
import type { AlertViewModel } from '../../../../src/alerts/alert-view.js';
import { silenceEndedNotice, silenceNotice } from '../../../../src/alerts/silence-notices.js';
import { storeAlertParentNotice, storeAlertResolvedNotice, type StoreAlertView } from '../../../../src/alerts/store-alert-notices.js';
import type { Digest } from '../../../../src/digest/digest-data.js';
import { digestNotice, type DigestNoticeOptions } from '../../../../src/digest/digest-notice.js';
import type { AlertTransition } from '../../../../src/model/alert.js';
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
} from '../../../../src/remediate/remediation-notices.js';
import type { ApprovalState, ApprovalView, DecisionAnswer, ResultView } from '../../../../src/remediate/remediation-views.js';
import type { Verification } from '../../../../src/remediate/verification.js';
import type { SlackMessage } from '../../../../src/slack/render/block-kit-limits.js';
import { slackMessage } from '../../../../src/slack/render/render-notice.js';

export const renderAlertParent = (vm: AlertViewModel): SlackMessage => slackMessage(alertParentNotice(vm));
export const renderAlertDetails = (vm: AlertViewModel): SlackMessage => slackMessage(alertDetailsNotice(vm));
export const renderAlertTimelineEntry = (t: AlertTransition, options: { criticalMention?: string | null } = {}): SlackMessage => slackMessage(alertTimelineNotice(t, options));

export const renderApprovalRequest = (view: ApprovalView, state: ApprovalState): SlackMessage => slackMessage(approvalRequestNotice(view, state));
export const renderRemediationStarted = (view: ApprovalView, approvedBy: readonly string[]): SlackMessage => slackMessage(remediationStartedNotice(view, approvedBy));
export const renderRemediationResult = (view: ApprovalView, result: ResultView): SlackMessage => slackMessage(remediationResultNotice(view, result));
export const renderVerification = (view: ApprovalView, verification: Verification): SlackMessage => slackMessage(verificationNotice(view, verification));
export const renderAlertFollowup = (view: ApprovalView, approvedBy: readonly string[], result: Pick<ResultView, 'status' | 'summary'>, verification: Verification | null): SlackMessage =>
  slackMessage(alertFollowupNotice(view, approvedBy, result, verification));
export const renderRemediationRefused = (reason: string): SlackMessage => slackMessage(remediationRefusedNotice(reason));
export const renderRequestAccepted = (view: ApprovalView, channel: string): SlackMessage => slackMessage(requestAcceptedNotice(view, channel));
export const renderDecisionAnswer = (view: ApprovalView | null, what: string, answer: DecisionAnswer): SlackMessage => slackMessage(decisionAnswerNotice(view, what, answer));
export const renderSwitchChanged = (on: boolean): SlackMessage => slackMessage(switchChangedNotice(on));
export const renderRemediationNotConfigured = (): SlackMessage => slackMessage(remediationNotConfiguredNotice());

export const renderDigestMessage = (digest: Digest, options: DigestNoticeOptions = {}): SlackMessage => slackMessage(digestNotice(digest, options));

export const renderSilenceNote = (view: Parameters<typeof silenceNotice>[0]): SlackMessage => slackMessage(silenceNotice(view));
export const renderSilenceEndedNote = (silence: Parameters<typeof silenceEndedNotice>[0], by: string): SlackMessage => slackMessage(silenceEndedNotice(silence, by));

export const renderStoreAlertParent = (view: StoreAlertView): SlackMessage => slackMessage(storeAlertParentNotice(view));
export const renderStoreAlertResolved = (view: StoreAlertView & { resolvedAt: number }): SlackMessage => slackMessage(storeAlertResolvedNotice(view));
