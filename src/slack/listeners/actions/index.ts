// The interactive components memwarden answers. Buttons in one block need distinct action_ids,
// so the alert message names them ACTION.x plus a suffix ("alert_silence:4h",
// "remediation_request:0") and listeners match its ALERT_ACTION_PATTERN; the approval message's
// two buttons have distinct ids of their own.
import type { App } from '@slack/bolt';
import { ACTION } from '../../ids.js';
import type { ListenerDeps } from '../listener-deps.js';
import { approveRemediation } from './approve-remediation.js';
import { rejectRemediation } from './reject-remediation.js';
import { requestRemediation } from './request-remediation.js';
import { silenceAlert } from './silence-alert.js';

/** action_ids of the alert's buttons: the ACTION constant and a suffix (render-notice.ts writes it from the button's variant). */
export const ALERT_ACTION_PATTERN = {
  silenceAlert: new RegExp(`^${ACTION.silenceAlert}(:.*)?$`),
  requestRemediation: new RegExp(`^${ACTION.requestRemediation}(:.*)?$`),
} as const;

export const ACTION_LISTENERS = [
  { actionId: ALERT_ACTION_PATTERN.silenceAlert, create: silenceAlert },
  { actionId: ALERT_ACTION_PATTERN.requestRemediation, create: requestRemediation },
  { actionId: new RegExp(`^${ACTION.approveRemediation}$`), create: approveRemediation },
  { actionId: new RegExp(`^${ACTION.rejectRemediation}$`), create: rejectRemediation },
] as const;

export function registerActions(app: App, deps: ListenerDeps): void {
  for (const listener of ACTION_LISTENERS) app.action({ type: 'block_actions', action_id: listener.actionId }, listener.create(deps));
}
