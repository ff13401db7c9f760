// The server side of the every-type scenario (./every-type.ts), for the framework fixtures (plain JavaScript: they
// run under `node` directly). Declares one metric of every type, with fixed values, in the process that serves
// /metrics (a native histogram among them), plus gauges whose collect() sets 1, 2, 3… per scrape (sync and async) and one whose collect throws
// after SIGUSR2. Metrics with exemplars are in no registry (exemplars need an OpenMetrics registry; the default
// one writes text): /metrics serves them from the heap all the same.
import process from 'node:process';
import { Counter, Enum, Gauge, Histogram, Info, MULTIPROCESS_MODES, Summary } from '@mpmetrics/core';
import { Counter as PromCounter } from 'prom-client';

export function declareEveryType() {
  new Counter({ name: 'every_counter_total', help: 'A counter', labelNames: ['code'] }).inc({ code: 200 }, 3);
  for (const mode of MULTIPROCESS_MODES) new Gauge({ name: `every_gauge_${mode}`, help: `A gauge in mode ${mode}`, multiprocessMode: mode }).set(5);
  const histogram = new Histogram({ name: 'every_histogram_seconds', help: 'A histogram', buckets: [0.1, 1] });
  for (const v of [0.05, 0.5, 2]) histogram.observe(v);
  const native = new Histogram({ name: 'every_native_seconds', help: 'A native histogram', nativeHistogramBucketFactor: 1.1 });
  for (const v of [0.05, 0.5, 2]) native.observe(v);
  new Summary({ name: 'every_summary_bytes', help: 'A summary', percentiles: [0.5] }).observe(10);
  new Info({ name: 'every_build', help: 'An info' }).info({ version: '1.2.3' });
  new Enum({ name: 'every_phase', help: 'An enum', states: ['idle', 'running'] }).state('running');
  new Counter({ name: 'every_exemplar_total', help: 'A counter with exemplars', enableExemplars: true, registers: [] }).inc({
    value: 2,
    exemplarLabels: { trace_id: 't1' },
  });
  new Histogram({ name: 'every_exemplar_seconds', help: 'A histogram with exemplars', buckets: [1], enableExemplars: true, registers: [] }).observe({
    value: 0.5,
    exemplarLabels: { trace_id: 't2' },
  });
  new PromCounter({ name: 'every_theirs_total', help: 'prom-client’s own' }).inc(7);

  let scrapes = 0;
  new Gauge({
    name: 'every_collected',
    help: 'Set by collect()',
    collect() {
      this.set(++scrapes);
    },
  });
  let asyncScrapes = 0;
  new Gauge({
    name: 'every_collected_async',
    help: 'Set by an async collect()',
    async collect() {
      await new Promise((resolve) => setTimeout(resolve, 5));
      this.set(++asyncScrapes);
    },
  });
  let failNext = false;
  process.on('SIGUSR2', () => (failNext = true));
  new Gauge({
    name: 'every_failing',
    help: 'Its collect() throws once after SIGUSR2',
    collect() {
      if (!failNext) return;
      failNext = false;
      throw new Error('collect failed on purpose');
    },
  });
}

/** Prints the line startServer() waits for. */
export function announce(port) {
  process.stdout.write(`${JSON.stringify({ event: 'listening', port, pid: process.pid })}\n`);
}
