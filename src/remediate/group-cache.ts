// Slack user-group membership, cached per user for a minute: a burst of clicks (a double click,
// several approvers at once) would otherwise cost a usergroups lookup each (Tier 2, ~20 calls a
// minute). Concurrent lookups for one user share a single call. A failed lookup is not cached,
// so the next click asks again. A membership change is forgotten at once when Slack tells
// (subteam_members_changed, slack/listeners/events/) and within the TTL when it does not: the
// worst case is that someone removed from an approver group can still approve for one minute.

export type GroupLookup = (userId: string) => Promise<string[]>;

export const GROUP_CACHE_TTL_MS = 60_000;

export interface GroupCacheOptions {
  /** Epoch milliseconds; a fake in tests. */
  clock: () => number;
  ttlMs?: number;
  /** Users remembered at most; the oldest entry goes first. */
  maxEntries?: number;
}

export interface GroupCache {
  groupsOf: GroupLookup;
  /** Forgets one user (or everyone), e.g. after a subteam_members_changed event. */
  invalidate(userId?: string): void;
}

export function createGroupCache(lookup: GroupLookup, options: GroupCacheOptions): GroupCache {
  const ttlMs = options.ttlMs ?? GROUP_CACHE_TTL_MS;
  const maxEntries = options.maxEntries ?? 1000;
  const entries = new Map<string, { groups: readonly string[]; until: number }>();
  const inFlight = new Map<string, Promise<string[]>>();
  // Bumped by invalidate(), so a lookup that started before it does not refill the cache.
  let generation = 0;

  return {
    groupsOf(userId) {
      const cached = entries.get(userId);
      if (cached && options.clock() < cached.until) return Promise.resolve([...cached.groups]);
      const pending = inFlight.get(userId);
      if (pending) return pending.then((groups) => [...groups]);

      const started = generation;
      const lookedUp = lookup(userId)
        .then((groups) => {
          if (started === generation) {
            entries.delete(userId);
            entries.set(userId, { groups: [...groups], until: options.clock() + ttlMs });
            while (entries.size > maxEntries) {
              const oldest = entries.keys().next().value;
              if (oldest === undefined) break;
              entries.delete(oldest);
            }
          }
          return groups;
        })
        .finally(() => inFlight.delete(userId));
      inFlight.set(userId, lookedUp);
      return lookedUp.then((groups) => [...groups]);
    },

    invalidate(userId) {
      generation++;
      if (userId === undefined) entries.clear();
      else entries.delete(userId);
    },
  };
}
