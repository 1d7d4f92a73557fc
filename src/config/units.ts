// Human-friendly sizes and durations in config files and slash commands. Parsing is delegated
// to `bytes` and `ms`; we only normalise the spellings ops people use in compose files and
// Prometheus rules ("2G", "2GiB", "512Mi", "5m") to what those libraries accept.
import bytes from 'bytes';
import ms from 'ms';

const SIZE = /^\s*(\d+(?:\.\d+)?)\s*([kmgtp])?(?:i?b?)?\s*$/i;

/** Parses "2GB", "2G", "2GiB", "512Mi", "1048576" (binary units, as docker and free use). */
export function parseSize(input: string | number): number | null {
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? Math.round(input) : null;
  const match = SIZE.exec(input);
  if (!match) return null;
  const [, amount, unit] = match;
  if (!unit) return Math.round(Number(amount));
  const parsed = bytes.parse(`${amount}${unit}b`);
  return parsed === null ? null : Math.round(parsed);
}

const DURATION = /^\s*\d+(?:\.\d+)?\s*(ms|s|m|h|d|w|sec|secs|min|mins|hours?|days?|weeks?)?\s*$/i;

/** Parses "15s", "5m", "1h", "7d" into milliseconds; a bare number is seconds. */
export function parseDuration(input: string | number): number | null {
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? Math.round(input * 1000) : null;
  if (!DURATION.test(input)) return null;
  const trimmed = input.trim();
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const value = ms(trimmed as ms.StringValue);
  return Number.isFinite(value) && value >= 0 ? value : null;
}

/** Formats a duration compactly for messages ("5m", "1h", "2d"). */
export function formatDuration(milliseconds: number): string {
  return ms(milliseconds);
}
