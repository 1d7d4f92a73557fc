// celery.pool-grow: raise a worker's pool to `concurrency` children, live (the undo of a shrink).
// pool_grow only raises the pool's target; billiard's maintenance starts the children a moment
// later, so the result waits (bounded) until they show in the process list.
import { poolResizeExecutor } from './celery-pool-resize.js';
import type { Executor } from './types.js';

export const celeryPoolGrowExecutor: Executor = poolResizeExecutor({
  kind: 'celery.pool-grow',
  verb: 'grow',
  did: 'grew',
  /** Measured here: the new children show 1 to 5 s after "pool will grow". */
  settleMs: 20_000,
  change: (size, target) => target - size,
  alreadyThere: (target) => `at least ${target}`,
  settled: (size, target) => size >= target,
  reached: (size, target) => size >= target,
  moved: (from, size) => size > from,
});
