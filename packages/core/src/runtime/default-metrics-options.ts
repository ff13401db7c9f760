// The options of collectDefaultMetrics(): prom-client's where they make sense, checked when it is called.
import { register as globalRegister, type Registry } from 'prom-client';
import { MpmetricsRangeError, MpmetricsTypeError, describeValue } from '../errors.js';
import type { Heap } from '../heap/heap.js';
import { PID_LABEL } from '../metrics/multiprocess-mode.js';
import { checkBuckets, checkLabelNames, checkPositiveInteger, labelValueText } from '../metrics/validation.js';

export interface DefaultMetricsCollectorConfiguration {
  /** The registry the runtime metrics are registered in. Default: prom-client's global `register`. */
  register?: Registry;
  /** Put before every metric name, e.g. "myapp_". */
  prefix?: string;
  /** Label values added to every sample (beside `pid`). */
  labels?: Record<string, string | number>;
  /** Upper bounds of nodejs_gc_duration_seconds. Default: prom-client's [0.001, 0.01, 0.1, 1, 2, 5]. */
  gcDurationBuckets?: number[];
  /** Sampling resolution of the event loop delay monitor, in milliseconds. Default: 10. */
  eventLoopMonitoringPrecision?: number;
  /** How often each process samples its own runtime stats, in milliseconds. Default: 1000. */
  sampleIntervalMs?: number;
  /** The heap to keep values in. Default: this thread's shared heap (MPMETRICS_DIR). */
  heap?: Heap;
}

export interface CheckedDefaultMetricsConfiguration {
  readonly register: Registry;
  readonly prefix: string;
  readonly labelNames: readonly string[];
  readonly labelValues: readonly string[];
  readonly gcDurationBuckets: readonly number[];
  readonly eventLoopMonitoringPrecision: number;
  readonly sampleIntervalMs: number;
  readonly heap: Heap | undefined;
}

const DEFAULT_GC_DURATION_BUCKETS: readonly number[] = Object.freeze([0.001, 0.01, 0.1, 1, 2, 5]);
const KNOWN = new Set(['register', 'prefix', 'labels', 'gcDurationBuckets', 'eventLoopMonitoringPrecision', 'sampleIntervalMs', 'heap', 'enableExemplars']);
const PREFIX = /^(?:[a-zA-Z_:][a-zA-Z0-9_:]*)?$/;
/** Labels some runtime metrics have of their own. */
const BUILT_IN_LABELS = ['type', 'space', 'kind', 'version', 'major', 'minor', 'patch'];

export function checkDefaultMetricsOptions(options: unknown): CheckedDefaultMetricsConfiguration {
  if (options === undefined || options === null) options = {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new MpmetricsTypeError(`collectDefaultMetrics() takes an options object, received ${describeValue(options)}`);
  }
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!KNOWN.has(key)) throw new MpmetricsRangeError(`Unknown option ${JSON.stringify(key)} for collectDefaultMetrics(); known: ${[...KNOWN].join(', ')}`);
  }
  if (o['enableExemplars'] === true) throw new MpmetricsRangeError('"enableExemplars" is not supported by collectDefaultMetrics() (its metrics record no exemplars)');

  const register = (o['register'] ?? globalRegister) as Registry;
  if (typeof (register as Registry | null)?.registerMetric !== 'function') {
    throw new MpmetricsTypeError(`"register" must be a prom-client registry, received ${describeValue(o['register'])}`);
  }
  const prefix = o['prefix'] ?? '';
  if (typeof prefix !== 'string') throw new MpmetricsTypeError(`"prefix" must be a string, received ${describeValue(prefix)}`);
  if (!PREFIX.test(prefix)) throw new MpmetricsRangeError(`Invalid "prefix" ${JSON.stringify(prefix)}: metric names must match [a-zA-Z_:][a-zA-Z0-9_:]*`);

  const labels = o['labels'] ?? {};
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) {
    throw new MpmetricsTypeError(`"labels" must be an object of label values by name, received ${describeValue(labels)}`);
  }
  const labelNames = checkLabelNames(Object.keys(labels));
  for (const name of labelNames) {
    if (name === PID_LABEL) {
      throw new MpmetricsRangeError(`Invalid label name "${PID_LABEL}" in "labels": every runtime metric has a "${PID_LABEL}" label of its own`, { code: 'MPM_ERR_LABELS' });
    }
    if (BUILT_IN_LABELS.includes(name)) {
      throw new MpmetricsRangeError(`Invalid label name ${JSON.stringify(name)} in "labels": runtime metrics use it themselves (${BUILT_IN_LABELS.join(', ')})`, {
        code: 'MPM_ERR_LABELS',
      });
    }
  }
  const labelValues = labelNames.map((name) => labelValueText(name, (labels as Record<string, unknown>)[name]));

  const gcDurationBuckets = o['gcDurationBuckets'] === undefined ? DEFAULT_GC_DURATION_BUCKETS : checkBuckets(o['gcDurationBuckets']);
  const eventLoopMonitoringPrecision = o['eventLoopMonitoringPrecision'] === undefined ? 10 : checkPositiveInteger(o['eventLoopMonitoringPrecision'], 'eventLoopMonitoringPrecision', 60_000);
  const sampleIntervalMs = o['sampleIntervalMs'] === undefined ? 1000 : checkPositiveInteger(o['sampleIntervalMs'], 'sampleIntervalMs', 3_600_000);
  const heap = o['heap'] as Heap | undefined;
  if (heap !== undefined && (typeof heap !== 'object' || heap === null || typeof (heap as Heap).processCell !== 'function')) {
    throw new MpmetricsTypeError(`"heap" must be a Heap, received ${describeValue(heap)}`);
  }
  return { register, prefix, labelNames, labelValues, gcDurationBuckets, eventLoopMonitoringPrecision, sampleIntervalMs, heap };
}
