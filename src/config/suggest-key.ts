// "Did you mean ...?" for a mistyped key, shared by the zod issue formatter and the alert rule
// parser. A module of its own: both sit on opposite ends of schema.ts' imports.
import { distance } from 'fastest-levenshtein';

/** The known key a mistyped one most likely meant (Levenshtein, case-insensitive), if any is close. */
export function suggest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const candidate of known) {
    const d = distance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}
