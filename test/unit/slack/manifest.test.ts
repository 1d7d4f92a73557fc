// manifest.yml is the source of truth for what Slack sends memwarden: it must be valid against
// Slack's official manifest schema (../shared/slack-manifest-schema, present in CI), and agree
// with what the app registers: the same slash commands, interactivity when there are action
// listeners, and the scopes the startup check asks for.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import AjvModule from 'ajv';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SUBCOMMANDS } from '../../../src/slack/commands/parse-mem-command.js';
import { OPTIONAL_SCOPES, REQUIRED_SCOPES } from '../../../src/slack/check-token.js';
import { ACTION } from '../../../src/slack/ids.js';
import { SILENCE_CHOICES } from '../../../src/model/alert.js';
import { REGISTERED_ACTIONS, REGISTERED_COMMANDS } from '../../../src/slack/listeners/index.js';
import { buildTestApp, expectRespond, slashCommand, type TestApp, useNock } from './bolt-test-kit.js';

useNock();

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const SCHEMA_DIR = resolve(REPO_ROOT, '../shared/slack-manifest-schema');
/** Where the top-level schema's $refs point (slackapi/manifest-schema v0.5.0); the files are local. */
const SCHEMA_BASE = 'https://raw.githubusercontent.com/slackapi/manifest-schema/v0.5.0/schemas/';

interface Manifest {
  features: { slash_commands?: { command: string; description: string; usage_hint?: string }[]; bot_user?: { display_name: string } };
  oauth_config: { scopes: { bot?: string[]; user?: string[] } };
  settings: { interactivity?: { is_enabled: boolean }; socket_mode_enabled?: boolean; event_subscriptions?: unknown };
}

const manifest = parse(readFileSync(resolve(REPO_ROOT, 'manifest.yml'), 'utf8')) as Manifest;

// ajv is CommonJS: under NodeNext its default import is the module, the class is its `default`.
const Ajv = AjvModule.default;

function manifestValidator() {
  // strict: false because the schema carries annotations ajv does not know (_note, requires);
  // its one real custom keyword, `regex`, is implemented as what it evidently means.
  const ajv = new Ajv({ allErrors: true, strict: false });
  ajv.addKeyword({ keyword: 'regex', type: 'string', schemaType: 'string', validate: (pattern: string, data: string) => new RegExp(pattern).test(data) });
  ajv.addFormat('uri', (value: string) => URL.canParse(value));
  for (const file of ['manifest.schema.1.0.0.json', 'manifest.schema.2.0.0.json']) {
    ajv.addSchema(JSON.parse(readFileSync(resolve(SCHEMA_DIR, file), 'utf8')) as object, `${SCHEMA_BASE}${file}`);
  }
  return ajv.compile(JSON.parse(readFileSync(resolve(SCHEMA_DIR, 'manifest.schema.json'), 'utf8')) as object);
}

const schemaPresent = existsSync(resolve(SCHEMA_DIR, 'manifest.schema.json'));

describe('manifest.yml against Slack\'s manifest schema', () => {
  if (!schemaPresent && process.env.CI === 'true') {
    it('needs ../shared/slack-manifest-schema, which CI provides', () => {
      expect.fail(`${SCHEMA_DIR} is missing`);
    });
  }

  it.skipIf(!schemaPresent)('is valid', () => {
    const validate = manifestValidator();
    expect(validate(manifest), JSON.stringify(validate.errors, null, 2)).toBe(true);
  });

  it.skipIf(!schemaPresent)('and the validator does refuse a broken manifest', () => {
    const validate = manifestValidator();
    const broken = structuredClone(manifest) as unknown as { features: { slash_commands: Record<string, unknown>[] } };
    (broken.features.slash_commands[0] as Record<string, unknown>).command = 'mem';
    expect(validate(broken)).toBe(false);
    expect(validate({ ...manifest, display_information: { name: 'x'.repeat(36) } })).toBe(false);
  });
});

describe('manifest.yml and the registered listeners agree', () => {
  it('declares exactly the slash commands the app listens to, each with a description and every subcommand in its hint', () => {
    const commands = manifest.features.slash_commands ?? [];
    expect(commands.map((c) => c.command).sort()).toEqual([...REGISTERED_COMMANDS].sort());
    for (const command of commands) {
      expect(command.description.length).toBeGreaterThan(0);
      for (const sub of SUBCOMMANDS) expect(command.usage_hint).toContain(sub);
    }
  });

  it('turns interactivity on, since there are action listeners, and they answer the alert buttons', () => {
    expect(REGISTERED_ACTIONS.length).toBeGreaterThan(0);
    expect(manifest.settings.interactivity?.is_enabled).toBe(true);
    for (const id of [ACTION.silenceAlert, ...SILENCE_CHOICES.map((choice) => `${ACTION.silenceAlert}:${choice}`)]) {
      expect(REGISTERED_ACTIONS.some((pattern) => pattern.test(id)), id).toBe(true);
    }
    // The fix buttons under an alert and the approval message's Approve / Reject.
    for (const id of [`${ACTION.requestRemediation}:0`, `${ACTION.requestRemediation}:2`, ACTION.approveRemediation, ACTION.rejectRemediation]) {
      expect(REGISTERED_ACTIONS.filter((pattern) => pattern.test(id)), id).toHaveLength(1);
    }
  });

  it('asks for exactly the scopes the startup check knows, and subscribes to no events', () => {
    expect([...(manifest.oauth_config.scopes.bot ?? [])].sort()).toEqual([...Object.keys(REQUIRED_SCOPES), ...Object.keys(OPTIONAL_SCOPES)].sort());
    expect(manifest.oauth_config.scopes.user).toBeUndefined();
    expect(manifest.settings.event_subscriptions).toBeUndefined();
    expect(manifest.settings.socket_mode_enabled).toBe(true);
    expect(manifest.features.bot_user?.display_name).toBe('memwarden');
  });

  describe('a real app answers every command the manifest declares', () => {
    let t: TestApp | undefined;
    afterEach(() => {
      t?.services.close();
      t = undefined;
    });

    for (const { command } of manifest.features.slash_commands ?? []) {
      it(`${command} help`, async () => {
        t = buildTestApp();
        const responded = expectRespond();
        const acks = await t.receiver.send(slashCommand('help', { command }));
        expect(acks).toEqual([undefined]);
        expect((await responded).response_type).toBe('ephemeral');
      });
    }
  });
});
