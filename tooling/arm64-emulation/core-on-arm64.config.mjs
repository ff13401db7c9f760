// Some of packages/core's multi-process tests, with the test worker on arm64 Node under qemu (arm64-pool.mjs): the
// test file, its fixtures and their children are all arm64 processes on one heap.
import { fileURLToPath } from 'node:url';
import { defineTestConfig } from '@mpmetrics/vitest-config';
import { foreignNodePool } from './arm64-pool.mjs';
import { arm64Binaries } from './arm64-binaries.mjs';

const core = fileURLToPath(new URL('../../packages/core/', import.meta.url));
const [[, node] = []] = arm64Binaries();
if (node === undefined) throw new Error('MPMETRICS_ARM64_BINARIES names no arm64 Node: set MPMETRICS_ARM64_NODES to at least one major');

export default defineTestConfig({
  root: core,
  // README.md here says how long each takes under qemu, and why the other multi-process files are not run
  include: ['test/v8-memory-behaviour.test.ts', 'test/multiprocess-totals.test.ts'],
  // an arm64 Node takes seconds to start under qemu: the tests' waits on children stretch (test/support/time-limits.ts)
  testTimeout: 600_000,
  hookTimeout: 240_000,
  pool: foreignNodePool('forks-arm64', node),
  setupFiles: [fileURLToPath(new URL('./assert-arm64.mjs', import.meta.url))],
  // core's build/Release is this machine's x64 build: name the arm64 prebuild, so no process warns that it passed
  // over build/Release (the loader's own choice is checked by test/installed-count.test.ts)
  env: { MPMETRICS_NATIVE_PATH: `${core}prebuilds/linux-arm64/mpmetrics.glibc.node`, MPMETRICS_TEST_TIME_SCALE: '4' },
});
