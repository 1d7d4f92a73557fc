import { describe, expect, it } from 'vitest';
import { parseCli, UsageError, usage } from '../../../src/cli/parse-cli.js';
import { parseTopOptions } from '../../../src/cli/snapshot-command.js';

describe('parseCli', () => {
  it('defaults to run', () => {
    expect(parseCli([]).command).toBe('run');
    expect(parseCli(['--config', 'x.yml'])).toMatchObject({ command: 'run', configFile: 'x.yml' });
  });

  it('parses commands with their own options', () => {
    expect(parseCli(['status', '--json'])).toMatchObject({ command: 'status', values: { json: true } });
    expect(parseCli(['top', '-n', '5', '--by', 'rss'])).toMatchObject({ command: 'top', values: { n: '5', by: 'rss' } });
    expect(parseCli(['check-config', '-c', 'a.yml'])).toMatchObject({ command: 'check-config', configFile: 'a.yml' });
    expect(parseCli(['--help']).help).toBe(true);
    expect(parseCli(['-V']).version).toBe(true);
  });

  it('refuses unknown commands, unknown flags and stray arguments', () => {
    expect(() => parseCli(['stauts'])).toThrow(new UsageError('unknown command "stauts"'));
    expect(() => parseCli(['status', '--jsonn'])).toThrow(UsageError);
    expect(() => parseCli(['status', '-n', '3'])).toThrow(UsageError);
    expect(() => parseCli(['status', 'extra'])).toThrow(UsageError);
    expect(() => parseCli(['--config'])).toThrow(UsageError);
  });

  it('lists every command in the usage text', () => {
    for (const command of ['run', 'status', 'top', 'check-config']) expect(usage()).toContain(`  ${command}`);
  });
});

describe('parseTopOptions', () => {
  it('validates -n and --by', () => {
    expect(parseTopOptions({})).toEqual({ limit: 15, by: 'pss' });
    expect(parseTopOptions({ n: '3', by: 'uss' })).toEqual({ limit: 3, by: 'uss' });
    for (const n of ['0', '-1', 'abc', '1e3', '99999', '2.5']) expect(() => parseTopOptions({ n })).toThrow(UsageError);
    expect(() => parseTopOptions({ by: 'vsz' })).toThrow('--by expects pss, rss or uss, got "vsz"');
  });
});
