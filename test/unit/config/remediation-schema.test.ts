// The `remediation:` section: its defaults, durations in the words people write, and refusals
// that name the key.
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';
import { formatIssues } from '../../../src/config/format-issues.js';

describe('remediation config', () => {
  it('defaults: on, not dry-run-only, 15m requests, 5 per person and 10 per runbook an hour, runbooks in commands/, 60s verification', () => {
    expect(configSchema.parse({}).remediation).toEqual({
      enabled: true,
      dryRunOnly: false,
      requestTtl: 15 * 60_000,
      requestLimits: { perUser: 5, perRunbook: 10, window: 3_600_000 },
      runbooksDir: 'commands',
      verifyAfterDefault: 60_000,
    });
    expect(
      configSchema.parse({
        remediation: { enabled: false, dryRunOnly: true, requestTtl: '1h', requestLimits: { perUser: 2, window: '10m' }, runbooksDir: '/etc/memwarden/runbooks', verifyAfterDefault: '5m' },
      }).remediation,
    ).toEqual({
      enabled: false,
      dryRunOnly: true,
      requestTtl: 3_600_000,
      requestLimits: { perUser: 2, perRunbook: 10, window: 600_000 },
      runbooksDir: '/etc/memwarden/runbooks',
      verifyAfterDefault: 300_000,
    });
  });

  it('refuses what makes no sense, naming the key', () => {
    const result = configSchema.safeParse(
      { remediation: { enabled: 'yes', requestTtl: '10s', requestLimits: { perUser: 0, window: '10s' }, verifyAfterDefault: '2d', runbooksDir: '', verify: 1 } },
      { reportInput: true },
    );
    expect(result.success).toBe(false);
    expect(result.success ? [] : formatIssues(result.error.issues)).toEqual([
      'remediation.enabled: expected true or false, got "yes"',
      'remediation.requestTtl: expected a duration from 1m to 24h',
      'remediation.requestLimits.perUser: must be at least 1, got 0',
      'remediation.requestLimits.window: expected a duration from 1m to 24h',
      'remediation.runbooksDir: must be at least 1 characters long, got ""',
      'remediation.verifyAfterDefault: expected a duration from 0s to 24h',
      'remediation.verify: unknown key',
    ]);
  });
});
