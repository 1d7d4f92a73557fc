// The daily digest's rows (migration 6) and the few sample reads it needs that the history API
// does not offer (host total, event counters). A digest day is claimed before the digest is
// queued: one row per day and channel, so whatever restarts happen a day is sent at most once.
import type { CounterReading, ContainerCounters } from '../model/history.js';
import type { Database } from './database.js';
import { guard } from './store-error.js';

export type DigestReason = 'schedule' | 'catch-up';

export interface DigestMarker {
  day: string;
  channel: string;
  scheduledAt: number;
  reason: DigestReason;
  sentAt: number;
}

/** The marker of `day` in `channel`, or null when that digest was not sent. */
export function getDigestMarker(db: Database, day: string, channel: string): DigestMarker | null {
  return guard(db, () => {
    const row = db.prepare('SELECT * FROM digest_sent WHERE day = ? AND channel = ?').get(day, channel) as
      | { day: string; channel: string; scheduled_at: number; reason: DigestReason; sent_at: number }
      | undefined;
    return row ? { day: row.day, channel: row.channel, scheduledAt: row.scheduled_at, reason: row.reason, sentAt: row.sent_at } : null;
  });
}

/** Claims `day` in `channel`; false when it was claimed already (the digest went out). */
export function claimDigestDay(db: Database, marker: DigestMarker): boolean {
  return guard(
    db,
    () =>
      db
        .prepare('INSERT OR IGNORE INTO digest_sent (day, channel, scheduled_at, reason, sent_at) VALUES (?, ?, ?, ?, ?)')
        .run(marker.day, marker.channel, marker.scheduledAt, marker.reason, marker.sentAt).changes === 1,
  );
}

/** Gives a claim back after the digest could not be queued, so a later start may send it. */
export function releaseDigestDay(db: Database, day: string, channel: string): void {
  guard(db, () => db.prepare('DELETE FROM digest_sent WHERE day = ? AND channel = ?').run(day, channel));
}

/** When the digest schedule of `channel` first ran (recorded now if it never did). */
export function digestScheduleStartedAt(db: Database, channel: string, now: number): number {
  return guard(db, () => {
    db.prepare('INSERT OR IGNORE INTO digest_schedules (channel, first_started_at) VALUES (?, ?)').run(channel, now);
    return (db.prepare('SELECT first_started_at AS t FROM digest_schedules WHERE channel = ?').get(channel) as { t: number }).t;
  });
}

/** The host's RAM and swap size at the latest raw sample in [fromMs, toMs], or null without one. */
export function latestHostSize(db: Database, fromMs: number, toMs: number): { totalBytes: number; swapTotalBytes: number } | null {
  return guard(db, () => {
    const row = db.prepare('SELECT total, swap_total FROM host_samples WHERE t BETWEEN ? AND ? ORDER BY t DESC LIMIT 1').get(fromMs, toMs) as
      | { total: number; swap_total: number }
      | undefined;
    return row ? { totalBytes: row.total, swapTotalBytes: row.swap_total } : null;
  });
}

/** The kernel's OOM kill counter at each raw host sample in [fromMs, toMs], oldest first. */
export function hostOomCounter(db: Database, fromMs: number, toMs: number): CounterReading[] {
  return guard(
    db,
    () =>
      db.prepare('SELECT t, oom_kills AS value FROM host_samples WHERE t BETWEEN ? AND ? AND oom_kills IS NOT NULL ORDER BY t').all(fromMs, toMs) as CounterReading[],
  );
}

/** OOM kill and restart counters of every container sampled in [fromMs, toMs], by name. */
export function containerCounters(db: Database, fromMs: number, toMs: number): ContainerCounters[] {
  const rows = guard(
    db,
    () =>
      db
        .prepare(
          `SELECT c.name, c.container_id AS containerId, s.t, s.oom_kills AS oomKills, s.restarts
           FROM container_samples s JOIN containers c ON c.ref = s.container_ref
           WHERE s.t BETWEEN ? AND ? ORDER BY c.name, c.container_id, s.t`,
        )
        .all(fromMs, toMs) as { name: string; containerId: string; t: number; oomKills: number | null; restarts: number }[],
  );
  const byName = new Map<string, ContainerCounters>();
  for (const row of rows) {
    let entry = byName.get(row.name);
    if (!entry) byName.set(row.name, (entry = { name: row.name, instances: [] }));
    let instance = entry.instances.at(-1);
    if (instance?.containerId !== row.containerId) entry.instances.push((instance = { containerId: row.containerId, oomKills: [], restarts: [] }));
    if (row.oomKills !== null) instance.oomKills.push({ t: row.t, value: row.oomKills });
    instance.restarts.push({ t: row.t, value: row.restarts });
  }
  return [...byName.values()];
}
