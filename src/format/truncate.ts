// Cutting text to a budget without cutting a character in half: renderers keep their texts
// within a platform's limits with these (UTF-16 units, which is what String#length counts).

export const ELLIPSIS = '…';

const graphemes = typeof Intl.Segmenter === 'function' ? new Intl.Segmenter(undefined, { granularity: 'grapheme' }) : null;

/** The longest prefix of `text` of at most `maxUnits` UTF-16 units that ends on a character
 *  boundary: never inside a surrogate pair, nor (where Intl.Segmenter exists) inside a grapheme
 *  such as 👩‍👩‍👧 or a flag. */
export function prefixWithin(text: string, maxUnits: number): string {
  if (maxUnits <= 0) return '';
  if (text.length <= maxUnits) return text;
  // Segment only a window before the cut: a 10k-character text costs no more than a short one.
  // Clusters longer than the window (never seen in names) may be cut at a code point boundary.
  let start = Math.max(0, maxUnits - 64);
  if (start > 0 && isLowSurrogate(text.charCodeAt(start))) start -= 1;
  const window = text.slice(start, maxUnits + 32);
  let end = start;
  if (graphemes) {
    for (const { segment, index } of graphemes.segment(window)) {
      if (start + index + segment.length > maxUnits) break;
      end = start + index + segment.length;
    }
  } else {
    for (const char of window) {
      if (end + char.length > maxUnits) break;
      end += char.length;
    }
  }
  return text.slice(0, end);
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** `text` cut to at most `max` UTF-16 units, ending in "…" when cut; never splits a character. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 0) return '';
  return prefixWithin(text, max - ELLIPSIS.length) + ELLIPSIS;
}
