// Counter: prom-client's API, values in the shared heap. Each process adds into its own cell of a series with a
// plain store; a scrape sums the cells. Fractional increments are fine.
import type { Counter as PromCounter } from 'prom-client';
import type { WriterCell } from '../heap/cells.js';
import { SharedMetric, type CollectFunction, type LabelValues, type MetricConfiguration, type MetricObjectWithValues } from './metric.js';
import type { Heap } from '../heap/heap.js';
import { checkIncrement } from './values.js';

export interface CounterConfiguration<T extends string> extends MetricConfiguration<T> {
  /** Runs in the process that scrapes, before the values are read; `this` is the counter. */
  collect?: CollectFunction<Counter<T>, PromCounter<T>>;
}

/** A counter bound to one label set (`counter.labels(...)`). */
export class CounterChild {
  readonly #heap: Heap;
  readonly #series: number;
  #cell: WriterCell | undefined;

  constructor(heap: Heap, series: number) {
    this.#heap = heap;
    this.#series = series;
  }

  /** Adds `value` (default 1; any finite number ≥ 0). */
  inc(value?: number): void {
    const delta = checkIncrement(value, 'Counter increment');
    const cell = this.#cell ?? (this.#cell = this.#heap.cell(this.#series));
    cell.sync();
    cell.f64[cell.base]! += delta;
  }
}

export class Counter<T extends string = string> extends SharedMetric<T, CounterChild> {
  constructor(configuration: CounterConfiguration<T>) {
    super(configuration, 'counter', {});
  }

  protected createChild(ptr: number): CounterChild {
    return new CounterChild(this.heap, ptr);
  }

  /** Adds `value` (default 1) to the series of `labels`, or to the metric without labels. */
  inc(value?: number): void;
  inc(labels: LabelValues<T>, value?: number): void;
  inc(labelsOrValue?: LabelValues<T> | number, value?: number): void {
    if (typeof labelsOrValue === 'object' && labelsOrValue !== null) {
      checkIncrement(value, 'Counter increment'); // before the label set is looked up, so a bad value creates no series
      this.child(labelsOrValue).inc(value);
    } else this.child(undefined).inc(labelsOrValue);
  }

  get(): Promise<MetricObjectWithValues<T>> {
    return this.singleValues();
  }
}
