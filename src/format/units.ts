// Display formatting shared by the terminal and Slack renderers. Binary units (MiB, GiB), as
// `docker stats` and `free -h` print them, so users can compare figures side by side.
import prettyBytes from 'pretty-bytes';

export const UNKNOWN = 'unknown';

export function formatBytes(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return UNKNOWN;
  // Three significant digits, rounded (pretty-bytes truncates once fraction digits are set).
  return prettyBytes(value, { binary: true });
}

export function formatPercent(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return UNKNOWN;
  return `${value.toFixed(digits)}%`;
}

export function percentOf(part: number, whole: number): number {
  return whole > 0 ? (part / whole) * 100 : 0;
}
