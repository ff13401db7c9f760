// The families of the runtime metrics, with prom-client's default metrics' names, help texts and labels, plus a
// `pid` label: every process writes its own series, so one scrape of any process shows every process.
//
// Gauges use multiprocessMode 'liveall': the memory, handles or event-loop lag of a process that has exited mean
// nothing any more (prom-client's cluster mode drops them too), so they leave the scrape with the process.
// Counters (CPU seconds) and the GC histogram carry an explicit `pid` label and are kept after the process exits:
// their sums over pids are cumulative totals, which must never drop.
import type { Registry } from 'prom-client';
import type { Heap } from '../heap/heap.js';
import { Counter } from '../metrics/counter.js';
import { Gauge } from '../metrics/gauge.js';
import { Histogram } from '../metrics/histogram.js';
import { PID_LABEL } from '../metrics/multiprocess-mode.js';
import type { CheckedDefaultMetricsConfiguration } from './default-metrics-options.js';

export interface RuntimeMetrics {
  readonly cpuUser: Counter;
  readonly cpuSystem: Counter;
  readonly cpuTotal: Counter;
  readonly startTime: Gauge;
  readonly residentMemory: Gauge;
  readonly virtualMemory: Gauge;
  readonly heapMemory: Gauge;
  readonly openFds: Gauge;
  readonly maxFds: Gauge;
  readonly lag: Gauge;
  readonly lagMin: Gauge;
  readonly lagMax: Gauge;
  readonly lagMean: Gauge;
  readonly lagStddev: Gauge;
  readonly lagP50: Gauge;
  readonly lagP90: Gauge;
  readonly lagP99: Gauge;
  readonly activeResources: Gauge;
  readonly activeResourcesTotal: Gauge;
  readonly activeHandles: Gauge;
  readonly activeHandlesTotal: Gauge;
  readonly activeRequests: Gauge;
  readonly activeRequestsTotal: Gauge;
  readonly heapSizeTotal: Gauge;
  readonly heapSizeUsed: Gauge;
  readonly externalMemory: Gauge;
  readonly heapSpaceTotal: Gauge;
  readonly heapSpaceUsed: Gauge;
  readonly heapSpaceAvailable: Gauge;
  readonly versionInfo: Gauge;
  readonly gcDuration: Histogram;
}

/** Declares every runtime family (in the heap and in `config.register`); `collect` runs before each is read. */
export function declareRuntimeMetrics(config: CheckedDefaultMetricsConfiguration, collect: () => void): RuntimeMetrics {
  const { prefix, labelNames } = config;
  // One label set per process started (pid), for as long as the heap lives: a sampler on a timer must never
  // throw for a cardinality limit, so these metrics have none.
  const common: { registers: Registry[]; collect: () => void; heap?: Heap; maxSeries: number } = { registers: [config.register], collect, maxSeries: Infinity };
  if (config.heap !== undefined) common.heap = config.heap;
  const gauge = (name: string, help: string, own: string[] = []): Gauge =>
    new Gauge({ name: prefix + name, help, labelNames: [...own, ...labelNames], multiprocessMode: 'liveall', ...common });
  const counter = (name: string, help: string): Counter => new Counter({ name: prefix + name, help, labelNames: [...labelNames, PID_LABEL], ...common });
  return {
    cpuUser: counter('process_cpu_user_seconds_total', 'Total user CPU time spent in seconds.'),
    cpuSystem: counter('process_cpu_system_seconds_total', 'Total system CPU time spent in seconds.'),
    cpuTotal: counter('process_cpu_seconds_total', 'Total user and system CPU time spent in seconds.'),
    startTime: gauge('process_start_time_seconds', 'Start time of the process since unix epoch in seconds.'),
    residentMemory: gauge('process_resident_memory_bytes', 'Resident memory size in bytes.'),
    virtualMemory: gauge('process_virtual_memory_bytes', 'Virtual memory size in bytes.'),
    heapMemory: gauge('process_heap_bytes', 'Process heap size in bytes.'),
    openFds: gauge('process_open_fds', 'Number of open file descriptors.'),
    maxFds: gauge('process_max_fds', 'Maximum number of open file descriptors.'),
    lag: gauge('nodejs_eventloop_lag_seconds', 'Lag of event loop in seconds.'),
    lagMin: gauge('nodejs_eventloop_lag_min_seconds', 'The minimum recorded event loop delay.'),
    lagMax: gauge('nodejs_eventloop_lag_max_seconds', 'The maximum recorded event loop delay.'),
    lagMean: gauge('nodejs_eventloop_lag_mean_seconds', 'The mean of the recorded event loop delays.'),
    lagStddev: gauge('nodejs_eventloop_lag_stddev_seconds', 'The standard deviation of the recorded event loop delays.'),
    lagP50: gauge('nodejs_eventloop_lag_p50_seconds', 'The 50th percentile of the recorded event loop delays.'),
    lagP90: gauge('nodejs_eventloop_lag_p90_seconds', 'The 90th percentile of the recorded event loop delays.'),
    lagP99: gauge('nodejs_eventloop_lag_p99_seconds', 'The 99th percentile of the recorded event loop delays.'),
    activeResources: gauge(
      'nodejs_active_resources',
      'Number of active resources that are currently keeping the event loop alive, grouped by async resource type.',
      ['type'],
    ),
    activeResourcesTotal: gauge('nodejs_active_resources_total', 'Total number of active resources.'),
    activeHandles: gauge('nodejs_active_handles', 'Number of active libuv handles grouped by handle type. Every handle type is C++ class name.', ['type']),
    activeHandlesTotal: gauge('nodejs_active_handles_total', 'Total number of active handles.'),
    activeRequests: gauge('nodejs_active_requests', 'Number of active libuv requests grouped by request type. Every request type is C++ class name.', [
      'type',
    ]),
    activeRequestsTotal: gauge('nodejs_active_requests_total', 'Total number of active requests.'),
    heapSizeTotal: gauge('nodejs_heap_size_total_bytes', 'Process heap size from Node.js in bytes.'),
    heapSizeUsed: gauge('nodejs_heap_size_used_bytes', 'Process heap size used from Node.js in bytes.'),
    externalMemory: gauge('nodejs_external_memory_bytes', 'Node.js external memory size in bytes.'),
    heapSpaceTotal: gauge('nodejs_heap_space_size_total_bytes', 'Process heap space size total from Node.js in bytes.', ['space']),
    heapSpaceUsed: gauge('nodejs_heap_space_size_used_bytes', 'Process heap space size used from Node.js in bytes.', ['space']),
    heapSpaceAvailable: gauge('nodejs_heap_space_size_available_bytes', 'Process heap space size available from Node.js in bytes.', ['space']),
    versionInfo: gauge('nodejs_version_info', 'Node.js version info.', ['version', 'major', 'minor', 'patch']),
    gcDuration: new Histogram({
      name: `${prefix}nodejs_gc_duration_seconds`,
      help: 'Garbage collection duration by kind, one of major, minor, incremental or weakcb.',
      labelNames: ['kind', ...labelNames, PID_LABEL],
      buckets: [...config.gcDurationBuckets],
      ...common,
    }),
  };
}

/** Every family's name, to unregister them. */
export function runtimeMetricNames(metrics: RuntimeMetrics): string[] {
  return Object.values(metrics).map((metric: { name: string }) => metric.name);
}
