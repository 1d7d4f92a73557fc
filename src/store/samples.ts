import type BetterSqlite3 from 'better-sqlite3';
import { largestGroups } from '../model/snapshot.js';
import type { ContainerMemory, ProcessGroup, Snapshot } from '../model/snapshot.js';
import { perDatabase, type Database } from './database.js';
import { toStoreError } from './store-error.js';

/** Process groups kept per poll (largest PSS first): the long tail is noise and bloats the file. */
export const DEFAULT_TOP_GROUPS = 50;

interface SampleStatements {
  host: BetterSqlite3.Statement;
  upsertContainer: BetterSqlite3.Statement;
  container: BetterSqlite3.Statement;
  upsertImage: BetterSqlite3.Statement;
  upsertGroup: BetterSqlite3.Statement;
  group: BetterSqlite3.Statement;
  write: BetterSqlite3.Transaction<(snapshot: Snapshot, t: number, groups: ProcessGroup[]) => void>;
}

/**
 * Stores one poll in one transaction: the host sample, one row per container and one per
 * process group among the `topGroups` largest by PSS. Recording the same snapshot (same
 * `takenAt`) twice replaces the first copy.
 */
export function recordSnapshot(db: Database, snapshot: Snapshot, topGroups: number = DEFAULT_TOP_GROUPS): void {
  if (!Number.isInteger(topGroups) || topGroups < 0) {
    throw new RangeError(`topGroups must be a non-negative integer, got ${topGroups}`);
  }
  const t = Date.parse(snapshot.takenAt);
  if (!Number.isFinite(t)) throw new RangeError(`snapshot.takenAt is not a valid time: ${snapshot.takenAt}`);
  const groups = largestGroups(snapshot.processGroups, topGroups);
  try {
    statementsFor(db).write.immediate(snapshot, t, groups);
  } catch (err) {
    throw toStoreError(err, db.name) ?? err;
  }
}

/**
 * The repository part of an image reference: `ghcr.io/acme/api:1.2@sha256:..` -> `ghcr.io/acme/api`,
 * `localhost:5000/app:dev` -> `localhost:5000/app`. Containers started from a bare image id have
 * no repository; they are listed under `<none>`, as `docker images` does.
 */
export function imageRepository(image: string): string {
  const withoutDigest = image.split('@')[0] ?? '';
  if (withoutDigest === '' || /^(sha256:)?[0-9a-f]{12,64}$/.test(withoutDigest)) return '<none>';
  const colon = withoutDigest.lastIndexOf(':');
  // A colon before the last slash belongs to a registry port, not a tag.
  return colon > withoutDigest.lastIndexOf('/') ? withoutDigest.slice(0, colon) : withoutDigest;
}

const statementsFor = perDatabase((db): SampleStatements => {
  const s: Omit<SampleStatements, 'write'> = {
    host: db.prepare(`
      INSERT OR REPLACE INTO host_samples
        (t, total, used, available, buff_cache, swap_total, swap_used, psi_some, psi_full, oom_kills)
      VALUES (@t, @total, @used, @available, @buffCache, @swapTotal, @swapUsed, @psiSome, @psiFull, @oomKills)`),
    upsertContainer: db.prepare(`
      INSERT INTO containers (container_id, name, image, image_id, first_seen, last_seen)
      VALUES (@id, @name, @image, @imageId, @t, @t)
      ON CONFLICT (container_id, name) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen)
      RETURNING ref`),
    container: db.prepare(`
      INSERT OR REPLACE INTO container_samples
        (t, container_ref, usage, mem_limit, percent, limit_hits, oom_kills, restarts)
      VALUES (@t, @ref, @usage, @limit, @percent, @limitHits, @oomKills, @restarts)`),
    upsertImage: db.prepare(`
      INSERT INTO images (repository, image_id, image, size_bytes, first_seen, last_seen)
      VALUES (@repository, @imageId, @image, @size, @t, @t)
      ON CONFLICT (repository, image_id) DO UPDATE SET
        size_bytes = coalesce(excluded.size_bytes, size_bytes),
        first_seen = min(first_seen, excluded.first_seen),
        last_seen = max(last_seen, excluded.last_seen)`),
    upsertGroup: db.prepare(`
      INSERT INTO process_groups (name, kind, container_name, first_seen, last_seen)
      VALUES (@name, @kind, @containerName, @t, @t)
      ON CONFLICT (name, kind, container_name) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen)
      RETURNING ref`),
    group: db.prepare(`
      INSERT OR REPLACE INTO group_samples (t, group_ref, pss, rss, uss, members, pool_size)
      VALUES (@t, @ref, @pss, @rss, @uss, @members, @poolSize)`),
  };
  const write = db.transaction((snapshot: Snapshot, t: number, groups: ProcessGroup[]) => {
    const host = snapshot.host;
    s.host.run({
      t,
      total: host.totalBytes,
      used: host.usedBytes,
      available: host.availableBytes,
      buffCache: host.buffCacheBytes,
      swapTotal: host.swapTotalBytes,
      swapUsed: host.swapUsedBytes,
      psiSome: host.pressure?.some.avg60 ?? null,
      psiFull: host.pressure?.full.avg60 ?? null,
      oomKills: host.oomKillCount,
    });
    for (const container of snapshot.containers) writeContainer(s, t, container);
    for (const group of groups) {
      const { ref } = s.upsertGroup.get({
        name: group.name,
        kind: group.kind,
        containerName: group.containerName ?? '',
        t,
      }) as { ref: number };
      s.group.run({
        t,
        ref,
        pss: group.pssBytes,
        rss: group.rssBytes,
        uss: group.ussBytes,
        members: group.pids.length,
        poolSize: group.celery?.poolSize ?? null,
      });
    }
  });
  return { ...s, write };
});

function writeContainer(s: Omit<SampleStatements, 'write'>, t: number, container: ContainerMemory): void {
  const { ref } = s.upsertContainer.get({
    id: container.id,
    name: container.name,
    image: container.image,
    imageId: container.imageId,
    t,
  }) as { ref: number };
  s.container.run({
    t,
    ref,
    usage: container.memoryUsageBytes,
    limit: container.memoryLimitBytes,
    // NaN would be stored as NULL anyway; say so.
    percent: Number.isFinite(container.memoryPercent) ? container.memoryPercent : null,
    limitHits: container.limitHitCount,
    oomKills: container.oomKillCount,
    restarts: container.restartCount,
  });
  if (container.imageId !== '') {
    s.upsertImage.run({
      repository: imageRepository(container.image),
      imageId: container.imageId,
      image: container.image,
      size: container.imageSizeBytes,
      t,
    });
  }
}
