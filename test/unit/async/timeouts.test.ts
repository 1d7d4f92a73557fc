// The two bounded waits: withTimeout gives up with the caller's error, within moves on with 'timeout'.
import { describe, expect, it } from 'vitest';
import { within, withTimeout } from '../../../src/async/timeouts.js';

const never = new Promise<never>(() => undefined);

describe('withTimeout', () => {
  it('passes the value through in time, and rejects with the caller’s error when late', async () => {
    await expect(withTimeout(Promise.resolve(7), 1_000, () => new Error('late'))).resolves.toBe(7);
    await expect(withTimeout(never, 10, () => new Error('host memory timed out after 10 ms'))).rejects.toThrow('host memory timed out after 10 ms');
  });

  it('passes a rejection through unchanged', async () => {
    await expect(withTimeout(Promise.reject(new Error('EACCES')), 1_000, () => new Error('late'))).rejects.toThrow('EACCES');
  });
});

describe('within', () => {
  it('gives the value in time and "timeout" when late, also for a negative budget', async () => {
    await expect(within(Promise.resolve('done'), 1_000)).resolves.toBe('done');
    await expect(within(never, 10)).resolves.toBe('timeout');
    await expect(within(never, -5)).resolves.toBe('timeout');
  });
});
