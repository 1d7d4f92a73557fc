import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main, readVersion } from '../../../src/main.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
}

describe('main', () => {
  it('prints usage for --help and the version for --version', async () => {
    const help = capture();
    expect(await main(['--help'], {}, help.io)).toBe(0);
    expect(help.out.join('')).toContain('Usage: memwarden [command] [options]');
    const version = capture();
    expect(await main(['--version'], {}, version.io)).toBe(0);
    expect(version.out).toEqual([readVersion()]);
    expect(readVersion()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('exits 2 with usage on an unknown command or flag', async () => {
    for (const argv of [['frobnicate'], ['status', '--nope'], ['--verbose']]) {
      const c = capture();
      expect(await main(argv, {}, c.io)).toBe(2);
      expect(c.err.join('')).toContain('Usage: memwarden');
      expect(c.out).toEqual([]);
    }
  });

  it('check-config prints all three mistakes of a file and exits 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mw-main-'));
    const path = join(dir, 'three.yml');
    writeFileSync(path, 'alerts:\n  rules:\n    host-memory-used:\n      warning: abc\npoll:\n  intervall: 5s\nlog:\n  level: loud\n');
    const c = capture();
    expect(await main(['check-config', '--config', path], {}, c.io)).toBe(2);
    const text = c.err.join('\n');
    expect(text).toContain('3 problems');
    expect(text).toContain('alerts.rules.host-memory-used.warning: expected a percent from 0 to 100 such as 85, got "abc"');
    expect(text).toContain('poll.intervall: unknown key (did you mean "interval"?)');
    expect(text).toContain('log.level: expected one of');
  });

  it('check-config shows a valid configuration with secrets hidden', async () => {
    const c = capture();
    expect(await main(['check-config', '--json'], { SLACK_BOT_TOKEN: 'xoxb-very-secret', MEMWARDEN_CONFIG: '' }, c.io)).toBe(0);
    const parsed = JSON.parse(c.out.join('')) as { ok: boolean; config: { slack: { botToken: string } } };
    expect(parsed.ok).toBe(true);
    expect(parsed.config.slack.botToken).toBe('(set)');
    expect(c.out.join('')).not.toContain('very-secret');
  });
});
