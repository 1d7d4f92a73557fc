// Properties of the one state machine, over random series and random sampling intervals.
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAlertEngine } from '../../../src/alerts/alert-engine.js';
import type { AlertRule } from '../../../src/model/alert-rule.js';
import { closeDatabase, type Database, openDatabase } from '../../../src/store/database.js';
import { GiB, makeHost, makeSnapshot } from '../store/make-snapshot.js';
import { HOST, MINUTE, ruleFrom, runSeries, type Sample, T0 } from './helpers.js';

const forChoices = [0, 30_000, MINUTE, 5 * MINUTE];

/** A usage rule (2 GiB, clear 1.8 GiB) with a random `for`. */
const usageRule = fc.constantFrom(...forChoices).map((forMs) =>
  ruleFrom('usage', { kind: 'container-usage-bytes', warning: '2GiB', critical: '3GiB', for: `${forMs / 1000}s` }),
);

/** Random positive sampling intervals, from one second to three minutes. */
const intervals = (min = 1, max = 80) => fc.array(fc.integer({ min: 1000, max: 3 * MINUTE }), { minLength: min, maxLength: max });

function samplesFrom(gaps: readonly number[], values: readonly number[]): Sample[] {
  let t = T0;
  return values.map((value, i) => {
    t += gaps[i % gaps.length] ?? MINUTE;
    return { t, value };
  });
}

function clearOf(rule: AlertRule): number {
  return rule.thresholds.clear;
}

describe('hysteresis', () => {
  it('never fires twice while the value stays inside the hysteresis band after firing', () => {
    fc.assert(
      fc.property(
        usageRule,
        intervals(),
        fc.array(fc.integer({ min: Math.ceil(1.8 * GiB), max: 4 * GiB }), { minLength: 1, maxLength: 80 }),
        (rule, gaps, bandValues) => {
          // Above the trigger long enough to fire, then anywhere at or above the clear level.
          const lead = Array.from({ length: Math.ceil(rule.forMs / 1000) + 2 }, () => 2.5 * GiB);
          const samples = samplesFrom([...lead.map(() => 1000), ...gaps], [...lead, ...bandValues]);
          const run = runSeries(rule, samples);
          expect(run.transitions.filter((t) => t.event === 'firing')).toHaveLength(1);
          expect(run.transitions.some((t) => t.event === 'resolved' || t.event === 'cancelled')).toBe(false);
        },
      ),
    );
  });

  it('between two firings of one alert, the value was past the clear level', () => {
    fc.assert(
      fc.property(usageRule, intervals(), fc.array(fc.integer({ min: 0, max: 4 * GiB }), { minLength: 1, maxLength: 120 }), (rule, gaps, values) => {
        const samples = samplesFrom(gaps, values);
        const run = runSeries(rule, samples);
        const firings = run.transitions.filter((t) => t.event === 'firing').map((t) => t.at);
        for (let i = 1; i < firings.length; i++) {
          const between = samples.filter((s) => s.t > (firings[i - 1] as number) && s.t <= (firings[i] as number));
          expect(between.some((s) => (s.value as number) < clearOf(rule))).toBe(true);
        }
      }),
    );
  });
});

describe('for', () => {
  it('never fires before `for` has elapsed since pending, at any sampling interval', () => {
    fc.assert(
      fc.property(usageRule, intervals(), fc.array(fc.integer({ min: 0, max: 4 * GiB }), { minLength: 1, maxLength: 120 }), (rule, gaps, values) => {
        const run = runSeries(rule, samplesFrom(gaps, values));
        for (const t of run.transitions.filter((x) => x.event === 'firing')) {
          expect(t.at - t.startedAt).toBeGreaterThanOrEqual(rule.forMs);
          if (t.from === 'inactive') expect(rule.forMs).toBe(0);
        }
      }),
    );
  });

  it('fires at the first sample at or after `for` when the value stays above the trigger', () => {
    fc.assert(
      fc.property(usageRule, intervals(1, 60), fc.integer({ min: 2 * GiB, max: 4 * GiB }), (rule, gaps, value) => {
        const samples = samplesFrom(gaps, gaps.map(() => value));
        const run = runSeries(rule, samples);
        const start = samples[0]?.t as number;
        const due = samples.find((s) => s.t - start >= rule.forMs);
        const firing = run.transitions.find((t) => t.event === 'firing');
        expect(firing?.at).toBe(due?.t);
      }),
    );
  });
});

describe('severity', () => {
  const host = ruleFrom('host-memory-used', { for: 0 });

  it('escalates only at critical and de-escalates only past clearCritical', () => {
    fc.assert(
      fc.property(intervals(), fc.array(fc.double({ min: 0, max: 100, noNaN: true }), { minLength: 1, maxLength: 150 }), (gaps, values) => {
        const run = runSeries(host, samplesFrom(gaps, values), HOST);
        for (const t of run.transitions.filter((x) => x.event === 'severity-changed')) {
          if (t.severity === 'critical') expect(t.value).toBeGreaterThanOrEqual(95);
          else expect(t.value).toBeLessThan(90);
        }
      }),
    );
  });

  it('never changes severity while the value stays within the critical band (90..100)', () => {
    fc.assert(
      fc.property(intervals(), fc.array(fc.double({ min: 90, max: 100, noNaN: true }), { minLength: 1, maxLength: 150 }), (gaps, values) => {
        const run = runSeries(host, samplesFrom(gaps, [96, ...values]), HOST);
        expect(run.transitions.filter((t) => t.event === 'severity-changed')).toEqual([]);
        expect(run.state?.severity).toBe('critical');
      }),
    );
  });
});

describe('silences', () => {
  let db: Database;
  beforeEach(() => {
    db = openDatabase(':memory:');
  });
  afterEach(() => {
    closeDatabase(db);
  });

  it('hold: no unsilenced transition while a matching silence is active', () => {
    const window = fc.record({ start: fc.nat({ max: 60 }), length: fc.integer({ min: 1, max: 40 * MINUTE }), byRule: fc.boolean() });
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 100, noNaN: true }), { minLength: 1, maxLength: 60 }),
        fc.array(window, { maxLength: 4 }),
        (values, windows) => {
          db.exec('DELETE FROM alert_state; DELETE FROM alert_transitions; DELETE FROM alert_silences;');
          let now = T0;
          const rules = [ruleFrom('host-memory-used', { for: '1m' })];
          const engine = createAlertEngine({ db, rules, clock: () => now });
          const active: { from: number; until: number }[] = [];
          values.forEach((percent, i) => {
            now = T0 + i * MINUTE;
            for (const w of windows.filter((x) => x.start === i)) {
              // Matching by rule, or by target; plus a decoy for another rule that must not matter.
              engine.addSilence({ ruleId: w.byRule ? 'host-memory-used' : null, target: w.byRule ? null : '*', until: now + w.length, createdBy: 'U1', reason: 'maintenance' });
              engine.addSilence({ ruleId: 'oom-kill', until: now + 3 * w.length, createdBy: 'U1', reason: 'decoy' });
              active.push({ from: now, until: now + w.length });
            }
            const snapshot = makeSnapshot(now, { host: makeHost({ totalBytes: 100 * GiB, usedBytes: (percent / 100) * 100 * GiB }) });
            const transitions = engine.evaluate(snapshot, null, () => []);
            const silencedNow = active.some((w) => now >= w.from && now < w.until);
            for (const t of transitions) expect(t.silenced).toBe(silencedNow);
          });
        },
      ),
      { numRuns: 40 },
    );
  });
});
