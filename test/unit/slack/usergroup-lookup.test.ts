// The approver-group lookup over the real Web API client against nock: one usergroups.list with
// the members, the user's groups by id and by @handle, and a failure that reaches the caller (the
// approval service then refuses the click and asks again next time).
import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { createUsergroupLookup } from '../../../src/slack/usergroup-lookup.js';
import { BOT_TOKEN, SLACK_API_URL, SLACK_ORIGIN, useSlackNock } from './delivery/helpers.js';

useSlackNock();

function list(reply: Record<string, unknown>, status = 200): Promise<Record<string, string>> {
  return new Promise((resolve) => {
    nock(SLACK_ORIGIN, { reqheaders: { authorization: `Bearer ${BOT_TOKEN}` } })
      .post('/api/usergroups.list')
      .reply(status, (_uri, body) => {
        resolve(Object.fromEntries(new URLSearchParams(String(body))));
        return reply;
      });
  });
}

describe('createUsergroupLookup', () => {
  it("names the user's groups by id and by handle", async () => {
    const asked = list({
      ok: true,
      usergroups: [
        { id: 'S0ONCALL1', handle: 'oncall', users: ['U0BOB0001', 'U0CAROL01'] },
        { id: 'S0OTHER01', handle: 'other', users: ['U0CAROL01'] },
        { id: 'S0EMPTY01', handle: 'empty' },
      ],
    });
    const lookup = createUsergroupLookup({ token: BOT_TOKEN, slackApiUrl: SLACK_API_URL });
    await expect(lookup('U0BOB0001')).resolves.toEqual(['S0ONCALL1', '@oncall']);
    expect(await asked).toMatchObject({ include_users: 'true' });
  });

  it('lets a Slack error reach the caller', async () => {
    void list({ ok: false, error: 'missing_scope', needed: 'usergroups:read' });
    const lookup = createUsergroupLookup({ token: BOT_TOKEN, slackApiUrl: SLACK_API_URL });
    await expect(lookup('U0BOB0001')).rejects.toThrow(/missing_scope/);
  });
});
