// One series, three readers: the memory-leak alert, the memory-leak-suspected finding and the
// digest's leak suspects must see the same slope and the same time to the ceiling, because they
// all judge a leak through signals/leak.ts. Before, one measured against host RAM and another
// against available memory, and only one capped its window.
import { describe, expect, it } from 'vitest';
import { evaluateRules } from '../../../src/alerts/evaluate.js';
import { diagnose } from '../../../src/diagnose/diagnose.js';
import { buildDigest } from '../../../src/digest/build-digest.js';
import type { DigestData } from '../../../src/digest/digest-data.js';
import type { HistoryPoint } from '../../../src/model/history.js';
import { container, GiB, history, host, HOUR, MiB, NOW, options, snapshot } from '../diagnose/build.js';
import { ruleFrom } from '../alerts/helpers.js';

const MINUTE = 60_000;
const NAME = 'bizcard-celery-worker';

/**
 * 19 samples 5 minutes apart (90 minutes) rising `perHour` with a wobble, ending at `end` at NOW:
 * the snapshot's usage and the digest's last sample.
 */
function rise(end: number, perHour: number): HistoryPoint[] {
  return Array.from({ length: 19 }, (_, i) => {
    const t = NOW - (18 - i) * 5 * MINUTE;
    const v = end - ((NOW - t) / HOUR) * perHour + (i % 3 === 1 ? 3 * MiB : 0);
    return { t, min: v, avg: v, max: v, count: 1 };
  });
}

function digestData(usage: HistoryPoint[], limitBytes: number | null, availableBytes: number): DigestData {
  const at = (v: number) => usage.map((p) => ({ ...p, min: v, avg: v, max: v }));
  return {
    day: '2025-10-27',
    tz: 'UTC',
    now: NOW,
    hostname: 'box',
    host: { totalBytes: 16 * GiB, swapTotalBytes: 0, used: at(6 * GiB), available: at(availableBytes), swapUsed: [], psiSome: [], psiFull: [], oomKills: [] },
    containers: [{ name: NAME, usage, limit: limitBytes === null ? [] : at(limitBytes), counters: [] }],
    alerts: { transitions: [], firing: [] },
    runs: [],
    recommendations: null,
    leak: options().leak,
  };
}

describe('one leak fit for the alert, the diagnosis and the digest', () => {
  for (const limit of [4 * GiB, null]) {
    it(`agrees on slope and time to the ceiling (${limit === null ? 'no limit: the host\'s available memory' : 'a container limit'})`, () => {
      const usage = 3 * GiB;
      const available = 5 * GiB;
      const points = rise(usage, 120 * MiB);
      const c = container(NAME, { memoryUsageBytes: usage, memoryLimitBytes: limit });
      const snap = snapshot({ containers: [c], host: host({ availableBytes: available }) });

      const [alert] = evaluateRules([ruleFrom('memory-leak-suspected')], snap, null, () => points, NOW);
      const [finding] = diagnose(snap, history({ containers: [{ name: NAME, day: points, week: points }] }), options()).filter((f) => f.code === 'memory-leak-suspected');
      const suspect = buildDigest(digestData(points, limit, available)).leakSuspects[0]?.leak;

      expect(alert?.eligible).toBe(true);
      expect(finding).toBeDefined();
      expect(suspect).toBeDefined();
      const slopes = [alert?.evidence.slopeBytesPerHour, finding?.evidence.slopeBytesPerHour, Math.round(suspect?.slopePerHour ?? NaN)];
      const times = [alert?.evidence.timeToLimitMs, finding?.evidence.timeToLimitMs, Math.round(suspect?.timeToLimitMs ?? NaN)];
      expect(new Set(slopes).size).toBe(1);
      expect(new Set(times).size).toBe(1);
      // The wobble keeps the fit honest; the slope stays near the 120 MiB/h the series rises by.
      expect((slopes[0] as number) / MiB).toBeCloseTo(120, -1);
      // The ceiling is the limit less usage, or the available memory: 1 GiB or 5 GiB at ~120 MiB/h.
      const room = limit === null ? available : limit - usage;
      expect((times[0] as number) / HOUR).toBeCloseTo(room / (slopes[0] as number), 2);
      expect(suspect?.ceiling).toBe(limit === null ? 'host available memory' : 'container limit');
    });
  }
});
