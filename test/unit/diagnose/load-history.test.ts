// load-history.ts against a real SQLite file written by the real recorder, end to end into diagnose().
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../../src/model/snapshot.js';
import { readHistory } from '../../../src/cli/diagnose-command.js';
import { diagnose } from '../../../src/diagnose/diagnose.js';
import { loadDiagnosisHistory } from '../../../src/diagnose/load-history.js';
import { closeDatabase, openDatabase } from '../../../src/store/database.js';
import { recordSnapshot } from '../../../src/store/samples.js';
import { container, GiB, HOUR, MiB, NOW, options, pool, snapshot } from './build.js';

const MINUTE = 60_000;
const DAY = 24 * HOUR;
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'memwarden-diagnose-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The worker at time t: its group PSS is `pss` (children hold the rest of it). */
function at(t: number, pss: number, image = { id: 'sha256:new', size: 900 * MiB }): Snapshot {
  const id = 'w'.repeat(64);
  const childUss = (pss - 100 * MiB) / 2;
  const processes = pool({ children: 2, masterPss: 100 * MiB, childUss, shared: 0, containerId: id });
  const c = container('worker', { id, memoryLimitBytes: 4 * GiB, memoryUsageBytes: pss, image: 'acme/worker:1', imageId: image.id, imageSizeBytes: image.size });
  return { ...snapshot({ containers: [c], processes }), takenAt: new Date(t).toISOString() };
}

describe('loadDiagnosisHistory', () => {
  it('reads a week of container usage, a day of group PSS and the image sizes, for what the snapshot shows', () => {
    const db = openDatabase(join(dir, 'memwarden.db'));
    try {
      recordSnapshot(db, at(NOW - 8 * DAY, 300 * MiB, { id: 'sha256:old', size: 400 * MiB })); // outside the week
      recordSnapshot(db, at(NOW - 3 * DAY, 350 * MiB, { id: 'sha256:old', size: 400 * MiB })); // in the week, not the day
      // The last 2 hours: +60 MiB/h, every 5 minutes.
      for (let i = 0; i <= 24; i++) recordSnapshot(db, at(NOW - 2 * HOUR + i * 5 * MINUTE, 500 * MiB + i * 5 * MiB));
      const now = at(NOW, 620 * MiB);
      const h = loadDiagnosisHistory(db, now);
      expect(h.source).toBe('database');
      expect(h.containers.map((c) => [c.name, c.week.length, c.day.length])).toEqual([['worker', 26, 25]]);
      expect(h.groups).toHaveLength(1);
      expect(h.groups[0]).toMatchObject({ name: 'celery worker@box (proj)' });
      expect(h.groups[0]?.pss).toHaveLength(25);
      expect(h.images).toEqual([
        expect.objectContaining({ repository: 'acme/worker', images: [expect.objectContaining({ imageId: 'sha256:old', sizeBytes: 400 * MiB }), expect.objectContaining({ imageId: 'sha256:new', sizeBytes: 900 * MiB })] }),
      ]);

      const codes = diagnose(now, h, options()).map((f) => f.code);
      expect(codes).toEqual(expect.arrayContaining(['memory-leak-suspected', 'image-size-growth']));
    } finally {
      closeDatabase(db);
    }
  });
});

describe('readHistory (diagnose-command)', () => {
  it('without a database: no history, and says so', () => {
    const { history, note } = readHistory(join(dir, 'memwarden.db'), at(NOW, GiB));
    expect(history).toEqual({ source: 'none', containers: [], groups: [], images: [] });
    expect(note).toMatch(/No history yet .* diagnosed from this snapshot alone/);
  });

  it('with a file that is not a memwarden database: no history, the reason, and the file left as found', () => {
    const file = join(dir, 'memwarden.db');
    writeFileSync(file, 'not sqlite at all, just text that happens to sit here');
    const { history, note } = readHistory(file, at(NOW, GiB));
    expect(history.source).toBe('none');
    expect(note).toMatch(/^History unavailable \(.*not a valid memwarden database/);
  });
});
