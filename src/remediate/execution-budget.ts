// One deadline and one AbortSignal for everything an approved remediation does: reading the target,
// measuring before, the action, measuring after. The runbook's `timeout` is the whole execution
// end to end, so the clock starts at the last approval, before Docker is first asked.
//
// When the deadline passes the signal aborts: every step checks it before it starts and Docker
// calls carry it, so nothing starts afterwards. What was already sent to the target is recorded
// (markSent) before it is sent, so a result cut short can say what may have taken effect instead
// of guessing.

export class DeadlineExceeded extends Error {
  readonly code = 'deadline_exceeded';
  constructor(readonly ms: number) {
    super(`the runbook's timeout of ${ms / 1000}s passed`);
    this.name = 'DeadlineExceeded';
  }
}

/** Why an execution was cut short other than by its deadline: memwarden is stopping. */
export class ShutdownAbort extends Error {
  readonly code = 'shutdown';
  constructor() {
    super('memwarden is shutting down');
    this.name = 'ShutdownAbort';
  }
}

export interface ExecutionBudget {
  readonly signal: AbortSignal;
  /** Epoch ms by which everything must be done. */
  readonly deadline: number;
  readonly timeoutMs: number;
  /** The action in words, recorded just before it is sent; null while nothing was sent. */
  readonly sent: string | null;
  markSent(action: string): void;
}

export interface RunningBudget {
  budget: ExecutionBudget;
  /** Aborts now (shutdown); the deadline's own abort carries DeadlineExceeded. */
  abort(reason: Error): void;
  /** Clears the timer; call when the execution is over. */
  dispose(): void;
}

/** A budget of `timeoutMs` from now. The timer is unref'd: it never keeps the process alive. */
export function startBudget(timeoutMs: number, clock: () => number): RunningBudget {
  const controller = new AbortController();
  const deadline = clock() + timeoutMs;
  const timer = setTimeout(() => controller.abort(new DeadlineExceeded(timeoutMs)), timeoutMs);
  timer.unref();
  let sent: string | null = null;
  const budget: ExecutionBudget = {
    signal: controller.signal,
    deadline,
    timeoutMs,
    get sent() {
      return sent;
    },
    markSent(action) {
      // The check and the record happen in one synchronous step: the timer cannot fire between them.
      controller.signal.throwIfAborted();
      sent = action;
    },
  };
  return {
    budget,
    abort(reason) {
      if (!controller.signal.aborted) controller.abort(reason);
    },
    dispose() {
      clearTimeout(timer);
    },
  };
}

/** The reason the budget's signal aborted with, as an Error (DeadlineExceeded or ShutdownAbort). */
export function abortReason(budget: ExecutionBudget): Error | null {
  if (!budget.signal.aborted) return null;
  const reason: unknown = budget.signal.reason;
  return reason instanceof Error ? reason : new Error(String(reason));
}

/**
 * What a cut-short execution can truthfully say: nothing was started, or what may have taken
 * effect. `why` is the reason in words ("timed out after 60s", "memwarden stopped").
 */
export function cutShortSummary(budget: ExecutionBudget, why: string): string {
  return budget.sent === null
    ? `${why} before anything was sent to the target: nothing was run`
    : `${why}: may have taken effect: ${budget.sent} — verify before retrying`;
}
