// Summary quantiles that are right across processes: every writer keeps a DDSketch-style histogram of its
// observations in its own cell, with logarithmic bins, and a scrape merges the bins of all writers before it
// computes any quantile. (Averaging per-process quantiles, as prom-client's cluster mode does, is wrong.)
//
// A value v > 0 goes to bin k = ceil(log(v) / log(γ)), γ = (1 + α) / (1 - α); reading bin k back as
// 2γ^k / (γ + 1) is within a relative error α of every value in it, so any quantile is within α of a true
// observation of that rank. α = 1%. Negative values are kept the same way on their own bins; magnitudes below
// 1e-12 count as zero.
//
// Each window has, per sign, a range of bins that slides over k: 808 positive bins (7 decades) and 464 negative
// ones (4 decades). When a value falls outside, the range moves to keep the highest bins, and what falls off the
// bottom is folded into the lowest bin. So the bound (README, "Summary quantiles") holds for every quantile within
// 7 (4) decades of the largest magnitude of its sign in the window; one further down is reported too large in
// magnitude, by at most the range's floor. Only the bins in use take memory: sketch-store.ts keeps them in a block
// that grows with the data, up to the range. With `maxAgeSeconds` and `ageBuckets`, a cell has one such window per
// age bucket, tied to wall-clock time so that all processes agree which window is current.
import type { WriterCell } from '../heap/cells.js';
import type { Heap } from '../heap/heap.js';
import type { SeriesLayout } from '../heap/series-store.js';
import type { FamilyMeta } from './family-meta.js';
import { isBin, S_BASE, S_COUNT, S_OFFSET, StoreCopy, STORE_WORDS, type SketchBlocks } from './sketch-store.js';

export const RELATIVE_ACCURACY = 0.01;
const GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY);
const LOG_GAMMA = Math.log(GAMMA);
/** Values closer to zero than this count as zero. */
const MIN_MAGNITUDE = 1e-12;
/** Range of bins per sign: ⌈D / log10(γ)⌉ + 2 for D decades (see the bound in the README), rounded up to a multiple of 8. */
const POSITIVE_BINS = 808;
const NEGATIVE_BINS = 464;
/** Decades below the largest magnitude of a sign that keep the relative-error bound. */
export const SKETCH_DECADES = Object.freeze({ positive: 7, negative: 4 });

/** Cell words: [0] sum (all time), [1] count (all time), then the windows. */
const SUM = 0;
const COUNT = 1;
const WINDOWS = 2;
/** Window words: epoch, count, zero count, then the positive and the negative store (sketch-store.ts). */
const W_EPOCH = 0;
const W_COUNT = 1;
const W_ZERO = 2;
const W_POS = 3;
const W_NEG = W_POS + STORE_WORDS;
const WINDOW_WORDS = W_NEG + STORE_WORDS;
/** The stores of a window: where their words start, and the bins of their range. */
const STORES: readonly (readonly [at: number, size: number])[] = [
  [W_POS, POSITIVE_BINS],
  [W_NEG, NEGATIVE_BINS],
];

export interface SketchWindowing {
  /** Number of windows (1 without a sliding window). */
  readonly windows: number;
  /** Milliseconds per window; 0 without a sliding window. */
  readonly windowMs: number;
}

export function windowingOf(meta: FamilyMeta): SketchWindowing {
  const windows = meta.maxAgeSeconds !== undefined && meta.ageBuckets !== undefined ? meta.ageBuckets : 1;
  return { windows, windowMs: windows > 1 || meta.maxAgeSeconds !== undefined ? ((meta.maxAgeSeconds ?? 0) * 1000) / windows : 0 };
}

/** Values per writer cell of a summary series with this windowing. */
export function sketchWords(windowing: SketchWindowing): number {
  return WINDOWS + windowing.windows * WINDOW_WORDS;
}

export function summaryLayout(meta: FamilyMeta): SeriesLayout {
  return { valueWords: sketchWords(windowingOf(meta)), sharedWords: 0 };
}

function binOf(magnitude: number): number {
  return Math.ceil(Math.log(magnitude) / LOG_GAMMA);
}

function valueOfBin(k: number): number {
  return (2 * Math.pow(GAMMA, k)) / (GAMMA + 1);
}

/**
 * Adds 1 to bin k of the store whose cell words start at `s` (a range of `size` bins), moving the store's range if
 * needed and `moving` allows; without `moving`, an observation that needs a move writes nothing and returns false.
 * Reads `f64` (this writer's own cell) and writes only through the cell (sketch-store.ts for the bins), so that on
 * the Atomics memory-order path every store a reader may see goes through Atomics.
 */
function addToStore(blocks: SketchBlocks, cell: WriterCell, s: number, size: number, k: number, moving: boolean): boolean {
  const offset = cell.f64[s + S_OFFSET]!;
  const count = cell.f64[s + S_COUNT]!;
  const i = k - offset;
  // almost every observation: inside the range and its block (kept apart so that the update path stays small
  // enough to inline)
  if (count !== 0 && i >= 0 && i < size && blocks.addInPlace(cell, s, k, 1)) {
    cell.put(s + S_COUNT, count + 1);
    return true;
  }
  if (!moving) return false;
  cell.put(s + S_COUNT, count + 1);
  // inside the range, addInPlace() was tried above and the bins must move; outside it, the range moves first
  if (count !== 0 && i >= 0 && i < size) blocks.addMoving(cell, s, size, k, 1);
  else addMovingRange(blocks, cell, s, size, k, offset, count);
  return true;
}

/** addToStore() for a first value, or one outside the range: the range moves first. */
function addMovingRange(blocks: SketchBlocks, cell: WriterCell, s: number, size: number, k: number, from: number, count: number): void {
  let offset = from;
  if (!isBin(offset)) blocks.damage = `summary cell word ${s + S_OFFSET} holds ${offset}, which is not a bin: its range starts again`;
  if (count === 0 || !isBin(offset)) {
    // An empty store: centre its range on the first value, leaning up (latencies grow more than they shrink).
    offset = k - (size >> 2);
    cell.put(s + S_OFFSET, offset);
  }
  let i = k - offset;
  if (i >= size) {
    // Move the range up so k is the top bin; fold what falls off the bottom into the new lowest bin.
    offset += i - size + 1;
    cell.put(s + S_OFFSET, offset);
    const folded = blocks.takeBinsBelow(cell, s, size, offset);
    if (folded > 0) blocks.addToBin(cell, s, size, offset, folded);
    i = size - 1;
  } else if (i < 0) {
    // Move the range down as far as the empty bins at its top allow, so no recorded value is dropped; what is
    // still below then goes into the lowest bin (collapsing the low end keeps the high quantiles exact).
    const top = Math.max(blocks.highestBin(cell, s, size) - offset, 0);
    const shift = Math.min(-i, size - 1 - top);
    if (shift > 0) {
      offset -= shift;
      cell.put(s + S_OFFSET, offset);
      i += shift;
    }
    if (i < 0) i = 0;
  }
  blocks.addToBin(cell, s, size, offset + i, 1);
}

/** Empties a window for a new epoch (or the whole cell for a reset), keeping its stores' blocks. */
function clearWindow(blocks: SketchBlocks, cell: WriterCell, w: number): void {
  for (const word of [W_EPOCH, W_COUNT, W_ZERO]) if (cell.f64[w + word] !== 0) cell.put(w + word, 0);
  for (const [at, size] of STORES) blocks.clearStore(cell, w + at, size);
}

/**
 * Clears a summary cell for a new generation of its series (reset, remove), in place of zeroing every value, which
 * would lose the pointers to its blocks. Runs inside the update the cell began.
 */
export function clearSketch(blocks: SketchBlocks, cell: WriterCell, windowing: SketchWindowing): void {
  const base = cell.base;
  cell.put(base + SUM, 0);
  cell.put(base + COUNT, 0);
  for (let i = 0; i < windowing.windows; i++) clearWindow(blocks, cell, base + WINDOWS + i * WINDOW_WORDS);
}

/** Gives back every block of a summary cell whose series expired, inside the update its handle began to let go. */
export function releaseSketch(blocks: SketchBlocks, cell: WriterCell, windowing: SketchWindowing): void {
  for (let i = 0; i < windowing.windows; i++) {
    for (const [at, size] of STORES) blocks.releaseStore(cell, cell.base + WINDOWS + i * WINDOW_WORDS + at, size);
  }
}

/**
 * Records one observation in this writer's cell, inside the caller's group update (`cell.begin()`). The caller
 * has checked `value` is a finite number. Without `moving`, an observation whose store must move (a new range,
 * block or count width) writes nothing of itself and returns false: the caller reserves blocks for it (see
 * reserveSketchBlocks) and records it in a second update with `moving`, which then allocates nothing. (A window
 * cleared for its new epoch stays cleared: that is due whatever happens to this observation.)
 */
export function observeSketch(blocks: SketchBlocks, cell: WriterCell, windowing: SketchWindowing, value: number, now: number, moving: boolean): boolean {
  const f64 = cell.f64;
  const base = cell.base;
  let w = base + WINDOWS;
  if (windowing.windowMs > 0) {
    const epoch = Math.floor(now / windowing.windowMs);
    w += (epoch % windowing.windows) * WINDOW_WORDS;
    if (f64[w + W_EPOCH] !== epoch) {
      clearWindow(blocks, cell, w);
      cell.put(w + W_EPOCH, epoch);
    }
  }
  const magnitude = Math.abs(value);
  if (magnitude < MIN_MAGNITUDE) cell.put(w + W_ZERO, f64[w + W_ZERO]! + 1);
  else if (value > 0) {
    if (!addToStore(blocks, cell, w + W_POS, POSITIVE_BINS, binOf(magnitude), moving)) return false;
  } else if (!addToStore(blocks, cell, w + W_NEG, NEGATIVE_BINS, binOf(magnitude), moving)) return false;
  cell.put(base + SUM, f64[base + SUM]! + value);
  cell.put(base + COUNT, f64[base + COUNT]! + 1);
  cell.put(w + W_COUNT, f64[w + W_COUNT]! + 1);
  return true;
}

/**
 * Takes the spare blocks a moving observation of `value` at `now` may need, before its update begins
 * (sketch-store.ts, reserve()), judged from the cell as the observation's first try left it.
 */
export function reserveSketchBlocks(blocks: SketchBlocks, cell: WriterCell, windowing: SketchWindowing, value: number, now: number): void {
  const magnitude = Math.abs(value);
  if (magnitude < MIN_MAGNITUDE) return; // a zero is counted in the cell itself
  let w = cell.base + WINDOWS;
  if (windowing.windowMs > 0) w += (Math.floor(now / windowing.windowMs) % windowing.windows) * WINDOW_WORDS;
  if (value > 0) blocks.reserve(cell, w + W_POS, POSITIVE_BINS, binOf(magnitude));
  else blocks.reserve(cell, w + W_NEG, NEGATIVE_BINS, binOf(magnitude));
}

/** Bins merged over writers and current windows: absolute bin index → count. */
class MergedBins {
  readonly positive = new Map<number, number>();
  readonly negative = new Map<number, number>();
  zero = 0;
  count = 0;
}

function mergeWindow(into: MergedBins, f64: Float64Array, w: number, copies: readonly StoreCopy[]): void {
  const count = f64[w + W_COUNT]!;
  if (count === 0) return;
  into.count += count;
  into.zero += f64[w + W_ZERO]!;
  for (let sign = 0; sign < STORES.length; sign++) {
    const bins = sign === 0 ? into.positive : into.negative;
    const copy = copies[sign]!;
    const base = f64[w + STORES[sign]![0] + S_BASE]!;
    for (let j = 0; j < copy.capacity; j++) {
      const n = copy.get(j);
      if (n !== 0) bins.set(base + j, (bins.get(base + j) ?? 0) + n);
    }
  }
}

/**
 * The quantiles `percentiles` (ascending) of merged bins, into `out`: for each q, the value of the bin holding
 * the observation of 0-based rank ⌊q·(count − 1)⌋ in ascending order; 0 when there is none, as prom-client reports
 * a quantile of nothing (and as users' dashboards and alerts on it expect after the switch).
 */
function quantilesOf(bins: MergedBins, percentiles: readonly number[], out: number[]): void {
  if (bins.count === 0) {
    for (let i = 0; i < percentiles.length; i++) out[i] = 0;
    return;
  }
  // every bin in ascending order of value: negatives (most negative first), zero, positives
  const values: number[] = [];
  const counts: number[] = [];
  for (const k of [...bins.negative.keys()].sort((a, b) => b - a)) {
    values.push(-valueOfBin(k));
    counts.push(bins.negative.get(k)!);
  }
  if (bins.zero > 0) {
    values.push(0);
    counts.push(bins.zero);
  }
  for (const k of [...bins.positive.keys()].sort((a, b) => a - b)) {
    values.push(valueOfBin(k));
    counts.push(bins.positive.get(k)!);
  }
  if (values.length === 0) {
    // a count with no bins: every block of the window was left out of a cell taken as it is; as an empty window
    for (let i = 0; i < percentiles.length; i++) out[i] = 0;
    return;
  }
  let bin = 0;
  let seen = counts[0]!;
  for (let i = 0; i < percentiles.length; i++) {
    const rank = Math.floor(percentiles[i]! * (bins.count - 1));
    while (seen <= rank && bin < values.length - 1) seen += counts[++bin]!;
    out[i] = values[bin]!;
  }
}

/** Reused copies of each window's stores (reads are synchronous, one at a time): a scrape allocates none per series. */
const storeCopies: StoreCopy[][] = [];

/**
 * [quantile per percentile…, sum, count] of a summary series over all writers, and whether its window holds no
 * observation (what prom-client's `pruneAgedBuckets` drops a label set for).
 */
export function readSummaryQuantiles(heap: Heap, ptr: number, meta: FamilyMeta): { values: number[]; windowEmpty: boolean } {
  const windowing = windowingOf(meta);
  const percentiles = meta.percentiles ?? [];
  const out = new Array<number>(percentiles.length + 2);
  const bins = new MergedBins();
  const current = windowing.windowMs > 0 ? Math.floor(Date.now() / windowing.windowMs) : 0;
  const inWindow = (f64: Float64Array, w: number): boolean =>
    windowing.windowMs === 0 || (f64[w + W_EPOCH]! > current - windowing.windows && f64[w + W_EPOCH]! <= current);
  while (storeCopies.length < windowing.windows) storeCopies.push(STORES.map(() => new StoreCopy()));
  const copies = storeCopies;
  // the blocks of the windows in use, copied inside the cell's seqlock read (so as of the same update)
  // (drop: the cell was taken as it is while its writer moved on, so the blocks copied may be another series' now)
  const copyBlocks = (f64: Float64Array, drop = false): boolean => {
    if (drop) {
      for (const window of copies) for (const copy of window) copy.capacity = 0;
      return true;
    }
    let whole = true;
    for (let i = 0; i < windowing.windows; i++) {
      const w = WINDOWS + i * WINDOW_WORDS;
      const inUse = inWindow(f64, w) && f64[w + W_COUNT] !== 0;
      for (let sign = 0; sign < STORES.length; sign++) {
        const [at, size] = STORES[sign]!;
        if (!inUse) copies[i]![sign]!.capacity = 0;
        else if (!copies[i]![sign]!.copy(heap, f64, w + at, size)) whole = false;
      }
    }
    return whole;
  };
  let sum = 0;
  let count = 0;
  heap.readEachCell(
    ptr,
    sketchWords(windowing),
    (f64) => {
      sum += f64[SUM]!;
      count += f64[COUNT]!;
      for (let i = 0; i < windowing.windows; i++) {
        const w = WINDOWS + i * WINDOW_WORDS;
        if (inWindow(f64, w)) mergeWindow(bins, f64, w, copies[i]!);
      }
    },
    copyBlocks,
  );
  quantilesOf(bins, percentiles, out);
  out[percentiles.length] = sum;
  out[percentiles.length + 1] = count;
  return { values: out, windowEmpty: bins.count === 0 };
}
