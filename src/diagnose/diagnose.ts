// diagnose(): why memory is gone and what each fix would save. Pure: a snapshot, the history
// read beforehand (load-history.ts) and the configuration in, findings out. Each finding code
// lives in its own file under findings/; savings come from measurements or are null.
import type { Snapshot } from '../model/snapshot.js';
import { createContext, type DiagnosisContext } from './context.js';
import { findContainersNearLimit } from './findings/container-near-limit.js';
import { findContainersWithoutLimit } from './findings/container-no-memory-limit.js';
import { findDuplicateOpencv } from './findings/duplicate-opencv.js';
import { findHostMemoryHigh } from './findings/host-memory-high.js';
import { findHostSwapDisabled } from './findings/host-swap-disabled.js';
import { findImageSizeGrowth } from './findings/image-size-growth.js';
import { findMemoryLeaks } from './findings/memory-leak-suspected.js';
import { findMlLibrariesPerWorker } from './findings/ml-libraries-per-worker.js';
import { findOomKills } from './findings/oom-kill.js';
import { findPreforkConcurrency } from './findings/prefork-concurrency.js';
import {
  type DiagnosisHistory,
  type Finding,
  FINDING_CODES,
  type Priority,
  type Recommendation,
  type Severity,
} from '../model/finding.js';
import type { DiagnoseOptions } from './options.js';

const RULES: readonly ((ctx: DiagnosisContext) => Finding[])[] = [
  findHostMemoryHigh,
  findOomKills,
  findContainersNearLimit,
  findHostSwapDisabled,
  findContainersWithoutLimit,
  findPreforkConcurrency,
  findMemoryLeaks,
  findMlLibrariesPerWorker,
  findDuplicateOpencv,
  findImageSizeGrowth,
];

const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };
const PRIORITY_RANK: Record<Priority, number> = { urgent: 0, high: 1, medium: 2 };

/**
 * Findings, most severe first (then in FINDING_CODES order, then by target); each finding's
 * recommendations ranked by priority, then by measured saving (unknown last).
 */
export function diagnose(snapshot: Snapshot, history: DiagnosisHistory, options: DiagnoseOptions): Finding[] {
  const ctx = createContext(snapshot, history, options);
  const findings = RULES.flatMap((rule) => rule(ctx)).map((f) => ({ ...f, recommendations: rankRecommendations(f.recommendations) }));
  return findings.sort(
    (a, b) =>
      SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
      FINDING_CODES.indexOf(a.code) - FINDING_CODES.indexOf(b.code) ||
      a.target.name.localeCompare(b.target.name),
  );
}

export function rankRecommendations(recommendations: readonly Recommendation[]): Recommendation[] {
  // Stable sort: equal ranks keep the order the finding gave them.
  return [...recommendations].sort(
    (a, b) =>
      PRIORITY_RANK[a.priority] - PRIORITY_RANK[b.priority] ||
      (b.estimatedSavingsBytes ?? -1) - (a.estimatedSavingsBytes ?? -1),
  );
}
