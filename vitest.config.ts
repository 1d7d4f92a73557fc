import { defineConfig } from 'vitest/config';

// Two projects: `vitest run --project unit` (fast, no external services) and
// `vitest run --project integration` (brings up scripts/test-env.sh in its globalSetup).
// eslint-disable-next-line no-restricted-syntax -- vitest loads the config's default export
export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          // Not a speed target (those are in bench/): a guard against hangs. The unit tests run
          // beside the integration project (an image build among them), so a property test's
          // hundreds of runs may take several seconds on a busy 2-CPU machine.
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
