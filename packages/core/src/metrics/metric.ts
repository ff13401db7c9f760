// What every metric type shares: option checks, the family in the shared heap (declared once, checked against
// other processes' declarations), registration in prom-client registries, label resolution to cached children,
// and remove/reset/zero, which every process sees.
import { register as globalRegister, type OpenMetricsContentType, type PrometheusContentType, type Registry } from 'prom-client';
import { MpmetricsRangeError, MpmetricsTypeError, describeValue } from '../errors.js';
import { defaultHeap } from '../heap/default-heap.js';
import type { Heap, SeriesLayout } from '../heap/heap.js';
import { readFamily, type FamilySnapshot } from '../registry/family-reader.js';
import { checkSameDeclaration, decodeMeta, encodeMeta, type FamilyMeta, type MetricType } from './family-meta.js';
import { LabelTree } from './label-tree.js';
import { checkAggregator, checkHelp, checkLabelNames, checkMetricName, type Aggregator } from './validation.js';

/** Label values by label name, as prom-client takes them. */
export type LabelValues<T extends string> = Partial<Record<T, string | number>>;

export interface MetricConfiguration<T extends string> {
  name: string;
  help: string;
  labelNames?: readonly T[];
  /** Registries to register in. Default: prom-client's global `register`. `[]`: none. */
  registers?: (Registry<PrometheusContentType> | Registry<OpenMetricsContentType>)[];
  aggregator?: Aggregator;
  /** Runs in the process that scrapes, before the values are read. */
  collect?: (this: never) => void | Promise<void>;
  enableExemplars?: boolean;
  /** The heap to keep values in. Default: this thread's shared heap (MPMETRICS_DIR). */
  heap?: Heap;
}

/** A value as prom-client's `get()` returns it. */
export interface MetricValue<T extends string> {
  value: number;
  labels: LabelValues<T> & Record<string, string | number>;
  metricName?: string;
}

export interface MetricObjectWithValues<T extends string> {
  name: string;
  help: string;
  type: MetricType;
  aggregator: Aggregator;
  values: MetricValue<T>[];
}

const KNOWN_OPTIONS = new Set([
  'name',
  'help',
  'labelNames',
  'registers',
  'aggregator',
  'collect',
  'enableExemplars',
  'heap',
  'buckets',
  'percentiles',
  'maxAgeSeconds',
  'ageBuckets',
  'pruneAgedBuckets',
  'compressCount',
  'multiprocessMode',
]);

export abstract class SharedMetric<T extends string, Child> {
  name: string;
  readonly help: string;
  readonly labelNames: readonly T[];
  readonly aggregator: Aggregator;
  readonly type: MetricType;
  readonly collect: (() => void | Promise<void>) | undefined;
  protected readonly heap: Heap;
  protected readonly familyPtr: number;
  protected readonly meta: FamilyMeta;
  readonly #children: LabelTree<Child>;
  readonly #labelCache = new Map<number, readonly string[]>();
  #unlabeled: Child | undefined;

  protected constructor(config: MetricConfiguration<T>, type: MetricType, extra: Partial<FamilyMeta>, reserved: readonly string[] = []) {
    if (typeof config !== 'object' || config === null) {
      throw new MpmetricsTypeError(`A ${type} needs a configuration object, received ${describeValue(config)}`);
    }
    for (const key of Object.keys(config)) {
      if (!KNOWN_OPTIONS.has(key)) throw new MpmetricsRangeError(`Unknown option ${JSON.stringify(key)} for a ${type}`);
    }
    if (type !== 'gauge' && (config as { multiprocessMode?: unknown }).multiprocessMode !== undefined) {
      throw new MpmetricsRangeError(`"multiprocessMode" applies to gauges only: a ${type} always adds up the values of every process`);
    }
    this.name = checkMetricName(config.name);
    this.help = checkHelp(config.help);
    this.labelNames = checkLabelNames(config.labelNames, reserved) as readonly T[];
    this.aggregator = checkAggregator(config.aggregator);
    this.type = type;
    if (config.collect !== undefined && typeof config.collect !== 'function') {
      throw new MpmetricsTypeError(`"collect" must be a function, received ${describeValue(config.collect)}`);
    }
    this.collect = config.collect as (() => void | Promise<void>) | undefined;
    const registers = config.registers ?? [globalRegister];
    if (!Array.isArray(registers)) throw new MpmetricsTypeError(`"registers" must be an array of registries, received ${describeValue(registers)}`);
    for (const registry of registers as unknown[]) {
      if (typeof (registry as Registry | null)?.registerMetric !== 'function') {
        throw new MpmetricsTypeError(`"registers" must hold prom-client registries, received ${describeValue(registry)}`);
      }
    }
    this.meta = { type, help: this.help, labelNames: this.labelNames, aggregator: this.aggregator, ...extra };

    this.heap = config.heap ?? defaultHeap();
    const family = this.heap.family(this.name, encodeMeta(this.meta));
    if (!family.created) checkSameDeclaration(this.name, this.meta, decodeMeta(this.name, family.meta));
    this.familyPtr = family.ptr;
    this.#children = new LabelTree<Child>(this.labelNames, (values) => this.#makeChild(values));
    if (this.labelNames.length === 0) this.#unlabeled = this.#makeChild([]);
    for (const registry of registers) registry.registerMetric(this as never);
  }

  /** Words per writer cell and shared words of one series of this metric. */
  protected abstract get layout(): SeriesLayout;

  /** Makes the per-process handle of a series, whose record `ptr` exists in the heap. */
  protected abstract createChild(ptr: number, labelValues: readonly string[]): Child;

  #makeChild(values: readonly string[]): Child {
    const { ptr } = this.heap.series(this.familyPtr, JSON.stringify(values), this.layout);
    return this.createChild(ptr, values);
  }

  /** The child for a labels object (or the unlabeled child when `labels` is undefined). */
  protected child(labels: LabelValues<T> | undefined): Child {
    if (labels === undefined) {
      if (this.#unlabeled !== undefined) return this.#unlabeled;
      return this.#children.fromObject({}); // throws: labels are missing
    }
    if (this.#unlabeled !== undefined) {
      for (const key in labels) {
        throw new MpmetricsRangeError(`Unknown label ${JSON.stringify(key)}: metric ${this.name} has no labels`, { code: 'MPM_ERR_LABELS' });
      }
      return this.#unlabeled;
    }
    return this.#children.fromObject(labels as Record<string, unknown>);
  }

  /** The child for `labels(...)`'s arguments: label values in declaration order, or one labels object. */
  protected childOf(args: readonly unknown[]): Child {
    if (args.length === 1 && typeof args[0] === 'object' && args[0] !== null) return this.child(args[0] as LabelValues<T>);
    if (this.#unlabeled !== undefined) {
      if (args.length === 0) return this.#unlabeled;
      throw new MpmetricsRangeError(`Metric ${this.name} has no labels, received ${args.length} label values`, { code: 'MPM_ERR_LABELS' });
    }
    return this.#children.fromValues(args);
  }

  /** Removes a label set, for every process: it disappears from scrapes until written again. */
  remove(...args: unknown[]): void {
    if (this.labelNames.length === 0) throw new MpmetricsRangeError(`Metric ${this.name} has no labels: nothing to remove`, { code: 'MPM_ERR_LABELS' });
    const ptr = this.heap.findSeries(this.familyPtr, JSON.stringify(this.#children.textValues(args)));
    if (ptr !== undefined) this.heap.resetSeries(ptr, true);
  }

  /** Removes every label set (or zeroes the one series of a metric without labels), for every process. */
  reset(): void {
    const labeled = this.labelNames.length > 0;
    for (const series of this.heap.seriesOf(this.familyPtr)) {
      if (series.live) this.heap.resetSeries(series.ptr, labeled);
    }
  }

  /** Makes a label set exist (again) with zero values, so it is exported before its first update. */
  zero(labels: LabelValues<T>): void {
    const values = this.labelNames.length === 0 ? [] : this.#children.valuesOf(labels as Record<string, unknown>);
    this.heap.series(this.familyPtr, JSON.stringify(values), this.layout);
    this.child(this.labelNames.length === 0 ? undefined : labels);
  }

  /** Reads every live series of this metric from the heap, as written by all processes. */
  protected async snapshot(): Promise<FamilySnapshot> {
    if (this.collect !== undefined) await this.collect.call(this);
    return readFamily(this.heap, this.familyPtr, this.name, this.meta, this.#labelCache);
  }

  abstract get(): Promise<MetricObjectWithValues<T>>;
}

/** Label values by name for a series, in declaration order. */
export function labelObject<T extends string>(names: readonly T[], values: readonly string[]): LabelValues<T> & Record<string, string> {
  const labels: Record<string, string> = {};
  for (let i = 0; i < names.length; i++) labels[names[i]!] = values[i]!;
  return labels as LabelValues<T> & Record<string, string>;
}
