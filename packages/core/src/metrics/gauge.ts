// Gauge: prom-client's API. A gauge's value is one copy shared by all processes (the last `set` wins, `inc` and
// `dec` add atomically), kept in the series' shared word.
import type { Gauge as PromGauge } from 'prom-client';
import type { Heap } from '../heap/heap.js';
import type { SharedWords } from '../heap/shared-words.js';
import { labelObject, SharedMetric, type CollectFunction, type LabelValues, type MetricConfiguration, type MetricObjectWithValues } from './metric.js';
import { checkFinite, startTimer } from './values.js';

export interface GaugeConfiguration<T extends string> extends MetricConfiguration<T> {
  /** Runs in the process that scrapes, before the values are read; `this` is the gauge. */
  collect?: CollectFunction<Gauge<T>, PromGauge<T>>;
}

/** A gauge bound to one label set (`gauge.labels(...)`). */
export class GaugeChild<T extends string = string> {
  /** Brings the series back if another process removed it: before every write. */
  readonly #revive: () => void;
  readonly #words: SharedWords;
  readonly #observe: (labels: LabelValues<T> | undefined, value: number) => void;

  constructor(heap: Heap, series: number, observe: (labels: LabelValues<T> | undefined, value: number) => void) {
    this.#revive = heap.reviver(series);
    this.#words = heap.shared(series);
    this.#observe = observe;
  }

  /** Adds `value` (default 1). */
  inc(value?: number): void {
    this.#revive();
    this.#words.addFloat(0, value === undefined ? 1 : checkFinite(value, 'Gauge increment'));
  }

  /** Subtracts `value` (default 1). */
  dec(value?: number): void {
    this.#revive();
    this.#words.addFloat(0, value === undefined ? -1 : -checkFinite(value, 'Gauge decrement'));
  }

  set(value: number): void {
    this.#revive();
    this.#words.setFloat(0, checkFinite(value, 'Gauge value'));
  }

  /** Sets the gauge to the current Unix time in seconds. */
  setToCurrentTime(): void {
    this.set(Date.now() / 1000);
  }

  /** Starts a timer; calling the returned function sets the gauge to the seconds elapsed, and returns them. */
  startTimer(): (labels?: LabelValues<T>) => number {
    return startTimer<LabelValues<T>>((seconds, labels) => (labels === undefined ? this.set(seconds) : this.#observe(labels, seconds)));
  }
}

export class Gauge<T extends string = string> extends SharedMetric<T, GaugeChild<T>> {
  constructor(configuration: GaugeConfiguration<T>) {
    super(configuration, 'gauge', {});
  }

  protected createChild(ptr: number, values: readonly string[]): GaugeChild<T> {
    const fixed = labelObject(this.labelNames, values);
    return new GaugeChild<T>(this.heap, ptr, (more, seconds) => this.set({ ...fixed, ...more } as LabelValues<T>, seconds));
  }

  inc(value?: number): void;
  inc(labels: LabelValues<T>, value?: number): void;
  inc(labelsOrValue?: LabelValues<T> | number, value?: number): void {
    if (typeof labelsOrValue === 'object' && labelsOrValue !== null) {
      if (value !== undefined) checkFinite(value, 'Gauge increment'); // before the label set is looked up, so a bad value creates no series
      this.child(labelsOrValue).inc(value);
    } else this.child(undefined).inc(labelsOrValue);
  }

  dec(value?: number): void;
  dec(labels: LabelValues<T>, value?: number): void;
  dec(labelsOrValue?: LabelValues<T> | number, value?: number): void {
    if (typeof labelsOrValue === 'object' && labelsOrValue !== null) {
      if (value !== undefined) checkFinite(value, 'Gauge decrement'); // before the label set is looked up, so a bad value creates no series
      this.child(labelsOrValue).dec(value);
    } else this.child(undefined).dec(labelsOrValue);
  }

  set(value: number): void;
  set(labels: LabelValues<T>, value: number): void;
  set(labelsOrValue: LabelValues<T> | number, value?: number): void {
    if (typeof labelsOrValue === 'object' && labelsOrValue !== null) {
      checkFinite(value, 'Gauge value'); // before the label set is looked up, so a bad value creates no series
      this.child(labelsOrValue).set(value as number);
    } else this.child(undefined).set(labelsOrValue);
  }

  setToCurrentTime(labels?: LabelValues<T>): void {
    this.child(labels).setToCurrentTime();
  }

  /** Starts a timer; the returned function sets the gauge to the elapsed seconds (with `labels` merged in). */
  startTimer(labels?: LabelValues<T>): (labels?: LabelValues<T>) => number {
    return this.timer(labels, (child, seconds) => child.set(seconds));
  }

  get(): Promise<MetricObjectWithValues<T>> {
    return this.singleValues();
  }
}
