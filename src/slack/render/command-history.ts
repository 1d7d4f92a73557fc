// `/mem history <container|host> [6h|24h|7d]`: min, avg and max over the window and a sparkline
// of the points, one character per time slice (a gap where nothing was recorded).
import { formatBytes } from '../../format/units.js';
import type { HistoryPoint, HistorySummary } from '../../model/history.js';
import type { SlackMessage } from './block-kit-limits.js';
import { context, header, message, name, section } from './command-common.js';
import { slackDate } from './render-notice.js';

export interface HistoryView {
  target: { kind: 'host'; name: string } | { kind: 'container'; name: string };
  window: string;
  fromMs: number;
  toMs: number;
  /** Sorted by t; raw samples and rollup buckets alike. */
  points: HistoryPoint[];
  /** summarizeHistory(points); null when there are none. */
  summary: HistorySummary | null;
}

export const SPARK_CHARS = '▁▂▃▄▅▆▇█';
export const SPARK_COLUMNS = 48;
const GAP = ' ';

export interface Sparkline {
  /** One character per slice, trailing blanks trimmed. */
  text: string;
  /** The values ▁ and █ stand for: the lowest and highest slice means. */
  low: number;
  high: number;
}

/**
 * One character per slice of [fromMs, toMs]: the count-weighted mean of the points in the slice,
 * scaled from the lowest slice (▁) to the highest (█); a flat series is all ▄; a slice without
 * points (memwarden was not running) is blank. At most `columns` slices, and no more than there
 * are points, so sparse data is not drawn as gaps. null without points in the window.
 */
export function sparkline(points: readonly HistoryPoint[], fromMs: number, toMs: number, maxColumns = SPARK_COLUMNS): Sparkline | null {
  const span = toMs - fromMs;
  const inside = points.filter((p) => p.count > 0 && Number.isFinite(p.avg) && p.t >= fromMs && p.t <= toMs);
  const columns = Math.min(maxColumns, inside.length);
  if (!(span > 0) || columns < 1) return null;
  const sums = new Array<number>(columns).fill(0);
  const counts = new Array<number>(columns).fill(0);
  for (const point of inside) {
    const column = Math.min(columns - 1, Math.floor(((point.t - fromMs) / span) * columns));
    sums[column] = (sums[column] as number) + point.avg * point.count;
    counts[column] = (counts[column] as number) + point.count;
  }
  const values = sums.map((sum, i) => ((counts[i] as number) > 0 ? sum / (counts[i] as number) : null));
  const present = values.filter((v): v is number => v !== null);
  const low = Math.min(...present);
  const high = Math.max(...present);
  const top = SPARK_CHARS.length - 1;
  const text = values
    .map((v) => {
      if (v === null) return GAP;
      const level = high === low ? Math.floor(top / 2) : Math.round(((v - low) / (high - low)) * top);
      return SPARK_CHARS[level] as string;
    })
    .join('')
    .trimEnd();
  return { text, low, high };
}

export function renderHistory(view: HistoryView): SlackMessage {
  const label = view.target.kind === 'host' ? `host ${view.target.name}` : view.target.name;
  const what = view.target.kind === 'host' ? 'used memory' : 'memory usage';
  const title = header(`History of ${label}: last ${view.window}`);
  const span = context(`${slackDate(view.fromMs)} → ${slackDate(view.toMs)}`);
  if (view.summary === null) {
    return message(`memwarden: no history for ${label} in the last ${view.window}`, [
      title,
      section(`No ${what} was recorded for *${name(label)}* in the last ${view.window}. Check the name with \`/mem containers\`; memwarden keeps raw samples for 48 h and 5-minute rollups for 35 days.`),
      span,
    ]);
  }
  const s = view.summary;
  const spark = sparkline(view.points, view.fromMs, view.toMs);
  const scale = spark ? `▁ ${formatBytes(spark.low)} … █ ${formatBytes(spark.high)} · ` : '';
  const blocks = [
    title,
    {
      type: 'section' as const,
      fields: [
        { type: 'mrkdwn' as const, text: `*Min*\n${formatBytes(s.min)}` },
        { type: 'mrkdwn' as const, text: `*Avg*\n${formatBytes(s.avg)}` },
        { type: 'mrkdwn' as const, text: `*Max*\n${formatBytes(s.max)}` },
        { type: 'mrkdwn' as const, text: `*Latest*\n${formatBytes(s.last)}` },
      ],
    },
    section(`\`\`\`${spark && spark.text !== '' ? spark.text : ' '}\`\`\``),
    context(`${what} of *${name(label)}* · ${scale}${s.count} samples`, `${slackDate(view.fromMs)} → ${slackDate(view.toMs)}`),
  ];
  return message(
    `memwarden: ${label} over the last ${view.window}: min ${formatBytes(s.min)}, avg ${formatBytes(s.avg)}, max ${formatBytes(s.max)}, latest ${formatBytes(s.last)}`,
    blocks,
  );
}
