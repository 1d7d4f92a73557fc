// Every terminal report shows outside text (command lines and comm names from /proc, container
// and host names, finding texts, audit rows, the digest's names, alert summaries, config values)
// through printable(): an ESC sequence, a BEL, a bidi override or a zero-width character in a
// process name must not reach the terminal raw, and a line break in a name must not forge a row.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkConfig } from '../../../src/cli/check-config.js';
import { renderAudit } from '../../../src/cli/render-audit.js';
import { renderDiagnosis } from '../../../src/cli/render-diagnosis.js';
import { renderDigestText } from '../../../src/cli/render-digest.js';
import { renderGroups, renderStatus } from '../../../src/cli/render-status.js';
import { configSchema } from '../../../src/config/schema.js';
import { statusThresholds } from '../../../src/diagnose/levels.js';
import type { Finding } from '../../../src/model/finding.js';
import { digestNow } from '../../../src/digest/start-digest.js';
import { closeDatabase, openDatabase } from '../../../src/store/database.js';
import type { AuditEntry } from '../../../src/model/remediation.js';
import { NOW, seedDigestFixture } from '../digest/digest-fixture.js';
import { GiB, makeContainer, makeGroup, makeHost, makeProcess, makeSnapshot, makeTempDir, MiB } from '../store/make-snapshot.js';

/** What a hostile process title or container label could carry: clear the screen, set the
 *  window title and ring the bell, reverse the text, hide a letter, start a fake line. */
const HOSTILE = 'evil\u001b[2J\u001b]0;owned\u0007\u202egpj.exe\u200bx\u009b31m\nFAKE LINE';

/** No raw control, bidi or zero-width character, and no line that the hostile text started. */
function expectEscaped(text: string): void {
  // eslint-disable-next-line no-control-regex -- finding raw control characters is the point
  const raw = text.match(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/gu) ?? [];
  expect(raw.map((ch) => `U+${ch.codePointAt(0)?.toString(16).padStart(4, '0')}`)).toEqual([]);
  expect(text).not.toMatch(/\nFAKE LINE/);
  expect(text).toContain('\\x1b[2J');
  expect(text).toContain('\\u202e');
}

const thresholds = statusThresholds(configSchema.parse({}));

function hostileSnapshot() {
  return makeSnapshot(NOW, {
    hostname: HOSTILE,
    host: makeHost({ totalBytes: 8 * GiB, usedBytes: 4 * GiB }),
    containers: [makeContainer({ name: HOSTILE, memoryUsageBytes: 900 * MiB, memoryLimitBytes: 1 * GiB })],
    processGroups: [makeGroup({ name: HOSTILE, kind: 'celery', masterPid: 10, pids: [10, 11], containerName: HOSTILE, pssBytes: 300 * MiB, rssBytes: 500 * MiB, ussBytes: 200 * MiB })],
    processes: [makeProcess({ pid: 10, ppid: 1, comm: HOSTILE, cmdline: HOSTILE }), makeProcess({ pid: 11, ppid: 10, comm: HOSTILE, cmdline: HOSTILE })],
    errors: [{ source: 'processes', message: HOSTILE }],
  });
}

function hostileFinding(): Finding {
  return {
    code: 'container-near-limit',
    severity: 'critical',
    target: { kind: 'container', name: HOSTILE },
    summary: `${HOSTILE} uses 90% of its limit`,
    evidence: { usageBytes: 900 * MiB, label: HOSTILE },
    recommendations: [
      { title: `Raise the limit of ${HOSTILE}`, priority: 'urgent', estimatedSavingsBytes: null, runbook: 'set-memory-limit', params: { limit: 2 * GiB, note: HOSTILE }, steps: [`docker update ${HOSTILE}`], detail: HOSTILE },
    ],
  };
}

describe('terminal reports escape control and bidi characters in outside text', () => {
  it('memwarden status and top: host, container, group and process names, the errors', () => {
    expectEscaped(renderStatus(hostileSnapshot(), { thresholds, color: false }));
    expectEscaped(renderGroups(hostileSnapshot(), 10, 'pss', false));
    const down = makeSnapshot(NOW, { docker: { reachable: false, error: HOSTILE }, containers: [] });
    expect(renderStatus(down, { thresholds, color: false })).toContain('docker: unreachable (evil\\x1b[2J');
  });

  it('memwarden diagnose: the finding, its evidence, recommendations, steps and the history note', () => {
    expectEscaped(renderDiagnosis(hostileSnapshot(), [hostileFinding()], { thresholds, color: false, historyNote: `History unavailable (${HOSTILE})` }));
  });

  it('memwarden audit: actor, runbook, target, parameters and detail', () => {
    const entry: AuditEntry = {
      id: 1,
      at: NOW,
      actor: HOSTILE,
      action: 'requested',
      requestId: 'r-0123456789',
      runbookId: HOSTILE,
      runbookSha256: 'abcdef0123456789',
      target: HOSTILE,
      targetContainerId: null,
      params: { word: HOSTILE },
      outcome: HOSTILE,
      beforeBytes: null,
      afterBytes: null,
      detail: HOSTILE,
    };
    expectEscaped(renderAudit([entry], { color: false, source: HOSTILE }));
  });

  it('memwarden digest: host, containers, alerts, remediations and recommendations', () => {
    const temp = makeTempDir();
    const db = openDatabase(join(temp.dir, 'memwarden.db'));
    try {
      seedDigestFixture(db);
      const digest = digestNow(db, configSchema.parse({ digest: { timezone: 'Europe/Berlin' } }), { findings: () => [hostileFinding()], hostname: () => HOSTILE }, NOW);
      const rename = <T extends { name: string }>(list: T[]): T[] => list.map((item) => ({ ...item, name: HOSTILE }));
      const hostile = {
        ...digest,
        containers: rename(digest.containers),
        topGrowers: rename(digest.topGrowers),
        leakSuspects: rename(digest.leakSuspects),
        alerts: { ...digest.alerts, top: digest.alerts.top.map((a) => ({ ...a, ruleId: HOSTILE, target: HOSTILE })) },
        remediations: { ...digest.remediations, items: digest.remediations.items.map((r) => ({ ...r, runbookId: HOSTILE, target: HOSTILE, requestedBy: HOSTILE, approvedBy: [HOSTILE] })) },
      };
      expect(hostile.containers.length).toBeGreaterThan(0);
      expect(hostile.alerts.top.length).toBeGreaterThan(0);
      expect(hostile.remediations.items.length).toBeGreaterThan(0);
      expect(hostile.recommendations?.items.length).toBeGreaterThan(0);
      expectEscaped(renderDigestText(hostile, { color: false, chartPath: HOSTILE }));
    } finally {
      closeDatabase(db);
      temp.remove();
    }
  });

  it('memwarden check-config: the configuration values as they will be used', () => {
    const out: string[] = [];
    // A config value can carry the same characters (a glob, a label value, a channel name).
    const config = configSchema.parse({ alerts: { ignore: { containers: [HOSTILE] } }, slack: { channels: { default: HOSTILE } } });
    expect(checkConfig({ config, file: HOSTILE }, { out: (text: string) => out.push(text), err: () => {} }, false)).toBe(0);
    expectEscaped(out.join('\n'));
  });
});
