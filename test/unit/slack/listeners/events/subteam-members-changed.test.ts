// subteam_members_changed through the real Bolt routing: the members it names (or everyone, when
// Slack sent only counts) lose their cached group memberships, so the next approval click asks
// Slack again.
import { afterEach, describe, expect, it } from 'vitest';
import type { Remediation } from '../../../../../src/remediate/remediation.js';
import { buildTestApp, type TestApp, useNock } from '../../bolt-test-kit.js';

useNock();

let t: TestApp | undefined;
afterEach(() => {
  t?.services.close();
  t = undefined;
});

function eventCallback(event: Record<string, unknown>): Record<string, unknown> {
  return {
    token: 'verification-token-unused',
    team_id: 'T0MEMWARD',
    api_app_id: 'A0MEMWARD',
    type: 'event_callback',
    event_id: 'Ev0MEMWARD1',
    event_time: 1_761_555_600,
    event: { type: 'subteam_members_changed', subteam_id: 'S0ONCALL', team_id: 'T0MEMWARD', date_previous_update: 1_761_555_000, date_update: 1_761_555_600, event_ts: '1761555600.000100', ...event },
  };
}

describe('subteam_members_changed', () => {
  it('defect: group memberships were cached for 5 minutes and never invalidated: the users it names are forgotten', async () => {
    t = buildTestApp();
    const forgotten: (readonly string[] | undefined)[] = [];
    t.services.remediation = { forgetGroups: (users?: readonly string[]) => void forgotten.push(users) } as unknown as Remediation;
    const acks = await t.receiver.send(eventCallback({ added_users: ['U0NEW0001'], added_users_count: 1, removed_users: ['U0GONE001'], removed_users_count: 1 }));
    expect(acks).toEqual([undefined]);
    expect(forgotten).toEqual([['U0NEW0001', 'U0GONE001']]);
    // Counts without every id: everyone is forgotten.
    await t.receiver.send(eventCallback({ removed_users: ['U0GONE001'], removed_users_count: 40 }));
    expect(forgotten.at(-1)).toBeUndefined();
    expect(forgotten).toHaveLength(2);
  });
});
