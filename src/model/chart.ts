// A memory chart as data: series over a time range, with the limits drawn as dashed lines. The
// digest builds one for its day; a renderer draws it (digest/chart.ts, SVG to PNG) when it is sent.
export interface ChartSeries {
  label: string;
  /** Sorted by t; one point per time slice (the mean of the slice). */
  points: { t: number; v: number }[];
  /** Drawn as a dashed line: the host's RAM, a container's limit; null: none. */
  limitBytes: number | null;
}

export interface DigestChartData {
  from: number;
  to: number;
  tz: string;
  title: string;
  host: ChartSeries;
  containers: ChartSeries[];
}

/** A chart to go into the thread of a message: what the outbox carries until it is sent. */
export interface ChartAttachment {
  chart: DigestChartData;
  filename: string;
  title: string;
  /** One sentence for screen readers: what the chart shows. */
  altText: string;
}
