// What every metric type shares: option checks, the family in the shared heap (declared once, checked against
// other processes' declarations), registration in prom-client registries, label resolution to cached children,
// and remove/reset/zero, which every process sees.
// The registry's own content-type constant: a registry is OpenMetrics when it holds prom-client's value.
import { register as globalRegister, openMetricsContentType, type OpenMetricsContentType, type PrometheusContentType, type Registry } from 'prom-client';
import { MpmetricsRangeError, MpmetricsTypeError, describeValue } from '../errors.js';
import { defaultHeap } from '../heap/default-heap.js';
import type { Heap } from '../heap/heap.js';
import type { SeriesLayout } from '../heap/series-store.js';
import { msWaited } from '../heap/read-budget.js';
import { FamilyReadCache, layoutOf, readFamily, SCRAPE_READ_BUDGET_MS, type FamilySnapshot } from './family-reader.js';
import { kMetricBrand } from './brand.js';
import { declareCollect } from './collectors.js';
import { checkSameDeclaration, decodeMeta, encodeMeta, type FamilyMeta, type MetricType } from './family-meta.js';
import type { Exemplar } from './exemplar.js';
import { LabelTree, NO_LABELS, type SeriesLabels } from './label-tree.js';
import { checkAggregator, checkConfiguration, checkHelp, checkLabelNames, checkMetricName, checkOptionalBoolean, type Aggregator } from './validation.js';
import { timerLabels } from './values.js';

/** The get() calls started together, as one scrape: the milliseconds of waiting on stalled writers they have left. */
interface Scrape {
  left: number;
}
let startingScrape: Scrape | undefined;

/**
 * The scrape a get() starting now belongs to. prom-client's register.metrics() calls every metric's get() in
 * one synchronous run, and a read budget per get() let a scrape wait SCRAPE_READ_BUDGET_MS once per metric whose
 * writer was stopped mid-update; so the get() calls started in one run share one budget of waiting. A budget per
 * turn of the event loop would also join scrapes awaited one after another in microtasks, and leave the later
 * ones none for a writer merely descheduled (torn reads under load).
 */
function joinScrape(): Scrape {
  if (startingScrape === undefined) {
    startingScrape = { left: SCRAPE_READ_BUDGET_MS };
    queueMicrotask(() => {
      startingScrape = undefined;
    });
  }
  return startingScrape;
}

/**
 * `collect()`, run with the metric as `this`. Typed as a function of our metric or of prom-client's type of it, so
 * that a prom-client configuration object is accepted as it is, and an inline `collect() { this.set(…) }` sees a
 * `this` with the metric's methods, its label names checked.
 */
export type CollectFunction<Ours, Theirs> = ((this: Ours) => void | Promise<void>) | ((this: Theirs) => void | Promise<void>);

/** Label values by label name, as prom-client takes them. */
export type LabelValues<T extends string> = Partial<Record<T, string | number>>;

export interface MetricConfiguration<T extends string> {
  name: string;
  help: string;
  labelNames?: readonly T[];
  /** Registries to register in. Default: prom-client's global `register`. `[]`: none. */
  registers?: (Registry<PrometheusContentType> | Registry<OpenMetricsContentType>)[];
  aggregator?: Aggregator;
  /** Runs in the process that scrapes, before the values are read. Each type's configuration says what `this` is. */
  collect?: (this: never) => void | Promise<void>;
  /** Counters and histograms: keep the latest exemplar (per series, per bucket), shared by all processes. */
  enableExemplars?: boolean;
  /** The heap to keep values in. Default: this thread's shared heap (MPMETRICS_DIR). */
  heap?: Heap;
  /**
   * The most label sets the metric may have, counted over all processes (its cardinality limit): a new label set
   * past it throws MPM_ERR_TOO_MANY_SERIES and records nothing, while existing ones keep working. Default
   * 10000; `Infinity` for none.
   */
  maxSeries?: number;
  /**
   * Seconds after which a label set that no process updated expires: it leaves scrapes and its memory in the
   * heap (and in every process) is used again, so label values that come and go do not grow the heap for ever.
   * Written again, it starts anew from zero, as a new series. Default: label sets never expire.
   */
  ttlSeconds?: number;
  /**
   * Every label needs a value in every call: a label set that leaves one out throws MPM_ERR_LABELS. Default
   * false: as in prom-client, a label left out (or undefined) is absent from the series. Per process.
   */
  strictLabels?: boolean;
}

/**
 * Where a child writes: its series record, or for a metric with a TTL a function that finds (or makes) it, run
 * again whenever it has expired.
 */
export type SeriesSource = number | (() => number);

/** Label sets a metric may have unless its `maxSeries` says otherwise. */
export const DEFAULT_MAX_SERIES = 10_000;

/** A value as prom-client's `get()` returns it. */
export interface MetricValue<T extends string> {
  value: number;
  labels: LabelValues<T> & Record<string, string | number>;
  metricName?: string;
  /**
   * The latest exemplar, as prom-client's Registry prints it (in OpenMetrics only). A histogram's values carry the
   * field as prom-client's do: null on a bucket without one, undefined on `_sum` and `_count`.
   */
  exemplar?: { labelSet: Record<string, string>; value: number; timestamp: number } | null | undefined;
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
  'nativeHistogramBucketFactor',
  'nativeHistogramZeroThreshold',
  'nativeHistogramMaxBucketNumber',
  'percentiles',
  'maxAgeSeconds',
  'ageBuckets',
  'pruneAgedBuckets',
  'compressCount',
  'states',
  'multiprocessMode',
  'maxSeries',
  'ttlSeconds',
  'strictLabels',
]);

export abstract class SharedMetric<T extends string, Child> {
  name: string;
  readonly help: string;
  readonly labelNames: readonly T[];
  readonly aggregator: Aggregator;
  /** The cardinality limit (see MetricConfiguration.maxSeries); undefined for none. */
  readonly maxSeries: number | undefined;
  /** Seconds after which an idle label set expires (see MetricConfiguration.ttlSeconds); undefined: never. */
  readonly ttlSeconds: number | undefined;
  /** Whether every label needs a value (see MetricConfiguration.strictLabels); this process's choice. */
  readonly strictLabels: boolean;
  readonly type: MetricType;
  readonly collect: (() => void | Promise<void>) | undefined;
  protected readonly heap: Heap;
  protected readonly familyPtr: number;
  protected readonly meta: FamilyMeta;
  readonly #children: LabelTree<Child>;
  readonly #readCache = new FamilyReadCache();
  readonly #registers: readonly (Registry<PrometheusContentType> | Registry<OpenMetricsContentType>)[];
  /** With a TTL: each child's series record when it was made, to forget the child once that series expires. */
  readonly #expiringChildren = new Map<Child, number>();
  #unlabeled: Child | undefined;

  /** `strict`: the metric type needs every label in every label set, whatever `strictLabels` says. */
  protected constructor(config: MetricConfiguration<T>, type: MetricType, extra: Partial<FamilyMeta>, reserved: readonly string[] = [], strict = false) {
    checkConfiguration(config, type);
    for (const key of Object.keys(config)) {
      if (!KNOWN_OPTIONS.has(key)) throw new MpmetricsRangeError(`Unknown option ${JSON.stringify(key)} for a ${type}`);
    }
    if (type !== 'histogram') {
      for (const key of ['nativeHistogramBucketFactor', 'nativeHistogramZeroThreshold', 'nativeHistogramMaxBucketNumber']) {
        if ((config as unknown as Record<string, unknown>)[key] !== undefined) throw new MpmetricsRangeError(`"${key}" applies to histograms only, not to a ${type}`);
      }
    }
    if (type !== 'gauge' && (config as { multiprocessMode?: unknown }).multiprocessMode !== undefined) {
      throw new MpmetricsRangeError(`"multiprocessMode" applies to gauges only: a ${type} always adds up the values of every process`);
    }
    this.name = checkMetricName(config.name);
    this.help = checkHelp(config.help);
    this.labelNames = checkLabelNames(config.labelNames, reserved) as readonly T[];
    this.aggregator = checkAggregator(config.aggregator);
    this.maxSeries = checkMaxSeries(config.maxSeries);
    this.ttlSeconds = checkTtlSeconds(config, type, this.labelNames);
    this.strictLabels = checkOptionalBoolean(config.strictLabels, 'strictLabels') === true || strict;
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
    if (checkOptionalBoolean(config.enableExemplars, 'enableExemplars') === true) {
      if (type !== 'counter' && type !== 'histogram') throw new MpmetricsRangeError('"enableExemplars" applies to counters and histograms only');
      // as prom-client refuses it, at construction: the text format has no exemplars
      if (registers.some((registry) => registry.contentType !== openMetricsContentType)) {
        throw new MpmetricsTypeError(
          `Exemplars are supported only on OpenMetrics registries: metric ${JSON.stringify(this.name)} has "enableExemplars" and a registry ` +
            'of the Prometheus text format in "registers"; call setContentType(Registry.OPENMETRICS_CONTENT_TYPE) on it first',
        );
      }
    }
    if (config.heap !== undefined && typeof (config.heap as Partial<Heap> | null)?.family !== 'function') {
      throw new MpmetricsTypeError(`"heap" must be a Heap (Heap.open()), received ${describeValue(config.heap)}`);
    }
    // A name the registry has already is refused as prom-client refuses it, but before the family is made in the
    // heap: a failed declaration must leave nothing behind.
    for (const registry of registers) {
      if (registry.getSingleMetric(this.name) !== undefined) throw new Error(`A metric with the name ${this.name} has already been registered.`);
    }
    this.#registers = [...registers];
    this.meta = { type, help: this.help, labelNames: this.labelNames, aggregator: this.aggregator, ...extra };
    if (this.ttlSeconds !== undefined) this.meta = { ...this.meta, ttlSeconds: this.ttlSeconds };

    this.heap = config.heap ?? defaultHeap();
    const family = this.heap.declareFamily(this.name, encodeMeta(this.meta));
    if (!family.created) checkSameDeclaration(this.name, this.meta, decodeMeta(this.name, family.meta));
    this.familyPtr = family.ptr;
    this.#children = new LabelTree<Child>(this.labelNames, this.strictLabels, (values) => this.#makeChild(values));
    if (this.ttlSeconds !== undefined) this.heap.expireIdle(family.ptr, this.ttlSeconds, (retired) => this.#forget(retired));
    if (this.labelNames.length === 0) this.#unlabeled = this.#makeChild([]);
    for (const registry of registers) registry.registerMetric(this as never);
    declareCollect(this.heap, this.name, this);
  }

  /** Marks every metric of ours, whichever copy of the package made it (see isMpmetricsMetric). */
  get [kMetricBrand](): true {
    return true;
  }

  /** Words per writer cell and shared words of one series of this metric. */
  protected get layout(): SeriesLayout {
    return layoutOf(this.meta);
  }

  /** Makes the per-process handle of a series, whose record exists in the heap (see SeriesSource). */
  protected abstract createChild(series: SeriesSource, labelValues: SeriesLabels): Child;

  #makeChild(values: SeriesLabels): Child {
    // A label set shows in scrapes from its first update, as in prom-client (`labels()` alone records nothing);
    // a metric without labels is exported at zero from the start.
    const { ptr } = this.#series(values, values.length > 0);
    if (this.ttlSeconds === undefined) return this.createChild(ptr, values);
    // With a TTL the child gets a function that finds its series: `ptr` only while it is being made (the series
    // may expire and its record be reused later), then the label set's record, made anew if it expired (hidden:
    // the write that follows brings it into scrapes, as for any first write).
    let fresh = ptr;
    const child = this.createChild(() => {
      const found = fresh !== 0 ? fresh : this.#series(values, true).ptr;
      fresh = 0;
      return found;
    }, values);
    fresh = 0;
    this.#expiringChildren.set(child, ptr);
    return child;
  }

  /** Forgets the children of expired series; a child kept elsewhere finds its label set anew when next written. */
  #forget(retired: readonly number[]): void {
    const series = new Set(retired);
    const gone = new Set<Child>();
    for (const [child, ptr] of this.#expiringChildren) {
      if (!series.has(ptr)) continue;
      gone.add(child);
      this.#expiringChildren.delete(child);
    }
    if (gone.size > 0) this.#children.prune(gone);
  }

  /** Finds or makes the series of a label set within the cardinality limit, with an error naming the label set. */
  #series(values: SeriesLabels, hidden: boolean): { ptr: number; created: boolean } {
    const options: { hidden: boolean; maxSeries?: number; expiring?: boolean } = { hidden };
    if (this.maxSeries !== undefined) options.maxSeries = this.maxSeries;
    if (this.ttlSeconds !== undefined) options.expiring = true;
    try {
      return this.heap.series(this.familyPtr, JSON.stringify(values), this.layout, options);
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'MPM_ERR_TOO_MANY_SERIES') throw error;
      const labels = this.labelNames.flatMap((name, i) => (values[i] === null ? [] : [`${name}=${JSON.stringify(values[i])}`])).join(',');
      throw new MpmetricsRangeError(
        `Metric ${JSON.stringify(this.name)} has reached its limit of ${this.maxSeries} label sets ("maxSeries"), counted over all processes: ` +
          `{${labels}} was not recorded. Existing label sets keep working; raise "maxSeries" if this many are meant`,
        { code: 'MPM_ERR_TOO_MANY_SERIES', cause: error },
      );
    }
  }

  /** The child for a labels object (or the unlabeled child when `labels` is undefined). */
  protected child(labels: LabelValues<T> | undefined): Child {
    if (labels === undefined) {
      if (this.#unlabeled !== undefined) return this.#unlabeled;
      return this.#children.fromObject(NO_LABELS); // as prom-client: the label set with no labels (strict: throws)
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

  /** The child of one label set: values in label-name order, or a labels object. Cached: keep it. */
  labels(...values: (string | number)[]): Child;
  labels(labels: LabelValues<T>): Child;
  labels(...args: unknown[]): Child {
    return this.childOf(args);
  }

  /** The child a timer's end records into: the labels its start and end were given, merged as prom-client does. */
  protected timedChild(startLabels: LabelValues<T> | undefined, endLabels: LabelValues<T> | undefined): Child {
    return this.child(timerLabels(startLabels, endLabels));
  }

  /** Removes a label set, for every process: it disappears from scrapes until written again. */
  remove(...values: (string | number)[]): void;
  remove(labels: LabelValues<T>): void;
  remove(...args: unknown[]): void {
    if (this.labelNames.length === 0) throw new MpmetricsRangeError(`Metric ${this.name} has no labels: nothing to remove`, { code: 'MPM_ERR_LABELS' });
    const ptr = this.heap.findSeries(this.familyPtr, JSON.stringify(this.#children.textValues(args)));
    if (ptr !== undefined) this.heap.resetSeries(ptr, true);
  }

  /** Removes every label set (or zeroes the one series of a metric without labels), for every process. */
  reset(): void {
    this.resetSeries(this.labelNames.length > 0);
  }

  /** Zeroes every live series, for every process; with `remove`, also drops them from scrapes. */
  protected resetSeries(remove: boolean): void {
    for (const series of this.heap.seriesOf(this.familyPtr)) {
      if (series.live) this.heap.resetSeries(series.ptr, remove);
    }
  }

  /** Makes a label set exist (again) with zero values, so it is exported before its first update. */
  zero(labels: LabelValues<T>): void {
    const values = this.labelNames.length === 0 ? [] : this.#children.valuesOf(labels as Record<string, unknown>);
    this.#series(values, false);
    this.child(this.labelNames.length === 0 ? undefined : labels);
  }

  /**
   * Whether `get()` may describe this metric with an OpenMetrics-only type (info, stateset). prom-client's
   * Registry prints `get()` as it is in either format and does not say which one it writes, so that is only safe
   * when every registry the metric was registered in writes OpenMetrics (now: a registry's content type can be
   * changed); otherwise the text format's spelling, which is valid in both, is used.
   */
  protected get registriesWriteOpenMetrics(): boolean {
    return this.#registers.length > 0 && this.#registers.every((registry) => registry.contentType === openMetricsContentType);
  }

  /** Reads every live series of this metric from the heap, as written by all processes. */
  protected async snapshot(): Promise<FamilySnapshot> {
    const scrape = joinScrape();
    if (this.collect !== undefined) await this.collect.call(this);
    const waitedBefore = msWaited();
    try {
      return this.heap.readWithin(scrape.left, () => readFamily(this.heap, this.familyPtr, this.name, this.meta, this.#readCache, false));
    } finally {
      scrape.left = Math.max(0, scrape.left - (msWaited() - waitedBefore));
    }
  }

  abstract get(): Promise<MetricObjectWithValues<T>>;

  /** get() of a metric with one value per series (counter, gauge), with the series' exemplar if it has one. */
  protected async singleValues(): Promise<MetricObjectWithValues<T>> {
    const snapshot = await this.snapshot();
    const names = snapshot.meta.labelNames as readonly T[];
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values: snapshot.series.map((s) => {
        const exemplar = exemplarObject(s.exemplars?.[0]);
        // the snapshot's label names: a gauge in mode 'all' or 'liveall' has "pid" last
        const labels = labelObject(names, s.labels);
        return exemplar === undefined ? { value: s.values[0]!, labels } : { value: s.values[0]!, labels, exemplar };
      }),
    };
  }
}

/** An exemplar as prom-client's `get()` gives it. */
export function exemplarObject(exemplar: Exemplar | undefined): MetricValue<string>['exemplar'] {
  if (exemplar === undefined) return undefined;
  return { labelSet: Object.fromEntries(exemplar.labels), value: exemplar.value, timestamp: exemplar.timestamp };
}

function checkMaxSeries(value: unknown): number | undefined {
  if (value === undefined) return DEFAULT_MAX_SERIES;
  if (value === Infinity) return undefined;
  if (typeof value !== 'number') throw new MpmetricsTypeError(`"maxSeries" must be a positive integer or Infinity, received ${describeValue(value)}`);
  if (!Number.isInteger(value) || value < 1 || value > 2 ** 32 - 1) {
    throw new MpmetricsRangeError(`"maxSeries" must be a positive integer (at most 2^32 - 1) or Infinity, received ${describeValue(value)}`);
  }
  return value;
}

/** The longest TTL: a year. */
const MAX_TTL_SECONDS = 366 * 86400;

function checkTtlSeconds(config: MetricConfiguration<string>, type: MetricType, labelNames: readonly string[]): number | undefined {
  const value: unknown = config.ttlSeconds;
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || Number.isNaN(value)) throw new MpmetricsTypeError(`"ttlSeconds" must be a number of seconds, received ${describeValue(value)}`);
  if (!(value >= 0.1 && value <= MAX_TTL_SECONDS)) {
    throw new MpmetricsRangeError(`"ttlSeconds" must be from 0.1 to ${MAX_TTL_SECONDS} (a year), received ${describeValue(value)}`);
  }
  if (type !== 'counter' && type !== 'gauge' && type !== 'histogram' && type !== 'summary') {
    throw new MpmetricsRangeError(`"ttlSeconds" applies to counters, gauges, histograms and summaries, not to a ${type}`);
  }
  if (labelNames.length === 0) {
    throw new MpmetricsRangeError('"ttlSeconds" applies to metrics with labels: the one series of a metric without labels never expires');
  }
  if (config.enableExemplars === true) throw new MpmetricsRangeError('"ttlSeconds" and "enableExemplars" cannot be used together yet');
  return value;
}

/** Label values by name for a series, in declaration order; a label the series leaves out is absent. */
export function labelObject<T extends string>(names: readonly T[], values: SeriesLabels): LabelValues<T> & Record<string, string> {
  const labels: Record<string, string> = {};
  for (let i = 0; i < names.length; i++) {
    const value = values[i];
    if (value !== null && value !== undefined) labels[names[i]!] = value;
  }
  return labels as LabelValues<T> & Record<string, string>;
}
