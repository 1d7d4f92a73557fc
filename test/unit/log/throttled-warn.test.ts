// createThrottledWarn: a warning anyone can cause at will reaches warn at most once per interval.
import { describe, expect, it } from 'vitest';
import { createThrottledWarn } from '../../../src/log/throttled-warn.js';
import { captureLogger } from '../slack/bolt-test-kit.js';

describe('createThrottledWarn', () => {
  it('warns once, logs the rest at debug until the interval has passed, then warns with how many went to debug', () => {
    const { logger, lines } = captureLogger();
    let now = 1_000_000;
    const warn = createThrottledWarn(logger, { intervalMs: 60_000, clock: () => now });
    for (let i = 0; i < 4; i++) {
      warn({ reason: 'bad signature', n: i }, 'Slack HTTP request refused');
      now += 10_000;
    }
    now = 1_000_000 + 60_000;
    warn({ reason: 'bad signature', n: 4 }, 'Slack HTTP request refused');
    warn({ reason: 'bad signature', n: 5 }, 'Slack HTTP request refused');
    expect(lines.map((line) => [line.level, line.n, line.alsoAtDebugSinceLastWarning])).toEqual([
      [40, 0, undefined],
      [20, 1, undefined],
      [20, 2, undefined],
      [20, 3, undefined],
      [40, 4, 3],
      [20, 5, undefined],
    ]);
    expect(new Set(lines.map((line) => line.msg))).toEqual(new Set(['Slack HTTP request refused']));
  });
});
