// Did the remediation do what its runbook promised? Pure: the figures measured just before the run
// and again `verify.after` later (measure-target.ts measures both the same way), the runbook's
// `verify` (metric and expectation) and the run's parameters in; the verdict out. A figure that
// could not be measured gives no verdict (null), never a guess.
import { formatBytes } from '../format/units.js';
import type { ParamValues } from './runbook-params.js';
import type { Runbook, VerifyExpectation, VerifyMetric } from './runbook-schema.js';

/** One measurement of the target: the same three figures before and after. */
export interface Measurement {
  /** Epoch ms. */
  at: number;
  /** null when the container could not be inspected. */
  running: boolean | null;
  /** docker stats' MEM USAGE (usage minus inactive file cache). */
  containerUsageBytes: number | null;
  /** The worker's process group: PSS summed over master and children (never RSS). */
  groupPssBytes: number | null;
  /** Live pool children of the Celery master (null: no single Celery worker in the container). */
  poolSize: number | null;
}

export interface VerifySpec {
  afterMs: number;
  metric: VerifyMetric;
  /** null: the runbook declares no goal, the figures are reported without a verdict. */
  expect: VerifyExpectation | null;
}

export interface Verification {
  metric: VerifyMetric;
  /** The goal in words (describeGoal), or null without one. */
  expected: string | null;
  /** The metric before and after (bytes, or children for pool-size). */
  before: number | null;
  after: number | null;
  /** null: no goal, or the metric was not measured. */
  goalMet: boolean | null;
  beforeMeasurement: Measurement;
  afterMeasurement: Measurement;
  /** One line for people. */
  summary: string;
}

export const METRIC_LABEL: Record<VerifyMetric, string> = {
  'container-usage': 'container memory usage',
  'group-pss': 'process group PSS',
  'pool-size': 'pool size',
};

/** What to verify and when: the runbook's `verify`, or container usage after the configured default and no goal. */
export function verifySpecFor(runbook: Pick<Runbook, 'verify'>, defaultAfterMs: number): VerifySpec {
  if (runbook.verify) return { afterMs: runbook.verify.afterMs, metric: runbook.verify.metric, expect: runbook.verify.expect };
  return { afterMs: defaultAfterMs, metric: 'container-usage', expect: null };
}

export function metricValue(metric: VerifyMetric, m: Measurement): number | null {
  switch (metric) {
    case 'container-usage':
      return m.containerUsageBytes;
    case 'group-pss':
      return m.groupPssBytes;
    case 'pool-size':
      return m.poolSize;
  }
}

/** A metric's value as people read it: bytes formatted, a pool size as children. */
export function formatMetric(metric: VerifyMetric, value: number | null): string {
  if (value === null) return 'not measured';
  return metric === 'pool-size' ? `${value} ${value === 1 ? 'child' : 'children'}` : formatBytes(value);
}

/** The goal in words, or null when the runbook declares none. */
export function describeGoal(spec: Pick<VerifySpec, 'metric' | 'expect'>, params: Readonly<ParamValues>): string | null {
  const expect = spec.expect;
  if (expect === null) return null;
  if (expect.type === 'decrease') return `${METRIC_LABEL[spec.metric]} decreases`;
  const target = goalParam(expect, params);
  if (target === null) return `${METRIC_LABEL[spec.metric]} ${expect.type === 'below-param' ? 'below' : 'equal to'} parameter ${expect.param} (not given)`;
  if (expect.type === 'pool-size-equals-param') return `${METRIC_LABEL[spec.metric]} of ${formatMetric('pool-size', target)}`;
  return `${METRIC_LABEL[spec.metric]} below ${formatMetric(spec.metric, target)}`;
}

function goalParam(expect: Exclude<VerifyExpectation, { type: 'decrease' }>, params: Readonly<ParamValues>): number | null {
  const raw = params[expect.param];
  return typeof raw === 'number' && Number.isFinite(raw) ? raw : null;
}

export function evaluateVerification(spec: VerifySpec, params: Readonly<ParamValues>, before: Measurement, after: Measurement): Verification {
  const { metric } = spec;
  const b = metricValue(metric, before);
  const a = metricValue(metric, after);
  const label = METRIC_LABEL[metric];
  const expected = describeGoal(spec, params);
  let goalMet: boolean | null = null;
  const expect = spec.expect;
  if (expect !== null) {
    if (expect.type === 'decrease') {
      goalMet = a === null || b === null ? null : a < b;
    } else {
      const target = goalParam(expect, params);
      if (target !== null && a !== null) goalMet = expect.type === 'pool-size-equals-param' ? a === target : a < target;
    }
  }
  const change = `${label} ${formatMetric(metric, b)} → ${formatMetric(metric, a)}`;
  const verdict =
    expected === null
      ? 'the runbook declares no goal'
      : goalMet === null
        ? `goal (${expected}) not verifiable: ${a === null ? 'the figure could not be measured' : 'no parameter to compare with'}`
        : goalMet
          ? `goal met (${expected})`
          : `goal NOT met (expected: ${expected})`;
  const stopped = after.running === false ? '; the container is not running' : '';
  return { metric, expected, before: b, after: a, goalMet, beforeMeasurement: before, afterMeasurement: after, summary: `${change}: ${verdict}${stopped}` };
}
