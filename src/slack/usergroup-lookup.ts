// The approval policy's "which Slack user groups is this user in": one usergroups.list call with
// the members of every group (scope usergroups:read, needed only when a runbook lists approver
// groups). A user is in a group by its id ("S0123ABCD") and by its handle ("@oncall"), the two
// ways a runbook may name it (prefer the id: a handle can be renamed or given to another group).
// The approval service caches answers per user for a minute (remediate/group-cache.ts).
import { webApi } from '@slack/bolt';
import type { GroupLookup } from '../remediate/group-cache.js';

export interface UsergroupLookupOptions {
  token: string;
  /** config.slack.apiUrl (GovSlack, a proxy, tests). */
  slackApiUrl?: string;
  /** Or a client of the caller's (tests); its usergroups.list is all that is used. */
  client?: Pick<webApi.WebClient, 'usergroups'>;
}

/** A lookup for createRemediation's groupsOf; throws (the click is refused and retried later) when Slack cannot be asked. */
export function createUsergroupLookup(options: UsergroupLookupOptions): GroupLookup {
  const client =
    options.client ??
    new webApi.WebClient(options.token, {
      ...(options.slackApiUrl ? { slackApiUrl: options.slackApiUrl } : {}),
      retryConfig: { retries: 1 },
      timeout: 10_000,
    });
  return async (userId) => {
    const answer = await client.usergroups.list({ include_users: true });
    const groups: string[] = [];
    for (const group of answer.usergroups ?? []) {
      if (!group.id || !(group.users ?? []).includes(userId)) continue;
      groups.push(group.id);
      if (group.handle) groups.push(`@${group.handle}`);
    }
    return groups;
  };
}
