// checkSlackSetup against the Slack Web API as nock plays it: a bad token, missing scopes and
// channels the bot cannot use are each one clear sentence, and fatal where memwarden cannot work.
import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { checkSlackSetup, createSetupClient, describeChannelError, hasFatal } from '../../../src/slack/check-token.js';
import { API_URL, BOT_TOKEN, captureLogger, useNock } from './bolt-test-kit.js';

useNock();

const ORIGIN = new URL(API_URL).origin;
const ALL_SCOPES = 'commands,chat:write,files:write';
const client = () => createSetupClient({ token: BOT_TOKEN, apiUrl: API_URL, logger: captureLogger().logger });

function authTest(body: Record<string, unknown>, scopes: string | null = ALL_SCOPES): nock.Scope {
  return nock(ORIGIN)
    .post('/api/auth.test')
    .matchHeader('authorization', `Bearer ${BOT_TOKEN}`)
    .reply(200, body, scopes === null ? {} : { 'x-oauth-scopes': scopes });
}

const OK_AUTH = { ok: true, url: 'https://acme.slack.com/', team: 'Acme', user: 'memwarden', team_id: 'T0MEMWARD', user_id: 'U0MEMWARD', bot_id: 'B0MEMWARD' };

/** chat.getPermalink for `channel` with the probe ts, answering `error` (or ok). */
function permalink(channel: string, error: string | null): nock.Scope {
  return nock(ORIGIN)
    .post('/api/chat.getPermalink', (body: Record<string, string>) => body.channel === channel && body.message_ts === '1000000000.000001')
    .reply(200, error === null ? { ok: true, channel, permalink: 'https://acme.slack.com/archives/x' } : { ok: false, error });
}

describe('checkSlackSetup: the token', () => {
  it('returns the bot identity and the scopes; a channel it can see gets a note that membership cannot be checked', async () => {
    authTest(OK_AUTH);
    permalink('C0MEMWARD', 'message_not_found');
    const report = await checkSlackSetup(client(), { channels: ['C0MEMWARD', 'C0MEMWARD'] });
    expect(report).toEqual({
      identity: { botId: 'B0MEMWARD', botUserId: 'U0MEMWARD', userName: 'memwarden', teamId: 'T0MEMWARD', enterpriseId: null, team: 'Acme' },
      scopes: ['commands', 'chat:write', 'files:write'],
      problems: [
        {
          severity: 'info',
          message:
            'Slack channel C0MEMWARD exists, but whether the bot is a member cannot be checked without the channels:read scope, which memwarden does not ask for: make sure you ran /invite @memwarden there. The first post checks it and logs "not_in_channel" if not',
        },
      ],
    });
    expect(hasFatal(report)).toBe(false);
  });

  it('a bad token is one fatal sentence, and nothing else is asked', async () => {
    for (const error of ['invalid_auth', 'token_revoked', 'account_inactive']) {
      authTest({ ok: false, error }, null);
      const report = await checkSlackSetup(client(), { channels: ['C0MEMWARD'] });
      expect(report).toEqual({ identity: null, scopes: null, problems: [{ severity: 'fatal', message: `SLACK_BOT_TOKEN is invalid or revoked (${error})` }] });
    }
  });

  it('names the workspace and Enterprise Grid organisation the token belongs to; a token naming no workspace is fatal', async () => {
    authTest({ ...OK_AUTH, enterprise_id: 'E0ACMEORG' });
    permalink('C0MEMWARD', 'message_not_found');
    expect((await checkSlackSetup(client(), { channels: ['C0MEMWARD'] })).identity).toMatchObject({ teamId: 'T0MEMWARD', enterpriseId: 'E0ACMEORG' });
    authTest({ ...OK_AUTH, team_id: undefined });
    const report = await checkSlackSetup(client(), { channels: [] });
    expect(report).toMatchObject({ identity: null, problems: [{ severity: 'fatal', message: expect.stringContaining('named no workspace') }] });
  });

  it('a user token (no bot) is fatal', async () => {
    authTest({ ...OK_AUTH, bot_id: undefined });
    const report = await checkSlackSetup(client(), { channels: [] });
    expect(report.problems).toEqual([{ severity: 'fatal', message: 'SLACK_BOT_TOKEN is not a bot token (auth.test names no bot): use the app\'s "Bot User OAuth Token" (xoxb-…)' }]);
  });

  it('Slack out of reach, or the wrong SLACK_API_URL, is fatal and says which (after one retry)', async () => {
    nock(ORIGIN).post('/api/auth.test').times(2).replyWithError(new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 10.0.0.1:443') }));
    expect((await checkSlackSetup(client(), { channels: [] })).problems).toEqual([
      { severity: 'fatal', message: 'Could not check SLACK_BOT_TOKEN: the Slack API could not be reached (fetch failed: connect ECONNREFUSED 10.0.0.1:443)' },
    ]);
    nock(ORIGIN).post('/api/auth.test').times(2).reply(404, 'Not Found');
    expect((await checkSlackSetup(client(), { channels: [] })).problems).toEqual([
      { severity: 'fatal', message: 'Could not check SLACK_BOT_TOKEN: the Slack API answered HTTP 404 (is SLACK_API_URL right?)' },
    ]);
  });
});

describe('checkSlackSetup: scopes', () => {
  it('missing commands or chat:write is fatal, missing files:write a warning', async () => {
    authTest(OK_AUTH, 'chat:write.public,incoming-webhook');
    const report = await checkSlackSetup(client(), { channels: [] });
    expect(report.problems).toEqual([
      { severity: 'fatal', message: 'The Slack app lacks the commands scope, so /mem cannot reach memwarden: add it (manifest.yml lists it) and reinstall the app' },
      { severity: 'fatal', message: 'The Slack app lacks the chat:write scope, so memwarden cannot post alerts: add it (manifest.yml lists it) and reinstall the app' },
      { severity: 'warning', message: 'The Slack app lacks the files:write scope, so the daily digest is posted without its memory chart: add it and reinstall the app' },
    ]);
  });

  it('says so when Slack reports no scopes', async () => {
    authTest(OK_AUTH, null);
    const report = await checkSlackSetup(client(), { channels: [] });
    expect(report.scopes).toBeNull();
    expect(report.problems).toEqual([
      { severity: 'warning', message: "Slack did not report the token's scopes, so memwarden cannot check them: it needs commands, chat:write, files:write" },
    ]);
  });
});

describe('checkSlackSetup: channels', () => {
  it('a channel the bot cannot see (no such id, or private without the bot) is fatal', async () => {
    authTest(OK_AUTH);
    permalink('C0NOSUCH1', 'channel_not_found');
    const report = await checkSlackSetup(client(), { channels: ['C0NOSUCH1'] });
    expect(report.problems).toEqual([
      {
        severity: 'fatal',
        message: 'Slack channel C0NOSUCH1 was not found, or it is private and the bot is not in it: check SLACK_CHANNEL and /invite @memwarden in that channel',
      },
    ]);
    expect(hasFatal(report)).toBe(true);
  });

  it('a channel name cannot be checked and is not looked up', async () => {
    authTest(OK_AUTH);
    const report = await checkSlackSetup(client(), { channels: ['#alerts'] });
    expect(report.problems).toEqual([
      {
        severity: 'info',
        message:
          'Slack channel "#alerts" is a name, not an id: memwarden can check ids only (a name also breaks when the channel is renamed). The channel id is at the bottom of the channel\'s details, e.g. C0123ABCD',
      },
    ]);
  });

  it('an unexpected answer is a warning naming it', async () => {
    authTest(OK_AUTH);
    permalink('C0MEMWARD', 'ratelimited_by_gremlins');
    expect((await checkSlackSetup(client(), { channels: ['C0MEMWARD'] })).problems).toEqual([
      { severity: 'warning', message: 'Could not check Slack channel C0MEMWARD: Slack answered ratelimited_by_gremlins' },
    ]);
  });

  it('with channels:read granted, conversations.info tells membership, archiving and absence exactly', async () => {
    const scopes = `${ALL_SCOPES},channels:read`;
    const info = (channel: string, body: Record<string, unknown>) =>
      nock(ORIGIN)
        .post('/api/conversations.info', (b: Record<string, string>) => b.channel === channel)
        .reply(200, body);
    authTest(OK_AUTH, scopes);
    info('C0MEMBER1', { ok: true, channel: { id: 'C0MEMBER1', is_member: true, is_archived: false } });
    info('C0NOTIN01', { ok: true, channel: { id: 'C0NOTIN01', is_member: false, is_archived: false } });
    info('C0ARCHIVE', { ok: true, channel: { id: 'C0ARCHIVE', is_member: true, is_archived: true } });
    info('C0GONE001', { ok: false, error: 'channel_not_found' });
    // A private channel with only channels:read: missing_scope, so the permalink probe decides.
    info('C0PRIVATE', { ok: false, error: 'missing_scope', needed: 'groups:read', provided: scopes });
    permalink('C0PRIVATE', 'message_not_found');
    const report = await checkSlackSetup(client(), { channels: ['C0MEMBER1', 'C0NOTIN01', 'C0ARCHIVE', 'C0GONE001', 'C0PRIVATE'] });
    expect(report.problems).toEqual([
      { severity: 'fatal', message: 'The bot is not a member of Slack channel C0NOTIN01: /invite @memwarden in that channel' },
      { severity: 'fatal', message: 'Slack channel C0ARCHIVE is archived: unarchive it or set SLACK_CHANNEL to another channel' },
      {
        severity: 'fatal',
        message: 'Slack channel C0GONE001 was not found, or it is private and the bot is not in it: check SLACK_CHANNEL and /invite @memwarden in that channel',
      },
      {
        severity: 'info',
        message:
          'Slack channel C0PRIVATE exists, but whether the bot is a member cannot be checked without the channels:read scope, which memwarden does not ask for: make sure you ran /invite @memwarden there. The first post checks it and logs "not_in_channel" if not',
      },
    ]);
  });
});

describe('describeChannelError', () => {
  it('words the errors of a first post like the startup check', () => {
    expect(describeChannelError('C0MEMWARD', 'not_in_channel', 'memwarden')).toBe('The bot is not a member of Slack channel C0MEMWARD: /invite @memwarden in that channel');
    expect(describeChannelError('C0MEMWARD', 'channel_not_found')).toBe(
      'Slack channel C0MEMWARD was not found, or it is private and the bot is not in it: check SLACK_CHANNEL and /invite the bot in that channel',
    );
    expect(describeChannelError('C0MEMWARD', 'msg_too_long')).toBeNull();
  });
});
