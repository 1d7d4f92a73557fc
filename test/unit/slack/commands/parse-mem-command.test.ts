// The /mem grammar: every subcommand, and hostile input next to the good (10k characters,
// mentions, unicode, odd spacing): always a command or a usage error, never an exception.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_TEXT_LENGTH, parseMemCommand, parseSilenceDuration, USAGE, SUBCOMMANDS } from '../../../../src/slack/commands/parse-mem-command.js';

const ok = (text: string) => {
  const result = parseMemCommand(text);
  if (!result.ok) throw new Error(`expected a command for ${JSON.stringify(text)}, got: ${result.error.message}`);
  return result.command;
};
const usage = (text: string) => {
  const result = parseMemCommand(text);
  if (result.ok) throw new Error(`expected a usage error for ${JSON.stringify(text)}, got ${JSON.stringify(result.command)}`);
  return result.error;
};

describe('parseMemCommand: subcommands', () => {
  it('reads every subcommand with its arguments and defaults', () => {
    expect(ok('')).toEqual({ kind: 'help' });
    expect(ok('help')).toEqual({ kind: 'help' });
    expect(ok('status')).toEqual({ kind: 'status', public: false });
    expect(ok('status public')).toEqual({ kind: 'status', public: true });
    expect(ok('top')).toEqual({ kind: 'top', limit: 10 });
    expect(ok('top 25')).toEqual({ kind: 'top', limit: 25 });
    expect(ok('containers')).toEqual({ kind: 'containers' });
    expect(ok('diagnose')).toEqual({ kind: 'diagnose', container: null });
    expect(ok('diagnose bizcard-celery-worker')).toEqual({ kind: 'diagnose', container: 'bizcard-celery-worker' });
    expect(ok('history host')).toEqual({ kind: 'history', target: { kind: 'host' }, window: '24h' });
    expect(ok('history api 6h')).toEqual({ kind: 'history', target: { kind: 'container', name: 'api' }, window: '6h' });
    expect(ok('history Api 7D')).toEqual({ kind: 'history', target: { kind: 'container', name: 'Api' }, window: '7d' });
    expect(ok('alerts')).toEqual({ kind: 'alerts' });
    expect(ok('silence 3f2a 4h')).toEqual({ kind: 'silence', selector: '3f2a', durationMs: 4 * 3_600_000, duration: '4h', reason: null });
    expect(ok('silence container-near-limit 30m deploying the new image')).toEqual({
      kind: 'silence',
      selector: 'container-near-limit',
      durationMs: 30 * 60_000,
      duration: '30m',
      reason: 'deploying the new image',
    });
    expect(ok('unsilence 12')).toEqual({ kind: 'unsilence', id: 12 });
  });

  it('takes subcommands in any case and any whitespace, unicode spaces included', () => {
    expect(ok('  STATUS   Public  ')).toEqual({ kind: 'status', public: true });
    expect(ok('\ttop\u00a0\u2003 5\n')).toEqual({ kind: 'top', limit: 5 });
    expect(ok('silence  abcd   2d   disk   is   full ')).toMatchObject({ reason: 'disk is full', durationMs: 2 * 86_400_000 });
  });

  it('decodes the entities Slack puts in command text', () => {
    expect(ok('silence abcd 1h a &lt;b&gt; &amp; c')).toMatchObject({ reason: 'a <b> & c' });
  });
});

describe('parseMemCommand: usage errors', () => {
  it('names what was wrong and which usage to show', () => {
    expect(usage('stats')).toEqual({ message: 'unknown subcommand "stats"', subcommand: null });
    expect(usage('status private')).toEqual({ message: 'status takes only "public", not "private"', subcommand: 'status' });
    expect(usage('top 0')).toEqual({ message: 'top takes a number from 1 to 50, not "0"', subcommand: 'top' });
    expect(usage('top 51')).toMatchObject({ subcommand: 'top' });
    expect(usage('top -3')).toMatchObject({ subcommand: 'top' });
    expect(usage('top 1.5')).toMatchObject({ subcommand: 'top' });
    expect(usage('top 5 6')).toMatchObject({ subcommand: 'top' });
    expect(usage('containers all')).toEqual({ message: 'containers takes no arguments, not "all"', subcommand: 'containers' });
    expect(usage('alerts now')).toMatchObject({ subcommand: 'alerts' });
    expect(usage('diagnose a b')).toMatchObject({ subcommand: 'diagnose' });
    expect(usage('history')).toEqual({ message: 'history needs a container name or "host"', subcommand: 'history' });
    expect(usage('history api 3h')).toEqual({ message: 'the window must be one of 6h, 24h, 7d, not "3h"', subcommand: 'history' });
    expect(usage('history api 6h extra')).toMatchObject({ subcommand: 'history' });
    expect(usage('silence')).toEqual({ message: 'silence needs an alert id (or a rule id) and a duration', subcommand: 'silence' });
    expect(usage('silence abcd')).toMatchObject({ subcommand: 'silence' });
    expect(usage('silence abcd 60')).toEqual({ message: 'the duration must look like 30m, 4h or 2d, not "60"', subcommand: 'silence' });
    expect(usage('silence abcd 0m')).toEqual({ message: 'a silence lasts from 1 minute to 30 days, not "0m"', subcommand: 'silence' });
    expect(usage('silence abcd 31d')).toMatchObject({ subcommand: 'silence' });
    expect(usage('silence <!channel> 1h')).toEqual({ message: '"<!channel>" is neither an alert id nor a rule id', subcommand: 'silence' });
    expect(usage('unsilence')).toEqual({ message: 'unsilence needs the id of a silence', subcommand: 'unsilence' });
    expect(usage('unsilence x')).toEqual({ message: 'unsilence takes one silence id (a number), not "x"', subcommand: 'unsilence' });
    expect(usage('unsilence 0')).toMatchObject({ subcommand: 'unsilence' });
  });

  it('refuses 10 000 characters at once, and never quotes more than 40 characters back', () => {
    expect(usage('status '.padEnd(10_000, 'x'))).toEqual({ message: `that is 10000 characters; /mem takes at most ${MAX_TEXT_LENGTH}`, subcommand: null });
    const long = usage(`<!channel>${'😀'.repeat(200)}`);
    expect(long.message).toBe(`unknown subcommand "<!channel>${'😀'.repeat(29)}…"`);
    // The 40 characters are whole code points: no half surrogate pair.
    expect(long.message).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });

  it('is total: any string gives a command or a usage error', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 2000 }), fc.string({ unit: 'grapheme', maxLength: 300 }), fc.constantFrom(...SUBCOMMANDS).chain((s) => fc.string().map((rest) => `${s} ${rest}`))), (text) => {
        const result = parseMemCommand(text);
        if (result.ok) expect(typeof result.command.kind).toBe('string');
        else expect(result.error.message.length).toBeLessThan(200);
      }),
      { numRuns: 500 },
    );
  });
});

describe('parseSilenceDuration and USAGE', () => {
  it('wants a whole number and a unit', () => {
    expect(parseSilenceDuration('90m')).toBe(90 * 60_000);
    expect(parseSilenceDuration('1w')).toBe(7 * 86_400_000);
    expect(parseSilenceDuration('4H')).toBe(4 * 3_600_000);
    for (const bad of ['4', '4 h', '1.5h', 'h', '-1h', '4hours', '']) expect(parseSilenceDuration(bad)).toBeNull();
  });

  it('has one usage line per subcommand', () => {
    expect(Object.keys(USAGE).sort()).toEqual([...SUBCOMMANDS].sort());
  });
});
