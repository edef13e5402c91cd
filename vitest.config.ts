import { defineConfig } from 'vitest/config';

/** Files of the integration lane: they start servers, processes, threads or listeners. */
const INTEGRATION = ['**/*.int.test.ts', '**/*.int.test.tsx'];
const EXCLUDE = ['node_modules/**', 'dist/**', 'var/**'];

// Two lanes, chosen by file name: `vitest run --project unit` (npm run test:unit) and
// `--project integration` (npm run test:integration).
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 180_000,
    teardownTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['**/*.test.ts', '**/*.test.tsx'],
          exclude: [...EXCLUDE, ...INTEGRATION],
          // Processes, not threads, as in production: a worker thread's larger stack (4 MB) lets
          // recursion succeed that a process's main thread refuses (deep-nesting tests).
          pool: 'forks',
          maxWorkers: '100%',
          // One module cache per worker process across files: pure tests share no state (no
          // mocks, no env or global writes), and importing the code once per process instead of
          // once per file halves the lane (about 7 s instead of 15 s on 2 cores).
          isolate: false,
          // Colour on for every file alike: chalk reads it once per process, when first imported.
          env: { FORCE_COLOR: '3' },
          // Fails a unit test that starts a process, thread or listener (see the file).
          setupFiles: ['test/utils/unit-lane-guard.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: INTEGRATION,
          exclude: EXCLUDE,
          // Integration tests start real Redis, nginx and Elasticsearch processes; on a 2-core
          // machine two test files at a time keeps them from starving each other's timers.
          pool: 'forks',
          maxWorkers: 2,
          // A shared Elasticsearch, started only when a test asks for one (test/utils/elasticsearch.ts).
          globalSetup: ['test/utils/elasticsearch-global-setup.ts'],
        },
      },
    ],
  },
});
