// Counter: prom-client's API, values in the shared heap. Each process adds into its own cell of a series with a
// plain store; a scrape sums the cells. Fractional increments are fine. With `enableExemplars`, the latest
// exemplar of each series is kept in the heap for all processes (see heap/exemplar-slots.ts).
import type { Counter as PromCounter } from 'prom-client';
import type { ExemplarSlots } from '../heap/exemplar-slots.js';
import type { WriterCell } from '../heap/cells.js';
import type { Heap } from '../heap/heap.js';
import { checkExemplarData, encodeExemplarLabels, type IncreaseDataWithExemplar } from './exemplar.js';
import { SharedMetric, type CollectFunction, type LabelValues, type MetricConfiguration, type MetricObjectWithValues, type SeriesSource } from './metric.js';
import { kWithExemplar } from './symbols.js';
import { checkIncrement } from './values.js';

export interface CounterConfiguration<T extends string> extends MetricConfiguration<T> {
  /** Runs in the process that scrapes, before the values are read; `this` is the counter. */
  collect?: CollectFunction<Counter<T>, PromCounter<T>>;
}

/** A counter bound to one label set (`counter.labels(...)`). */
/** A counter series with exemplars has one slot and no shared words (see layoutOf in family-reader.ts). */
const EXEMPLAR_LAYOUT = { sharedWords: 0, exemplarSlots: 1 } as const;

export class CounterChild {
  readonly #heap: Heap;
  readonly #series: SeriesSource;
  #cell: WriterCell | undefined;
  #exemplars: ExemplarSlots | undefined;

  constructor(heap: Heap, series: SeriesSource) {
    this.#heap = heap;
    this.#series = series;
  }

  /** Adds `value` (default 1; any finite number ≥ 0). */
  inc(value?: number): void {
    const delta = checkIncrement(value, 'Counter increment');
    const cell = this.#cell ?? (this.#cell = this.#heap.cell(this.#series, 1));
    cell.add(0, delta);
  }

  /** Makes (encoded) `labels` with `value` the series' latest exemplar, for every process. */
  [kWithExemplar](value: number, labels: Uint8Array): void {
    // a series record: exemplars are refused with a TTL (whose series is found by a function)
    const slots = this.#exemplars ?? (this.#exemplars = this.#heap.exemplars(this.#series as number, EXEMPLAR_LAYOUT));
    slots.write(0, labels, value, Date.now() / 1000);
  }
}

export class Counter<T extends string = string> extends SharedMetric<T, CounterChild> {
  constructor(configuration: CounterConfiguration<T>) {
    super(configuration, 'counter', configuration?.enableExemplars === true ? { exemplars: true } : {});
    // As prom-client does: only a counter with exemplars has the { labels, value, exemplarLabels } form, so
    // the inc() of every other counter stays exactly as it is.
    if (configuration.enableExemplars === true) this.inc = this.#incWithExemplar as Counter<T>['inc'];
  }

  protected createChild(series: SeriesSource): CounterChild {
    return new CounterChild(this.heap, series);
  }

  /** Adds `value` (default 1) to the series of `labels`, or to the metric without labels. */
  inc(value?: number): void;
  inc(labels: LabelValues<T>, value?: number): void;
  /** With `enableExemplars`: adds `value` (default 1) to `labels`' series, with an exemplar (prom-client's form). */
  inc(data: IncreaseDataWithExemplar<T>): void;
  inc(labelsOrValue?: LabelValues<T> | IncreaseDataWithExemplar<T> | number, value?: number): void {
    this.#inc(labelsOrValue as LabelValues<T> | number | undefined, value);
  }

  /** inc(value) and inc(labels, value), with or without exemplars. */
  #inc(labelsOrValue: LabelValues<T> | number | undefined, value: number | undefined): void {
    if (typeof labelsOrValue === 'object' && labelsOrValue !== null) {
      checkIncrement(value, 'Counter increment'); // before the label set is looked up, so a bad value creates no series
      this.child(labelsOrValue).inc(value);
    } else this.child(undefined).inc(labelsOrValue);
  }

  #incWithExemplar(dataOrValue?: IncreaseDataWithExemplar<T> | LabelValues<T> | number, value?: number): void {
    if (typeof dataOrValue !== 'object' || dataOrValue === null || value !== undefined) {
      this.#inc(dataOrValue as LabelValues<T> | number | undefined, value); // inc(value) or inc(labels, value)
      return;
    }
    const data = dataOrValue as IncreaseDataWithExemplar<T>;
    checkExemplarData(data, 'inc');
    // everything is checked before anything is recorded
    const delta = checkIncrement(data.value, 'Counter increment');
    const labels = encodeExemplarLabels(data.exemplarLabels);
    const child = this.child(data.labels);
    child.inc(delta);
    if (labels !== undefined) child[kWithExemplar](delta, labels);
  }

  get(): Promise<MetricObjectWithValues<T>> {
    return this.singleValues();
  }
}
