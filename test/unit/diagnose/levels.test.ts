// statusThresholds: the OK / HIGH / CRITICAL levels come from the alert rules, never from a
// second copy of the numbers.
import { describe, expect, it } from 'vitest';
import { resolveRules } from '../../../src/config/alerts-schema.js';
import { configSchema } from '../../../src/config/schema.js';
import { levelFor, statusThresholds } from '../../../src/diagnose/levels.js';

const withRules = (rules: Record<string, Record<string, unknown>>) => configSchema.parse({ alerts: { rules } });

describe('statusThresholds', () => {
  it('defaults to the default rules host-memory-used, container-near-limit and container-no-limit-large', () => {
    expect(statusThresholds(configSchema.parse({}))).toEqual({
      host: { warnPercent: 85, critPercent: 95 },
      container: { warnPercent: 85, critPercent: 95 },
      unlimitedContainer: { warnPercent: 10, critPercent: 20 },
    });
  });

  it('follows overridden warning and critical levels', () => {
    const t = statusThresholds(
      withRules({
        'host-memory-used': { warning: 70, critical: 90 },
        'container-near-limit': { warning: 80 },
        'container-no-limit-large': { critical: 30 },
      }),
    );
    expect(t).toEqual({
      host: { warnPercent: 70, critPercent: 90 },
      container: { warnPercent: 80, critPercent: 95 },
      unlimitedContainer: { warnPercent: 10, critPercent: 30 },
    });
  });

  it('never reaches CRITICAL for a rule without a critical level', () => {
    const t = statusThresholds(withRules({ 'host-memory-used': { critical: false } }));
    expect(t.host).toEqual({ warnPercent: 85, critPercent: Infinity });
    expect(levelFor(84, t.host)).toBe('OK');
    expect(levelFor(100, t.host)).toBe('HIGH');
  });

  it('uses the critical level as both for a rule without a warning level', () => {
    const t = statusThresholds(withRules({ 'container-near-limit': { warning: false, critical: 90 } }));
    expect(t.container).toEqual({ warnPercent: 90, critPercent: 90 });
    expect(levelFor(89.9, t.container)).toBe('OK');
    expect(levelFor(90, t.container)).toBe('CRITICAL');
  });

  it('falls back to the numbers of DEFAULT_RULES when the rule of a kind is disabled', () => {
    const t = statusThresholds(
      withRules({
        'host-memory-used': { enabled: false, warning: 50, critical: 60 },
        'container-near-limit': { enabled: false, warning: 40 },
        'container-no-limit-large': { enabled: false, critical: 90 },
      }),
    );
    expect(t).toEqual(statusThresholds(configSchema.parse({})));
  });

  it('uses another enabled rule of the kind when the default one is disabled, and prefers the default id otherwise', () => {
    const other = { kind: 'host-used-percent', warning: 60, critical: 70 };
    expect(statusThresholds(withRules({ 'host-memory-used': { enabled: false }, 'aaa-host': other })).host).toEqual({ warnPercent: 60, critPercent: 70 });
    // "aaa-host" sorts first, but the default rule is enabled and stands for its kind.
    expect(statusThresholds(withRules({ 'aaa-host': other })).host).toEqual({ warnPercent: 85, critPercent: 95 });
    // Of several non-default rules, the first by id.
    const two = withRules({ 'host-memory-used': { enabled: false }, 'b-host': other, 'a-host': { kind: 'host-used-percent', warning: 50 } });
    expect(statusThresholds(two).host).toEqual({ warnPercent: 50, critPercent: Infinity });
  });

  it('gives the same answer from rules resolved once by the caller', () => {
    const config = withRules({ 'host-memory-used': { warning: 70, critical: 90 } });
    expect(statusThresholds(config, resolveRules(config.alerts))).toEqual(statusThresholds(config));
  });
});
