// Commands and clicks from another Slack workspace or organisation (a Slack Connect channel
// shares memwarden's messages and its /mem command with people outside the workspace it is
// installed in) are acked, refused with one clear sentence, and change nothing. Driven through a
// real Bolt App; the answer goes to the response_url (nock).
import { afterEach, describe, expect, it } from 'vitest';
import { ACTION } from '../../../../src/slack/ids.js';
import { buildTestApp, buttonClick, containerTarget, expectRespond, seedAlert, slashCommand, type TestApp, useNock } from '../bolt-test-kit.js';

useNock();

let t: TestApp | undefined;
afterEach(() => {
  t?.services.close();
  t = undefined;
});

const REFUSAL =
  'memwarden: nothing was done. memwarden answers only people in the Slack workspace it is installed in, and this came from another workspace or organisation (a channel shared with Slack Connect).';

describe('requests from another workspace', () => {
  it('refuses a /mem command whose team_id or enterprise_id is not the bot\'s own, after acking, with a clear answer, running nothing', async () => {
    for (const other of [{ team_id: 'T0OTHERCO' }, { team_id: 'T0MEMWARD', enterprise_id: 'E0OTHERCO' }, { team_id: '' }]) {
      t = buildTestApp();
      const responded = expectRespond();
      const acks = await t.receiver.send(slashCommand('alerts', other));
      expect(acks).toEqual([undefined]);
      const body = await responded;
      expect(body).toMatchObject({ response_type: 'ephemeral', text: REFUSAL });
      expect(t.services.calls).toEqual([]);
      expect(t.lines.filter((line) => line.msg === 'Request from another Slack workspace refused')).toHaveLength(1);
      t.services.close();
      t = undefined;
    }
  });

  it('refuses a button click from a Slack Connect user: nothing is silenced and the clicker is told', async () => {
    t = buildTestApp();
    const alert = seedAlert(t.services.db, { ruleId: 'container-near-limit', target: containerTarget('api') });
    for (const other of [
      { team: { id: 'T0OTHERCO', domain: 'other' }, user: { id: 'U0EXTERN1', username: 'x', name: 'x', team_id: 'T0OTHERCO' } },
      { enterprise: { id: 'E0OTHERCO', name: 'Other Co' } },
    ]) {
      const responded = expectRespond();
      const acks = await t.receiver.send(buttonClick(`${ACTION.silenceAlert}:1h`, `${alert.fingerprint}|1h`, other));
      expect(acks).toEqual([undefined]);
      expect(await responded).toMatchObject({ response_type: 'ephemeral', text: REFUSAL });
    }
    expect(t.services.alerts.listSilences()).toEqual([]);
  });

  it('answers its own workspace as before', async () => {
    t = buildTestApp();
    const responded = expectRespond();
    await t.receiver.send(slashCommand('alerts'));
    expect((await responded).text).toBe('memwarden: 0 active alerts (0 firing), 0 silences');
  });
});
