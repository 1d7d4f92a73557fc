// The interactive components memwarden answers. Buttons in one block need distinct action_ids,
// so the alert message names them ACTION.silenceAlert plus a suffix ("alert_silence:4h") and
// listeners match its ALERT_ACTION_PATTERN. The remediation buttons come with their own issue
// and are not registered yet.
import type { App } from '@slack/bolt';
import { ALERT_ACTION_PATTERN } from '../../render/alert-message.js';
import type { ListenerDeps } from '../listener-deps.js';
import { silenceAlert } from './silence-alert.js';

export const ACTION_LISTENERS = [{ actionId: ALERT_ACTION_PATTERN.silenceAlert, create: silenceAlert }] as const;

export function registerActions(app: App, deps: ListenerDeps): void {
  for (const listener of ACTION_LISTENERS) app.action({ type: 'block_actions', action_id: listener.actionId }, listener.create(deps));
}
