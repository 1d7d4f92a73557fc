// The digest message: a golden file pins its blocks for the 48-hour fixture (regenerate with
// UPDATE_GOLDEN=1 and review the diff), and every variant passes checkBlockKitLimits, hostile
// names included.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildDigest } from '../../../../src/digest/build-digest.js';
import type { Digest } from '../../../../src/digest/digest-data.js';
import { loadDigestData } from '../../../../src/digest/load-digest.js';
import { checkBlockKitLimits } from '../../../../src/slack/render/block-kit-limits.js';
import { renderDigestMessage } from './rendered-notices.js';
import { closeDatabase, type Database, openDatabase } from '../../../../src/store/database.js';
import { recordSnapshot } from '../../../../src/store/samples.js';
import { FIXTURE_LEAK, fixtureFindings, fixtureSnapshot, HOUR, NOW, seedDigestFixture, TZ } from '../../digest/digest-fixture.js';
import { makeContainer, makeTempDir } from '../../store/make-snapshot.js';
import { expectConsoleGolden, expectGolden } from './render-kit.js';
import { digestNotice } from '../../../../src/digest/digest-notice.js';

function withTempDb<T>(fn: (db: Database) => T): T {
  const temp = makeTempDir();
  const db = openDatabase(join(temp.dir, 'memwarden.db'));
  try {
    return fn(db);
  } finally {
    closeDatabase(db);
    temp.remove();
  }
}

describe('digest message', () => {
  let digest: Digest;
  beforeAll(() => {
    digest = withTempDb((db) => {
      seedDigestFixture(db);
      return buildDigest(loadDigestData(db, { now: NOW, tz: TZ, hostname: 'box', findings: fixtureFindings(), leak: FIXTURE_LEAK }));
    });
  });

  it('matches the golden file and passes the limit checker', () => {
    const message = renderDigestMessage(digest, { chartInThread: true });
    expect(checkBlockKitLimits(message)).toEqual([]);
    expectGolden('digest', message);
    expectConsoleGolden('digest', { digest: digestNotice(digest, { chartInThread: true }) });
  });

  it('shows each figure with its change, the remediation with who asked and approved, and the leak suspect', () => {
    const text = JSON.stringify(renderDigestMessage(digest).blocks);
    expect(text).toContain('*OOM kills (kernel)*\\n1 (↑ +1)');
    expect(text).toContain('asked by <@U0ALICE01>, approved by <@U0BOB0001>: ✅ succeeded: 1.4 GiB → 700 MiB');
    expect(text).toContain('*Leak suspects*: celery-worker');
    expect(text).not.toContain('chart of the day in the thread');
  });

  it('says so when nothing was recorded', () => {
    const empty = withTempDb((db) => buildDigest(loadDigestData(db, { now: NOW, tz: TZ, hostname: 'box' })));
    const message = renderDigestMessage(empty);
    expect(checkBlockKitLimits(message)).toEqual([]);
    expect(message.text).toContain('nothing recorded');
  });

  it('stays inside the limits with 60 containers, hostile names and a long diagnosis', () => {
    const hostile = withTempDb((db) => {
      for (let t = NOW - 3 * HOUR; t <= NOW; t += 15 * 60_000) {
        const snapshot = fixtureSnapshot(t);
        const many = Array.from({ length: 60 }, (_, i) => makeContainer({ name: `${i === 0 ? '<!channel> ' : ''}${'x'.repeat(180)}-${i}`, memoryUsageBytes: (i + 1) * 10_000_000 }));
        recordSnapshot(db, { ...snapshot, hostname: '<!here>&host', containers: [...snapshot.containers, ...many] });
      }
      const findings = Array.from({ length: 40 }, (_, i) => ({ ...(fixtureFindings()[0] as ReturnType<typeof fixtureFindings>[number]), target: { kind: 'container' as const, name: `<@U123> ${'y'.repeat(300)}-${i}` } }));
      return buildDigest(loadDigestData(db, { now: NOW, tz: TZ, hostname: '<!here>&host', findings, leak: FIXTURE_LEAK }));
    });
    const message = renderDigestMessage(hostile, { chartInThread: true });
    expect(checkBlockKitLimits(message)).toEqual([]);
    const all = JSON.stringify(message);
    expect(all).not.toContain('<!channel>');
    expect(all).not.toContain('<!here>');
    expect(all).not.toContain('<@U123>');
  });
});
