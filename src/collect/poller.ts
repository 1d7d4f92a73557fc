// Runs a poll every `intervalMs`, never two at once: the next poll is scheduled only when the
// previous one has finished, so a slow Docker daemon cannot pile up work.
import type { Logger } from '../log/logger.js';
import type { Snapshot } from '../model/snapshot.js';

export interface PollerOptions {
  intervalMs: number;
  collect: () => Promise<Snapshot>;
  /** Called with every snapshot; its errors are logged and do not stop polling. */
  onSnapshot: (snapshot: Snapshot, log: Logger) => Promise<void> | void;
  /** Called when a poll threw (after it is logged), e.g. to count it. */
  onFailure?: () => void;
  logger: Logger;
}

export interface Poller {
  /** Resolves when the poll in flight (if any) has finished; no poll starts afterwards. */
  stop(): Promise<void>;
  /** Time of the last successful poll, for /healthz. */
  lastSuccessAt(): Date | null;
  pollCount(): number;
}

export function startPoller(options: PollerOptions): Poller {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | null = null;
  let lastSuccess: Date | null = null;
  let count = 0;

  const tick = async () => {
    count += 1;
    const log = options.logger.child({ poll: count });
    try {
      const snapshot = await options.collect();
      await options.onSnapshot(snapshot, log);
      lastSuccess = new Date();
      log.debug({ durationMs: snapshot.durationMs, containers: snapshot.containers.length, errors: snapshot.errors.length }, 'Poll finished');
    } catch (err) {
      log.error({ err }, 'Poll failed');
      options.onFailure?.();
    }
  };

  const schedule = (delay: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      inFlight = tick().finally(() => {
        inFlight = null;
        schedule(options.intervalMs);
      });
    }, delay);
  };
  schedule(0);

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      if (inFlight) await inFlight;
    },
    lastSuccessAt: () => lastSuccess,
    pollCount: () => count,
  };
}
