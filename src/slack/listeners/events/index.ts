// The Events API events memwarden listens to. manifest.yml subscribes to none by default: an
// operator who lists approver groups adds the subscription with the usergroups:read scope (see
// the comment there).
import type { App } from '@slack/bolt';
import type { ListenerDeps } from '../listener-deps.js';
import { subteamMembersChanged } from './subteam-members-changed.js';

export const EVENT_LISTENERS = [{ event: 'subteam_members_changed', create: subteamMembersChanged }] as const;

export function registerEvents(app: App, deps: ListenerDeps): void {
  for (const listener of EVENT_LISTENERS) app.event(listener.event, listener.create(deps));
}
