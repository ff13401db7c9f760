// Histogram: prom-client's API. Each process counts observations into its own cell of a series (one count per
// bucket, and the sum), as one whole update under the cell's sequence word: a scrape never sees a count without
// its sum, and `_count` always equals the `+Inf` bucket. With `enableExemplars`, the latest exemplar of each
// bucket is kept in the heap for all processes (see heap/exemplar-slots.ts).
import type { Histogram as PromHistogram } from 'prom-client';
import type { WriterCell } from '../heap/cells.js';
import type { ExemplarSlots } from '../heap/exemplar-slots.js';
import type { Heap } from '../heap/heap.js';
import { checkExemplarData, encodeExemplarLabels, type ObserveDataWithExemplar } from './exemplar.js';
import {
  exemplarObject,
  labelObject,
  SharedMetric,
  type CollectFunction,
  type LabelValues,
  type MetricConfiguration,
  type MetricObjectWithValues,
  type MetricValue,
  type SeriesSource,
} from './metric.js';
import type { SeriesLabels } from './label-tree.js';
import { kRecordTimed, kWithExemplar } from './symbols.js';
import { NativeWriter, nativeWords, OBSERVED, type NativeSettings } from './native-histogram.js';
import { checkBuckets, checkConfiguration, checkNativeHistogram } from './validation.js';
import { heapCorrupt } from '../errors.js';
import { checkFinite, secondsSince, startTimer, timerLabels } from './values.js';

export const DEFAULT_BUCKETS: readonly number[] = Object.freeze([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);

export interface HistogramConfiguration<T extends string> extends MetricConfiguration<T> {
  /**
   * Upper bounds, strictly increasing; +Inf is always added. Default: prom-client's, or none (native buckets
   * only) with `nativeHistogramBucketFactor`, as in client_golang.
   */
  buckets?: number[];
  /**
   * Turns on native buckets (Prometheus native histograms), each at most this factor wider than the previous:
   * the schema is the coarsest standard one within it (1.1 gives schema 3, a factor of 1.09).
   */
  nativeHistogramBucketFactor?: number;
  /** Observations of at most this magnitude count in the zero bucket. Default: 2^−128, as in client_golang. */
  nativeHistogramZeroThreshold?: number;
  /**
   * The most native buckets a series keeps before its resolution drops (its schema goes down, for every
   * process, and never back up). Default 160.
   */
  nativeHistogramMaxBucketNumber?: number;
  /** Runs in the process that scrapes, before the values are read; `this` is the histogram. */
  collect?: CollectFunction<Histogram<T>, PromHistogram<T>>;
}

/** A histogram sample as prom-client's registry takes it: `le` (or nothing) in `labels`, the series' own apart. */
interface HistogramValue<T extends string> {
  value: number;
  metricName: string;
  labels: { le?: number | '+Inf' };
  sharedLabels: LabelValues<T> & Record<string, string>;
  exemplar: MetricValue<T>['exemplar'];
}

/** A histogram bound to one label set (`histogram.labels(...)`). */
export class HistogramChild<T extends string = string> {
  readonly #heap: Heap;
  readonly #series: SeriesSource;
  /** The upper bounds as doubles in a typed array: the bucket search is the hot loop of observe(). */
  readonly #bounds: Float64Array;
  readonly #observeWith: (labels: LabelValues<T>, value: number) => void;
  readonly #nativeSettings: NativeSettings | undefined;
  #cell: WriterCell | undefined;
  #native: NativeWriter | undefined;
  #exemplars: ExemplarSlots | undefined;

  constructor(
    heap: Heap,
    series: SeriesSource,
    bounds: readonly number[],
    native: NativeSettings | undefined,
    observeWith: (labels: LabelValues<T>, value: number) => void,
  ) {
    this.#heap = heap;
    this.#series = series;
    this.#bounds = Float64Array.from(bounds);
    this.#nativeSettings = native;
    this.#observeWith = observeWith;
  }

  observe(value: number): void {
    checkFinite(value, 'Histogram observation');
    const bounds = this.#bounds;
    const n = bounds.length;
    let bucket = 0;
    if (n <= 16) {
      while (bucket < n && value > bounds[bucket]!) bucket++;
    } else {
      // the first bound ≥ value, by bisection (many buckets)
      let high = n;
      while (bucket < high) {
        const mid = (bucket + high) >>> 1;
        if (value > bounds[mid]!) bucket = mid + 1;
        else high = mid;
      }
    }
    if (this.#nativeSettings !== undefined) {
      OBSERVED[0] = value; // staged: see native-histogram.ts
      this.#observeNative(bucket);
      return;
    }
    const cell = this.#cell ?? (this.#cell = this.#heap.cell(this.#series, n + 2));
    cell.addTwo(bucket, 1, n + 1, value); // one update: a scrape never sees the count without its sum
  }

  /** observe() of OBSERVED[0] with native buckets: the classic bucket, the sum and the native bucket in one update. */
  #observeNative(bucket: number): void {
    const n = this.#bounds.length;
    const cell = this.#cell ?? (this.#cell = this.#heap.cell(this.#series, n + 2 + nativeWords(this.#nativeSettings!)));
    const native = this.#native ?? (this.#native = new NativeWriter(this.#nativeSettings!, this.#heap.shared(this.#series), n + 2));
    cell.begin();
    // closed whatever happens inside, or its odd sequence would hold up every reader
    try {
      // read after begin(): a series that expired (ttlSeconds) moves the cell there, to another record
      const at = cell.base;
      // native first: a damaged cell is started anew there, and this observation is then its first
      native.observe(cell);
      cell.bump(at + bucket);
      cell.addFrom(at + n + 1, OBSERVED, 0);
    } finally {
      cell.end();
    }
    if (native.damage !== undefined) {
      const what = native.damage;
      native.damage = undefined;
      throw heapCorrupt(this.#heap.file.path, what);
    }
  }

  /** Starts a timer; the returned function observes the elapsed seconds (with extra `labels` merged in). */
  startTimer(): (labels?: LabelValues<T>) => number {
    return startTimer<LabelValues<T>>(this);
  }

  /** A timer's end: the labels given to it are merged over this child's, as observe(labels, value) would. */
  [kRecordTimed](seconds: number, _startLabels: undefined, labels: LabelValues<T> | undefined): void {
    if (labels === undefined) this.observe(seconds);
    else this.#observeWith(labels, seconds);
  }

  /** Makes (encoded) `labels` with `value` the latest exemplar of the bucket `value` falls in, for every process. */
  [kWithExemplar](value: number, labels: Uint8Array): void {
    const bounds = this.#bounds;
    let bucket = 0;
    while (bucket < bounds.length && value > bounds[bucket]!) bucket++;
    // a series record: exemplars are refused with a TTL (whose series is found by a function)
    const slots =
      this.#exemplars ??
      (this.#exemplars = this.#heap.exemplars(this.#series as number, { sharedWords: this.#nativeSettings === undefined ? 0 : 1, exemplarSlots: bounds.length + 1 }));
    slots.write(bucket, labels, value, Date.now() / 1000);
  }
}

export class Histogram<T extends string = string> extends SharedMetric<T, HistogramChild<T>> {
  readonly buckets: readonly number[];

  constructor(configuration: HistogramConfiguration<T>) {
    const native = checkNativeHistogram(checkConfiguration(configuration, 'histogram'));
    const buckets = checkBuckets(configuration.buckets ?? (native === undefined ? DEFAULT_BUCKETS : []), native !== undefined);
    const meta = native === undefined ? { buckets } : { buckets, native };
    super(configuration, 'histogram', configuration.enableExemplars === true ? { ...meta, exemplars: true } : meta, ['le']);
    this.buckets = buckets;
    // As prom-client does: only a histogram with exemplars has the { labels, value, exemplarLabels } form and
    // exemplars on timers, so observe() and startTimer() of every other histogram stay exactly as they are.
    if (configuration.enableExemplars === true) {
      this.observe = this.#observeWithExemplar as Histogram<T>['observe'];
      this.startTimer = this.#startTimerWithExemplar;
    }
  }

  protected createChild(series: SeriesSource, values: SeriesLabels): HistogramChild<T> {
    const fixed = labelObject(this.labelNames, values);
    // runs inside super() for a metric without labels, before this.buckets is set: read the bounds from meta
    return new HistogramChild<T>(this.heap, series, this.meta.buckets!, this.meta.native, (more, seconds) => this.observe({ ...fixed, ...more } as LabelValues<T>, seconds));
  }

  observe(value: number): void;
  observe(labels: LabelValues<T>, value: number): void;
  /** With `enableExemplars`: observes `value` in `labels`' series, with an exemplar (prom-client's form). */
  observe(data: ObserveDataWithExemplar<T>): void;
  observe(labelsOrValue: LabelValues<T> | ObserveDataWithExemplar<T> | number, value?: number): void {
    this.#observe(labelsOrValue as LabelValues<T> | number, value);
  }

  /** observe(value) and observe(labels, value), with or without exemplars. */
  #observe(labelsOrValue: LabelValues<T> | number, value: number | undefined): void {
    if (typeof labelsOrValue === 'object' && labelsOrValue !== null) {
      checkFinite(value, 'Histogram observation'); // before the label set is looked up, so a bad value creates no series
      this.child(labelsOrValue).observe(value as number);
    } else this.child(undefined).observe(labelsOrValue);
  }

  #observeWithExemplar(dataOrValue: ObserveDataWithExemplar<T> | LabelValues<T> | number, value?: number): void {
    if (typeof dataOrValue !== 'object' || dataOrValue === null || value !== undefined) {
      this.#observe(dataOrValue as LabelValues<T> | number, value); // observe(value) or observe(labels, value)
      return;
    }
    const data = dataOrValue as ObserveDataWithExemplar<T>;
    checkExemplarData(data, 'observe');
    this.#observeData(data.labels, data.value, data.exemplarLabels);
  }

  /** Observes with an exemplar; everything is checked before anything is recorded. */
  #observeData(labels: LabelValues<T> | undefined, value: number, exemplarLabels: unknown): void {
    checkFinite(value, 'Histogram observation');
    const encoded = encodeExemplarLabels(exemplarLabels);
    const child = this.child(labels);
    child.observe(value);
    if (encoded !== undefined) child[kWithExemplar](value, encoded);
  }

  #startTimerWithExemplar(
    labels?: LabelValues<T>,
    exemplarLabels?: Readonly<Record<string, string | number>>,
  ): (labels?: LabelValues<T>, exemplarLabels?: Readonly<Record<string, string | number>>) => number {
    const start = process.hrtime.bigint();
    return (endLabels, endExemplarLabels) => {
      const seconds = secondsSince(start);
      this.#observeData(timerLabels(labels, endLabels), seconds, timerLabels(exemplarLabels, endExemplarLabels));
      return seconds;
    };
  }

  /**
   * Starts a timer; the returned function observes the elapsed seconds (with `labels` merged in). With
   * `enableExemplars`, both take exemplar labels too (merged the same way), as prom-client's do.
   */
  startTimer(labels?: LabelValues<T>): (labels?: LabelValues<T>) => number;
  startTimer(labels?: LabelValues<T>, exemplarLabels?: Readonly<Record<string, string | number>>): (labels?: LabelValues<T>, exemplarLabels?: Readonly<Record<string, string | number>>) => number;
  startTimer(labels?: LabelValues<T>): (labels?: LabelValues<T>) => number {
    return startTimer<LabelValues<T>>(this, labels);
  }

  [kRecordTimed](seconds: number, startLabels: LabelValues<T> | undefined, endLabels: LabelValues<T> | undefined): void {
    this.timedChild(startLabels, endLabels).observe(seconds);
  }

  /**
   * Takes every series out of scrapes, for every process, the one of a metric without labels too: prom-client's
   * histogram drops all its samples on reset() (its counter and gauge keep theirs at zero). The next observation
   * brings a series back from zero.
   */
  override reset(): void {
    this.resetSeries(true);
  }

  /** Every series as prom-client's `get()` has it: `le` first in the bucket labels, then the series' labels. */
  async get(): Promise<MetricObjectWithValues<T>> {
    const { values, ...family } = await this.getForPromString();
    return {
      ...family,
      values: values.map(({ labels, sharedLabels, ...value }): MetricValue<T> => ({ ...value, labels: { ...labels, ...sharedLabels } })),
    };
  }

  /**
   * What prom-client's registry writes the text from (it calls this instead of `get()` when a metric has it): the
   * series' labels apart in `sharedLabels`, so that with default labels the line reads as prom-client's does.
   */
  async getForPromString(): Promise<Omit<MetricObjectWithValues<T>, 'values'> & { values: HistogramValue<T>[] }> {
    const snapshot = await this.snapshot();
    const values: HistogramValue<T>[] = [];
    const bounds = this.buckets;
    const bucket = `${this.name}_bucket`;
    for (const s of snapshot.series) {
      const labels = labelObject(this.labelNames, s.labels);
      for (let i = 0; i <= bounds.length; i++) {
        const le: number | '+Inf' = i < bounds.length ? bounds[i]! : '+Inf';
        // as prom-client's get(): null where a bucket has no exemplar, except on +Inf of a metric with exemplars
        // enabled, where prom-client has undefined (its exemplars are kept by finite bound only until one lands there)
        const exemplar = exemplarObject(s.exemplars?.[i]) ?? (i === bounds.length && this.meta.exemplars === true ? undefined : null);
        values.push({ labels: { le }, sharedLabels: labels, value: s.values[i]!, metricName: bucket, exemplar });
      }
      values.push({ labels: {}, sharedLabels: labels, value: s.values[bounds.length + 1]!, metricName: `${this.name}_sum`, exemplar: undefined });
      values.push({ labels: {}, sharedLabels: labels, value: s.values[bounds.length]!, metricName: `${this.name}_count`, exemplar: undefined });
    }
    return { name: this.name, help: this.help, type: 'histogram', aggregator: this.aggregator, values };
  }
}
