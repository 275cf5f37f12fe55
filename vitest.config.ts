import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Node (tsx, production) loads graphql's CommonJS build, the one Mercurius requires; Vite would pick the
  // ES build and give tests a second graphql whose instanceof checks fail on Mercurius' schema.
  resolve: { alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }] },
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    // Each test file migrates its own database (PGlite start-up is a few seconds). The timeouts catch hangs, not
    // slowness: the longest property tests take 43-48 s with both suites running at once on 2 cores.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
