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

describe('parseMemCommand: remediation subcommands', () => {
  it('reads run, runbooks, audit and remediation', () => {
    expect(ok('run lower-celery-concurrency bizcard-celery-worker concurrency=2')).toEqual({
      kind: 'run',
      runbook: 'lower-celery-concurrency',
      target: 'bizcard-celery-worker',
      params: { concurrency: '2' },
    });
    expect(ok('RUN restart-celery-worker w.1_a grace=30s')).toEqual({ kind: 'run', runbook: 'restart-celery-worker', target: 'w.1_a', params: { grace: '30s' } });
    expect(ok('run celery-pool-restart w')).toEqual({ kind: 'run', runbook: 'celery-pool-restart', target: 'w', params: {} });
    // The value is kept as typed, "=" included: what it means is the runbook's to decide.
    expect(ok('run x w a=b=c')).toMatchObject({ params: { a: 'b=c' } });
    expect(ok('runbooks')).toEqual({ kind: 'runbooks' });
    expect(ok('audit')).toEqual({ kind: 'audit', limit: 10 });
    expect(ok('audit 50')).toEqual({ kind: 'audit', limit: 50 });
    expect(ok('remediation OFF')).toEqual({ kind: 'remediation', on: false });
    expect(ok('remediation on')).toEqual({ kind: 'remediation', on: true });
  });

  it('keeps the shape strict and leaves the values to the runbook (injection attempts)', () => {
    // Shell metacharacters reach validateParams as one value, never a second word or command.
    expect(ok('run lower-celery-concurrency w concurrency=$(id)')).toMatchObject({ params: { concurrency: '$(id)' } });
    expect(ok('run lower-celery-concurrency w concurrency=1;')).toMatchObject({ params: { concurrency: '1;' } });
    expect(ok('run lower-celery-concurrency w concurrency=１')).toMatchObject({ params: { concurrency: '１' } });
    expect(ok('run lower-celery-concurrency w concurrency=`id`')).toMatchObject({ params: { concurrency: '`id`' } });
    // A second word after `;` is not a parameter.
    expect(usage('run lower-celery-concurrency w concurrency=1; reboot')).toEqual({ message: 'parameters are written name=value (a lowercase name), not "reboot"', subcommand: 'run' });
    expect(usage('run lower-celery-concurrency w --help')).toEqual({ message: 'parameters are written name=value (a lowercase name), not "--help"', subcommand: 'run' });
    expect(usage('run --help')).toEqual({ message: 'run needs a runbook and a container (`/mem runbooks` lists the runbooks)', subcommand: 'run' });
    expect(usage('run --help w')).toEqual({ message: '"--help" is not a runbook id (lowercase letters, digits and dashes)', subcommand: 'run' });
    expect(usage('run x -w')).toEqual({ message: '"-w" is not a container name', subcommand: 'run' });
    expect(usage('run x $(id)')).toMatchObject({ subcommand: 'run' });
    expect(usage('run x w&amp;&amp;reboot')).toEqual({ message: '"w&&reboot" is not a container name', subcommand: 'run' });
    expect(usage('run ../etc w')).toMatchObject({ subcommand: 'run' });
    expect(usage('run lower-celery-concurrency w concurrency=1 concurrency=2')).toEqual({ message: 'concurrency is given twice: give each parameter once', subcommand: 'run' });
    expect(usage('run x w Concurrency=1')).toMatchObject({ message: 'parameters are written name=value (a lowercase name), not "Concurrency=1"' });
    expect(usage('run x w __proto__=1')).toMatchObject({ subcommand: 'run' });
    expect(usage('run x w =1')).toMatchObject({ subcommand: 'run' });
    expect(usage('run x w concurrency=')).toEqual({ message: 'concurrency= needs a value', subcommand: 'run' });
    expect(usage(`run x w v=${'9'.repeat(257)}`)).toEqual({ message: 'the value of v is longer than 256 characters', subcommand: 'run' });
    expect(usage(`run x w ${Array.from({ length: 17 }, (_, i) => `p${i}=1`).join(' ')}`)).toEqual({ message: 'run takes at most 16 parameters', subcommand: 'run' });
  });

  it('gives a parameter named like an Object property no special meaning', () => {
    const command = ok('run x w constructor=1 hasownproperty=2');
    expect(command).toEqual({ kind: 'run', runbook: 'x', target: 'w', params: { constructor: '1', hasownproperty: '2' } });
    expect(Object.getPrototypeOf((command as { params: object }).params)).toBe(Object.prototype);
  });

  it('refuses bad audit counts and switch words', () => {
    expect(usage('audit 0')).toEqual({ message: 'audit takes a number from 1 to 50, not "0"', subcommand: 'audit' });
    expect(usage('audit 51')).toMatchObject({ subcommand: 'audit' });
    expect(usage('audit １')).toMatchObject({ subcommand: 'audit' });
    expect(usage('remediation')).toEqual({ message: 'remediation takes "on" or "off", not ""', subcommand: 'remediation' });
    expect(usage('remediation yes')).toMatchObject({ subcommand: 'remediation' });
    expect(usage('runbooks all')).toEqual({ message: 'runbooks takes no arguments, not "all"', subcommand: 'runbooks' });
  });
});
