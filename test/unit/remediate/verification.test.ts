// The verdict of a verification: the runbook's metric and expectation against the figures
// measured before the run and verify.after later. Unmeasured figures give no verdict, never a guess.
import { describe, expect, it } from 'vitest';
import { describeGoal, evaluateVerification, type Measurement, verifySpecFor } from '../../../src/remediate/verification.js';

const MiB = 1024 * 1024;
const m = (usage: number | null, pss: number | null, pool: number | null, at = 0): Measurement => ({ at, running: true, containerUsageBytes: usage, groupPssBytes: pss, poolSize: pool });

describe('evaluateVerification', () => {
  it('pool-size-equals-param: met when the live pool is the parameter', () => {
    const spec = { afterMs: 30_000, metric: 'pool-size' as const, expect: { type: 'pool-size-equals-param' as const, param: 'concurrency' } };
    expect(evaluateVerification(spec, { concurrency: 1 }, m(230 * MiB, 200 * MiB, 4), m(150 * MiB, 120 * MiB, 1))).toMatchObject({
      goalMet: true,
      before: 4,
      after: 1,
      expected: 'pool size of 1 child',
      summary: 'pool size 4 children → 1 child: goal met (pool size of 1 child)',
    });
    expect(evaluateVerification(spec, { concurrency: 1 }, m(1, 1, 4), m(1, 1, 2)).summary).toBe('pool size 4 children → 2 children: goal NOT met (expected: pool size of 1 child)');
    expect(evaluateVerification(spec, { concurrency: 1 }, m(1, 1, 4), m(1, 1, null))).toMatchObject({ goalMet: null, summary: 'pool size 4 children → not measured: goal (pool size of 1 child) not verifiable: the figure could not be measured' });
  });

  it('decrease: after below before; below-param: below the parameter', () => {
    const decrease = { afterMs: 1, metric: 'group-pss' as const, expect: { type: 'decrease' as const } };
    expect(evaluateVerification(decrease, {}, m(0, 300 * MiB, 4), m(0, 120 * MiB, 4))).toMatchObject({ goalMet: true, summary: 'process group PSS 300 MiB → 120 MiB: goal met (process group PSS decreases)' });
    expect(evaluateVerification(decrease, {}, m(0, 300 * MiB, 4), m(0, 300 * MiB, 4)).goalMet).toBe(false);
    expect(evaluateVerification(decrease, {}, m(0, null, 4), m(0, 300 * MiB, 4)).goalMet).toBeNull();
    const below = { afterMs: 1, metric: 'container-usage' as const, expect: { type: 'below-param' as const, param: 'limit' } };
    expect(evaluateVerification(below, { limit: 512 * MiB }, m(400 * MiB, 0, null), m(420 * MiB, 0, null))).toMatchObject({ goalMet: true, expected: 'container memory usage below 512 MiB' });
    expect(evaluateVerification(below, { limit: 512 * MiB }, m(400 * MiB, 0, null), m(600 * MiB, 0, null)).goalMet).toBe(false);
    expect(evaluateVerification(below, {}, m(400 * MiB, 0, null), m(420 * MiB, 0, null))).toMatchObject({ goalMet: null, expected: 'container memory usage below parameter limit (not given)' });
  });

  it('without a goal (a runbook with no verify) reports the figures, the configured delay, no verdict; says when the container stopped', () => {
    const spec = verifySpecFor({ verify: null }, 60_000);
    expect(spec).toEqual({ afterMs: 60_000, metric: 'container-usage', expect: null });
    expect(describeGoal(spec, {})).toBeNull();
    const stopped = { ...m(300 * MiB, null, null), running: false };
    expect(evaluateVerification(spec, {}, m(400 * MiB, null, null), stopped)).toMatchObject({
      goalMet: null,
      summary: 'container memory usage 400 MiB → 300 MiB: the runbook declares no goal; the container is not running',
    });
  });
});
