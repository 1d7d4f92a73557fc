// Bounded waiting, in the two forms memwarden needs: a source or an executor that must give up
// (withTimeout rejects), and a shutdown step that gets what is left of the grace period and then
// moves on (within resolves 'timeout'). Timers are unref'd: a wait never keeps the process alive.

/** Rejects with `onTimeout()` when `promise` takes longer than `ms` (the promise keeps running). */
export async function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
    timer.unref();
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves with the promise's value, or 'timeout' after `ms` (the promise keeps running). */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), Math.max(0, ms));
    timer.unref();
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
