#!/usr/bin/env node
// The second half of `pnpm test`: the test files of the cross-process protocols again, with every process forced
// onto the Atomics memory-order path (MPMETRICS_MEMORY_ORDER=atomics, the path arm64 takes; see
// src/heap/memory-order.ts), so this x64 machine runs the arm64 path's code. Under the current Node only (about
// 90 s here) unless MPMETRICS_TEST_NODES says otherwise; extra arguments go to vitest.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const FILES = [
  'test/memory-order.test.ts',
  'test/metrics-counter.test.ts',
  'test/metrics-histogram.test.ts',
  'test/metrics-summary.test.ts',
  'test/summary-memory.test.ts',
  'test/summary-quantiles-pinned.test.ts',
  'test/summary-heap-full.test.ts',
  'test/summary-store-overflow.test.ts',
  'test/summary-read-as-is.test.ts',
  'test/metrics-gauge.test.ts',
  'test/exemplars.test.ts',
  'test/gauge-modes-multiprocess.test.ts',
  'test/multiprocess-totals.test.ts',
  'test/metrics-consistency.test.ts',
  'test/native-histogram.test.ts',
  'test/reset-racing-reads.test.ts',
  'test/series-expiry-processes.test.ts',
];

const runner = fileURLToPath(new URL('../../../tooling/vitest/run-on-all-nodes.mjs', import.meta.url));
console.log(`\n=== the same protocols on the Atomics memory-order path (MPMETRICS_MEMORY_ORDER=atomics) ===`);
const run = spawnSync(process.execPath, [runner, ...FILES, ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, MPMETRICS_MEMORY_ORDER: 'atomics', MPMETRICS_TEST_NODES: process.env.MPMETRICS_TEST_NODES ?? 'current' },
});
process.exit(run.status ?? 1);
