// The single-process metric tests again, on the in-process heap (MPMETRICS_HEAP=process): where no addon loads
// (macOS, Windows, musl, other CPUs) this is the heap users get, so it must pass the same tests. Files about heap
// files on disk are not listed, and tests that assert sharing between processes are left out by name: the
// in-process heap has neither (the default config runs them all).
import { defineTestConfig } from '@mpmetrics/vitest-config';

export default defineTestConfig({
  include: [
    'test/metrics-bad-input.test.ts',
    'test/metrics-consistency.test.ts',
    'test/metrics-counter.test.ts',
    'test/metrics-gauge.test.ts',
    'test/metrics-histogram.test.ts',
    'test/metrics-partial-labels.test.ts',
    'test/metrics-prom-client-parity.test.ts',
    'test/metrics-redeclaration.test.ts',
    'test/metrics-refusals.test.ts',
    'test/metrics-registry-reading.test.ts',
    'test/metrics-registry.test.ts',
    'test/metrics-remove.test.ts',
    'test/metrics-summary.test.ts',
    'test/summary-quantiles-pinned.test.ts',
    'test/summary-memory.test.ts',
    'test/exposition.test.ts',
    'test/exposition-writer.test.ts',
    'test/exposition-validators.test.ts',
    'test/info-enum.test.ts',
    'test/histogram-buckets.test.ts',
    'test/exemplars.test.ts',
    'test/in-process-heap.test.ts',
    'test/series-expiry.test.ts',
    'test/collect-scrape-paths.test.ts',
    'test/multiprocess-mode.test.ts',
    'test/default-metrics.test.ts',
    'test/native-buckets.test.ts',
    'test/native-histogram.test.ts',
    'test/exposition-protobuf.test.ts',
  ],
  testNamePattern: /^(?!.*(across processes|another process|another real process|two processes|4 processes|across a cluster))/,
  env: { MPMETRICS_HEAP: 'process' },
});
