import { defineConfig } from 'vitest/config';

// Integration tests start real Redis, nginx and Elasticsearch processes; on a 2-core machine
// two test files at a time keeps them from starving each other's timers.
export default defineConfig({
  test: {
    include: ['**/*.test.ts', '**/*.test.tsx'],
    exclude: ['node_modules/**', 'dist/**', 'var/**'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    teardownTimeout: 30_000,
    // A shared Elasticsearch, started only when a test asks for one (test/utils/elasticsearch.ts).
    globalSetup: ['test/utils/elasticsearch-global-setup.ts'],
  },
});
