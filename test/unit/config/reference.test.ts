// The configuration reference in README.md is generated from the schema (src/config/reference.ts):
// it must match what the schema says now, name every key, and every key must say what it does.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RULE_FIELD_DOCS } from '../../../src/config/alert-rule-docs.js';
import { DEFAULT_RULES } from '../../../src/config/alert-rules.js';
import { RULE_KINDS } from '../../../src/model/alert-rule.js';
import { ruleFields } from '../../../src/config/alerts-schema.js';
import { ENV_KEYS } from '../../../src/config/load-config.js';
import { configEntries, REFERENCE_END, REFERENCE_START, renderConfigReference, replaceReferenceRegion } from '../../../src/config/reference.js';
import { configSchema } from '../../../src/config/schema.js';
import { durationSchema } from '../../../src/config/value-schemas.js';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
const reference = renderConfigReference();

/** Every leaf key of a parsed configuration with every optional key set. */
function leafKeys(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [prefix];
  return Object.entries(value).flatMap(([key, child]) => leafKeys(child, prefix ? `${prefix}.${key}` : key));
}

describe('README.md configuration reference', () => {
  it('is what the schema generates now', () => {
    const expected = replaceReferenceRegion(readme, reference);
    if (expected !== readme) {
      expect.fail('README.md\'s configuration reference differs from the schema: run `npm run docs:config` and commit README.md');
    }
    expect(readme.indexOf(REFERENCE_START)).toBeLessThan(readme.indexOf(REFERENCE_END));
  });

  it('names every leaf key of the schema', () => {
    const parsed = configSchema.parse({
      slack: {
        botToken: 'xoxb-x',
        appToken: 'xapp-x',
        signingSecret: '12345678',
        apiUrl: 'https://x.test/api/',
        channels: { default: 'a', warning: 'b', critical: 'c' },
        criticalMention: 'S123',
      },
      digest: { timezone: 'UTC', channel: '#digest' },
      ops: { pollStaleAfter: '1m' },
    });
    // alerts.rules holds the rules by id: its keys are rule ids, checked below.
    const keys = [...new Set(leafKeys(parsed).map((key) => (key.startsWith('alerts.rules.') ? 'alerts.rules' : key)))];
    expect(keys).toContain('ops.pollStaleAfter');
    const missing = keys.filter((key) => !reference.includes(`| \`${key}\` |`));
    expect(missing).toEqual([]);
  });

  it('names every built-in alert rule, every rule kind and every rule field', () => {
    for (const id of Object.keys(DEFAULT_RULES)) expect(reference).toContain(`| \`${id}\` |`);
    for (const kind of RULE_KINDS) expect(reference).toContain(`| \`${kind}\` |`);
    const fields = new Set(RULE_KINDS.flatMap((kind) => ruleFields(kind)));
    for (const field of fields) expect(reference).toContain(`| \`${field}\` |`);
  });

  it('lists every environment variable that sets a key', () => {
    for (const key of ENV_KEYS) expect(reference).toContain(`| \`${key.name}\` | \`${key.path.join('.')}\` |`);
    expect(reference).toContain('| `ops.port` | integer (0–65535) | `9464` | `MEMWARDEN_OPS_PORT` |');
  });

  it('shows durations, sizes, enums and defaults as a file author writes them', () => {
    expect(reference).toContain('| `poll.interval` | duration (15s, 5m) | `15s` | `MEMWARDEN_POLL_INTERVAL` |');
    expect(reference).toContain('| `diagnosis.containerLimit.step` | size (512MiB, 2GB) | `64MiB` |');
    expect(reference).toContain('| `log.format` | one of `auto`, `json`, `pretty` | `auto` | `LOG_FORMAT` |');
    expect(reference).toContain('| `slack.botToken` | string (secret) | — | `SLACK_BOT_TOKEN` |');
  });
});

describe('schema descriptions', () => {
  it('describe every key of the configuration', () => {
    const entries = configEntries();
    expect(entries.length).toBeGreaterThan(50);
    expect(entries.filter((entry) => entry.description === null).map((entry) => entry.path)).toEqual([]);
  });

  it('describe every field of every alert rule kind', () => {
    const fields = new Set(RULE_KINDS.flatMap((kind) => ruleFields(kind)));
    expect([...fields].filter((field) => !Object.hasOwn(RULE_FIELD_DOCS, field))).toEqual([]);
  });

  it('are required: a key without one stops the reference', () => {
    const schema = z.strictObject({ poll: z.strictObject({ interval: durationSchema.prefault('15s') }).prefault({}).describe('Polling.') });
    expect(configEntries(schema).map((entry) => [entry.path, entry.description])).toEqual([
      ['poll', 'Polling.'],
      ['poll.interval', null],
    ]);
    expect(() => renderConfigReference(schema)).toThrow(/no description for poll\.interval/);
  });

  it('leave parsing as it was: defaults, prefaults and unknown-key errors', () => {
    expect(configSchema.parse({}).poll).toEqual({ interval: 15_000, sourceTimeout: 5_000, processes: true, topGroups: 50 });
    const result = configSchema.safeParse({ ops: { prot: 1 }, slack: { channels: { defualt: 'x' } } });
    expect(result.success ? [] : result.error.issues.map((issue) => [issue.code, issue.path.join('.')])).toEqual([
      ['unrecognized_keys', 'slack.channels'],
      ['unrecognized_keys', 'ops'],
    ]);
  });
});
