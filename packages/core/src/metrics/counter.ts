// Counter: prom-client's API, values in the shared heap. Each process adds into its own cell of a series with a
// plain store; a scrape sums the cells. Fractional increments are fine.
import type { Counter as PromCounter } from 'prom-client';
import type { WriterCell } from '../heap/cells.js';
import { layoutOf } from '../registry/family-reader.js';
import { labelObject, SharedMetric, type CollectFunction, type LabelValues, type MetricConfiguration, type MetricObjectWithValues } from './metric.js';
import type { SeriesLayout } from '../heap/heap.js';
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

  protected get layout(): SeriesLayout {
    return layoutOf(this.meta);
  }

  protected createChild(ptr: number): CounterChild {
    return new CounterChild(this.heap, ptr);
  }

  /** Adds `value` (default 1) to the series of `labels`, or to the metric without labels. */
  inc(value?: number): void;
  inc(labels: LabelValues<T>, value?: number): void;
  inc(labelsOrValue?: LabelValues<T> | number, value?: number): void {
    if (typeof labelsOrValue === 'object' && labelsOrValue !== null) this.child(labelsOrValue).inc(value);
    else this.child(undefined).inc(labelsOrValue);
  }

  /** The counter of one label set: values in label-name order, or a labels object. Cached: keep it. */
  labels(...values: (string | number)[]): CounterChild;
  labels(labels: LabelValues<T>): CounterChild;
  labels(...args: unknown[]): CounterChild {
    return this.childOf(args);
  }

  override remove(...values: (string | number)[]): void;
  override remove(labels: LabelValues<T>): void;
  override remove(...args: unknown[]): void {
    super.remove(...args);
  }

  async get(): Promise<MetricObjectWithValues<T>> {
    const snapshot = await this.snapshot();
    return {
      name: this.name,
      help: this.help,
      type: 'counter',
      aggregator: this.aggregator,
      values: snapshot.series.map((s) => ({ value: s.values[0]!, labels: labelObject(this.labelNames, s.labels) })),
    };
  }
}
