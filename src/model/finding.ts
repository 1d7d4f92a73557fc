// What diagnose() returns and what it reads besides the snapshot: plain data only, so findings
// can be stored, rendered in the terminal and in Slack, and compared in tests.
import type { HistoryPoint, ImageRepositorySizes } from './history.js';

export const FINDING_CODES = [
  'host-memory-high',
  'oom-kill',
  'container-near-limit',
  'host-swap-disabled',
  'container-no-memory-limit',
  'prefork-concurrency',
  'memory-leak-suspected',
  'ml-libraries-per-worker',
  'duplicate-opencv',
  'image-size-growth',
] as const;

export type FindingCode = (typeof FINDING_CODES)[number];

export type Severity = 'info' | 'warning' | 'critical';
export type Priority = 'urgent' | 'high' | 'medium';

export interface FindingTarget {
  kind: 'host' | 'container' | 'group';
  name: string;
}

export interface Recommendation {
  title: string;
  priority: Priority;
  /** Memory the fix frees, computed from measurements; null when nothing measured tells us. */
  estimatedSavingsBytes: number | null;
  /** The approved runbook that applies it (commands/<runbook>.yml); null when only a human can. */
  runbook: string | null;
  /** The runbook's parameters (sizes in bytes). */
  params?: Record<string, number | string>;
  /** Exact manual steps, for what no runbook can do (or to make a live fix persistent). */
  steps?: string[];
  /** Why, and what to expect; one short paragraph. */
  detail: string;
}

/** Named figures behind a finding: bytes as integers (keys end in `Bytes`), null when unknown. */
export type Evidence = Record<string, number | string | null>;

export interface Finding {
  code: FindingCode;
  severity: Severity;
  target: FindingTarget;
  /** One line. */
  summary: string;
  evidence: Evidence;
  /** Ranked: the first is the one to do first. */
  recommendations: Recommendation[];
}

export interface ContainerHistory {
  name: string;
  /** Usage (docker's MEM USAGE) over the last 24 hours, oldest first. */
  day: HistoryPoint[];
  /** Usage over the last 7 days, oldest first. */
  week: HistoryPoint[];
  /** Usage over the memory-leak rule's window, when that reaches back further than `week`. */
  leakWindow?: HistoryPoint[];
}

export interface GroupHistory {
  name: string;
  /** The group's PSS over the last 24 hours, oldest first. */
  pss: HistoryPoint[];
  /** PSS over the memory-leak rule's window, when that reaches back further than `pss`. */
  leakWindow?: HistoryPoint[];
}

/** What diagnose() needs from the store, read beforehand by load-history.ts. */
export interface DiagnosisHistory {
  /** 'none': no database; findings rest on the snapshot alone. */
  source: 'database' | 'none';
  containers: ContainerHistory[];
  groups: GroupHistory[];
  /** Image sizes seen per repository (store/history.ts latestImageSizes). */
  images: ImageRepositorySizes[];
}

export function emptyDiagnosisHistory(): DiagnosisHistory {
  return { source: 'none', containers: [], groups: [], images: [] };
}
