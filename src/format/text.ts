// Text from outside (a /proc command line, a container, host or user name, a reason typed in
// Slack, a forged button value) shown back in a terminal, in Slack, in the audit and in logs.
// This is the one place that decides which characters cannot be shown as they are: the terminal
// reports (src/cli/) call printable() on every outside value, and the Slack renderers through
// escapeMrkdwn (src/slack/render/block-kit-limits.ts).

export interface PrintableOptions {
  /** At most this many characters come out (escapes included, never half of one): a forged value cannot fill or garble the audit. */
  max?: number;
  /** Keep line breaks and tabs (command output, multi-line details); else they are escaped too, so a name cannot start a line of its own. */
  lines?: boolean;
}

/**
 * Characters that act instead of showing: C0/C1 controls and DEL (ESC starts terminal sequences
 * that recolour, clear or retitle the screen; 0x9b is a one-byte CSI on some terminals; BEL
 * rings), format characters (bidi overrides and isolates such as U+202E, which show "gpj.exe"
 * reversed; zero-width spaces and joiners, which hide text; Unicode tag characters, invisible
 * "ASCII smuggling"), the line and paragraph separators, and noncharacters (reserved for a
 * program's internal use, never text from outside).
 */
const UNSAFE = /[\p{Cc}\p{Cf}\u2028\u2029\p{Noncharacter_Code_Point}]/u;

/**
 * The invisible part of UNSAFE (format characters and the separators): what a value that is
 * checked rather than shown (a runbook's string parameter) refuses besides control characters.
 */
export const INVISIBLE_CHARACTER = /[\p{Cf}\u2028\u2029]/u;
const ZWJ = '\u200d';
/** An emoji (with a skin tone or emoji presentation selector) that a zero-width joiner may follow. */
const EMOJI_BEFORE = /\p{Extended_Pictographic}(?:[\u{1f3fb}-\u{1f3ff}]|\ufe0f)?$/u;
const EMOJI_AFTER = /^\p{Extended_Pictographic}/u;

/**
 * `text` with every character in UNSAFE written as a visible escape (`\x1b`, `\u202e`,
 * `\u{e0041}`, `\n`), so a hostile name shows what it carries instead of acting on the reader's
 * screen. A zero-width joiner between two emoji (👩‍👩‍👧) is kept: it joins pictures and can hide
 * no text. Idempotent: its output contains nothing it would escape again.
 */
export function printable(text: string, options: PrintableOptions = {}): string {
  const max = options.max ?? Infinity;
  if (text.length <= max && !UNSAFE.test(text)) return text;
  let out = '';
  let at = 0;
  for (const ch of text) {
    const shown = UNSAFE.test(ch) && !kept(ch, text, at, options) ? visibleEscape(ch) : ch;
    // Whole characters and whole escapes only: never half a surrogate pair or half of "\u202e".
    if (out.length + shown.length > max) break;
    out += shown;
    at += ch.length;
  }
  return out;
}

function kept(ch: string, text: string, at: number, options: PrintableOptions): boolean {
  if (options.lines === true && (ch === '\n' || ch === '\t')) return true;
  // Four UTF-16 units before: a pictograph (two) and a skin tone (two) at most.
  return ch === ZWJ && EMOJI_BEFORE.test(text.slice(Math.max(0, at - 4), at)) && EMOJI_AFTER.test(text.slice(at + 1, at + 3));
}

const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\t': '\\t', '\r': '\\r' };

function visibleEscape(ch: string): string {
  const named = NAMED[ch];
  if (named !== undefined) return named;
  const code = ch.codePointAt(0) as number;
  const hex = code.toString(16);
  if (code <= 0xff) return `\\x${hex.padStart(2, '0')}`;
  if (code <= 0xffff) return `\\u${hex.padStart(4, '0')}`;
  return `\\u{${hex}}`;
}
