import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/config-error.js';
import { loadConfig, MAX_CONFIG_BYTES, redactConfig } from '../../../src/config/load-config.js';
import { configSchema } from '../../../src/config/schema.js';
import { statusThresholds } from '../../../src/diagnose/levels.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mw-config-'));
});

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('uses the defaults with no file and no environment', () => {
    const { config, file: used } = loadConfig({}, undefined, dir);
    expect(used).toBeNull();
    expect(config.poll.interval).toBe(15_000);
    expect(statusThresholds(config).host).toEqual({ warnPercent: 85, critPercent: 95 });
    expect(config.history.raw).toBe(48 * 3_600_000);
    expect(config.slack.port).toBe(3000);
  });

  it('reads ./memwarden.yml when present, MEMWARDEN_CONFIG before it, --config before both', () => {
    file('memwarden.yml', 'poll: { interval: 20s }\n');
    const other = file('other.yml', 'poll: { interval: 30s }\n');
    const third = file('third.yml', 'poll: { interval: 40s }\n');
    expect(loadConfig({}, undefined, dir).config.poll.interval).toBe(20_000);
    expect(loadConfig({ MEMWARDEN_CONFIG: other }, undefined, dir).config.poll.interval).toBe(30_000);
    expect(loadConfig({ MEMWARDEN_CONFIG: other }, third, dir).config.poll.interval).toBe(40_000);
  });

  it('lets the environment override the file', () => {
    const path = file('c.yml', 'log: { level: warn }\nslack: { port: 4000 }\n');
    const { config } = loadConfig({ LOG_LEVEL: 'debug', PORT: '5000', SLACK_BOT_TOKEN: 'xoxb-1-2', MEMWARDEN_DATA_DIR: '/var/lib/mw' }, path, dir);
    expect(config.log.level).toBe('debug');
    expect(config.slack.port).toBe(5000);
    expect(config.slack.botToken).toBe('xoxb-1-2');
    expect(config.dataDir).toBe('/var/lib/mw');
  });

  it('ops.host defaults to the loopback (127.0.0.1) outside a container; the image says 0.0.0.0 through MEMWARDEN_OPS_HOST', () => {
    // /metrics and /healthz have no authentication: off the host only when someone decides so.
    expect(loadConfig({}, undefined, dir).config.ops.host).toBe('127.0.0.1');
    expect(configSchema.parse({}).ops.host).toBe('127.0.0.1');
    expect(loadConfig({ MEMWARDEN_OPS_HOST: '0.0.0.0' }, undefined, dir).config.ops.host).toBe('0.0.0.0');
    const path = file('ops.yml', 'ops: { host: 192.0.2.10 }\n');
    expect(loadConfig({}, path, dir).config.ops.host).toBe('192.0.2.10');
  });

  it('ignores empty environment variables', () => {
    expect(loadConfig({ PORT: '', LOG_LEVEL: '  ' }, undefined, dir).config.slack.port).toBe(3000);
  });

  it('parses sizes and durations people write', () => {
    const path = file('c.yml', 'poll: { interval: 1m, sourceTimeout: 2 }\nhistory: { raw: 2d }\n');
    const { config } = loadConfig({}, path, dir);
    expect(config.poll.interval).toBe(60_000);
    expect(config.poll.sourceTimeout).toBe(2_000);
    expect(config.history.raw).toBe(2 * 86_400_000);
  });

  it('reports every problem at once, each with its path', () => {
    const path = file(
      'bad.yml',
      ['alerts:', '  rules:', '    host-memory-used:', '      warning: abc', 'poll:', '    intervall: 5s', 'log:', '  level: loud', ''].join('\n'),
    );
    const problems = problemsOf(() => loadConfig({}, path, dir));
    expect(problems).toEqual([
      'alerts.rules.host-memory-used.warning: expected a percent from 0 to 100 such as 85, got "abc"',
      'poll.intervall: unknown key (did you mean "interval"?)',
      'log.level: expected one of "fatal", "error", "warn", "info", "debug", "trace", "silent", got "loud"',
    ].sort((a, b) => problems.indexOf(a) - problems.indexOf(b)));
    expect(problems).toHaveLength(3);
  });

  it('names the environment variable a bad value came from', () => {
    const problems = problemsOf(() => loadConfig({ PORT: 'eighty', LOG_LEVEL: 'chatty' }, undefined, dir));
    expect(problems).toContain('PORT: expected a number, got "eighty"');
    expect(problems.some((p) => p.startsWith('LOG_LEVEL: expected one of'))).toBe(true);
  });

  it('refuses wrong types at every level', () => {
    const path = file('types.yml', 'poll: 5\nslack: []\nalerts: { rules: { host-memory-used: { warning: true, critical: 120 } } }\n');
    const problems = problemsOf(() => loadConfig({}, path, dir));
    expect(problems).toContain('poll: expected a mapping, got 5');
    expect(problems).toContain('slack: expected a mapping, got a list');
    expect(problems).toContain('alerts.rules.host-memory-used.warning: expected a percent from 0 to 100 such as 85, got true');
    expect(problems).toContain('alerts.rules.host-memory-used.critical: must be a percent from 0 to 100, got 120');
  });

  it('refuses a critical threshold below the warning one', () => {
    const path = file('order.yml', 'alerts: { rules: { container-near-limit: { warning: 90, critical: 80 } } }\n');
    expect(problemsOf(() => loadConfig({}, path, dir))).toEqual(['alerts.rules.container-near-limit.critical: must be at least warning (90), got 80']);
  });

  it('treats an empty file as "all defaults"', () => {
    const path = file('empty.yml', '');
    expect(loadConfig({}, path, dir).config).toEqual(configSchema.parse({}));
    const comments = file('comments.yml', '# nothing here\n');
    expect(loadConfig({}, comments, dir).config.poll.interval).toBe(15_000);
  });

  it('refuses a file that is not a mapping', () => {
    expect(problemsOf(() => loadConfig({}, file('list.yml', '- a\n- b\n'), dir))).toEqual(['(top level): expected a mapping of settings, got a list']);
    expect(problemsOf(() => loadConfig({}, file('scalar.yml', 'hello\n'), dir))).toEqual(['(top level): expected a mapping of settings, got "hello"']);
  });

  it('refuses YAML tags that would construct code or objects', () => {
    const path = file('evil.yml', 'poll:\n  interval: !!js/function "function () { return 1 }"\n');
    const problems = problemsOf(() => loadConfig({}, path, dir));
    expect(problems).toEqual(['line 2, column 13: Unresolved tag: tag:yaml.org,2002:js/function']);
  });

  it('refuses duplicate keys and broken syntax with line numbers', () => {
    expect(problemsOf(() => loadConfig({}, file('dup.yml', 'log: {}\nlog: {}\n'), dir))).toEqual(['line 2, column 1: Map keys must be unique']);
    const broken = problemsOf(() => loadConfig({}, file('broken.yml', 'poll:\n  interval: [1, 2\n'), dir));
    expect(broken[0]).toMatch(/^line \d+, column \d+: /);
  });

  it('refuses alias bombs instead of expanding them', () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 12; i++) levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    const problems = problemsOf(() => loadConfig({}, file('bomb.yml', `${levels.join('\n')}\n`), dir));
    expect(problems).toEqual([expect.stringMatching(/^yaml: Excessive alias count/)]);
  });

  it('refuses a 10 MB file without parsing it', () => {
    const path = file('huge.yml', `# ${'x'.repeat(10 * 1024 * 1024)}\n`);
    expect(problemsOf(() => loadConfig({}, path, dir))).toEqual([`file is 10.0 MiB; a config file may be at most ${MAX_CONFIG_BYTES / 1048576} MiB`]);
  });

  it('reports a missing file named on the command line or in MEMWARDEN_CONFIG', () => {
    let error: unknown;
    try {
      loadConfig({}, join(dir, 'missing.yml'), dir);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain('missing.yml: 1 problem');
    expect((error as ConfigError).problems).toEqual(['file not found']);
    expect(problemsOf(() => loadConfig({ MEMWARDEN_CONFIG: join(dir, 'gone.yml') }, undefined, dir))).toEqual(['file not found']);
  });

  it('never echoes a secret, even when it is invalid', () => {
    const path = file('secret.yml', 'slack: { botToken: "hunter2-very-secret", signingSecret: 42 }\n');
    const error = (() => {
      try {
        loadConfig({ SLACK_APP_TOKEN: 'not-an-app-token-secret' }, path, dir);
      } catch (err) {
        return err as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(error.message).not.toContain('hunter2');
    expect(error.message).not.toContain('not-an-app-token-secret');
    expect(error.problems).toContain('slack.botToken: expected a bot token starting with "xoxb-"');
    expect(error.problems).toContain('SLACK_APP_TOKEN: expected an app-level token starting with "xapp-"');
  });

  it('redacts secrets in the printable copy', () => {
    const { config } = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-secret-1', SLACK_SIGNING_SECRET: 'abcdefgh12345' }, undefined, dir);
    const printable = JSON.stringify(redactConfig(config));
    expect(printable).not.toContain('xoxb-secret-1');
    expect(printable).not.toContain('abcdefgh12345');
    expect(printable).toContain('"botToken":"(set)"');
  });
});

describe('memwarden.example.yml', () => {
  const example = readFileSync(new URL('../../../memwarden.example.yml', import.meta.url), 'utf8');

  it('parses to exactly the defaults', () => {
    const path = file('example.yml', example);
    expect(loadConfig({}, path, dir).config).toEqual(configSchema.parse({}));
  });

  it('documents every key of the schema', () => {
    const keys = leafKeys(configSchema.parse({ slack: { botToken: 'xoxb-x', appToken: 'xapp-x', signingSecret: '12345678', apiUrl: 'https://x.test/api/', channels: { default: 'a', warning: 'b', critical: 'c' }, criticalMention: 'S123' } }));
    const missing = keys.filter((key) => !new RegExp(`^\\s*#?\\s*${key.split('.').pop()}:`, 'm').test(example));
    expect(missing).toEqual([]);
  });
});

function leafKeys(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [prefix];
  return Object.entries(value).flatMap(([key, child]) => leafKeys(child, prefix ? `${prefix}.${key}` : key));
}

describe('prototype keys', () => {
  it('refuses __proto__ as an unknown key instead of changing the prototype', () => {
    const dir2 = mkdtempSync(join(tmpdir(), 'mw-proto-'));
    const path = join(dir2, 'proto.yml');
    writeFileSync(path, '__proto__:\n  dataDir: /etc\npoll:\n  __proto__: { interval: 1s }\n');
    let error: ConfigError | undefined;
    try {
      loadConfig({}, path, dir2);
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error?.problems).toEqual(expect.arrayContaining(['__proto__: unknown key', 'poll.__proto__: unknown key']));
  });
});
