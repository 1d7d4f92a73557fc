import { statSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeDatabase, openDatabase } from '../../../src/store/database.js';
import { containerNames, latestImageSizes, queryHistory } from '../../../src/store/history.js';
import { imageRepository, recordSnapshot } from '../../../src/store/samples.js';
import { makeTempDb, type TempDb } from '../remediate/helpers.js';
import { GiB, MiB, makeContainer, makeGroup, makeHost, makeSnapshot } from './make-snapshot.js';

const T0 = Date.UTC(2025, 2, 1, 12, 0, 0);
const MINUTE = 60_000;

let store: TempDb;
beforeEach(() => {
  store = makeTempDb();
});
afterEach(() => store.close());

describe('recordSnapshot', () => {
  it('records three polls and reads every stored figure back', () => {
    for (let i = 0; i < 3; i++) {
      recordSnapshot(
        store.db,
        makeSnapshot(T0 + i * MINUTE, {
          host: makeHost({
            usedBytes: (6 + i) * GiB,
            availableBytes: (10 - i) * GiB,
            swapUsedBytes: i * MiB,
            pressure: i === 2 ? null : makeHost().pressure,
            oomKillCount: i === 2 ? null : i,
          }),
          containers: [
            makeContainer({ name: 'api', memoryUsageBytes: (200 + i) * MiB, restartCount: i }),
            makeContainer({
              name: 'worker',
              image: 'ghcr.io/acme/worker:2.1',
              imageId: `sha256:${'b'.repeat(64)}`,
              memoryUsageBytes: (500 + i) * MiB,
              memoryLimitBytes: null,
              memoryPercent: 3.2,
              limitHitCount: null,
              oomKillCount: null,
            }),
          ],
          processGroups: [
            makeGroup({
              name: 'celery:acme',
              kind: 'celery',
              containerName: 'worker',
              pssBytes: (300 + i) * MiB,
              rssBytes: (400 + i) * MiB,
              ussBytes: (250 + i) * MiB,
              pids: [1, 2, 3, 4, 5],
              celery: { app: 'acme', nodeName: 'w1', configuredConcurrency: 4, poolSize: 4 },
            }),
            makeGroup({ name: 'node', pssBytes: 90 * MiB }),
          ],
        }),
      );
    }

    expect(store.db.prepare('SELECT * FROM host_samples ORDER BY t').all()).toEqual([0, 1, 2].map((i) => ({
      t: T0 + i * MINUTE,
      total: 16 * GiB,
      used: (6 + i) * GiB,
      available: (10 - i) * GiB,
      buff_cache: 8 * GiB,
      swap_total: 2 * GiB,
      swap_used: i * MiB,
      psi_some: i === 2 ? null : 0.25,
      psi_full: i === 2 ? null : 0.05,
      oom_kills: i === 2 ? null : i,
    })));

    const containers = store.db
      .prepare(
        `SELECT s.t, c.container_id AS id, c.name, c.image, c.image_id AS imageId, s.usage, s.mem_limit AS "limit",
                s.percent, s.limit_hits AS limitHits, s.oom_kills AS oomKills, s.restarts
         FROM container_samples s JOIN containers c ON c.ref = s.container_ref ORDER BY s.t, c.name`,
      )
      .all();
    expect(containers).toHaveLength(6);
    expect(containers[4]).toEqual({
      t: T0 + 2 * MINUTE,
      id: makeContainer({ name: 'api' }).id,
      name: 'api',
      image: 'acme/api:1.0',
      imageId: `sha256:${'a'.repeat(64)}`,
      usage: 202 * MiB,
      limit: 1 * GiB,
      percent: 19.53,
      limitHits: 0,
      oomKills: 0,
      restarts: 2,
    });
    expect(containers[5]).toMatchObject({ name: 'worker', limit: null, limitHits: null, oomKills: null });

    const groups = store.db
      .prepare(
        `SELECT s.t, g.name, g.kind, g.container_name AS containerName, s.pss, s.rss, s.uss, s.members, s.pool_size AS poolSize
         FROM group_samples s JOIN process_groups g ON g.ref = s.group_ref ORDER BY s.t, g.name`,
      )
      .all();
    expect(groups).toHaveLength(6);
    expect(groups[0]).toEqual({
      t: T0,
      name: 'celery:acme',
      kind: 'celery',
      containerName: 'worker',
      pss: 300 * MiB,
      rss: 400 * MiB,
      uss: 250 * MiB,
      members: 5,
      poolSize: 4,
    });
    expect(groups[1]).toMatchObject({ name: 'node', containerName: '', poolSize: null, members: 3 });

    // The same figures through the public history API.
    const range = [T0, T0 + 10 * MINUTE] as const;
    expect(queryHistory(store.db, { kind: 'host' }, ...range)).toEqual([0, 1, 2].map((i) => ({
      t: T0 + i * MINUTE,
      min: (6 + i) * GiB,
      avg: (6 + i) * GiB,
      max: (6 + i) * GiB,
      count: 1,
    })));
    expect(queryHistory(store.db, { kind: 'host' }, ...range, 'psiSome').map((p) => p.avg)).toEqual([0.25, 0.25]);
    expect(queryHistory(store.db, { kind: 'container', name: 'worker' }, ...range).map((p) => p.avg)).toEqual([
      500 * MiB,
      501 * MiB,
      502 * MiB,
    ]);
    expect(queryHistory(store.db, { kind: 'container', name: 'worker' }, ...range, 'limit')).toEqual([]);
    expect(queryHistory(store.db, { kind: 'group', name: 'celery:acme' }, ...range, 'uss').map((p) => p.avg)).toEqual([
      250 * MiB,
      251 * MiB,
      252 * MiB,
    ]);
    expect(containerNames(store.db, T0)).toEqual(['api', 'worker']);
    expect(containerNames(store.db, T0 + 3 * MINUTE)).toEqual([]);
  });

  it('keeps only the top N process groups by PSS', () => {
    const groups = Array.from({ length: 60 }, (_, i) => makeGroup({ name: `g${i}`, pssBytes: i * MiB }));
    recordSnapshot(store.db, makeSnapshot(T0, { processGroups: groups }));
    recordSnapshot(store.db, makeSnapshot(T0 + MINUTE, { processGroups: groups }), 2);

    const stored = (t: number): string[] =>
      (
        store.db
          .prepare(
            'SELECT g.name FROM group_samples s JOIN process_groups g ON g.ref = s.group_ref WHERE t = ? ORDER BY s.pss DESC',
          )
          .all(t) as { name: string }[]
      ).map((row) => row.name);
    expect(stored(T0)).toHaveLength(50);
    expect(stored(T0).at(-1)).toBe('g10');
    expect(stored(T0 + MINUTE)).toEqual(['g59', 'g58']);
  });

  it('replaces, not duplicates, a snapshot recorded twice', () => {
    const snapshot = makeSnapshot(T0, {
      containers: [makeContainer({ name: 'api' })],
      processGroups: [makeGroup({ name: 'node' })],
    });
    recordSnapshot(store.db, snapshot);
    recordSnapshot(store.db, snapshot);
    for (const table of ['host_samples', 'container_samples', 'group_samples', 'containers', 'process_groups']) {
      expect(store.db.prepare(`SELECT count(*) AS n FROM ${table}`).get(), table).toEqual({ n: 1 });
    }
  });

  it('treats a recreated container (new id, same name) as one history', () => {
    recordSnapshot(store.db, makeSnapshot(T0, { containers: [makeContainer({ name: 'api', id: 'old', memoryUsageBytes: 1 })] }));
    recordSnapshot(
      store.db,
      makeSnapshot(T0 + MINUTE, { containers: [makeContainer({ name: 'api', id: 'new', memoryUsageBytes: 2 })] }),
    );
    expect(queryHistory(store.db, { kind: 'container', name: 'api' }, T0, T0 + MINUTE).map((p) => p.avg)).toEqual([1, 2]);
  });

  it('rejects a snapshot without a valid time and a negative topGroups, writing nothing', () => {
    expect(() => recordSnapshot(store.db, { ...makeSnapshot(T0), takenAt: 'yesterday' })).toThrow(
      'snapshot.takenAt is not a valid time: yesterday',
    );
    expect(() => recordSnapshot(store.db, makeSnapshot(T0), -1)).toThrow(RangeError);
    expect(store.db.prepare('SELECT count(*) AS n FROM host_samples').get()).toEqual({ n: 0 });
  });

  it('writes nothing of a poll when one row fails (one transaction per poll)', () => {
    const bad = makeSnapshot(T0, {
      containers: [makeContainer({ name: 'api' }), makeContainer({ name: 'broken', restartCount: null as unknown as number })],
    });
    expect(() => recordSnapshot(store.db, bad)).toThrow(/NOT NULL constraint failed: container_samples.restarts/);
    for (const table of ['host_samples', 'container_samples', 'containers', 'images']) {
      expect(store.db.prepare(`SELECT count(*) AS n FROM ${table}`).get(), table).toEqual({ n: 0 });
    }
  });

  it('keeps image sizes per repository and image id with when each was first seen', () => {
    const v1 = `sha256:${'1'.repeat(64)}`;
    const v2 = `sha256:${'2'.repeat(64)}`;
    const api = (imageId: string, imageSizeBytes: number | null, image = 'ghcr.io/acme/api:1.0') =>
      makeContainer({ name: 'api', image, imageId, imageSizeBytes });
    recordSnapshot(store.db, makeSnapshot(T0, { containers: [api(v1, 300 * MiB)] }));
    recordSnapshot(store.db, makeSnapshot(T0 + MINUTE, { containers: [api(v1, null)] }));
    recordSnapshot(store.db, makeSnapshot(T0 + 2 * MINUTE, { containers: [api(v2, 900 * MiB, 'ghcr.io/acme/api:1.1')] }));
    recordSnapshot(
      store.db,
      makeSnapshot(T0 + 3 * MINUTE, {
        containers: [makeContainer({ name: 'cache', image: 'redis:7', imageId: `sha256:${'3'.repeat(64)}` })],
      }),
    );

    expect(latestImageSizes(store.db)).toEqual([
      {
        repository: 'ghcr.io/acme/api',
        images: [
          { imageId: v1, image: 'ghcr.io/acme/api:1.0', sizeBytes: 300 * MiB, firstSeen: T0, lastSeen: T0 + MINUTE },
          {
            imageId: v2,
            image: 'ghcr.io/acme/api:1.1',
            sizeBytes: 900 * MiB,
            firstSeen: T0 + 2 * MINUTE,
            lastSeen: T0 + 2 * MINUTE,
          },
        ],
      },
      {
        repository: 'redis',
        images: [
          {
            imageId: `sha256:${'3'.repeat(64)}`,
            image: 'redis:7',
            sizeBytes: 300 * MiB,
            firstSeen: T0 + 3 * MINUTE,
            lastSeen: T0 + 3 * MINUTE,
          },
        ],
      },
    ]);
  });

  it('stays lean: 2880 polls (48 h at 1/min) of 20 containers and 50 groups', async ({ annotate }) => {
    const containers = Array.from({ length: 20 }, (_, c) =>
      makeContainer({
        name: `service-${c}`,
        id: c.toString(16).padStart(64, 'f'),
        image: `registry.example.com/acme/service-${c}:2025.03.${c}`,
        imageId: `sha256:${c.toString(16).padStart(64, '0')}`,
      }),
    );
    const groups = Array.from({ length: 60 }, (_, g) =>
      makeGroup({ name: `gunicorn:service-${g}`, kind: 'gunicorn', containerName: `service-${g % 20}` }),
    );
    const started = performance.now();
    for (let i = 0; i < 2880; i++) {
      const jitter = (k: number) => ((i * 7919 + k * 104729) % 1000) * 4096;
      recordSnapshot(
        store.db,
        makeSnapshot(T0 + i * MINUTE, {
          host: makeHost({ usedBytes: 6 * GiB + jitter(0), availableBytes: 10 * GiB - jitter(0) }),
          containers: containers.map((c, k) => ({
            ...c,
            memoryUsageBytes: 200 * MiB + jitter(k),
            memoryPercent: (200 * MiB + jitter(k)) / GiB * 100,
          })),
          processGroups: groups.map((g, k) => ({
            ...g,
            pssBytes: 100 * MiB + jitter(k + 20),
            rssBytes: 150 * MiB + jitter(k + 20),
            ussBytes: 80 * MiB + jitter(k + 20),
          })),
        }),
      );
    }
    const elapsedMs = performance.now() - started;
    closeDatabase(store.db);
    const bytes = statSync(store.file).size;
    store.db = openDatabase(store.file);
    expect(store.db.prepare('SELECT count(*) AS n FROM group_samples').get()).toEqual({ n: 2880 * 50 });
    expect(store.db.prepare('SELECT count(*) AS n FROM container_samples').get()).toEqual({ n: 2880 * 20 });
    await annotate(
      `db size after 2880 polls x (20 containers + 50 groups): ${(bytes / MiB).toFixed(2)} MiB ` +
        `(${Math.round(bytes / (2880 * 71))} bytes per sample row); recorded in ${Math.round(elapsedMs)} ms`,
    );
    expect(bytes).toBeLessThan(12 * MiB);
  }, 120_000);
});

describe('imageRepository', () => {
  it.each([
    ['redis:7', 'redis'],
    ['redis', 'redis'],
    ['ghcr.io/acme/api:1.2', 'ghcr.io/acme/api'],
    ['ghcr.io/acme/api:1.2@sha256:' + 'c'.repeat(64), 'ghcr.io/acme/api'],
    ['ghcr.io/acme/api@sha256:' + 'c'.repeat(64), 'ghcr.io/acme/api'],
    ['localhost:5000/app', 'localhost:5000/app'],
    ['localhost:5000/app:dev', 'localhost:5000/app'],
    ['sha256:' + 'd'.repeat(64), '<none>'],
    ['0123456789ab', '<none>'],
    ['', '<none>'],
  ])('%s -> %s', (image, repository) => {
    expect(imageRepository(image)).toBe(repository);
  });
});
