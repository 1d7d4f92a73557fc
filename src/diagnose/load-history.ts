// Reads what diagnose() needs from the store: the only part of diagnose/ that does I/O. Series
// are read for the containers and process groups in the snapshot (prefork groups, plus the
// largest others), over the windows the findings use.
import type { Snapshot } from '../model/snapshot.js';
import type { Database } from '../store/database.js';
import { latestImageSizes, queryHistory } from '../store/history.js';
import type { DiagnosisHistory } from '../model/finding.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
/** Plain process groups whose history is read, largest PSS first (prefork groups always are). */
const OTHER_GROUPS = 10;

/**
 * `leakWindowMs` is the memory-leak rule's window (DiagnoseOptions.leak): series are read at least
 * that far back, so the finding fits the same window the alert does.
 */
export function loadDiagnosisHistory(db: Database, snapshot: Snapshot, leakWindowMs: number | null = null, now: number = Date.parse(snapshot.takenAt)): DiagnosisHistory {
  const to = Number.isFinite(now) ? now : Date.now();
  const leak = leakWindowMs ?? 0;
  const containerNames = [...new Set(snapshot.containers.map((c) => c.name))].sort();
  const containers = containerNames.map((name) => {
    const long = queryHistory(db, { kind: 'container', name }, to - Math.max(WEEK, leak), to, 'usage');
    const week = long.filter((p) => p.t >= to - WEEK);
    return { name, day: week.filter((p) => p.t >= to - DAY), week, ...(leak > WEEK ? { leakWindow: long } : {}) };
  });
  const prefork = snapshot.processGroups.filter((g) => g.kind !== 'process');
  const others = snapshot.processGroups.filter((g) => g.kind === 'process').slice(0, OTHER_GROUPS);
  const groupNames = [...new Set([...prefork, ...others].map((g) => g.name))];
  const groups = groupNames.map((name) => {
    const long = queryHistory(db, { kind: 'group', name }, to - Math.max(DAY, leak), to, 'pss');
    return { name, pss: long.filter((p) => p.t >= to - DAY), ...(leak > DAY ? { leakWindow: long } : {}) };
  });
  return { source: 'database', containers, groups, images: latestImageSizes(db) };
}
