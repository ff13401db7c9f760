// Shared vitest settings. Multi-process tests fork real `node` processes, so files run one at a time
// (the machines have 2 cores) and time-outs are generous; speed is never asserted here (see `pnpm bench`).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/** @param {import('vitest/config').ViteUserConfig['test']} [overrides] */
export function defineTestConfig(overrides = {}) {
  return defineConfig({
    test: {
      include: ['test/**/*.test.ts'],
      globalSetup: [fileURLToPath(new URL('./global-setup.js', import.meta.url))],
      pool: 'forks',
      fileParallelism: false,
      testTimeout: 120_000,
      hookTimeout: 60_000,
      reporters: process.env.CI ? ['verbose'] : ['default'],
      ...overrides,
    },
  });
}
