// What every terminal report shares: borderless tables and one colour per status level, so
// `status`, `diagnose`, `digest` and `audit` read as one tool.
import type { createColors } from 'picocolors';
import type { Level } from '../diagnose/levels.js';

export type Colors = ReturnType<typeof createColors>;

/** cli-table3 options for a table without inner rules or coloured headers (pipes and logs stay readable). */
export const PLAIN_TABLE = { chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' }, style: { head: [], border: [] } };

/** Paints text in its level's colour: CRITICAL red and bold, HIGH yellow, the rest green. */
export function levelPainter(c: Colors): (level: Level, text: string) => string {
  return (level, text) => (level === 'CRITICAL' ? c.red(c.bold(text)) : level === 'HIGH' ? c.yellow(text) : c.green(text));
}
