import { describe, expect, it } from 'vitest';
import { retireAlert, step } from '../../../src/alerts/state-machine.js';
import { GiB, MiB } from '../store/make-snapshot.js';
import { containerTarget, events, everyInterval, HOST, HOUR, MINUTE, observe, ruleFrom, runSeries, T0 } from './helpers.js';

// The reference report's Prometheus rule: container_memory_usage_bytes > 2GB for 5m.
const usage2g = ruleFrom('celery-2g', { kind: 'container-usage-bytes', warning: '2GB', for: '5m' });
const worker = containerTarget('bizcard-celery-worker');

describe('step: pending and firing', () => {
  it('goes pending at the trigger and fires once `for` has elapsed, with a one-line summary', () => {
    const run = runSeries(usage2g, everyInterval([1.5 * GiB, 2.57 * GiB, 2.57 * GiB, 2.57 * GiB], 150_000), worker);
    expect(events(run)).toEqual(['pending', 'firing']);
    const [pending, firing] = run.transitions;
    expect(pending).toMatchObject({ from: 'inactive', to: 'pending', at: T0 + 150_000, severity: 'warning', threshold: 2 * GiB });
    expect(pending?.summary).toBe('bizcard-celery-worker uses 2.57 GiB, above 2 GiB (pending: fires if it lasts 5m)');
    // pending at +2.5m, firing at +7.5m: exactly 5 minutes later.
    expect(firing).toMatchObject({ from: 'pending', to: 'firing', at: T0 + 450_000, startedAt: T0 + 150_000, silenced: false });
    expect(firing?.summary).toBe('bizcard-celery-worker uses 2.57 GiB, above 2 GiB for 5m');
  });

  it('fires at once when `for` is 0', () => {
    const rule = ruleFrom('now', { kind: 'container-usage-bytes', warning: '2GB' });
    const run = runSeries(rule, everyInterval([2.5 * GiB], MINUTE));
    expect(run.transitions.map((t) => [t.event, t.from, t.to])).toEqual([['firing', 'inactive', 'firing']]);
  });

  it('cancels a pending alert whose value falls past the clear level before `for`', () => {
    // clear = 2 GiB - 10% = 1.8 GiB
    const run = runSeries(usage2g, everyInterval([2.2 * GiB, 1.7 * GiB], MINUTE));
    expect(events(run)).toEqual(['pending', 'cancelled']);
    expect(run.transitions[1]).toMatchObject({ from: 'pending', to: 'inactive', reason: 'cleared' });
    expect(run.state).toBeNull();
  });

  it('keeps a pending alert inside the hysteresis band but fires only at a trigger', () => {
    // 1.9 GiB is inside the band (1.8..2 GiB): still pending after 5m, fires when back at 2 GiB+.
    const run = runSeries(usage2g, everyInterval([2.2 * GiB, 1.9 * GiB, 1.9 * GiB, 1.9 * GiB, 1.9 * GiB, 1.9 * GiB, 1.9 * GiB, 2.1 * GiB], MINUTE));
    expect(events(run)).toEqual(['pending', 'updated', 'firing']);
    expect(run.transitions.at(-1)?.at).toBe(T0 + 7 * MINUTE);
  });

  it('resolves only past the clear level, not when merely back under the trigger', () => {
    const run = runSeries(usage2g, everyInterval([2.5 * GiB, 2.5 * GiB, 2.5 * GiB, 2.5 * GiB, 2.5 * GiB, 2.5 * GiB, 1.95 * GiB, 2.05 * GiB, 1.85 * GiB, 1.5 * GiB], MINUTE), worker);
    expect(events(run).filter((e) => e !== 'updated')).toEqual(['pending', 'firing', 'resolved']);
    const resolved = run.transitions.at(-1);
    expect(resolved).toMatchObject({ from: 'firing', to: 'resolved', reason: 'cleared', at: T0 + 9 * MINUTE });
    expect(resolved?.summary).toBe('bizcard-celery-worker uses 1.5 GiB, back below 1.8 GiB (resolved)');
  });

  it('keeps firing for keepFiringFor after the condition clears, and cancels the countdown when it returns', () => {
    const rule = ruleFrom('sticky', { kind: 'container-usage-bytes', warning: '2GB', keepFiringFor: '10m' });
    const values = [2.5 * GiB, 1 * GiB, 1 * GiB, 2.5 * GiB, 1 * GiB, 1 * GiB, 1 * GiB];
    const run = runSeries(rule, everyInterval(values, 5 * MINUTE));
    expect(events(run).filter((e) => e !== 'updated')).toEqual(['firing', 'resolved']);
    // Cleared at +20m (after coming back at +15m): resolves 10 minutes later, at +30m.
    expect(run.transitions.at(-1)?.at).toBe(T0 + 30 * MINUTE);
  });

  it('resolves a firing alert whose target is gone and cancels a pending one', () => {
    const firing = runSeries(usage2g, [...everyInterval([2.5 * GiB, 2.5 * GiB], 5 * MINUTE), { t: T0 + 11 * MINUTE, value: undefined }]);
    expect(firing.transitions.at(-1)).toMatchObject({ event: 'resolved', reason: 'target-gone', summary: 'api is gone (resolved)' });
    const pending = runSeries(usage2g, [{ t: T0, value: 2.5 * GiB }, { t: T0 + MINUTE, value: undefined }]);
    expect(pending.transitions.at(-1)).toMatchObject({ event: 'cancelled', reason: 'target-gone', to: 'inactive' });
    expect(pending.state).toBeNull();
  });

  it('drops a resolved alert on the next round and can start a new episode after it', () => {
    const rule = ruleFrom('now', { kind: 'container-usage-bytes', warning: '2GB' });
    const run = runSeries(rule, everyInterval([2.5 * GiB, 1 * GiB, 1 * GiB, 2.5 * GiB], MINUTE));
    expect(events(run)).toEqual(['firing', 'resolved', 'firing']);
    expect(run.states.map((s) => s?.status ?? null)).toEqual(['firing', 'resolved', null, 'firing']);
    expect(run.transitions[2]?.startedAt).toBe(T0 + 3 * MINUTE);
  });

  it('reports pending and firing value changes only when they are material (5% of the threshold)', () => {
    const rule = ruleFrom('now', { kind: 'container-usage-bytes', warning: '2GB' });
    // 2 GiB * 5% = 102.4 MiB
    const values = [2048 * MiB, 2100 * MiB, 2140 * MiB, 2160 * MiB, 2170 * MiB, 2400 * MiB];
    const run = runSeries(rule, everyInterval(values, MINUTE));
    expect(run.transitions.map((t) => [t.event, Math.round(t.value / MiB)])).toEqual([
      ['firing', 2048],
      ['updated', 2160],
      ['updated', 2400],
    ]);
  });

  it('does not let an ineligible observation start or escalate an alert', () => {
    const rule = ruleFrom('memory-leak-suspected');
    const ineligible = step(null, observe(rule, 500 * MiB, worker, { eligible: false }), rule, T0, false);
    expect(ineligible).toEqual({ state: null, transitions: [] });
  });
});

describe('step: severity', () => {
  const host = ruleFrom('host-memory-used', { for: 0 });

  it('escalates at critical and de-escalates only past clearCritical (critical - 5 points)', () => {
    const run = runSeries(host, everyInterval([86, 96, 91, 92, 89.9, 94, 95, 79], MINUTE), HOST);
    const changes = run.transitions.filter((t) => t.event !== 'updated');
    expect(changes.map((t) => [t.event, t.severity, t.previousSeverity])).toEqual([
      ['firing', 'warning', null],
      ['severity-changed', 'critical', 'warning'],
      ['severity-changed', 'warning', 'critical'],
      ['severity-changed', 'critical', 'warning'],
      ['resolved', 'critical', null],
    ]);
    expect(changes[1]?.summary).toBe('box: 96.0% of RAM used, above 95.0%: now critical');
    expect(changes[1]?.threshold).toBe(95);
  });

  it('mirrors every comparison for a rule that fires below a floor (host available memory)', () => {
    const rule = ruleFrom('host-available-low', { for: 0 });
    // warning 512 MiB, critical 256 MiB; clear above 563.2 MiB, de-escalate above 281.6 MiB.
    const values = [600, 500, 250, 270, 290, 550, 570].map((m) => m * MiB);
    const run = runSeries(rule, everyInterval(values, MINUTE), HOST);
    expect(run.transitions.filter((t) => t.event !== 'updated').map((t) => [t.event, t.severity])).toEqual([
      ['firing', 'warning'],
      ['severity-changed', 'critical'],
      ['severity-changed', 'warning'],
      ['resolved', 'warning'],
    ]);
    expect(run.transitions[0]?.summary).toBe('box: 500 MiB of RAM available, below 512 MiB');
    expect(run.transitions.at(-1)?.summary).toBe('box: 570 MiB of RAM available, back above 563 MiB (resolved)');
  });

  it('reports a severity change while pending as an update', () => {
    const run = runSeries(ruleFrom('host-memory-used'), everyInterval([86, 97, 97], 30_000), HOST);
    expect(run.transitions.map((t) => [t.event, t.severity])).toEqual([
      ['pending', 'warning'],
      ['updated', 'critical'],
      ['firing', 'critical'],
    ]);
  });
});

describe('step: silences', () => {
  it('marks transitions silenced without changing the state, and announces the firing once the silence ends', () => {
    const rule = ruleFrom('now', { kind: 'container-usage-bytes', warning: '2GB' });
    const samples = [
      { t: T0, value: 2.5 * GiB, silenced: true },
      { t: T0 + MINUTE, value: 2.5 * GiB, silenced: true },
      { t: T0 + 2 * MINUTE, value: 2.5 * GiB, silenced: false },
      { t: T0 + 3 * MINUTE, value: 2.5 * GiB, silenced: false },
    ];
    const silencedRun = runSeries(rule, samples);
    const loudRun = runSeries(rule, samples.map((s) => ({ ...s, silenced: false })));
    expect(silencedRun.states.map((s) => s?.status)).toEqual(loudRun.states.map((s) => s?.status));
    expect(silencedRun.transitions.map((t) => [t.event, t.from, t.silenced, t.at - T0])).toEqual([
      ['firing', 'inactive', true, 0],
      ['firing', 'firing', false, 2 * MINUTE],
    ]);
    expect(loudRun.transitions.map((t) => t.event)).toEqual(['firing']);
  });
});

describe('step: OOM kills (event rule)', () => {
  const oom = ruleFrom('oom-kill');
  const target = containerTarget('bizcard-celery-worker');

  it('fires critical at once, counts further kills as updates, resolves 10m after the last kill', () => {
    const samples = [
      { t: T0, value: 1 },
      { t: T0 + 2 * MINUTE, value: undefined },
      { t: T0 + 4 * MINUTE, value: 2 },
      { t: T0 + 13 * MINUTE, value: undefined },
      { t: T0 + 14 * MINUTE, value: undefined },
      { t: T0 + 15 * MINUTE, value: undefined },
    ];
    const run = runSeries(oom, samples, target);
    expect(run.transitions.map((t) => [t.event, t.severity, t.value, t.at - T0])).toEqual([
      ['firing', 'critical', 1, 0],
      ['updated', 'critical', 3, 4 * MINUTE],
      ['resolved', 'critical', 3, 14 * MINUTE],
    ]);
    expect(run.transitions[2]?.summary).toBe('no new OOM kill in bizcard-celery-worker for 10m (resolved)');
    expect(run.states.map((s) => s?.status ?? null)).toEqual(['firing', 'firing', 'firing', 'firing', 'resolved', null]);
  });
});

describe('retireAlert', () => {
  it('resolves a firing alert whose rule was removed', () => {
    const rule = ruleFrom('now', { kind: 'container-usage-bytes', warning: '2GB' });
    const { state } = runSeries(rule, [{ t: T0, value: 3 * GiB }]);
    const result = retireAlert(state!, T0 + HOUR, false);
    expect(result.state?.status).toBe('resolved');
    expect(result.transitions.map((t) => [t.event, t.reason, t.summary])).toEqual([['resolved', 'rule-removed', 'api: rule now was removed or disabled (resolved)']]);
  });
});
