// The daily digest's plain data: the last 24 hours against the 24 hours before. loadDigestData
// (load-digest.ts) reads what it needs from the store into DigestData; buildDigest
// (build-digest.ts) turns that into the figures (Digest), each with its change against the day
// before. Types only: the renderers and the commands read these shapes, not how they are made.
//
// A figure is null when nothing was measured; a change is "unknown" when either day has no
// figure (memwarden was not running the day before, say): never guessed, never zero-filled.
import type { DigestChartData } from '../model/chart.js';
import type { AlertTransition } from '../model/alert.js';
import type { Severity } from '../model/alert-rule.js';
import type { Finding, FindingCode, Priority } from '../model/finding.js';
import type { LeakTerms } from '../signals/leak.js';
import type { ContainerCounters, CounterReading } from '../model/history.js';
import type { HistoryPoint } from '../model/history.js';

export const DAY_MS = 86_400_000;

// --- What the store gives ------------------------------------------------------------------

export interface DigestRun {
  requestId: string;
  /** When the run finished. */
  at: number;
  runbookId: string | null;
  target: string | null;
  outcome: 'succeeded' | 'failed';
  requestedBy: string | null;
  approvedBy: string[];
  dryRun: boolean;
  /** Measured on the target just before the run and after it (the audit's before/after). */
  beforeBytes: number | null;
  afterBytes: number | null;
  detail: string | null;
}

export interface DigestRecommendationInput {
  findingCode: FindingCode;
  severity: Finding['severity'];
  target: string;
  title: string;
  priority: Priority;
  estimatedSavingsBytes: number | null;
  runbook: string | null;
}

export interface FiringAlert {
  fingerprint: string;
  ruleId: string;
  target: string;
  severity: Severity;
  firingSince: number;
}

/** Everything buildDigest reads; every series covers [now - 48 h, now]. */
export interface DigestData {
  /** YYYY-MM-DD of `now` in `tz`: the digest's name. */
  day: string;
  tz: string;
  /** End of the digest's 24 hours (epoch ms). */
  now: number;
  hostname: string | null;
  host: {
    totalBytes: number | null;
    swapTotalBytes: number | null;
    used: HistoryPoint[];
    available: HistoryPoint[];
    swapUsed: HistoryPoint[];
    /** PSI avg60, percent. */
    psiSome: HistoryPoint[];
    psiFull: HistoryPoint[];
    oomKills: CounterReading[];
  };
  containers: { name: string; usage: HistoryPoint[]; limit: HistoryPoint[]; counters: ContainerCounters['instances'] }[];
  alerts: { transitions: AlertTransition[]; firing: FiringAlert[] };
  /** Runs that finished in the 48 hours, oldest first. */
  runs: DigestRun[];
  /** Open recommendations of the current diagnosis; null when there was no snapshot to diagnose. */
  recommendations: DigestRecommendationInput[] | null;
  /** What a leak is (the memory-leak alert rule); null: no leak detection. */
  leak: LeakTerms | null;
}

// --- What the digest shows ------------------------------------------------------------------

export type Direction = 'up' | 'down' | 'same' | 'unknown';

/** One figure of the last 24 hours and the same figure of the 24 hours before. */
export interface Figure {
  value: number | null;
  previous: number | null;
  /** value - previous; null when either is unknown. */
  change: number | null;
  direction: Direction;
}

export interface ContainerDigest {
  name: string;
  /** The latest limit seen; null: no limit. */
  limitBytes: number | null;
  peak: Figure;
  p95: Figure;
  /** Latest minus earliest usage of each day. */
  growth: Figure;
  /** Steady growth by least squares over the 24 hours, when it meets the leak rule's terms. */
  leak: {
    slopePerHour: number;
    r2: number;
    /** What the rise runs into; null when neither the limit nor the host's available memory is known. */
    ceiling: 'container limit' | 'host available memory' | null;
    /** From the day's last sample to the ceiling along the fitted slope; null: unknown. */
    timeToLimitMs: number | null;
  } | null;
  oomKills: Figure;
  restarts: Figure;
}

export interface AlertDigest {
  ruleId: string;
  target: string;
  severity: Severity;
  /** Episodes that started firing in the 24 hours. */
  fired: number;
  firingMs: number;
  firingNow: boolean;
}

export interface Digest {
  day: string;
  tz: string;
  from: number;
  to: number;
  hostname: string | null;
  /** Whether memwarden recorded anything in each day (a day without samples has no figures). */
  recorded: { current: boolean; previous: boolean };
  host: {
    totalBytes: number | null;
    swapTotalBytes: number | null;
    peakUsed: Figure;
    avgUsed: Figure;
    lowestAvailable: Figure;
    peakSwapUsed: Figure;
    avgPressureSome: Figure;
    peakPressureSome: Figure;
    peakPressureFull: Figure;
    /** Samples behind the day's host figures. */
    samples: number;
  };
  /** Largest peak first. */
  containers: ContainerDigest[];
  topGrowers: ContainerDigest[];
  leakSuspects: ContainerDigest[];
  events: { oomKills: Figure; containerOomKills: Figure; restarts: Figure };
  alerts: { fired: Figure; resolved: Figure; silenced: Figure; firingMs: Figure; top: AlertDigest[] };
  remediations: { runs: Figure; items: DigestRun[] };
  /** null: no diagnosis to take them from. */
  recommendations: { items: DigestRecommendationInput[]; count: Figure; savingsBytes: Figure; unknownSavings: number } | null;
  chart: DigestChartData;
}
