// A warning that anyone can cause at will (a request with a bad signature to a public endpoint)
// must not flood the log or bury the warnings that matter: the first one goes out at warn, then
// at most one per interval, saying how many were logged at debug since; the rest at debug.
import type { Logger } from './logger.js';

export type ThrottledWarn = (fields: Record<string, unknown>, message: string) => void;

export interface ThrottledWarnOptions {
  intervalMs: number;
  /** Epoch milliseconds; a fake in tests. */
  clock?: () => number;
}

export function createThrottledWarn(logger: Pick<Logger, 'warn' | 'debug'>, options: ThrottledWarnOptions): ThrottledWarn {
  const clock = options.clock ?? Date.now;
  let quietUntil = -Infinity;
  let atDebugSince = 0;
  return (fields, message) => {
    const now = clock();
    if (now < quietUntil) {
      atDebugSince++;
      logger.debug(fields, message);
      return;
    }
    logger.warn({ ...fields, ...(atDebugSince > 0 ? { alsoAtDebugSinceLastWarning: atDebugSince } : {}) }, message);
    atDebugSince = 0;
    quietUntil = now + options.intervalMs;
  };
}
