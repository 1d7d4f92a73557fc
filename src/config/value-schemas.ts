// Reusable value schemas (sizes, durations, percents) for every config section and runbook.
// Each carries `valueType` metadata (zod's registry, no effect on parsing) so the configuration
// reference (reference.ts) can name the type: their JSON Schema input type is "anything".
import { z } from 'zod';
import { printable } from '../format/text.js';
import { parseDuration, parseSize } from './units.js';

/** A Slack user id (U0123ABCD; W… in Enterprise Grid), as runbooks and slack.silence list people. */
export const SLACK_USER = /^[UW][A-Z0-9]{2,20}$/;
/** A Slack user group: its id (S0123ABCD) or its handle (@oncall). */
export const SLACK_GROUP = /^(?:S[A-Z0-9]{2,20}|@[a-z0-9][a-z0-9._-]{0,79})$/;

/** How the configuration reference names a value schema whose input zod cannot describe. */
export type ValueType = 'size' | 'duration' | 'percent';

/** A size such as "2GB", "512MiB" or a number of bytes; parsed to integer bytes. */
export const sizeSchema = z
  .unknown()
  .transform((value, ctx): number => {
    const parsed = typeof value === 'string' || typeof value === 'number' ? parseSize(value) : null;
    if (parsed === null) {
      ctx.addIssue({ code: 'custom', message: `expected a size like "2GB" or "512MiB", got ${describeValue(value)}` });
      return z.NEVER;
    }
    return parsed;
  })
  .meta({ valueType: 'size' satisfies ValueType });

/** A duration such as "15s", "5m", "1h" or a number of seconds; parsed to milliseconds. */
export const durationSchema = z
  .unknown()
  .transform((value, ctx): number => {
    const parsed = typeof value === 'string' || typeof value === 'number' ? parseDuration(value) : null;
    if (parsed === null) {
      ctx.addIssue({ code: 'custom', message: `expected a duration like "30s", "5m" or "1h", got ${describeValue(value)}` });
      return z.NEVER;
    }
    return parsed;
  })
  .meta({ valueType: 'duration' satisfies ValueType });

export const percentSchema = z
  .number()
  .min(0)
  .max(100)
  .meta({ valueType: 'percent' satisfies ValueType });

/** A value as an error message quotes it: short, and printable (a terminal or Slack shows the message). */
export function describeValue(value: unknown): string {
  if (typeof value === 'symbol') return 'a value that is not shown because it is a secret';
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  // JSON.stringify quotes and escapes C0 controls; printable the bidi and zero-width characters it leaves.
  if (typeof value === 'string') return printable(JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value));
  return String(value);
}
