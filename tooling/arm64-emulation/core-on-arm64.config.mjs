// Some of packages/core's multi-process tests, with the test worker on arm64 Node under qemu (arm64-pool.mjs): the
// test file, its fixtures and their children are all arm64 processes on one heap. The files were chosen to fit the
// emulation's speed within the tests' own time limits (see README.md here).
import { fileURLToPath } from 'node:url';
import { defineTestConfig } from '@mpmetrics/vitest-config';
import { foreignNodePool } from './arm64-pool.mjs';
import { arm64Binaries } from './arm64-binaries.mjs';

const core = fileURLToPath(new URL('../../packages/core/', import.meta.url));
const [node] = Object.values(arm64Binaries());

export default defineTestConfig({
  root: core,
  // seconds each under qemu on a 2-core machine that others were loading too (load average 14): 23, 45, 41, 62
  include: ['test/v8-memory-behaviour.test.ts', 'test/multiprocess-totals.test.ts', 'test/kill-safety.test.ts', 'test/metrics-consistency.test.ts'],
  pool: foreignNodePool('forks-arm64', node),
  setupFiles: [fileURLToPath(new URL('./assert-arm64.mjs', import.meta.url))],
  // core's build/Release is this machine's x64 build: name the arm64 prebuild, so no process warns that it passed
  // over build/Release (the loader's own choice is checked by test/installed-count.test.ts)
  env: { MPMETRICS_NATIVE_PATH: `${core}prebuilds/linux-arm64/mpmetrics.glibc.node` },
});
