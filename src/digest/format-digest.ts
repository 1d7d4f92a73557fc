// How the digest's figures read, the same in Slack and in the terminal: a value and its change
// against the day before ("↑ +1.2 GiB", "↓ −3", "no change", "change unknown"). Pure.
import { formatDuration } from '../config/units.js';
import { formatBytes, UNKNOWN } from '../format/units.js';
import type { Figure } from './digest-data.js';

export type FigureKind = 'bytes' | 'percent' | 'count' | 'duration';

export function formatValue(value: number | null, kind: FigureKind): string {
  if (value === null || !Number.isFinite(value)) return UNKNOWN;
  switch (kind) {
    case 'bytes':
      return formatBytes(value);
    case 'percent':
      return `${value.toFixed(value < 10 ? 2 : 1)}%`;
    case 'count':
      return String(Math.round(value));
    case 'duration':
      return value === 0 ? '0' : formatHoursMinutes(value);
  }
}

/** The change against the day before, with an arrow; says so when it cannot be known. */
export function formatChange(figure: Figure, kind: FigureKind): string {
  if (figure.change === null) return 'change unknown';
  if (figure.change === 0) return 'no change';
  const size = formatValue(Math.abs(figure.change), kind);
  return figure.change > 0 ? `↑ +${size}` : `↓ −${size}`;
}

/** "1.2 GiB (↑ +200 MiB)". */
export function formatFigure(figure: Figure, kind: FigureKind): string {
  return `${formatValue(figure.value, kind)} (${formatChange(figure, kind)})`;
}

/** A signed size without an arrow, for growth: "+120 MiB", "−4 MiB", "0 B". */
export function formatSignedBytes(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return UNKNOWN;
  if (value === 0) return '0 B';
  return `${value > 0 ? '+' : '−'}${formatBytes(Math.abs(value))}`;
}

/** "3h 20m", "45m", "20s". */
export function formatHoursMinutes(ms: number): string {
  if (ms < 60_000) return formatDuration(Math.max(0, Math.round(ms / 1000) * 1000));
  const minutes = Math.round(ms / 60_000);
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return h === 0 ? `${m}m` : m === 0 ? `${h}h` : `${h}h ${m}m`;
}

const timeFormats = new Map<string, Intl.DateTimeFormat>();

/** "09:14" in the digest's zone. */
export function formatClock(ms: number, tz: string): string {
  let format = timeFormats.get(tz);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', { timeZone: tz, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    timeFormats.set(tz, format);
  }
  return format.format(new Date(ms));
}
