// The `digest:` section: defaults, and a rule or zone node-schedule could not use is a config
// error naming its key (node-schedule itself would answer such a rule with a silent null).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/config-error.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { configSchema } from '../../../src/config/schema.js';
import { checkScheduleRule, hostTimeZone } from '../../../src/config/schedule-values.js';
import { digestChannel } from '../../../src/digest/start-digest.js';

function problemsOf(yaml: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'mw-digest-'));
  const file = join(dir, 'memwarden.yml');
  writeFileSync(file, yaml);
  try {
    loadConfig({}, file, dir);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('digest config', () => {
  it('defaults: on, 09:00 every day in the host zone, the default channel, 6 h of catch-up', () => {
    const config = configSchema.parse({ slack: { channels: { default: 'C0MEMWARD' } } });
    expect(config.digest).toEqual({ enabled: true, schedule: '0 9 * * *', timezone: hostTimeZone(), catchUpWithin: 6 * 3_600_000 });
    expect(digestChannel(config)).toBe('C0MEMWARD');
    expect(digestChannel(configSchema.parse({ slack: { channels: { default: 'C0MEMWARD' } }, digest: { channel: '#digest' } }))).toBe('#digest');
    expect(digestChannel(configSchema.parse({}))).toBeNull();
  });

  it('takes a zone in any case and keeps its canonical name', () => {
    expect(configSchema.parse({ digest: { timezone: 'europe/berlin', schedule: '30 2 * * 1-5' } }).digest).toMatchObject({ timezone: 'Europe/Berlin', schedule: '30 2 * * 1-5' });
  });

  it('refuses an invalid cron, naming digest.schedule', () => {
    expect(problemsOf('digest:\n  schedule: "61 9 * * *"\n')).toEqual([expect.stringMatching(/^digest\.schedule: not a valid cron expression/)]);
    expect(problemsOf('digest:\n  schedule: every morning\n')).toEqual([expect.stringMatching(/^digest\.schedule: expected a cron expression/)]);
  });

  it('refuses a date, which node-schedule would run once instead of daily', () => {
    expect(problemsOf('digest:\n  schedule: "2030-01-01"\n')).toEqual([expect.stringMatching(/^digest\.schedule: expected a cron expression/)]);
  });

  it('refuses a rule that never fires', () => {
    expect(checkScheduleRule('0 9 30 2 *', 'UTC')).toMatch(/not a valid cron expression|cannot schedule/);
  });

  it('refuses an unknown zone, naming digest.timezone', () => {
    expect(problemsOf('digest:\n  timezone: Mars/Olympus\n')).toEqual([
      'digest.timezone: unknown time zone "Mars/Olympus"; expected an IANA name such as "Europe/Berlin" or "UTC"',
    ]);
  });

  it('reports unknown keys and bad durations like every other section', () => {
    const problems = problemsOf('digest:\n  shedule: "0 9 * * *"\n  catchUpWithin: soon\n');
    expect(problems).toEqual(
      expect.arrayContaining([expect.stringMatching(/^digest\.shedule: unknown key \(did you mean "schedule"\?\)/), expect.stringMatching(/^digest\.catchUpWithin: expected a duration/)]),
    );
  });
});
