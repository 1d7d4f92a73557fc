// Who may silence alerts, for how long, and who may end a silence early (slack.silence and
// slack.admins). A silenced rule posts nothing, so a silence is a decision to stop being told:
// by default anyone may take it for up to 24 hours, longer only an admin. Pure: the caller looks
// up the user's Slack groups (only when needsGroups says they matter) and passes them in; every
// refusal says, in words a Slack user can act on, who may do it instead (as mention tokens,
// format/mentions.ts, which the Slack renderer shows as mentions).
import type { Config } from '../config/schema.js';
import { mentionGroup, mentionUser } from '../format/mentions.js';
import type { Silence } from '../model/alert.js';

export interface SilencePolicy {
  /** Who may silence besides the admins; with groups also empty: anyone. */
  users: readonly string[];
  /** Slack user groups (ids or @handles) whose members may silence. */
  groups: readonly string[];
  /** The longest silence anyone but an admin may set. */
  maxDurationMs: number;
  /** slack.admins: may silence for as long as /mem takes (30 days), and end any silence. */
  admins: readonly string[];
}

export type SilenceRefusalCode = 'not-allowed' | 'too-long' | 'may-not-end';

export type SilenceVerdict = { ok: true } | { ok: false; code: SilenceRefusalCode; reason: string };

const OK: SilenceVerdict = { ok: true };

export function silencePolicyOf(config: Pick<Config, 'slack'>): SilencePolicy {
  const { silence, admins } = config.slack;
  return { users: silence.users, groups: silence.groups, maxDurationMs: silence.maxDuration, admins };
}

/**
 * Whether the answer for `user` depends on their Slack user groups, so that they must be looked
 * up (a Slack call) first; `silence` when the question is ending that one.
 */
export function needsGroups(policy: SilencePolicy, user: string, silence?: Pick<Silence, 'createdBy'>): boolean {
  if (policy.admins.includes(user) || silence?.createdBy === user) return false;
  return !isOpen(policy) && !policy.users.includes(user) && policy.groups.length > 0;
}

/** Whether `user` (in `userGroups`) may silence for `durationMs`. */
export function canSilence(policy: SilencePolicy, user: string, userGroups: readonly string[], durationMs: number): SilenceVerdict {
  // An admin's silence is bounded only by what /mem takes.
  if (policy.admins.includes(user)) return OK;
  if (!maySilence(policy, user, userGroups)) {
    return { ok: false, code: 'not-allowed', reason: `Only ${listWithAdmins(policy)} may silence alerts here.` };
  }
  if (durationMs > policy.maxDurationMs) {
    const longer =
      policy.admins.length > 0
        ? `only memwarden's admins (${policy.admins.map(mentionUser).join(', ')}) may silence for longer`
        : "only memwarden's admins may silence for longer, and it has none";
    return { ok: false, code: 'too-long', reason: `You may silence alerts for at most ${formatSilenceDuration(policy.maxDurationMs)}; ${longer}.` };
  }
  return OK;
}

/**
 * Whether `user` may end `silence` early: whoever set it, an admin, or anyone who may silence
 * (ending a silence only makes alerts speak again).
 */
export function canEndSilence(policy: SilencePolicy, user: string, userGroups: readonly string[], silence: Pick<Silence, 'createdBy'>): SilenceVerdict {
  if (silence.createdBy === user || policy.admins.includes(user) || maySilence(policy, user, userGroups)) return OK;
  const who = [`whoever set it (${mentionUser(silence.createdBy)})`, `the people who may silence alerts (${[...policy.users.map(mentionUser), ...policy.groups.map(mentionGroup)].join(', ')})`];
  if (policy.admins.length > 0) who.push(`memwarden's admins (${policy.admins.map(mentionUser).join(', ')})`);
  return { ok: false, code: 'may-not-end', reason: `only ${joinWords(who)} may end it.` };
}

/** "30m", "4h", "24h", "2d": hours up to two days, as people say them. */
export function formatSilenceDuration(ms: number): string {
  const DAY = 86_400_000;
  if (ms >= 2 * DAY && ms % DAY === 0) return `${ms / DAY}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  return `${Math.ceil(ms / 60_000)}m`;
}

function isOpen(policy: SilencePolicy): boolean {
  return policy.users.length === 0 && policy.groups.length === 0;
}

function maySilence(policy: SilencePolicy, user: string, userGroups: readonly string[]): boolean {
  return isOpen(policy) || policy.users.includes(user) || userGroups.some((group) => policy.groups.includes(group));
}

function listWithAdmins(policy: SilencePolicy): string {
  const people = [...policy.users.map(mentionUser), ...policy.groups.map(mentionGroup)];
  if (policy.admins.length > 0) people.push(`memwarden's admins (${policy.admins.map(mentionUser).join(', ')})`);
  return joinWords(people);
}

/** "a", "a and b", "a, b and c". */
function joinWords(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1) as string}`;
}
