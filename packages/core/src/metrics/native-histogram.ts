// The native buckets of a histogram (native-buckets.ts has the math), kept in each writer's cell beside the classic
// buckets and changed in the same update, so that a reader always sees count = zero bucket + every bucket.
//
// A cell holds, after the classic words: its schema as reductions from the declared one (0 at first), the zero
// bucket, then per sign a base key and WINDOW consecutive bins from it. The series' shared word holds the
// reductions every writer must follow: it only ever rises (the schema only drops, which Prometheus reads as no
// reset). A writer reduces its cell when its bins of one sign span more than its window; a reader reduces the
// merged histogram when it has more populated buckets than the budget. Either raises the shared word. A reader
// folds every cell to the highest reductions it finds, so a scrape shows one schema.
import type { WriterCell } from '../heap/cells.js';
import type { Heap } from '../heap/heap.js';
import type { SharedWords } from '../heap/shared-words.js';
import { bucketKey, coarserKey, MIN_SCHEMA, STAGED_MAGNITUDE, stagedKey } from './native-buckets.js';

/** A family's native bucket settings, as declared (and stored in its meta). */
export interface NativeSettings {
  /** The declared (finest) schema. */
  readonly schema: number;
  /** Observations at or below this magnitude count in the zero bucket. */
  readonly zeroThreshold: number;
  /** The most populated buckets (both signs) a scrape shows before the schema drops. */
  readonly maxBuckets: number;
}

/** Words of the native part, from its first. */
const REDUCTIONS = 0;
const ZERO = 1;
const POSITIVE_BASE = 2;
const NEGATIVE_BASE = 3;
const BINS = 4;

/**
 * Bins a cell keeps per sign: the budget, and never fewer than the 132 keys that schema −4 gives every finite
 * magnitude (2^−1074 … 2^1024), so that the coarsest schema always fits.
 */
function nativeWindow(settings: NativeSettings): number {
  return Math.max(settings.maxBuckets, 132);
}

/** Words the native part takes in a cell. */
export function nativeWords(settings: NativeSettings): number {
  return BINS + 2 * nativeWindow(settings);
}

/** The most reductions a series can take: down to schema −4. */
function maxReductions(settings: NativeSettings): number {
  return settings.schema - MIN_SCHEMA;
}

/** By reductions (0 … maxReductions): the lowest and highest key any finite magnitude has at that schema. */
interface KeyRange {
  readonly lowest: Int32Array;
  readonly highest: Int32Array;
}

const keyRanges = new WeakMap<NativeSettings, KeyRange>();

/** The key range of a family's every schema, made once per settings (a family's meta is frozen and kept). */
function keyRangeOf(settings: NativeSettings): KeyRange {
  let range = keyRanges.get(settings);
  if (range === undefined) {
    const length = maxReductions(settings) + 1;
    range = {
      lowest: Int32Array.from({ length }, (_, r) => bucketKey(Number.MIN_VALUE, settings.schema - r)),
      highest: Int32Array.from({ length }, (_, r) => bucketKey(Number.MAX_VALUE, settings.schema - r)),
    };
    keyRanges.set(settings, range);
  }
  return range;
}

/** Whether a cell's reductions word holds what a writer leaves there. */
function isReductions(r: number, settings: NativeSettings): boolean {
  return isKey(r) && r >= 0 && r <= maxReductions(settings);
}

/** Whether a key or a base read from a cell is one (damage could have made the word anything). */
function isKey(k: number): boolean {
  return (k | 0) === k;
}

/**
 * The observation a HistogramChild hands its NativeWriter: staged here, since a double passed to a call V8 does not
 * inline is boxed, an allocation per observation.
 */
export const OBSERVED = new Float64Array(1);

/**
 * One writer's native buckets of one series: observe() runs inside the cell's update (between begin() and end()),
 * before the classic part. `damage` is set when the cell's native words were not what a writer leaves (a damaged
 * heap); the cell was then started anew (its counts, and its classic counts with them, so that count still equals
 * the buckets' total) and the observation counted, for the caller to report once the update is closed.
 */
export class NativeWriter {
  readonly #settings: NativeSettings;
  readonly #shared: SharedWords;
  /** Cell word of the native part, from the cell's base. */
  readonly #at: number;
  readonly #window: number;
  readonly #most: number;
  /** By reductions: the lowest and highest key any finite magnitude has at that schema. */
  readonly #keys: KeyRange;
  damage: string | undefined = undefined;

  constructor(settings: NativeSettings, shared: SharedWords, classicWords: number) {
    this.#settings = settings;
    this.#shared = shared;
    this.#at = classicWords;
    this.#window = nativeWindow(settings);
    this.#most = maxReductions(settings);
    this.#keys = keyRangeOf(settings);
  }

  /** Counts OBSERVED[0] (finite) in its native bucket of `cell`, inside an update of the cell. */
  observe(cell: WriterCell): void {
    const f64 = cell.f64;
    const n = cell.base + this.#at;
    if (f64[n + REDUCTIONS] !== this.#shared.getSmall(0)) this.#follow(cell, n);
    const value = OBSERVED[0]!;
    const magnitude = value < 0 ? -value : value;
    if (magnitude <= this.#settings.zeroThreshold) {
      if (f64[n + ZERO]! >= 0) cell.bump(n + ZERO);
      else this.#countSlowly(cell, n);
      return;
    }
    STAGED_MAGNITUDE[0] = magnitude;
    const offset = stagedKey(this.#settings.schema - f64[n + REDUCTIONS]!) - f64[value > 0 ? n + POSITIVE_BASE : n + NEGATIVE_BASE]!;
    // an int32 from here on: an index held as a double would be boxed when passed to a call not inlined
    const j = offset | 0;
    if (j === offset && j >= 0 && j < this.#window) {
      const at = n + BINS + (value > 0 ? 0 : this.#window) + j;
      if (f64[at]! >= 0) {
        cell.bump(at);
        return;
      }
    }
    this.#countSlowly(cell, n);
  }

  /** The shared reductions, or −1 when the word holds what no writer leaves (damage). */
  #sharedReductions(): number {
    const shared = this.#shared.getSmall(0);
    return shared >= 0 && shared <= this.#most ? shared : -1;
  }

  /** Brings the cell to the shared reductions (or the shared word up to the cell's), checking both. */
  #follow(cell: WriterCell, n: number): void {
    this.#shared.guard();
    this.#checked(cell, n);
    const mine = cell.f64[n + REDUCTIONS]!;
    let shared = this.#sharedReductions();
    if (shared < 0) {
      // damaged: set anew from this cell (a reader that finds more reductions raises it again)
      this.#shared.replaceSmall(0, this.#shared.getSmall(0), mine);
      shared = this.#sharedReductions();
      if (shared < 0) return;
    }
    if (mine < shared) this.#reduce(cell, n, shared - mine);
    else if (mine > shared) this.#shared.raiseSmall(0, mine);
  }

  /** Damage: the cell's counts start from zero, classic ones too (count must stay the buckets' total). */
  #startAnew(cell: WriterCell, n: number, what: string): void {
    for (let i = cell.base; i < n + BINS + 2 * this.#window; i++) cell.put(i, 0);
    cell.put(n + REDUCTIONS, Math.max(this.#sharedReductions(), 0));
    this.damage ??= `a histogram cell's native buckets were damaged (${what}): its counts were started anew`;
  }

  /** Starts the cell anew unless its schema and base words are what a writer leaves. */
  #checked(cell: WriterCell, n: number): void {
    const f64 = cell.f64;
    const r = f64[n + REDUCTIONS]!;
    if (isReductions(r, this.#settings) && this.#isBase(f64[n + POSITIVE_BASE]!, r) && this.#isBase(f64[n + NEGATIVE_BASE]!, r)) return;
    this.#startAnew(cell, n, `its schema and base words hold ${r}, ${f64[n + POSITIVE_BASE]}, ${f64[n + NEGATIVE_BASE]}`);
  }

  /** Whether a window starting at `base` can hold keys of finite magnitudes at `r` reductions (0, before any). */
  #isBase(base: number, r: number): boolean {
    return isKey(base) && ((base >= this.#keys.lowest[r]! - this.#window && base <= this.#keys.highest[r]!) || base === 0);
  }

  /** Merges the cell's buckets `steps` schemas coarser, both signs. */
  #reduce(cell: WriterCell, n: number, steps: number): void {
    for (let sign = 0; sign < 2; sign++) {
      const baseAt = n + POSITIVE_BASE + sign;
      const bins = n + BINS + sign * this.#window;
      const base = cell.f64[baseAt]!;
      const newBase = coarserKey(base, steps);
      // ascending: a bin moves to a place at or before its own, which was already read
      for (let j = 0; j < this.#window; j++) {
        const count = cell.f64[bins + j]!;
        if (count === 0) continue;
        cell.put(bins + j, 0);
        const to = bins + coarserKey(base + j, steps) - newBase;
        cell.put(to, cell.f64[to]! + count);
      }
      cell.put(baseAt, newBase);
    }
    cell.put(n + REDUCTIONS, cell.f64[n + REDUCTIONS]! + steps);
  }

  /**
   * Counts OBSERVED[0] when the fast path cannot: a bucket outside the window (the window moves, or the cell goes
   * coarser first), or a count or word that damage changed (the cell starts anew). Every turn of the loop either
   * counts, or makes the cell coarser (at most to schema −4), or empties it (after which the window fits).
   */
  #countSlowly(cell: WriterCell, n: number): void {
    const f64 = cell.f64;
    const w = this.#window;
    const value = OBSERVED[0]!;
    const magnitude = value < 0 ? -value : value;
    // the shared word's handle follows a series that expired and was made anew (ttlSeconds) before it is raised
    this.#shared.guard();
    this.#checked(cell, n);
    if (magnitude <= this.#settings.zeroThreshold) {
      if (!(f64[n + ZERO]! >= 0)) this.#startAnew(cell, n, `its zero bucket holds ${f64[n + ZERO]}`);
      cell.put(n + ZERO, f64[n + ZERO]! + 1);
      return;
    }
    const baseAt = n + (value > 0 ? POSITIVE_BASE : NEGATIVE_BASE);
    const bins = n + BINS + (value > 0 ? 0 : w);
    for (let turn = 0; ; turn++) {
      const r = f64[n + REDUCTIONS]!;
      const k = bucketKey(magnitude, this.#settings.schema - r);
      const base = f64[baseAt]!;
      // every count of the sign, and the span of its keys with k
      let lo = k;
      let hi = k;
      let damaged = '';
      for (let j = 0; j < w; j++) {
        const count = f64[bins + j]!;
        if (count === 0) continue;
        if (!(count >= 0) || base + j < this.#keys.lowest[r]! || base + j > this.#keys.highest[r]!) damaged = `bin ${j} of a window from key ${base} holds ${count}`;
        lo = Math.min(lo, base + j);
        hi = Math.max(hi, base + j);
      }
      if (damaged !== '' || turn > this.#most + 2) {
        this.#startAnew(cell, n, damaged || 'its buckets would not fit at any schema');
        continue;
      }
      if (hi - lo < w) {
        // centre the span in the window, so that it can grow either way
        const newBase = lo - ((w - 1 - (hi - lo)) >> 1);
        const shift = base - newBase;
        if (shift > 0) for (let j = w - 1; j >= 0; j--) move(cell, bins, j, j + shift, w);
        else if (shift < 0) for (let j = 0; j < w; j++) move(cell, bins, j, j + shift, w);
        cell.put(baseAt, newBase);
        const at = bins + k - newBase;
        cell.put(at, f64[at]! + 1);
        return;
      }
      // too wide at this schema: coarser until it fits (schema −4 always does: see nativeWindow), for every process
      let steps = 1;
      while (coarserKey(hi, steps) - coarserKey(lo, steps) >= w) steps++;
      steps = Math.min(steps, this.#most - r);
      if (steps <= 0) {
        this.#startAnew(cell, n, `keys ${lo} to ${hi} at the coarsest schema`);
        continue;
      }
      this.#reduce(cell, n, steps);
      this.#shared.raiseSmall(0, f64[n + REDUCTIONS]!);
    }
  }
}

/** Moves bin `from` to `to` (a nonzero bin always lands inside the window: the span was checked). */
function move(cell: WriterCell, bins: number, from: number, to: number, w: number): void {
  const count = cell.f64[bins + from]!;
  if (count === 0) return;
  cell.put(bins + from, 0);
  if (to >= 0 && to < w) cell.put(bins + to, count);
}

/** A series' native histogram as a scrape shows it: one schema, buckets by key in ascending order. */
export interface NativeHistogramSnapshot {
  readonly schema: number;
  readonly zeroThreshold: number;
  readonly zeroCount: number;
  /** [key, count] of each populated bucket of positive values, by key. */
  readonly positive: readonly (readonly [number, number])[];
  readonly negative: readonly (readonly [number, number])[];
}

/** Merged buckets of one sign, folded to `reductions`. */
function fold(buckets: Map<number, number>, steps: number): Map<number, number> {
  if (steps === 0) return buckets;
  const out = new Map<number, number>();
  for (const [k, count] of buckets) {
    const to = coarserKey(k, steps);
    out.set(to, (out.get(to) ?? 0) + count);
  }
  return out;
}

function sorted(buckets: Map<number, number>): [number, number][] {
  return [...buckets].sort((a, b) => a[0] - b[0]);
}

/**
 * Reads a native histogram series: every cell's classic counts summed into `classic` (its length is the classic
 * words), its native buckets merged at one schema. A cell whose native words are not what a writer leaves is left
 * out whole (classic counts too, so that count stays the buckets' total), and `onDamage` says so.
 */
export function readNativeHistogram(heap: Heap, ptr: number, settings: NativeSettings, classic: number[], onDamage: (what: string) => void): NativeHistogramSnapshot {
  const w = nativeWindow(settings);
  const classicWords = classic.length;
  const most = maxReductions(settings);
  const keys = keyRangeOf(settings);
  const shared = heap.shared(ptr);
  const sharedNow = shared.getSmall(0);
  let reductions = sharedNow >= 0 && sharedNow <= most ? sharedNow : 0;
  let positive = new Map<number, number>();
  let negative = new Map<number, number>();
  let zeroCount = 0;
  const generation = heap.seriesGeneration(ptr);
  classic.fill(0);
  heap.readEachCell(ptr, classicWords + BINS + 2 * w, (f64) => {
    const n = classicWords;
    const mine = f64[n + REDUCTIONS]!;
    if (!isReductions(mine, settings)) {
      onDamage(`a cell's native schema word holds ${mine}`);
      return;
    }
    // every key of the cell must be one a finite magnitude has, or folding could wrap around 32 bits
    const lowest = keys.lowest[mine]!;
    const highest = keys.highest[mine]!;
    for (let sign = 0; sign < 2; sign++) {
      const base = f64[n + POSITIVE_BASE + sign]!;
      if (!isKey(base)) {
        onDamage(`a cell's native base word holds ${base}`);
        return;
      }
      for (let j = 0; j < w; j++) {
        const count = f64[n + BINS + sign * w + j]!;
        if (count === 0) continue;
        if (!(count > 0 && count <= Number.MAX_SAFE_INTEGER) || base + j < lowest || base + j > highest) {
          onDamage(`a cell's native bucket ${base + j} holds ${count}`);
          return;
        }
      }
    }
    if (!(f64[n + ZERO]! >= 0 && f64[n + ZERO]! <= Number.MAX_SAFE_INTEGER)) {
      onDamage(`a cell's zero bucket holds ${f64[n + ZERO]}`);
      return;
    }
    if (mine > reductions) {
      positive = fold(positive, mine - reductions);
      negative = fold(negative, mine - reductions);
      reductions = mine;
    }
    const steps = reductions - mine;
    for (let i = 0; i < classicWords; i++) classic[i]! += f64[i]!;
    zeroCount += f64[n + ZERO]!;
    for (let sign = 0; sign < 2; sign++) {
      const into = sign === 0 ? positive : negative;
      const base = f64[n + POSITIVE_BASE + sign]!;
      const bins = n + BINS + sign * w;
      for (let j = 0; j < w; j++) {
        const count = f64[bins + j]!;
        if (count === 0) continue;
        const k = coarserKey(base + j, steps);
        into.set(k, (into.get(k) ?? 0) + count);
      }
    }
  });
  // over budget: coarser, as far as schema −4
  while (positive.size + negative.size > settings.maxBuckets && reductions < most) {
    positive = fold(positive, 1);
    negative = fold(negative, 1);
    reductions++;
  }
  // not into a series reset meanwhile: its schema starts over
  if (heap.seriesGeneration(ptr) === generation) {
    if (!(sharedNow >= 0 && sharedNow <= most)) shared.replaceSmall(0, sharedNow, reductions);
    else if (reductions > sharedNow) shared.raiseSmall(0, reductions);
  }
  return { schema: settings.schema - reductions, zeroThreshold: settings.zeroThreshold, zeroCount, positive: sorted(positive), negative: sorted(negative) };
}
