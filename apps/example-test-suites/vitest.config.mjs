// The ESM suite in vitest/, with vitest's defaults otherwise. With TEST_AGAINST=prom-client, the app's metric
// classes come from prom-client itself, which proves the suite is written as prom-client users write theirs.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { include: ['vitest/**/*.test.mjs'] },
  resolve: process.env.TEST_AGAINST === 'prom-client' ? { alias: { '@mpmetrics/core': 'prom-client' } } : {},
});
