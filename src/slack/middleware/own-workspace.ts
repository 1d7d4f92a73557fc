// Only the Slack workspace (and Enterprise Grid organisation) memwarden is installed in may use
// it. A channel shared with Slack Connect shows memwarden's messages, buttons and /mem to people
// of other organisations, and Slack delivers their clicks and commands like any other, signed and
// all; the payload names the workspace it came from. A global middleware, so that no listener
// runs for them: it acks first (Slack wants every command and interaction acked within 3 s,
// refused or not), answers the person with one sentence, and logs who it was.
import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import type { Logger } from '../../log/logger.js';
import { createThrottledWarn } from '../../log/throttled-warn.js';
import type { BotIdentity } from '../create-app.js';
import { sendReply } from '../listeners/send-reply.js';
import { renderOtherWorkspaceRefused } from '../render/command-help.js';

/** Refusals logged at warn at most this often (people of another organisation can click at will). */
const WARN_INTERVAL_MS = 60_000;

interface PayloadOrigin {
  team: string | null;
  enterprise: string | null;
}

/**
 * The workspace and organisation a command or interaction came from, as Bolt itself reads them
 * (App.js buildSource): a command's team_id and enterprise_id; an interaction's team (or, in an
 * org-wide install, the user's team) and enterprise.
 */
export function payloadOrigin(body: unknown): PayloadOrigin {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const record = (value: unknown) => (typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null);
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : null);
  const team = record(b.team);
  return {
    team: text(b.team_id) ?? text(team?.id) ?? text(record(b.user)?.team_id),
    enterprise: text(b.enterprise_id) ?? text(record(b.enterprise)?.id) ?? text(team?.enterprise_id),
  };
}

/** Whether the payload comes from memwarden's own workspace: it names that team and no other organisation. */
export function isOwnWorkspace(origin: PayloadOrigin, identity: Pick<BotIdentity, 'teamId' | 'enterpriseId'>): boolean {
  if (origin.team !== identity.teamId) return false;
  return origin.enterprise === null || origin.enterprise === identity.enterpriseId;
}

export function ownWorkspaceOnly(deps: { identity: BotIdentity; logger: Logger }): Middleware<AnyMiddlewareArgs> {
  const warn = createThrottledWarn(deps.logger, { intervalMs: WARN_INTERVAL_MS });
  return async (args) => {
    const origin = payloadOrigin(args.body);
    if (isOwnWorkspace(origin, deps.identity)) {
      await args.next();
      return;
    }
    if ('ack' in args && typeof args.ack === 'function') await args.ack();
    const user = payloadUser(args.body);
    warn({ team: origin.team, enterprise: origin.enterprise, user, ownTeam: deps.identity.teamId, ownEnterprise: deps.identity.enterpriseId }, 'Request from another Slack workspace refused');
    if ('respond' in args && typeof args.respond === 'function') {
      await sendReply(args.respond, renderOtherWorkspaceRefused(), { responseType: 'ephemeral', ...('action' in args ? { replaceOriginal: false } : {}) }, deps.logger);
    }
  };
}

function payloadUser(body: unknown): string | null {
  const b = (typeof body === 'object' && body !== null ? body : {}) as { user_id?: unknown; user?: { id?: unknown } | null };
  if (typeof b.user_id === 'string') return b.user_id;
  return typeof b.user?.id === 'string' ? b.user.id : null;
}
