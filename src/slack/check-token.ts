// Startup check of the Slack side, so a wrong token, a missing scope or a wrong channel is one
// clear sentence at start instead of a silent bot:
//
// - auth.test: the token works and is a bot token (its ids are returned for createSlackApp);
// - the scopes Slack reports for the token (x-oauth-scopes, which the Web API client puts in
//   response_metadata.scopes) against what memwarden needs;
// - each configured channel. memwarden asks only for commands, chat:write and files:write, and
//   with those no method *reads* a channel: conversations.info needs channels:read /
//   groups:read (it answers `missing_scope`). What is left is chat.getPermalink, which by Slack's
//   method reference needs no scope: asked for a message that cannot exist, it answers
//   `channel_not_found` when the bot cannot see the channel (no such id, or a private channel
//   the bot is not in) and `message_not_found` when it can. (Documented error codes, not checked
//   against a live workspace here; an unexpected answer is only a warning.) For a public channel
//   that does not say whether the bot is a member, and nothing within our scopes can, so we say
//   so; the first post tells (`not_in_channel`), and describeChannelError() words that the same
//   way. When the token does hold channels:read or groups:read, conversations.info answers
//   is_member directly.
import { webApi } from '@slack/bolt';
import type { Logger } from '../log/logger.js';
import { createBoltLogger } from './bolt-logger.js';
import type { BotIdentity } from './create-app.js';

export type SetupSeverity = 'fatal' | 'warning' | 'info';

export interface SetupProblem {
  /** fatal: memwarden cannot work (run-bot exits 2); warning: a feature is lost; info: worth knowing. */
  severity: SetupSeverity;
  message: string;
}

export interface SlackSetupReport {
  /** null when auth.test failed. */
  identity: (BotIdentity & { userName: string | null; team: string | null }) | null;
  /** The token's scopes as Slack reported them; null when it did not. */
  scopes: string[] | null;
  problems: SetupProblem[];
}

/** Without these memwarden cannot work. */
export const REQUIRED_SCOPES: Readonly<Record<string, string>> = {
  commands: '/mem cannot reach memwarden',
  'chat:write': 'memwarden cannot post alerts',
};
/** Without these a feature is lost. */
export const OPTIONAL_SCOPES: Readonly<Record<string, string>> = {
  'files:write': 'the daily digest is posted without its memory chart',
};

/** The Web API methods this check calls, so a test or run-bot can hand in any WebClient. */
export type SetupClient = Pick<webApi.WebClient, 'auth' | 'chat' | 'conversations'>;

/** A message ts no channel can hold (Slack's first messages are from 2013). */
const PROBE_TS = '1000000000.000001';
const CHANNEL_ID = /^[CGD][A-Z0-9]{6,}$/;
const AUTH_ERRORS = new Set(['invalid_auth', 'not_authed', 'account_inactive', 'token_revoked', 'token_expired', 'no_permission']);

/**
 * A WebClient for the startup check: few retries and a timeout, so a Slack that cannot be
 * reached is reported within seconds (the app's own client retries for half an hour).
 */
export function createSetupClient(options: { token: string; apiUrl?: string; logger: Logger }): webApi.WebClient {
  return new webApi.WebClient(options.token, {
    ...(options.apiUrl ? { slackApiUrl: options.apiUrl } : {}),
    logger: createBoltLogger(options.logger),
    retryConfig: { retries: 1, factor: 1, minTimeout: 500, maxTimeout: 500 },
    timeout: 10_000,
  });
}

export async function checkSlackSetup(client: SetupClient, options: { channels: readonly string[] }): Promise<SlackSetupReport> {
  const problems: SetupProblem[] = [];
  let auth: webApi.AuthTestResponse;
  try {
    auth = await client.auth.test();
  } catch (err) {
    problems.push({ severity: 'fatal', message: describeAuthError(err) });
    return { identity: null, scopes: null, problems };
  }
  if (!auth.bot_id || !auth.user_id) {
    problems.push({
      severity: 'fatal',
      message: 'SLACK_BOT_TOKEN is not a bot token (auth.test names no bot): use the app\'s "Bot User OAuth Token" (xoxb-…)',
    });
    return { identity: null, scopes: null, problems };
  }
  if (!auth.team_id) {
    // Requests are admitted by the workspace they come from: without ours, none could be.
    problems.push({ severity: 'fatal', message: 'Slack\'s auth.test named no workspace for SLACK_BOT_TOKEN, so memwarden cannot tell its own workspace\'s requests from others\'' });
    return { identity: null, scopes: null, problems };
  }
  const identity = {
    botId: auth.bot_id,
    botUserId: auth.user_id,
    userName: auth.user ?? null,
    teamId: auth.team_id,
    enterpriseId: auth.enterprise_id ? auth.enterprise_id : null,
    team: auth.team ?? null,
  };

  const scopes = auth.response_metadata?.scopes ?? null;
  if (scopes === null) {
    problems.push({
      severity: 'warning',
      message: `Slack did not report the token's scopes, so memwarden cannot check them: it needs ${[...Object.keys(REQUIRED_SCOPES), ...Object.keys(OPTIONAL_SCOPES)].join(', ')}`,
    });
  } else {
    for (const [scope, without] of Object.entries(REQUIRED_SCOPES)) {
      if (!scopes.includes(scope)) problems.push({ severity: 'fatal', message: `The Slack app lacks the ${scope} scope, so ${without}: add it (manifest.yml lists it) and reinstall the app` });
    }
    for (const [scope, without] of Object.entries(OPTIONAL_SCOPES)) {
      if (!scopes.includes(scope)) problems.push({ severity: 'warning', message: `The Slack app lacks the ${scope} scope, so ${without}: add it and reinstall the app` });
    }
  }

  for (const channel of [...new Set(options.channels)]) {
    problems.push(...(await checkChannel(client, channel, scopes ?? [], identity.userName)));
  }
  return { identity, scopes, problems };
}

export function hasFatal(report: Pick<SlackSetupReport, 'problems'>): boolean {
  return report.problems.some((problem) => problem.severity === 'fatal');
}

/**
 * The sentence for a channel error from a post (chat.postMessage, files.uploadV2), so the first
 * post explains what the startup check could not know; null for other errors.
 */
export function describeChannelError(channel: string, code: string, botUserName: string | null = null): string | null {
  const invite = inviteCommand(botUserName);
  switch (code) {
    case 'not_in_channel':
      return `The bot is not a member of Slack channel ${channel}: ${invite} in that channel`;
    case 'channel_not_found':
      return `Slack channel ${channel} was not found, or it is private and the bot is not in it: check SLACK_CHANNEL and ${invite} in that channel`;
    case 'is_archived':
      return `Slack channel ${channel} is archived: unarchive it or set SLACK_CHANNEL to another channel`;
    default:
      return null;
  }
}

function inviteCommand(botUserName: string | null): string {
  return botUserName ? `/invite @${botUserName}` : '/invite the bot';
}

async function checkChannel(client: SetupClient, channel: string, scopes: readonly string[], botUserName: string | null): Promise<SetupProblem[]> {
  if (!CHANNEL_ID.test(channel)) {
    return [
      {
        severity: 'info',
        message: `Slack channel "${channel}" is a name, not an id: memwarden can check ids only (a name also breaks when the channel is renamed). The channel id is at the bottom of the channel's details, e.g. C0123ABCD`,
      },
    ];
  }
  if (scopes.includes('channels:read') || scopes.includes('groups:read')) {
    const known = await checkByInfo(client, channel, botUserName);
    if (known !== null) return known;
  }
  try {
    await client.chat.getPermalink({ channel, message_ts: PROBE_TS });
  } catch (err) {
    const code = platformCode(err);
    if (code === 'channel_not_found') return [{ severity: 'fatal', message: describeChannelError(channel, code, botUserName) as string }];
    if (code !== 'message_not_found') return [{ severity: 'warning', message: `Could not check Slack channel ${channel}: ${describeError(err)}` }];
  }
  return [
    {
      severity: 'info',
      message: `Slack channel ${channel} exists, but whether the bot is a member cannot be checked without the channels:read scope, which memwarden does not ask for: make sure you ran ${inviteCommand(botUserName)} there. The first post checks it and logs "not_in_channel" if not`,
    },
  ];
}

/** With a read scope: conversations.info says it all; null when this scope does not cover the channel. */
async function checkByInfo(client: SetupClient, channel: string, botUserName: string | null): Promise<SetupProblem[] | null> {
  let info: webApi.ConversationsInfoResponse;
  try {
    info = await client.conversations.info({ channel });
  } catch (err) {
    const code = platformCode(err);
    if (code === 'channel_not_found') return [{ severity: 'fatal', message: describeChannelError(channel, code, botUserName) as string }];
    // missing_scope: e.g. channels:read only and a private channel; the probe still works.
    return null;
  }
  if (info.channel?.is_archived) return [{ severity: 'fatal', message: describeChannelError(channel, 'is_archived') as string }];
  if (info.channel?.is_member === false) return [{ severity: 'fatal', message: describeChannelError(channel, 'not_in_channel', botUserName) as string }];
  return [];
}

function describeAuthError(err: unknown): string {
  const code = platformCode(err);
  if (code !== null && AUTH_ERRORS.has(code)) return `SLACK_BOT_TOKEN is invalid or revoked (${code})`;
  if (code !== null) return `Slack refused auth.test (${code})`;
  return `Could not check SLACK_BOT_TOKEN: ${describeError(err)}`;
}

function describeError(err: unknown): string {
  if (err instanceof webApi.WebAPIPlatformError) return `Slack answered ${err.data.error}`;
  if (err instanceof webApi.WebAPIHTTPError) return `the Slack API answered HTTP ${err.statusCode} (is SLACK_API_URL right?)`;
  if (err instanceof webApi.WebAPIRequestError) {
    // fetch says "fetch failed" and puts the reason (ECONNREFUSED, a DNS error) in its cause.
    const cause = (err.original as { cause?: unknown }).cause;
    return `the Slack API could not be reached (${err.original.message}${cause instanceof Error ? `: ${cause.message}` : ''})`;
  }
  if (err instanceof webApi.WebAPIRateLimitedError) return `rate limited by Slack (retry after ${err.retryAfter} s)`;
  return err instanceof Error ? err.message : String(err);
}

function platformCode(err: unknown): string | null {
  return err instanceof webApi.WebAPIPlatformError ? err.data.error : null;
}
