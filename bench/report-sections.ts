// docs/benchmarks.md is written by two benchmarks: bench/snapshot.bench.ts writes the whole file,
// bench/durability.bench.ts its own section between these markers. Each keeps the other's part.
import { existsSync, readFileSync } from 'node:fs';

export const DURABILITY_START = '<!-- durability:start -->';
export const DURABILITY_END = '<!-- durability:end -->';

/** The durability section of `text` (markers included), or '' when it has none. */
export function durabilitySection(text: string): string {
  const start = text.indexOf(DURABILITY_START);
  const end = text.indexOf(DURABILITY_END);
  return start === -1 || end === -1 ? '' : text.slice(start, end + DURABILITY_END.length);
}

/** `text` with its durability section replaced by `section` (appended when it has none). */
export function spliceDurability(text: string, section: string): string {
  const start = text.indexOf(DURABILITY_START);
  const end = text.indexOf(DURABILITY_END);
  if (start === -1 || end === -1) return `${text.trimEnd()}\n\n${section.trimEnd()}\n`;
  return `${text.slice(0, start)}${section.trimEnd()}${text.slice(end + DURABILITY_END.length)}`;
}

/** The durability section of the report at `file` now, to carry over when the file is rewritten. */
export function keptDurability(file: string): string {
  return existsSync(file) ? durabilitySection(readFileSync(file, 'utf8')) : '';
}
