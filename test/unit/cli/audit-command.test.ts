import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseAuditOptions } from '../../../src/cli/audit-command.js';
import { parseCli, UsageError, usage } from '../../../src/cli/parse-cli.js';
import { renderAudit, toAuditJson } from '../../../src/cli/render-audit.js';
import { main } from '../../../src/main.js';
import { closeDatabase, openDatabase } from '../../../src/store/database.js';
import { appendAudit, listAudit } from '../../../src/store/remediation.js';
import type { AuditEntry } from '../../../src/model/remediation.js';
import { SHA, T0, WORKER } from '../remediate/helpers.js';
import { makeTempDir } from '../store/make-snapshot.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
}

const REQUEST_ID = '0123456789abcdef0123456789abcdef';

function entry(overrides: Partial<AuditEntry>): AuditEntry {
  return {
    id: 1,
    at: T0,
    actor: 'U_REQ',
    action: 'requested',
    requestId: REQUEST_ID,
    runbookId: 'celery-lower-concurrency',
    runbookSha256: SHA,
    target: WORKER.name,
    targetContainerId: WORKER.containerId,
    params: { concurrency: 4 },
    outcome: null,
    beforeBytes: null,
    afterBytes: null,
    detail: 'needs 1 approval',
    ...overrides,
  };
}

describe('renderAudit', () => {
  const entries = [
    entry({ id: 3, at: T0 + 120_000, actor: 'memwarden', action: 'succeeded', outcome: 'succeeded', beforeBytes: 2.5 * 1024 ** 3, afterBytes: 1.25 * 1024 ** 3, detail: 'pool lowered from 8 to 4' }),
    entry({ id: 2, at: T0 + 60_000, actor: 'U_ALICE', action: 'approved', detail: 'approval 1 of 1: approved' }),
    entry({ id: 1 }),
  ];

  it('prints the entries oldest first with who, what, where, the file hash and memory before and after', () => {
    const text = renderAudit(entries, { color: false, source: '/srv/memwarden.db' });
    const lines = text.split('\n');
    expect(lines[0]).toBe('Remediation audit log — /srv/memwarden.db — last 3 entries, oldest first');
    const requested = lines.findIndex((l) => l.includes('requested'));
    const approved = lines.findIndex((l) => l.includes('approved') && l.includes('U_ALICE'));
    const succeeded = lines.findIndex((l) => l.includes('succeeded'));
    expect(requested).toBeGreaterThan(0);
    expect(approved).toBeGreaterThan(requested);
    expect(succeeded).toBeGreaterThan(approved);
    expect(lines[requested]).toContain('2025-10-27 09:00:00');
    expect(lines[requested]).toContain(`celery-lower-concurrency @${SHA.slice(0, 8)}`);
    expect(lines[requested]).toContain('bizcard-celery-worker');
    expect(lines[requested]).toContain('01234567');
    expect(text).toContain('params {"concurrency":4}');
    expect(lines[succeeded]).toContain('2.5 GiB → 1.25 GiB');
    expect(text).toContain('pool lowered from 8 to 4');
  });

  it('says when there is nothing to show, and colours only when asked', () => {
    expect(renderAudit([], { color: false, source: '/srv/memwarden.db' })).toBe('No remediation audit entries in /srv/memwarden.db.');
    expect(renderAudit(entries, { color: false, source: 'x' })).not.toContain('\u001b[');
    expect(renderAudit(entries, { color: true, source: 'x' })).toContain('\u001b[');
  });

  it('gives JSON with ISO times, oldest first', () => {
    const json = toAuditJson(entries);
    expect(json.schemaVersion).toBe(1);
    expect(json.entries.map((e) => e.id)).toEqual([1, 2, 3]);
    // Written out, not derived from entry(): this pins the schemaVersion 1 field names, which must
    // not follow a rename of AuditEntry's.
    expect(json.entries[0]).toEqual({
      id: 1,
      at: '2025-10-27T09:00:00.000Z',
      actor: 'U_REQ',
      action: 'requested',
      requestId: REQUEST_ID,
      runbookId: 'celery-lower-concurrency',
      runbookSha256: SHA,
      target: WORKER.name,
      targetContainerId: WORKER.containerId,
      params: { concurrency: 4 },
      outcome: null,
      beforeBytes: null,
      afterBytes: null,
      detail: 'needs 1 approval',
    });
  });
});

describe('memwarden audit', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(() => temp.remove());
  const env = () => ({ MEMWARDEN_CONFIG: '', MEMWARDEN_DATA_DIR: temp.dir });

  it('parses --json and -n, and lists itself in the usage', () => {
    expect(parseCli(['audit', '--json', '-n', '5'])).toMatchObject({ command: 'audit', values: { json: true, n: '5' } });
    expect(() => parseCli(['audit', '--by', 'pss'])).toThrow(UsageError);
    expect(usage()).toContain('  audit ');
    expect(parseAuditOptions({})).toEqual({ limit: 50, json: false });
    for (const n of ['0', '-1', 'abc', '99999', '2.5']) expect(() => parseAuditOptions({ n })).toThrow(UsageError);
  });

  it('says there is no audit log yet when the database does not exist, without creating it', async () => {
    const c = capture();
    expect(await main(['audit'], env(), c.io)).toBe(0);
    expect(c.out.join('')).toContain('No audit log yet');
    const json = capture();
    expect(await main(['audit', '--json'], env(), json.io)).toBe(0);
    expect(JSON.parse(json.out.join(''))).toEqual({ schemaVersion: 1, entries: [] });
    expect(json.err.join('')).toContain('does not exist');
    expect(existsSync(join(temp.dir, 'memwarden.db'))).toBe(false);
  });

  it('prints the last N entries of the bot database, and exits 2 on a bad -n', async () => {
    const db = openDatabase(join(temp.dir, 'memwarden.db'));
    for (let i = 0; i < 4; i++) appendAudit(db, { at: T0 + i, actor: `U_${i}`, action: 'refused', outcome: 'not-approver', detail: `click ${i}` });
    expect(listAudit(db)).toHaveLength(4);
    closeDatabase(db);

    const json = capture();
    expect(await main(['audit', '--json', '-n', '2'], env(), json.io)).toBe(0);
    expect((JSON.parse(json.out.join('')) as { entries: { actor: string }[] }).entries.map((e) => e.actor)).toEqual(['U_2', 'U_3']);
    const text = capture();
    expect(await main(['audit'], env(), text.io)).toBe(0);
    expect(text.out.join('')).toContain('last 4 entries');
    const bad = capture();
    expect(await main(['audit', '-n', 'lots'], env(), bad.io)).toBe(2);
    expect(bad.err.join('')).toContain('-n expects a whole number from 1 to 9999, got "lots"');
  });
});
