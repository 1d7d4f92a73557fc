// A Slack user group's members changed (event subteam_members_changed, scope usergroups:read):
// forget the cached group memberships of everyone added or removed, so someone taken out of an
// approver group cannot approve on a stale cache. Without the subscription the cache still
// expires after a minute (remediate/group-cache.ts).
import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import type { ListenerDeps } from '../listener-deps.js';

export function subteamMembersChanged(deps: ListenerDeps) {
  return async ({ event }: AllMiddlewareArgs & SlackEventMiddlewareArgs<'subteam_members_changed'>): Promise<void> => {
    const users = [...(event.added_users ?? []), ...(event.removed_users ?? [])].filter((u): u is string => typeof u === 'string');
    // A count without the list (Slack sends at most some ids): forget everyone.
    const complete = users.length === (event.added_users_count ?? 0) + (event.removed_users_count ?? 0);
    deps.services.remediation?.forgetGroups(complete ? users : undefined);
    deps.logger.info({ group: event.subteam_id, users: users.length, everyone: !complete }, 'Slack user group changed; cached memberships forgotten');
  };
}
