// Summary: prom-client's API, with quantiles computed over every process's observations (see summary-sketch.ts:
// relative error ≤ 1%), optionally over a sliding window of `maxAgeSeconds` in `ageBuckets` steps.
import type { Summary as PromSummary } from 'prom-client';
import { heapCorrupt, MpmetricsRangeError } from '../errors.js';
import type { WriterCell } from '../heap/cells.js';
import type { Heap } from '../heap/heap.js';
import { labelObject, SharedMetric, type CollectFunction, type LabelValues, type MetricConfiguration, type MetricObjectWithValues, type SeriesSource } from './metric.js';
import type { SeriesLabels } from './label-tree.js';
import { SketchBlocks } from './sketch-store.js';
import { clearSketch, observeSketch, releaseSketch, reserveSketchBlocks, sketchWords, windowingOf, type SketchWindowing } from './summary-sketch.js';
import { checkConfiguration, checkOptionalBoolean, checkPercentiles, checkPositiveInteger } from './validation.js';
import { kRecordTimed } from './symbols.js';
import { checkFinite, startTimer } from './values.js';

/**
 * The try of a moving observation that records whatever cell its handle is on by then: the handle moves to
 * another cell only when its series expired and was made anew between reserving blocks and the update, which
 * takes a sweep in that gap; two such in a row are already unlikely, and a third try without the blocks judged
 * for its cell at worst allocates inside the update, as before reserve() existed.
 */
const LAST_TRY = 3;

export const DEFAULT_PERCENTILES: readonly number[] = Object.freeze([0.01, 0.05, 0.5, 0.9, 0.95, 0.99, 0.999]);

export interface SummaryConfiguration<T extends string> extends MetricConfiguration<T> {
  percentiles?: number[];
  /** Quantiles cover the last `maxAgeSeconds` (with `ageBuckets`); without it, all time. */
  maxAgeSeconds?: number;
  ageBuckets?: number;
  /** Drop label sets with no observation in the window from scrapes. */
  pruneAgedBuckets?: boolean;
  /** Accepted for prom-client compatibility; the sketch needs no compression. */
  compressCount?: number;
  /** Runs in the process that scrapes, before the values are read; `this` is the summary. */
  collect?: CollectFunction<Summary<T>, PromSummary<T>>;
}

/** A summary bound to one label set (`summary.labels(...)`). */
export class SummaryChild<T extends string = string> {
  readonly #heap: Heap;
  readonly #series: SeriesSource;
  readonly #windowing: SketchWindowing;
  readonly #observeWith: (labels: LabelValues<T>, value: number) => void;
  #cell: WriterCell | undefined;
  readonly #blocks: SketchBlocks;

  constructor(heap: Heap, series: SeriesSource, windowing: SketchWindowing, observeWith: (labels: LabelValues<T>, value: number) => void) {
    this.#heap = heap;
    this.#blocks = new SketchBlocks(heap);
    this.#series = series;
    this.#windowing = windowing;
    this.#observeWith = observeWith;
  }

  observe(value: number): void {
    checkFinite(value, 'Summary observation');
    const cell = this.#cell ?? this.#claimCell();
    const now = this.#windowing.windowMs > 0 ? Date.now() : 0;
    let recorded: boolean;
    cell.begin();
    // Closed whatever happens inside, or its odd sequence would hold up every reader and flip the next one's parity.
    try {
      recorded = observeSketch(this.#blocks, cell, this.#windowing, value, now, false);
    } finally {
      cell.end();
    }
    if (!recorded) this.#observeMoving(cell, value, now);
    // (damage met by a clear inside begin() too)
    if (this.#blocks.damage !== undefined) this.#reportDamage();
  }

  /**
   * An observation whose store must move: the blocks it may need are taken first, so a full heap (or no space on
   * the device, or a lane lock not taken) throws before anything is written, and what was recorded stays whole.
   * If the update finds the handle on another cell (its series expired and was made anew), the blocks are judged
   * again for that cell.
   */
  #observeMoving(cell: WriterCell, value: number, now: number): void {
    for (let tries = 1; ; tries++) {
      const planned = cell.ptr;
      reserveSketchBlocks(this.#blocks, cell, this.#windowing, value, now);
      let done = false;
      try {
        cell.begin();
        try {
          if (cell.ptr === planned || tries === LAST_TRY) {
            observeSketch(this.#blocks, cell, this.#windowing, value, now, true);
            done = true;
          }
        } finally {
          cell.end();
        }
      } catch (error) {
        // the error is what the caller must see; spares that cannot go back (a closed heap) are lost with it
        try {
          this.#blocks.returnSpares();
        } catch {
          // lost with the heap that refused them
        }
        throw error;
      }
      this.#blocks.returnSpares();
      if (done) return;
    }
  }

  /** A block pointer of the cell was damaged; the update that dropped it is closed, so readers are not held up. */
  #reportDamage(): void {
    const what = this.#blocks.damage!;
    this.#blocks.damage = undefined;
    throw heapCorrupt(this.#heap.file.path, what);
  }

  #claimCell(): WriterCell {
    const cell = this.#heap.cell(this.#series, sketchWords(this.#windowing));
    // a reset keeps the cell's blocks (summary-sketch.ts), so clearing must know where they are
    cell.clearer = (c) => {
      this.#blocks.forget();
      clearSketch(this.#blocks, c, this.#windowing);
    };
    // an expired series' cell goes back to the lane without its blocks: they go back first
    cell.releaser = (c) => {
      releaseSketch(this.#blocks, c, this.#windowing);
      this.#blocks.forget();
    };
    return (this.#cell = cell);
  }

  startTimer(): (labels?: LabelValues<T>) => number {
    return startTimer<LabelValues<T>>(this);
  }

  /** A timer's end: the labels given to it are merged over this child's, as observe(labels, value) would. */
  [kRecordTimed](seconds: number, _startLabels: undefined, labels: LabelValues<T> | undefined): void {
    if (labels === undefined) this.observe(seconds);
    else this.#observeWith(labels, seconds);
  }
}

export class Summary<T extends string = string> extends SharedMetric<T, SummaryChild<T>> {
  readonly percentiles: readonly number[];
  readonly pruneAgedBuckets: boolean;

  constructor(configuration: SummaryConfiguration<T>) {
    const percentiles = checkPercentiles(checkConfiguration(configuration, 'summary').percentiles ?? DEFAULT_PERCENTILES);
    const window: { maxAgeSeconds?: number; ageBuckets?: number } = {};
    if (configuration.maxAgeSeconds !== undefined) {
      window.maxAgeSeconds = checkPositiveInteger(configuration.maxAgeSeconds, 'maxAgeSeconds', 366 * 86400);
      window.ageBuckets = checkPositiveInteger(configuration.ageBuckets ?? 5, 'ageBuckets', 60);
    } else if (configuration.ageBuckets !== undefined) {
      throw new MpmetricsRangeError('"ageBuckets" needs "maxAgeSeconds": the window they divide');
    }
    const pruneAgedBuckets = checkOptionalBoolean(configuration.pruneAgedBuckets, 'pruneAgedBuckets') === true;
    if (configuration.compressCount !== undefined) checkPositiveInteger(configuration.compressCount, 'compressCount');
    super(configuration, 'summary', { percentiles, ...window }, ['quantile']);
    this.percentiles = percentiles;
    this.pruneAgedBuckets = pruneAgedBuckets;
  }

  protected createChild(series: SeriesSource, values: SeriesLabels): SummaryChild<T> {
    const fixed = labelObject(this.labelNames, values);
    return new SummaryChild<T>(this.heap, series, windowingOf(this.meta), (more, seconds) =>
      this.observe({ ...fixed, ...more } as LabelValues<T>, seconds),
    );
  }

  observe(value: number): void;
  observe(labels: LabelValues<T>, value: number): void;
  observe(labelsOrValue: LabelValues<T> | number, value?: number): void {
    if (typeof labelsOrValue === 'object' && labelsOrValue !== null) {
      checkFinite(value, 'Summary observation'); // before the label set is looked up, so a bad value creates no series
      this.child(labelsOrValue).observe(value as number);
    } else this.child(undefined).observe(labelsOrValue);
  }

  startTimer(labels?: LabelValues<T>): (labels?: LabelValues<T>) => number {
    return startTimer<LabelValues<T>>(this, labels);
  }

  [kRecordTimed](seconds: number, startLabels: LabelValues<T> | undefined, endLabels: LabelValues<T> | undefined): void {
    this.timedChild(startLabels, endLabels).observe(seconds);
  }

  /** Zeroes every label set, for every process; unlike the other types (and as prom-client), they stay exported. */
  override reset(): void {
    this.resetSeries(false);
  }

  async get(): Promise<MetricObjectWithValues<T>> {
    const snapshot = await this.snapshot();
    const values: MetricObjectWithValues<T>['values'] = [];
    const q = this.percentiles;
    for (const s of snapshot.series) {
      if (this.pruneAgedBuckets && s.windowEmpty === true) continue;
      const labels = labelObject(this.labelNames, s.labels);
      for (let i = 0; i < q.length; i++) values.push({ labels: { quantile: q[i]!, ...labels }, value: s.values[i]! }); // `quantile` first, as prom-client
      values.push({ labels, value: s.values[q.length]!, metricName: `${this.name}_sum` });
      values.push({ labels, value: s.values[q.length + 1]!, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: 'summary', aggregator: this.aggregator, values };
  }
}
