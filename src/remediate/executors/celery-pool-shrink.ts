// celery.pool-shrink: lower a worker's pool to `concurrency` children, live. The number to stop is
// computed from the LIVE pool size (the master's children), never from inspect stats'
// max-concurrency, which keeps its start value after every shrink and grow.
//
// Celery stops idle children only: asked for more than are idle, it stops the idle ones and
// answers "Can't shrink pool. All processes busy!" (billiard Pool.shrink). That is reported as a
// partial result with the size reached, never as success.
import { poolResizeExecutor } from './celery-pool-resize.js';
import type { Executor } from './types.js';

export const celeryPoolShrinkExecutor: Executor = poolResizeExecutor({
  kind: 'celery.pool-shrink',
  verb: 'shrink',
  did: 'shrank',
  /** How long a shrink may take to show in the process list. */
  settleMs: 10_000,
  change: (size, target) => size - target,
  alreadyThere: (target) => `not more than ${target}`,
  settled: (size, target) => size <= target,
  reached: (size, target) => size === target,
  moved: (from, size) => size < from,
  explainError(message, { base, node, from, size, target, said, plan }) {
    if (!/busy/i.test(message)) return null;
    const shrank = size < from;
    const reached = shrank ? `shrank ${node}'s pool from ${from} to ${size} children, not ${target}` : `${node}'s pool is still ${size} children`;
    return {
      ...base,
      ok: false,
      status: shrank ? 'partial' : 'failed',
      summary: `${shrank ? 'partial' : 'failed'}: ${reached}: ${said}: the other children are running tasks. Run it again when they are idle.`,
      notes: shrank ? plan.notes : [],
    };
  },
});
