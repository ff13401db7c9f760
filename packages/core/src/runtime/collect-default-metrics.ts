// collectDefaultMetrics(): prom-client's default metrics (CPU, memory, event-loop lag, heap, GC, handles) for
// every process, in the shared heap with a `pid` label, so that one scrape of any process shows every process.
//
// Each process can only read its own stats, so each samples itself: at once, on an unref'd timer, and right
// before it exports (each family's `collect`, which every scrape path runs). Only the
// main thread of a process samples (CPU, memory and handles are process-wide: a worker thread sampling too would
// count them twice); in a worker thread the call only declares the families, so that thread can export them.
import { setImmediate } from 'node:timers';
import { isMainThread } from 'node:worker_threads';
import { MpmetricsError } from '../errors.js';
import { checkDefaultMetricsOptions, type DefaultMetricsCollectorConfiguration } from './default-metrics-options.js';
import { declareRuntimeMetrics, runtimeMetricNames } from './runtime-metrics.js';
import { RuntimeSampler } from './runtime-sampler.js';

export interface DefaultMetricsCollector {
  /** Samples this process's stats now (a no-op in a worker thread). */
  sample(): void;
  /** Stops sampling and unregisters the families from the registry. Values already in the heap stay. */
  stop(): void;
}

let running: DefaultMetricsCollector | undefined;

/**
 * Records prom-client's default metrics for this process into the shared heap, with a `pid` label, and registers
 * the families in `options.register` (default: prom-client's global registry). Call it in every process (the
 * cluster primary too, if it should appear): the scrape of any one shows them all. Gauges (memory, lag, handles)
 * leave the scrape when their process exits; CPU counters and GC histograms stay, so totals never drop.
 */
export function collectDefaultMetrics(options?: DefaultMetricsCollectorConfiguration): DefaultMetricsCollector {
  const config = checkDefaultMetricsOptions(options);
  if (running !== undefined) {
    throw new MpmetricsError(
      'MPM_ERR_ALREADY_COLLECTING',
      'collectDefaultMetrics() is already running in this thread: call stop() on the collector it returned before calling it again',
    );
  }
  let sampler: RuntimeSampler | undefined;
  let sampledThisTurn = false;
  // Every family's collect asks for a sample before it is read; one scrape reads them all in one turn of the
  // event loop, so one sample serves them all.
  const sampleBeforeExport = (): void => {
    if (sampler === undefined || sampledThisTurn) return;
    sampledThisTurn = true;
    setImmediate(() => (sampledThisTurn = false)).unref();
    sampler.sample();
  };
  const metrics = declareRuntimeMetrics(config, sampleBeforeExport);
  let timer: NodeJS.Timeout | undefined;
  if (isMainThread) {
    sampler = new RuntimeSampler(config, metrics);
    sampler.sample();
    let warned = false;
    timer = setInterval(() => {
      try {
        sampler?.sample();
      } catch (error) {
        // a timer must not crash the application (a full heap, say): say it once, and keep trying
        if (!warned) process.emitWarning(error as Error);
        warned = true;
      }
    }, config.sampleIntervalMs).unref();
  }
  const collector: DefaultMetricsCollector = {
    sample: () => sampler?.sample(),
    stop() {
      if (running !== collector) return;
      running = undefined;
      clearInterval(timer);
      sampler?.stop();
      sampler = undefined;
      for (const name of runtimeMetricNames(metrics)) config.register.removeSingleMetric(name);
    },
  };
  running = collector;
  return collector;
}
