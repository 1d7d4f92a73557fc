// Alert messages as Slack sees them: the alert's notices (alerts/alert-notices.ts) rendered to
// Block Kit. action_ids must be unique within their block, so each button's is the ACTION
// constant plus a suffix ("alert_silence:4h", "remediation_request:0"); listeners match with
// ALERT_ACTION_PATTERN.
import { alertDetailsNotice, alertParentNotice, alertTimelineNotice } from '../../alerts/alert-notices.js';
import type { AlertViewModel } from '../../alerts/alert-view.js';
import type { AlertTransition } from '../../model/alert.js';
import { ACTION } from '../ids.js';
import type { SlackMessage } from './block-kit-limits.js';
import { renderNotice } from './render-notice.js';

export { buildAlertViewModel, type AlertViewModel } from '../../alerts/alert-view.js';

export const ALERT_ACTION_PATTERN = {
  silenceAlert: new RegExp(`^${ACTION.silenceAlert}(:.*)?$`),
  requestRemediation: new RegExp(`^${ACTION.requestRemediation}(:.*)?$`),
} as const;

const slack = (notice: Parameters<typeof renderNotice>[0]): SlackMessage => {
  const { text, blocks } = renderNotice(notice);
  return { text, blocks };
};

export function renderAlertParent(vm: AlertViewModel): SlackMessage {
  return slack(alertParentNotice(vm));
}

export function renderAlertDetails(vm: AlertViewModel): SlackMessage {
  return slack(alertDetailsNotice(vm));
}

export function renderAlertTimelineEntry(transition: AlertTransition, options: { criticalMention?: string | null } = {}): SlackMessage {
  return slack(alertTimelineNotice(transition, options));
}
