// Gauge: prom-client's API. By default a gauge's value is one copy shared by all processes (the last `set` wins,
// `inc` and `dec` add atomically), kept in the series' shared word. With a per-process `multiprocessMode` (see
// multiprocess-mode.ts) each process (or worker thread) keeps its own value in its own cell of the series, and a
// scrape combines them: sum, min, max, or one sample per process.
import type { Gauge as PromGauge } from 'prom-client';
import { MpmetricsRangeError } from '../errors.js';
import type { Heap } from '../heap/heap.js';
import type { ProcessCell } from '../heap/process-cells.js';
import type { SharedWords } from '../heap/shared-words.js';
import { kForgetOwnValue } from '../symbols.js';
import { kRecordTimed } from './symbols.js';
import { labelObject, SharedMetric, type CollectFunction, type LabelValues, type MetricConfiguration, type MetricObjectWithValues, type SeriesSource } from './metric.js';
import type { SeriesLabels } from './label-tree.js';
import { checkMultiprocessMode, isLive, isPerProcess, labelsByPid, PID_LABEL, type MultiprocessMode } from './multiprocess-mode.js';
import { checkFinite, startTimer } from './values.js';

export interface GaugeConfiguration<T extends string> extends MetricConfiguration<T> {
  /** Runs in the process that scrapes, before the values are read; `this` is the gauge. */
  collect?: CollectFunction<Gauge<T>, PromGauge<T>>;
  /**
   * How the values of many processes combine. 'shared' (default): one value for all, the last `set` wins.
   * 'sum', 'min', 'max': each process keeps its own value and a scrape shows their sum, minimum or maximum.
   * 'all': one sample per process, with a `pid` label. 'livesum', 'livemin', 'livemax', 'liveall': the same, over
   * the processes that are still running. Every process must declare a gauge with the same mode.
   */
  multiprocessMode?: MultiprocessMode;
}

/** A gauge bound to one label set (`gauge.labels(...)`). */
export class GaugeChild<T extends string = string> {
  readonly #heap: Heap;
  readonly #series: SeriesSource;
  /** The one shared value ('shared' mode), or undefined when each process keeps its own. */
  readonly #words: SharedWords | undefined;
  /** This process's own value (per-process modes), claimed on the first update; its followSeries() revives the series. */
  #cell: ProcessCell | undefined;
  readonly #reuseDead: boolean;
  readonly #observe: (labels: LabelValues<T> | undefined, value: number) => void;

  constructor(heap: Heap, series: SeriesSource, mode: MultiprocessMode, observe: (labels: LabelValues<T> | undefined, value: number) => void) {
    this.#heap = heap;
    this.#series = series;
    this.#words = isPerProcess(mode) ? undefined : heap.shared(series);
    this.#reuseDead = isLive(mode);
    this.#observe = observe;
  }

  #own(): ProcessCell {
    return (this.#cell = this.#heap.processCell(this.#series, this.#reuseDead));
  }

  /** Adds `value` (default 1). */
  inc(value?: number): void {
    this.#add(value === undefined ? 1 : checkFinite(value, 'Gauge increment'));
  }

  /** Subtracts `value` (default 1). */
  dec(value?: number): void {
    this.#add(value === undefined ? -1 : -checkFinite(value, 'Gauge decrement'));
  }

  #add(delta: number): void {
    const words = this.#words;
    if (words === undefined) {
      (this.#cell ?? this.#own()).add(delta);
      return;
    }
    words.guard();
    words.addFloat(0, delta);
  }

  set(value: number): void {
    const v = checkFinite(value, 'Gauge value');
    const words = this.#words;
    if (words === undefined) {
      (this.#cell ?? this.#own()).set(v);
      return;
    }
    words.guard();
    words.setFloat(0, v);
  }

  /**
   * Per-process modes: drops this process's value, so this process shows no sample for the label set (the
   * runtime metrics use it for handle types that are gone, as prom-client resets its gauge). 'shared': sets 0.
   */
  [kForgetOwnValue](): void {
    if (this.#words === undefined) this.#cell?.clear();
    else this.set(0);
  }

  /** Sets the gauge to the current Unix time in seconds. */
  setToCurrentTime(): void {
    this.set(Date.now() / 1000);
  }

  /** Starts a timer; calling the returned function sets the gauge to the seconds elapsed, and returns them. */
  startTimer(): (labels?: LabelValues<T>) => number {
    return startTimer<LabelValues<T>>(this);
  }

  /** A timer's end: the labels given to it are merged over this child's, as set(labels, value) would. */
  [kRecordTimed](seconds: number, _startLabels: undefined, labels: LabelValues<T> | undefined): void {
    if (labels === undefined) this.set(seconds);
    else this.#observe(labels, seconds);
  }
}

export class Gauge<T extends string = string> extends SharedMetric<T, GaugeChild<T>> {
  readonly multiprocessMode: MultiprocessMode;

  constructor(configuration: GaugeConfiguration<T>) {
    const multiprocessMode = checkMultiprocessMode((configuration as GaugeConfiguration<T> | undefined)?.multiprocessMode);
    const labelNames: unknown = (configuration as GaugeConfiguration<T> | undefined)?.labelNames;
    if (labelsByPid(multiprocessMode) && Array.isArray(labelNames) && labelNames.includes(PID_LABEL)) {
      throw new MpmetricsRangeError(
        `Invalid label name "${PID_LABEL}": a gauge with multiprocessMode '${multiprocessMode}' adds a "${PID_LABEL}" label to every sample itself; ` +
          'rename your label or choose another mode',
        { code: 'MPM_ERR_LABELS' },
      );
    }
    super(configuration, 'gauge', { multiprocessMode });
    this.multiprocessMode = multiprocessMode;
  }

  protected createChild(series: SeriesSource, values: SeriesLabels): GaugeChild<T> {
    const fixed = labelObject(this.labelNames, values);
    // runs inside super() for a gauge without labels, before this.multiprocessMode is set: read the mode from meta
    const mode = this.meta.multiprocessMode ?? 'shared';
    return new GaugeChild<T>(this.heap, series, mode, (more, seconds) => this.set({ ...fixed, ...more } as LabelValues<T>, seconds));
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
    return startTimer<LabelValues<T>>(this, labels);
  }

  [kRecordTimed](seconds: number, startLabels: LabelValues<T> | undefined, endLabels: LabelValues<T> | undefined): void {
    this.timedChild(startLabels, endLabels).set(seconds);
  }

  /**
   * Makes a label set exist with the value 0 (for this process, in a per-process mode), so it is exported before
   * its first update.
   */
  override zero(labels: LabelValues<T>): void {
    super.zero(labels);
    if (isPerProcess(this.multiprocessMode)) this.child(this.labelNames.length === 0 ? undefined : labels).set(0);
  }

  get(): Promise<MetricObjectWithValues<T>> {
    return this.singleValues();
  }
}
