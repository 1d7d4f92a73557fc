import { describe, expect, it } from 'vitest';
import { createGroupCache, GROUP_CACHE_TTL_MS } from '../../../src/remediate/group-cache.js';
import { T0 } from './helpers.js';

function makeLookup() {
  const calls: string[] = [];
  const answers = new Map<string, string[]>([['U_GRACE', ['S_ONCALL']]]);
  let fail = false;
  return {
    calls,
    answers,
    setFail: (value: boolean) => (fail = value),
    lookup: (user: string) => {
      calls.push(user);
      return fail ? Promise.reject(new Error('ratelimited')) : Promise.resolve([...(answers.get(user) ?? [])]);
    },
  };
}

describe('createGroupCache', () => {
  it('asks Slack once per user for five minutes, then again', async () => {
    const fake = makeLookup();
    const clock = { now: T0 };
    const cache = createGroupCache(fake.lookup, { clock: () => clock.now });
    expect(await cache.groupsOf('U_GRACE')).toEqual(['S_ONCALL']);
    clock.now = T0 + GROUP_CACHE_TTL_MS - 1;
    fake.answers.set('U_GRACE', []);
    expect(await cache.groupsOf('U_GRACE')).toEqual(['S_ONCALL']);
    expect(fake.calls).toEqual(['U_GRACE']);
    clock.now = T0 + GROUP_CACHE_TTL_MS;
    expect(await cache.groupsOf('U_GRACE')).toEqual([]);
    expect(fake.calls).toEqual(['U_GRACE', 'U_GRACE']);
  });

  it('shares one lookup between concurrent callers', async () => {
    const fake = makeLookup();
    const cache = createGroupCache(fake.lookup, { clock: () => T0 });
    const all = await Promise.all(Array.from({ length: 10 }, () => cache.groupsOf('U_GRACE')));
    expect(all).toEqual(Array.from({ length: 10 }, () => ['S_ONCALL']));
    expect(fake.calls).toEqual(['U_GRACE']);
  });

  it('does not cache a failure', async () => {
    const fake = makeLookup();
    const cache = createGroupCache(fake.lookup, { clock: () => T0 });
    fake.setFail(true);
    await expect(cache.groupsOf('U_GRACE')).rejects.toThrow('ratelimited');
    fake.setFail(false);
    expect(await cache.groupsOf('U_GRACE')).toEqual(['S_ONCALL']);
    expect(fake.calls).toEqual(['U_GRACE', 'U_GRACE']);
  });

  it('hands out copies, so a caller cannot change what the next one sees', async () => {
    const cache = createGroupCache(makeLookup().lookup, { clock: () => T0 });
    (await cache.groupsOf('U_GRACE')).push('S_ADMINS');
    expect(await cache.groupsOf('U_GRACE')).toEqual(['S_ONCALL']);
  });

  it('forgets a user on invalidate, and keeps at most maxEntries users', async () => {
    const fake = makeLookup();
    const cache = createGroupCache(fake.lookup, { clock: () => T0, maxEntries: 2 });
    await cache.groupsOf('U_GRACE');
    cache.invalidate('U_GRACE');
    await cache.groupsOf('U_GRACE');
    await cache.groupsOf('U_A');
    await cache.groupsOf('U_B');
    // U_GRACE was the oldest of three: evicted.
    await cache.groupsOf('U_GRACE');
    expect(fake.calls).toEqual(['U_GRACE', 'U_GRACE', 'U_A', 'U_B', 'U_GRACE']);
  });

  it('does not let a lookup that started before invalidate() refill the cache', async () => {
    const fake = makeLookup();
    const cache = createGroupCache(fake.lookup, { clock: () => T0 });
    const before = cache.groupsOf('U_GRACE');
    cache.invalidate();
    expect(await before).toEqual(['S_ONCALL']);
    await cache.groupsOf('U_GRACE');
    expect(fake.calls).toEqual(['U_GRACE', 'U_GRACE']);
  });
});
