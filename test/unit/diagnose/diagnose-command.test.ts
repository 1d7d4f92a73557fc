import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CliIo } from '../../../src/cli/cli-io.js';
import { diagnoseCommand } from '../../../src/cli/diagnose-command.js';
import { parseCli, UsageError } from '../../../src/cli/parse-cli.js';
import { configSchema } from '../../../src/config/schema.js';
import { closeDatabase, openDatabase } from '../../../src/store/database.js';
import { recordSnapshot } from '../../../src/store/samples.js';
import { referenceSnapshot } from '../../fixtures/reference-incident.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'memwarden-diagnose-cli-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function run(json: boolean) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t) };
  const config = configSchema.parse({ dataDir: dir });
  const deps = { config, docker: {} as Dockerode, io, color: false, takeSnapshot: () => Promise.resolve(referenceSnapshot()) };
  return diagnoseCommand(deps, json).then((code) => ({ code, out: out.join('\n'), err: err.join('\n') }));
}

describe('memwarden diagnose', () => {
  it('parses `diagnose --json` and refuses options of other commands', () => {
    expect(parseCli(['diagnose', '--json'])).toMatchObject({ command: 'diagnose', values: { json: true } });
    expect(() => parseCli(['diagnose', '-n', '3'])).toThrow(UsageError);
  });

  it('--json prints { findings } on stdout and the missing history on stderr', async () => {
    const { code, out, err } = await run(true);
    expect(code).toBe(0);
    const json = JSON.parse(out) as { findings: { code: string }[] };
    expect(Object.keys(json)).toEqual(['findings']);
    const codes = json.findings.map((f) => f.code);
    expect(codes).toEqual(expect.arrayContaining(['host-swap-disabled', 'container-no-memory-limit', 'ml-libraries-per-worker', 'duplicate-opencv']));
    // At this quiet moment the pool fits: only the 24 h peak in the history shows that it does not.
    expect(codes).not.toContain('prefork-concurrency');
    expect(err).toMatch(/No history yet/);
  });

  it('prints the report, reading the history database when there is one', async () => {
    const db = openDatabase(join(dir, 'memwarden.db'));
    recordSnapshot(db, referenceSnapshot());
    closeDatabase(db);
    const { code, out, err } = await run(false);
    expect(code).toBe(0);
    expect(err).toBe('');
    expect(out).toMatch(/^memwarden diagnosis — bizcard-prod — 2025-10-27T10:30:00.000Z\nHistory: .*memwarden\.db \(\d+ points over the last 7 days\)\./);
    expect(out).toContain('Recommended solutions');
  });
});
