// Samples this process's runtime stats into the runtime families, under its own pid: the sources prom-client's
// default metrics read (process.cpuUsage, /proc/self, process.memoryUsage, v8.getHeapSpaceStatistics,
// monitorEventLoopDelay, getActiveResourcesInfo, and a PerformanceObserver for GC), read by the process they
// describe, since no other process can read them.
import { monitorEventLoopDelay, PerformanceObserver, constants as perfConstants, type IntervalHistogram } from 'node:perf_hooks';
import v8 from 'node:v8';
import type { Gauge, GaugeChild } from '../metrics/gauge.js';
import type { HistogramChild } from '../metrics/histogram.js';
import type { CounterChild } from '../metrics/counter.js';
import { kForgetOwnValue } from '../symbols.js';
import type { CheckedDefaultMetricsConfiguration } from './default-metrics-options.js';
import { maxFileDescriptors, openFileDescriptors, processMemory } from './proc-files.js';
import type { RuntimeMetrics } from './runtime-metrics.js';

const GC_KINDS: Record<number, string> = {
  [perfConstants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [perfConstants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [perfConstants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [perfConstants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

const VERSION_PARTS = process.version.slice(1).split('.');

/** CPU time counted so far by this process (all samplers of this thread share it: never counted twice). */
let countedCpu = { user: 0, system: 0 };

type Labels = Record<string, string>;

/** Counts handles or requests by their constructor's name, as prom-client does. */
function countByConstructor(list: readonly unknown[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of list) {
    const name = (item as { constructor?: { name?: unknown } } | null)?.constructor?.name;
    if (typeof name === 'string') counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}

function countStrings(list: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of list) counts.set(item, (counts.get(item) ?? 0) + 1);
  return counts;
}

const internals = process as unknown as { _getActiveHandles?: () => unknown[]; _getActiveRequests?: () => unknown[] };

export class RuntimeSampler {
  readonly #metrics: RuntimeMetrics;
  /** The user's labels plus this process's pid (for counters and the histogram; gauges add pid themselves). */
  readonly #withPid: Labels;
  readonly #labels: Labels;
  readonly #eventLoop: IntervalHistogram;
  readonly #gcObserver: PerformanceObserver;
  readonly #gcChildren = new Map<string, HistogramChild>();
  readonly #cpu: { user: CounterChild; system: CounterChild; total: CounterChild };
  readonly #startTime = Math.round(Date.now() / 1000 - process.uptime());
  readonly #maxFds = maxFileDescriptors();
  /** Type label values this process set last time, per grouped gauge: a type that is gone loses its sample. */
  readonly #shownTypes = new Map<Gauge, Map<string, GaugeChild>>();
  #stopped = false;

  constructor(config: CheckedDefaultMetricsConfiguration, metrics: RuntimeMetrics) {
    this.#metrics = metrics;
    this.#labels = Object.fromEntries(config.labelNames.map((name, i) => [name, config.labelValues[i]!]));
    this.#withPid = { ...this.#labels, pid: String(process.pid) };
    this.#cpu = {
      user: metrics.cpuUser.labels(this.#withPid),
      system: metrics.cpuSystem.labels(this.#withPid),
      total: metrics.cpuTotal.labels(this.#withPid),
    };
    this.#eventLoop = monitorEventLoopDelay({ resolution: config.eventLoopMonitoringPrecision });
    this.#eventLoop.enable();
    this.#gcObserver = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const kind = GC_KINDS[((entry as { detail?: unknown }).detail as { kind?: number } | undefined)?.kind ?? -1];
        if (kind === undefined) continue;
        let child = this.#gcChildren.get(kind);
        if (child === undefined) this.#gcChildren.set(kind, (child = metrics.gcDuration.labels({ kind, ...this.#withPid })));
        child.observe(entry.duration / 1000);
      }
    });
    this.#gcObserver.observe({ entryTypes: ['gc'] });
  }

  /** Writes this process's stats now. */
  sample(): void {
    const m = this.#metrics;
    const labels = this.#labels;

    // CPU: counted from the process's start, so a counter never misses what ran before the first sample
    const cpu = process.cpuUsage();
    const user = (cpu.user - countedCpu.user) / 1e6;
    const system = (cpu.system - countedCpu.system) / 1e6;
    if (user >= 0 && system >= 0) {
      this.#cpu.user.inc(user);
      this.#cpu.system.inc(system);
      this.#cpu.total.inc(user + system);
      countedCpu = cpu;
    }

    m.startTime.set(labels, this.#startTime);
    const memory = processMemory();
    if (memory !== undefined) {
      m.residentMemory.set(labels, memory.resident);
      m.virtualMemory.set(labels, memory.virtual);
      m.heapMemory.set(labels, memory.heap);
    }
    const fds = openFileDescriptors();
    if (fds !== undefined) m.openFds.set(labels, fds);
    if (this.#maxFds !== undefined) m.maxFds.set(labels, this.#maxFds);

    // event loop: the delay of one turn, measured from now (set when it fires, as prom-client does), and the
    // monitor's statistics since the last sample
    const start = process.hrtime.bigint();
    setImmediate(() => {
      if (this.#stopped) return;
      try {
        m.lag.set(labels, Number(process.hrtime.bigint() - start) / 1e9);
      } catch {
        // the heap was closed meanwhile: nothing to record into
      }
    }).unref();
    // no delay recorded since the last sample (the monitor had no turn yet): keep the last figures
    const loop = this.#eventLoop;
    if (loop.count > 0) {
      m.lagMin.set(labels, loop.min / 1e9);
      m.lagMax.set(labels, loop.max / 1e9);
      m.lagMean.set(labels, loop.mean / 1e9);
      m.lagStddev.set(labels, loop.stddev / 1e9);
      m.lagP50.set(labels, loop.percentile(50) / 1e9);
      m.lagP90.set(labels, loop.percentile(90) / 1e9);
      m.lagP99.set(labels, loop.percentile(99) / 1e9);
      loop.reset();
    }

    if (typeof process.getActiveResourcesInfo === 'function') {
      const resources = process.getActiveResourcesInfo();
      this.#setByType(m.activeResources, countStrings(resources));
      m.activeResourcesTotal.set(labels, resources.length);
    }
    if (typeof internals._getActiveHandles === 'function') {
      const handles = internals._getActiveHandles();
      this.#setByType(m.activeHandles, countByConstructor(handles));
      m.activeHandlesTotal.set(labels, handles.length);
    }
    if (typeof internals._getActiveRequests === 'function') {
      const requests = internals._getActiveRequests();
      this.#setByType(m.activeRequests, countByConstructor(requests));
      m.activeRequestsTotal.set(labels, requests.length);
    }

    const usage = process.memoryUsage();
    m.heapSizeTotal.set(labels, usage.heapTotal);
    m.heapSizeUsed.set(labels, usage.heapUsed);
    m.externalMemory.set(labels, usage.external);
    for (const space of v8.getHeapSpaceStatistics()) {
      const name = space.space_name.slice(0, space.space_name.indexOf('_space'));
      m.heapSpaceTotal.set({ space: name, ...labels }, space.space_size);
      m.heapSpaceUsed.set({ space: name, ...labels }, space.space_used_size);
      m.heapSpaceAvailable.set({ space: name, ...labels }, space.space_available_size);
    }
    m.versionInfo.set({ version: process.version, major: VERSION_PARTS[0]!, minor: VERSION_PARTS[1]!, patch: VERSION_PARTS[2]!, ...labels }, 1);
  }

  /** Sets a count per type; a type this process showed before and has no more loses its sample (not 0). */
  #setByType(gauge: Gauge, counts: Map<string, number>): void {
    let shown = this.#shownTypes.get(gauge);
    if (shown === undefined) this.#shownTypes.set(gauge, (shown = new Map()));
    for (const [type, child] of shown) {
      if (!counts.has(type)) {
        child[kForgetOwnValue]();
        shown.delete(type);
      }
    }
    for (const [type, count] of counts) {
      let child = shown.get(type);
      if (child === undefined) shown.set(type, (child = gauge.labels({ type, ...this.#labels })));
      child.set(count);
    }
  }

  stop(): void {
    this.#stopped = true;
    this.#gcObserver.disconnect();
    this.#eventLoop.disable();
  }
}
