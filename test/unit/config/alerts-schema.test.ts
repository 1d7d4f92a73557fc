import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_RULES } from '../../../src/config/alert-rules.js';
import { alertsSchema, globMatches, resolveRules, settingsFor } from '../../../src/config/alerts-schema.js';
import { ConfigError } from '../../../src/config/config-error.js';
import { loadConfig } from '../../../src/config/load-config.js';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
const M = 60_000;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mw-alerts-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function load(yaml: string) {
  const path = join(dir, 'memwarden.yml');
  writeFileSync(path, yaml);
  return loadConfig({}, path, dir).config;
}

function problemsOf(yaml: string): string[] {
  try {
    load(yaml);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('default rules', () => {
  it('work out of the box', () => {
    const rules = resolveRules(load('').alerts);
    const table = rules.map((r) => [r.id, r.kind, r.thresholds.warning, r.thresholds.critical, r.thresholds.clear, r.forMs, r.keepFiringForMs]);
    expect(table).toEqual([
      ['container-near-limit', 'container-limit-percent', 85, 95, 80, 1 * M, 0],
      ['container-no-limit-large', 'container-unlimited-host-percent', 10, 20, 5, 5 * M, 0],
      ['host-available-low', 'host-available-below', 512 * MiB, 256 * MiB, Math.round(512 * MiB * 1.1), 1 * M, 0],
      ['host-memory-used', 'host-used-percent', 85, 95, 80, 1 * M, 0],
      ['memory-leak-suspected', 'memory-leak', 50 * MiB, null, Math.round(50 * MiB * 0.9), 0, 0],
      ['memory-pressure-full', 'psi-full-avg60', null, 5, 2.5, 1 * M, 0],
      ['memory-pressure-some', 'psi-some-avg60', 10, null, 5, 2 * M, 0],
      ['oom-kill', 'oom-kill', null, 1, 1, 0, 10 * M],
      ['process-group-large', 'group-pss-bytes', 4 * GiB, null, Math.round(4 * GiB * 0.9), 5 * M, 0],
    ]);
    expect(rules.find((r) => r.id === 'host-available-low')?.thresholds.direction).toBe('below');
    expect(rules.find((r) => r.id === 'memory-leak-suspected')?.leak).toEqual({ windowMs: 2 * 3_600_000, minFit: 0.8, minPoints: 12, targets: ['containers'] });
    expect(rules.find((r) => r.id === 'host-memory-used')?.thresholds.clearCritical).toBe(90);
    expect(Object.keys(DEFAULT_RULES).sort()).toEqual(rules.map((r) => r.id));
  });
});

describe('rules merged over the defaults', () => {
  it('overrides fields of a default rule, disables one, and adds new rules', () => {
    const config = load(
      [
        'alerts:',
        '  ignore:',
        '    containers: [buildkit-*]',
        '  rules:',
        '    host-memory-used: { warning: 80, for: 30s }',
        '    memory-pressure-some: { enabled: false }',
        '    container-no-limit-large: { critical: false, ignore: { labels: { memwarden.ignore: "true" } } }',
        '    high-memory-usage:',
        '      kind: container-usage-bytes',
        '      warning: 2GB',
        '      for: 5m',
        '',
      ].join('\n'),
    );
    const rules = resolveRules(config.alerts);
    const byId = new Map(rules.map((r) => [r.id, r]));
    expect(byId.get('host-memory-used')).toMatchObject({ forMs: 30_000, thresholds: { warning: 80, critical: 95, clear: 75, clearCritical: 90 } });
    expect(byId.has('memory-pressure-some')).toBe(false);
    expect(config.alerts.rules['memory-pressure-some']?.enabled).toBe(false);
    expect(byId.get('container-no-limit-large')).toMatchObject({
      thresholds: { warning: 10, critical: null, clear: 5, clearCritical: null },
      ignore: { containers: ['buildkit-*'], groups: [], labels: { 'memwarden.ignore': 'true' } },
    });
    // The reference report's `container_memory_usage_bytes > 2GB for 5m`.
    expect(byId.get('high-memory-usage')).toMatchObject({
      kind: 'container-usage-bytes',
      unit: 'bytes',
      forMs: 5 * M,
      thresholds: { direction: 'above', warning: 2 * GiB, critical: null, clear: Math.round(2 * GiB * 0.9) },
      ignore: { containers: ['buildkit-*'] },
    });
  });

  it('accepts explicit clear levels, percents written with %, and growth rates per hour', () => {
    const rules = resolveRules(
      alertsSchema.parse({
        rules: {
          'host-memory-used': { warning: '70%', clearBelow: 60 },
          'host-available-low': { clearAbove: '1GiB' },
          'memory-leak-suspected': { minSlope: '100MiB per hour', critical: '1GiB/h', window: '6h', minFit: 0.9, minPoints: 24, targets: ['containers', 'groups'] },
        },
      }),
    );
    const byId = new Map(rules.map((r) => [r.id, r]));
    expect(byId.get('host-memory-used')?.thresholds).toMatchObject({ warning: 70, clear: 60 });
    expect(byId.get('host-available-low')?.thresholds).toMatchObject({ clear: GiB, clearCritical: Math.round(256 * MiB * 1.1) });
    expect(byId.get('memory-leak-suspected')).toMatchObject({
      thresholds: { warning: 100 * MiB, critical: GiB },
      leak: { windowMs: 6 * 3_600_000, minFit: 0.9, minPoints: 24, targets: ['containers', 'groups'] },
    });
  });

  it('resolves per-target overrides: exact name first, then globs in order, with their own clear band', () => {
    const [rule] = resolveRules(
      alertsSchema.parse({
        rules: {
          'container-near-limit': { overrides: { 'bizcard-*': { warning: 70 }, 'bizcard-db': { warning: 90, critical: 99, for: '10m' } } },
        },
      }),
    ).filter((r) => r.id === 'container-near-limit');
    expect(settingsFor(rule!, ['bizcard-db'])).toMatchObject({ forMs: 10 * M, thresholds: { warning: 90, critical: 99, clear: 85 } });
    expect(settingsFor(rule!, ['bizcard-backend'])).toMatchObject({ forMs: M, thresholds: { warning: 70, critical: 95, clear: 65 } });
    expect(settingsFor(rule!, ['grafana'])).toMatchObject({ thresholds: { warning: 85, critical: 95 } });
  });

  it('matches globs literally except for * and ?', () => {
    expect(globMatches('bizcard-*', 'bizcard-celery-worker')).toBe(true);
    expect(globMatches('bizcard-?b', 'bizcard-db')).toBe(true);
    expect(globMatches('a.b', 'axb')).toBe(false);
    expect(globMatches('(x)+', '(x)+')).toBe(true);
  });
});

describe('hostile rule configurations', () => {
  it('are refused with every problem named by its path', () => {
    const problems = problemsOf(
      [
        'alerts:',
        '  ignore: { contaners: [x] }',
        '  rules:',
        '    host-memory-used: { for: -5m, clearBelow: 90, warnign: 80 }',
        '    host-available-low: { critical: 1GiB, clearBelow: 1GiB }',
        '    container-near-limit: { warning: 2GB, keepFiringFor: -1 }',
        '    process-group-large: { warning: 85 }',
        '    big: { kind: container-usage-bytes, warning: 3GB, critical: 2GB }',
        '    typo: { kind: container-usage-byte, warning: 2GB }',
        '    nokind: { warning: 2GB }',
        '    oom-kill: { for: 1m }',
        '    memory-pressure-full: { kind: psi-some-avg60 }',
        '    memory-leak-suspected: { warning: 50MiB, minSlope: 10%, window: 30m, minFit: 2 }',
        '    container-no-limit-large: { overrides: { bizcard-db: { critical: 5 }, api: { warnig: 1 } } }',
        '',
      ].join('\n'),
    );
    expect(problems).toEqual([
      'alerts.ignore.contaners: unknown key (did you mean "containers"?)',
      'alerts.rules.host-memory-used.warnign: unknown key (did you mean "warning"?)',
      'alerts.rules.host-memory-used.for: must not be negative, got "-5m"',
      'alerts.rules.host-memory-used.clearBelow: must be at most the trigger (warning 85), got 90',
      'alerts.rules.host-available-low.clearBelow: does not apply to host-available-below, which fires when the value falls below its threshold: use clearAbove',
      'alerts.rules.host-available-low.critical: must be at most warning (512 MiB), since this rule fires below its thresholds, got 1 GiB',
      'alerts.rules.memory-pressure-full.kind: the default rule "memory-pressure-full" is of kind "psi-full-avg60": give a rule of kind "psi-some-avg60" an id of its own',
      'alerts.rules.container-near-limit.keepFiringFor: must not be negative, got -1',
      'alerts.rules.container-near-limit.warning: expected a percent from 0 to 100 such as 85, got "2GB"',
      'alerts.rules.container-no-limit-large.overrides.api.warnig: unknown key (did you mean "warning"?)',
      'alerts.rules.container-no-limit-large.overrides.bizcard-db.critical: must be at least warning (10), got 5',
      'alerts.rules.process-group-large.warning: expected a size with a unit such as "2GB" or "512MiB", got 85',
      'alerts.rules.oom-kill.for: does not apply to a rule of kind "oom-kill"',
      'alerts.rules.memory-leak-suspected.warning: does not apply to a rule of kind "memory-leak": its warning threshold is minSlope',
      'alerts.rules.memory-leak-suspected.minSlope: expected a growth rate per hour such as "50MiB/h", got "10%"',
      'alerts.rules.memory-leak-suspected.window: must be at least 1h, got "30m"',
      'alerts.rules.memory-leak-suspected.minFit: expected a number from 0 to 1 such as 0.8, got 2',
      'alerts.rules.big.critical: must be at least warning (3 GiB), got 2 GiB',
      'alerts.rules.typo.kind: expected one of "host-used-percent", "host-available-below", "psi-some-avg60", "psi-full-avg60", "container-limit-percent", "container-usage-bytes", "container-unlimited-host-percent", "group-pss-bytes", "oom-kill", "memory-leak", got "container-usage-byte" (did you mean "container-usage-bytes"?)',
      'alerts.rules.nokind.kind: is required for a new rule: one of "host-used-percent", "host-available-below", "psi-some-avg60", "psi-full-avg60", "container-limit-percent", "container-usage-bytes", "container-unlimited-host-percent", "group-pss-bytes", "oom-kill", "memory-leak"',
    ]);
  });

  it('refuses a rule without thresholds, a warning past critical, NaN and infinity, and a percent over 100', () => {
    expect(problemsOf('alerts: { rules: { host-memory-used: { warning: false, critical: false } } }')).toEqual([
      'alerts.rules.host-memory-used: needs a warning or a critical threshold',
    ]);
    expect(problemsOf('alerts: { rules: { host-available-low: { clearAbove: 400MiB } } }')).toEqual([
      'alerts.rules.host-available-low.clearAbove: must be at least the trigger (warning 512 MiB), got 400 MiB',
    ]);
    expect(problemsOf('alerts: { rules: { host-available-low: { warning: 128MiB } } }')).toEqual([
      'alerts.rules.host-available-low.warning: must be at least critical (256 MiB), since this rule fires below its thresholds, got 128 MiB',
    ]);
    expect(problemsOf('alerts: { rules: { host-memory-used: { warning: 97 } } }')).toEqual([
      'alerts.rules.host-memory-used.warning: must be at most critical (95), got 97',
    ]);
    expect(problemsOf('alerts: { rules: { host-memory-used: { warning: .nan, critical: .inf } } }')).toEqual([
      'alerts.rules.host-memory-used.warning: expected a percent from 0 to 100 such as 85, got NaN',
      'alerts.rules.host-memory-used.critical: must be a percent from 0 to 100, got Infinity',
    ]);
    expect(problemsOf('alerts: { rules: { big: { kind: container-usage-bytes, warning: .inf } } }')).toEqual([
      'alerts.rules.big.warning: expected a size with a unit such as "2GB" or "512MiB", got Infinity',
    ]);
    expect(problemsOf('alerts: { rules: { host-memory-used: { critical: 120 } } }')).toEqual([
      'alerts.rules.host-memory-used.critical: must be a percent from 0 to 100, got 120',
    ]);
  });

  it('refuses malformed shapes: rules as a list, a rule that is not a mapping, bad ids, prototype keys, too many rules', () => {
    expect(problemsOf('alerts: { rules: [host-memory-used] }')).toEqual(['alerts.rules: expected a mapping of rule id to rule, got a list']);
    expect(problemsOf('alerts: { rules: { host-memory-used: 85 } }')).toEqual(['alerts.rules.host-memory-used: expected a mapping of rule settings, got 85']);
    expect(problemsOf('alerts: { rules: { "bad id": { kind: oom-kill }, "-x": { kind: oom-kill } } }')).toEqual([
      'alerts.rules.bad id: a rule id may hold letters, digits, ".", "_" and "-" and be at most 64 characters long, got "bad id"',
      'alerts.rules.-x: a rule id may hold letters, digits, ".", "_" and "-" and be at most 64 characters long, got "-x"',
    ]);
    // A `__proto__` key stays an ordinary key (loadConfig never lets it replace a prototype)
    // and is refused like any other bad id or unknown key.
    expect(problemsOf('alerts: { rules: { "__proto__": { kind: oom-kill }, big: { __proto__: { kind: oom-kill }, kind: container-usage-bytes, warning: 2GB } } }')).toEqual([
      'alerts.rules.__proto__: a rule id may hold letters, digits, ".", "_" and "-" and be at most 64 characters long, got "__proto__"',
      'alerts.rules.big.__proto__: unknown key',
    ]);
    expect(({} as Record<string, unknown>).kind).toBeUndefined();
    const many = Object.fromEntries(Array.from({ length: 201 }, (_, i) => [`r${i}`, { kind: 'oom-kill' }]));
    expect(alertsSchema.safeParse({ rules: many }).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual(['rules: at most 200 rules, got 201']);
    expect(problemsOf('alerts: { rules: { big: { kind: container-usage-bytes, warning: 2GB, overrides: [a] } } }')).toEqual([
      'alerts.rules.big.overrides: expected a mapping of container or group name to thresholds, got a list',
    ]);
    expect(problemsOf('alerts: { rules: { oom-kill: { ignore: { containers: "x" } } } }')).toEqual([
      'alerts.rules.oom-kill.ignore.containers: expected a list, got "x"',
    ]);
  });
});
