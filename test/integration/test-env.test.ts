// The integration environment itself: busybox container up, and a Celery task sent through the real
// Redis broker really makes a prefork child hold memory (and give it back).
import { expect, it } from 'vitest';
import {
  celeryCall,
  containerRss,
  describeWithEnv,
  docker,
  processRss,
  useTestEnv,
  waitForTaskResult,
  waitUntil,
} from './test-env.js';

const MIB_KIB = 1024;

describeWithEnv('integration test environment', () => {
  it('runs the busybox container', () => {
    const env = useTestEnv();
    const out = docker([
      'inspect',
      '-f',
      '{{.State.Running}} {{index .Config.Labels "com.memwarden.test"}} {{.HostConfig.NetworkMode}}',
      env.MW_TEST_BUSY_CONTAINER,
    ]);
    expect(out).toBe('true 1 host');
  });

  it('mwtest.hold(32) through the real broker keeps 32 MiB resident in a worker child', async () => {
    const env = useTestEnv();
    const container = env.MW_TEST_CELERY_CONTAINER;
    const before = containerRss(container);

    const holdId = celeryCall('mwtest.hold', [32]);
    const pid = await waitForTaskResult<number>(holdId, 60_000);
    expect(Number.isInteger(pid)).toBe(true);

    try {
      // Baseline: the child's RSS before the task (children are long-lived); if it is new, a sibling's.
      const siblings = [...before.entries()].filter(([p]) => p !== 1).map(([, kib]) => kib);
      const baseline = before.get(pid) ?? Math.min(...siblings);
      const grownTo = await waitUntil(
        `pid ${pid} in ${container} to grow by >= 30 MiB over ${baseline} KiB`,
        () => {
          const rss = processRss(container, pid);
          return rss !== undefined && rss - baseline >= 30 * MIB_KIB ? rss : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 250 },
      );
      expect(grownTo - baseline).toBeGreaterThanOrEqual(30 * MIB_KIB);
    } finally {
      await releaseChild(container, pid, env.MW_TEST_CELERY_NODE, env.MW_TEST_CELERY_APP);
    }

    // and the memory is given back
    await waitUntil(
      `pid ${pid} in ${container} to drop its 32 MiB`,
      () => {
        const rss = processRss(container, pid);
        if (rss === undefined) return 0; // the child was replaced by a pool restart
        return rss - (before.get(pid) ?? rss) < 8 * MIB_KIB ? rss : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
  });
});

/**
 * mwtest.release clears only the child that runs it, and the pool picks the child: send it until
 * the holding child takes one (bounded), else restart the pool (worker_pool_restarts=True).
 */
async function releaseChild(container: string, pid: number, node: string, app: string): Promise<void> {
  for (let attempt = 0; attempt < 12; attempt++) {
    const id = celeryCall('mwtest.release');
    const result = await waitForTaskResult<{ pid: number; freed_mib: number }>(id, 30_000);
    if (result.pid === pid) return;
  }
  docker(['exec', '-w', '/app', container, 'celery', '-A', app, 'control', 'pool_restart', '-d', node, '-t', '5']);
}
