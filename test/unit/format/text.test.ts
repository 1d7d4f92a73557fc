// printable(): the one escaping of outside text (a /proc command line, a container, a user's
// reason, a forged button value) before a terminal, Slack, the audit or a log line shows it.
import { describe, expect, it } from 'vitest';
import { printable } from '../../../src/format/text.js';

const ESC = '\u001b';
const BEL = '\u0007';
const RLO = '\u202e';

describe('printable', () => {
  it('escapes control and bidi characters (ESC, BEL, U+202E, zero-width) instead of passing them raw to a terminal or Slack', () => {
    // An ESC sequence would recolour or clear the terminal; BEL rings it; U+202E shows
    // "gpj.exe" as "exe.jpg"; zero-width characters hide text between visible letters.
    expect(printable(`python3 ${ESC}[2J${ESC}]0;pwned${BEL}worker`)).toBe('python3 \\x1b[2J\\x1b]0;pwned\\x07worker');
    expect(printable(`invoice${RLO}gpj.exe`)).toBe('invoice\\u202egpj.exe');
    expect(printable('ad\u200bmin\u200c\u200d\u2060\ufeff')).toBe('ad\\u200bmin\\u200c\\u200d\\u2060\\ufeff');
    for (const bidi of ['\u202a', '\u202b', '\u202c', '\u202d', '\u2066', '\u2067', '\u2068', '\u2069', '\u200e', '\u200f', '\u061c']) {
      expect(printable(`a${bidi}b`)).toBe(`a\\u${bidi.charCodeAt(0).toString(16).padStart(4, '0')}b`);
    }
    // C1 controls (0x9b is a one-byte CSI on some terminals), DEL, NUL, line separators,
    // Unicode tag characters (invisible "ASCII smuggling") and noncharacters.
    expect(printable('\u009b31m\u007f\u0000\u2028\u2029')).toBe('\\x9b31m\\x7f\\x00\\u2028\\u2029');
    expect(printable('tag\u{e0041}\u{e0042}')).toBe('tag\\u{e0041}\\u{e0042}');
    expect(printable('\ufdd0x\ufffe')).toBe('\\ufdd0x\\ufffe');
  });

  it('escapes line breaks and tabs too, unless the text may span lines', () => {
    expect(printable('web\nFAKE ROW\tx\r')).toBe('web\\nFAKE ROW\\tx\\r');
    expect(printable('line 1\nline 2\tend\r\x1b', { lines: true })).toBe('line 1\nline 2\tend\\r\\x1b');
  });

  it('leaves ordinary text alone: letters of any script, emoji (joined ones too), accents, quotes', () => {
    for (const text of ['celery worker@host (proj)', 'ワーカー Größe é', '😀 👩‍👩‍👧 👨🏽‍💻 🇩🇪 ⚠️', '"quoted" \'x\' `code` <!channel> & \\']) {
      expect(printable(text)).toBe(text);
    }
  });

  it('gives at most max characters when asked, escapes included and never half of one, and is idempotent', () => {
    expect(printable('x'.repeat(200), { max: 80 })).toBe('x'.repeat(80));
    expect(printable('\u0000'.repeat(200), { max: 80 })).toBe('\\x00'.repeat(20));
    expect(printable(`${'y'.repeat(78)}${ESC}zzz`, { max: 80 })).toBe('y'.repeat(78));
    expect(printable('😀'.repeat(50), { max: 5 })).toBe('😀😀');
    const once = printable(`a${ESC}b${RLO}c\u200bd\n`);
    expect(printable(once)).toBe(once);
  });
});
