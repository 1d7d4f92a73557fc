// Memory history as every layer reads it: samples and rollups of a host, container or process
// group, image sizes per repository, and counter readings (OOM kills, restarts) over a window.
export type HistoryTarget = { kind: 'host' } | { kind: 'container'; name: string } | { kind: 'group'; name: string };

/** One raw sample (min = avg = max, count 1) or one rollup bucket (t = bucket start). */
export interface HistoryPoint {
  t: number;
  min: number;
  avg: number;
  max: number;
  count: number;
}

export interface HistorySummary {
  min: number;
  /** Count-weighted over the points, i.e. the mean of the underlying samples. */
  avg: number;
  max: number;
  /** avg of the earliest and of the latest point. */
  first: number;
  last: number;
  /** Samples behind the points. */
  count: number;
}

export interface ImageSize {
  imageId: string;
  /** The reference a container was started from, e.g. `ghcr.io/acme/api:1.4`. */
  image: string;
  sizeBytes: number | null;
  firstSeen: number;
  lastSeen: number;
}

export interface ImageRepositorySizes {
  repository: string;
  /** Oldest first, so the last entry is the image most recently seen for the first time. */
  images: ImageSize[];
}

/** What history keeps per target kind. */
export interface HistoryMetric {
  host: 'used' | 'available' | 'swapUsed' | 'psiSome' | 'psiFull';
  container: 'usage' | 'limit';
  group: 'pss' | 'rss' | 'uss';
}

/** One reading of a monotonic counter (kernel OOM kills, a container's restarts). */
export interface CounterReading {
  t: number;
  value: number;
}

export interface ContainerCounters {
  name: string;
  /** Per container instance (a recreated container starts its counters again), oldest first. */
  instances: { containerId: string; oomKills: CounterReading[]; restarts: CounterReading[] }[];
}
