// The silence policy as a pure function: who may silence, for how long, who may end a silence,
// and when a user's Slack groups have to be looked up at all.
import { describe, expect, it } from 'vitest';
import { canEndSilence, canSilence, formatSilenceDuration, needsGroups, type SilencePolicy, silencePolicyOf } from '../../../src/alerts/silence-policy.js';
import { configSchema } from '../../../src/config/schema.js';
import { plainMentions } from '../../../src/format/mentions.js';

const HOUR = 3_600_000;
const open: SilencePolicy = { users: [], groups: [], maxDurationMs: 24 * HOUR, admins: ['U0ADMIN01'] };
const listed: SilencePolicy = { users: ['U0CAROL01'], groups: ['S0ONCALL1', '@sre'], maxDurationMs: 4 * HOUR, admins: ['U0ADMIN01'] };
const reason = (verdict: ReturnType<typeof canSilence>) => (verdict.ok ? 'ok' : plainMentions(verdict.reason));

describe('silence policy', () => {
  it('defaults: anyone up to 24 h, admins up to what /mem takes', () => {
    const policy = silencePolicyOf(configSchema.parse({ slack: { admins: ['U0ADMIN01'] } }));
    expect(policy).toEqual(open);
    expect(canSilence(policy, 'U0BOB0001', [], 24 * HOUR)).toEqual({ ok: true });
    expect(reason(canSilence(policy, 'U0BOB0001', [], 24 * HOUR + 60_000))).toBe("You may silence alerts for at most 24h; only memwarden's admins (@U0ADMIN01) may silence for longer.");
    expect(canSilence(policy, 'U0ADMIN01', [], 30 * 24 * HOUR)).toEqual({ ok: true });
    expect(reason(canSilence({ ...policy, admins: [] }, 'U0BOB0001', [], 2 * 24 * HOUR))).toBe("You may silence alerts for at most 24h; only memwarden's admins may silence for longer, and it has none.");
  });

  it('a listed user, or a member of a listed group (by id or handle), may silence; nobody else', () => {
    expect(canSilence(listed, 'U0CAROL01', [], HOUR)).toEqual({ ok: true });
    expect(canSilence(listed, 'U0DAVE001', ['S0OTHER01', 'S0ONCALL1'], HOUR)).toEqual({ ok: true });
    expect(canSilence(listed, 'U0ERIN001', ['@sre'], HOUR)).toEqual({ ok: true });
    expect(reason(canSilence(listed, 'U0BOB0001', ['S0OTHER01'], HOUR))).toBe("Only @U0CAROL01, @S0ONCALL1, @sre and memwarden's admins (@U0ADMIN01) may silence alerts here.");
    expect(canSilence(listed, 'U0BOB0001', ['S0OTHER01'], HOUR)).toMatchObject({ ok: false, code: 'not-allowed' });
    expect(canSilence(listed, 'U0CAROL01', [], 5 * HOUR)).toMatchObject({ ok: false, code: 'too-long' });
  });

  it('ending a silence: whoever set it, an admin, anyone who may silence; a refusal names them all', () => {
    const silence = { createdBy: 'U0CAROL01' };
    expect(canEndSilence(listed, 'U0CAROL01', [], silence)).toEqual({ ok: true });
    expect(canEndSilence(listed, 'U0ADMIN01', [], silence)).toEqual({ ok: true });
    expect(canEndSilence(listed, 'U0DAVE001', ['S0ONCALL1'], { createdBy: 'U0ADMIN01' })).toEqual({ ok: true });
    expect(canEndSilence(open, 'U0BOB0001', [], silence)).toEqual({ ok: true });
    const refused = canEndSilence(listed, 'U0BOB0001', [], { createdBy: 'U0ADMIN01' });
    expect(refused.ok ? '' : plainMentions(refused.reason)).toBe(
      "only whoever set it (@U0ADMIN01), the people who may silence alerts (@U0CAROL01, @S0ONCALL1, @sre) and memwarden's admins (@U0ADMIN01) may end it.",
    );
  });

  it('asks for the user groups only when they decide the answer', () => {
    expect(needsGroups(open, 'U0BOB0001')).toBe(false);
    expect(needsGroups(listed, 'U0ADMIN01')).toBe(false);
    expect(needsGroups(listed, 'U0CAROL01')).toBe(false);
    expect(needsGroups(listed, 'U0BOB0001')).toBe(true);
    expect(needsGroups(listed, 'U0BOB0001', { createdBy: 'U0BOB0001' })).toBe(false);
    expect(needsGroups({ ...listed, groups: [] }, 'U0BOB0001')).toBe(false);
  });

  it('refuses a policy that cannot be meant: a maxDuration outside 1m to 30d, an id that is no Slack user or group', () => {
    expect(configSchema.safeParse({ slack: { silence: { maxDuration: '31d' } } }).success).toBe(false);
    expect(configSchema.safeParse({ slack: { silence: { maxDuration: '30s' } } }).success).toBe(false);
    expect(configSchema.safeParse({ slack: { silence: { users: ['<!channel>'] } } }).success).toBe(false);
    expect(configSchema.safeParse({ slack: { silence: { groups: ['U0123ABCD'] } } }).success).toBe(false);
    expect(configSchema.parse({ slack: { silence: { users: ['W0123ABCD'], groups: ['S0123ABCD', '@oncall'], maxDuration: '2d' } } }).slack.silence).toEqual({
      users: ['W0123ABCD'],
      groups: ['S0123ABCD', '@oncall'],
      maxDuration: 48 * HOUR,
    });
  });

  it('words durations as people say them', () => {
    expect([30 * 60_000, 4 * HOUR, 24 * HOUR, 48 * HOUR, 30 * 24 * HOUR, 90_000].map(formatSilenceDuration)).toEqual(['30m', '4h', '24h', '2d', '30d', '2m']);
  });
});
