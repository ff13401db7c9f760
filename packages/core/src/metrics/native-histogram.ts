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
import { bucketKey, coarserKey, MIN_SCHEMA } from './native-buckets.js';

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

/** Whether a key or a base read from a cell is one (damage could have made the word anything). */
function isKey(k: number): boolean {
  return (k | 0) === k;
}

/**
 * One writer's native buckets of one series: observe() runs inside the cell's update (between begin() and end()),
 * after the classic part. `damage` is set when the cell's native words were not what a writer leaves (a damaged
 * heap); the native part was then started anew (its counts, and the cell's classic counts with them, so that count
 * still equals the buckets' total), for the caller to report once the update is closed.
 */
export class NativeWriter {
  readonly #settings: NativeSettings;
  readonly #shared: SharedWords;
  /** Cell word of the native part, from the cell's base. */
  readonly #at: number;
  readonly #window: number;
  damage: string | undefined = undefined;

  constructor(settings: NativeSettings, shared: SharedWords, classicWords: number) {
    this.#settings = settings;
    this.#shared = shared;
    this.#at = classicWords;
    this.#window = nativeWindow(settings);
  }

  /** Counts `value` (finite) in its native bucket of `cell`, inside an update of the cell. */
  observe(cell: WriterCell, value: number): void {
    const f64 = cell.f64;
    const n = cell.base + this.#at;
    if (f64[n + REDUCTIONS] !== this.#shared.getSmall(0)) this.#follow(cell, n);
    const magnitude = value < 0 ? -value : value;
    if (magnitude <= this.#settings.zeroThreshold) {
      cell.put(n + ZERO, f64[n + ZERO]! + 1);
      return;
    }
    const baseAt = value > 0 ? n + POSITIVE_BASE : n + NEGATIVE_BASE;
    const k = bucketKey(magnitude, this.#settings.schema - f64[n + REDUCTIONS]!);
    const j = k - f64[baseAt]!;
    if ((j >>> 0) === j && j < this.#window) {
      const at = n + BINS + (value > 0 ? 0 : this.#window) + j;
      cell.put(at, f64[at]! + 1);
    } else this.#place(cell, n, value > 0, k);
  }

  /** Brings the cell to the shared reductions (or the shared word up to the cell's), checking both. */
  #follow(cell: WriterCell, n: number): void {
    const f64 = cell.f64;
    const most = maxReductions(this.#settings);
    this.#shared.guard();
    let shared = this.#shared.getSmall(0);
    if (!(shared >= 0 && shared <= most)) {
      // damaged: set anew from this cell (a reader that finds more reductions raises it again)
      this.#checked(cell, n, 0);
      this.#shared.replaceSmall(0, shared, f64[n + REDUCTIONS]!);
      shared = this.#shared.getSmall(0);
    }
    this.#checked(cell, n, shared);
    const mine = f64[n + REDUCTIONS]!;
    if (mine < shared) this.#reduce(cell, n, shared - mine);
    else this.#shared.raiseSmall(0, mine);
  }

  /** Damage: the cell's counts start from zero, classic ones too (count must stay the buckets' total). */
  #startAnew(cell: WriterCell, n: number, what: string): void {
    for (let i = cell.base; i < n + BINS + 2 * this.#window; i++) cell.put(i, 0);
    this.damage = `a histogram cell's native buckets were damaged (${what}): its counts were started anew`;
  }

  /** Whether the cell's schema and base words are what a writer leaves; if not, starts the cell anew. */
  #checked(cell: WriterCell, n: number, shared: number): void {
    const f64 = cell.f64;
    const mine = f64[n + REDUCTIONS]!;
    if (isKey(mine) && mine >= 0 && mine <= maxReductions(this.#settings) && isKey(f64[n + POSITIVE_BASE]!) && isKey(f64[n + NEGATIVE_BASE]!)) return;
    this.#startAnew(cell, n, `its native schema and base words hold ${mine}, ${f64[n + POSITIVE_BASE]}, ${f64[n + NEGATIVE_BASE]}`);
    cell.put(n + REDUCTIONS, shared);
  }

  /** Merges the cell's buckets `steps` schemas coarser, both signs. */
  #reduce(cell: WriterCell, n: number, steps: number): void {
    for (const sign of [0, 1]) {
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

  /** Counts key `k` of one sign when it lies outside the window: moves the window, or reduces the cell first. */
  #place(cell: WriterCell, n: number, positive: boolean, k: number): void {
    const f64 = cell.f64;
    const w = this.#window;
    const baseAt = n + (positive ? POSITIVE_BASE : NEGATIVE_BASE);
    const bins = n + BINS + (positive ? 0 : w);
    this.#checked(cell, n, 0);
    const base = f64[baseAt]!;
    let lo = k;
    let hi = k;
    for (let j = 0; j < w; j++) {
      if (f64[bins + j] === 0) continue;
      lo = Math.min(lo, base + j);
      hi = Math.max(hi, base + j);
    }
    if (hi - lo >= w) {
      // too wide at this schema: coarser until it fits (schema −4 always does), for every process
      let steps = 1;
      while (coarserKey(hi, steps) - coarserKey(lo, steps) >= w) steps++;
      // never past schema −4 (which every finite magnitude fits: see nativeWindow)
      steps = Math.min(steps, maxReductions(this.#settings) - f64[n + REDUCTIONS]!);
      if (steps <= 0) {
        this.#startAnew(cell, n, `keys ${lo} to ${hi} at the coarsest schema`);
        return;
      }
      this.#reduce(cell, n, steps);
      this.#shared.raiseSmall(0, f64[n + REDUCTIONS]!);
      this.#place(cell, n, positive, coarserKey(k, steps));
      return;
    }
    // centre the span in the window, so that it can grow either way
    const newBase = lo - ((w - 1 - (hi - lo)) >> 1);
    const shift = base - newBase;
    if (shift > 0) {
      for (let j = w - 1; j >= 0; j--) move(cell, bins, j, j + shift, w);
    } else if (shift < 0) {
      for (let j = 0; j < w; j++) move(cell, bins, j, j + shift, w);
    }
    cell.put(baseAt, newBase);
    const at = bins + k - newBase;
    cell.put(at, f64[at]! + 1);
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
  const shared = heap.shared(ptr);
  const sharedNow = shared.getSmall(0);
  let reductions = sharedNow >= 0 && sharedNow <= most ? sharedNow : 0;
  let positive = new Map<number, number>();
  let negative = new Map<number, number>();
  let zeroCount = 0;
  classic.fill(0);
  heap.readEachCell(ptr, classicWords + BINS + 2 * w, (f64) => {
    const n = classicWords;
    const mine = f64[n + REDUCTIONS]!;
    if (!(isKey(mine) && mine >= 0 && mine <= most && isKey(f64[n + POSITIVE_BASE]!) && isKey(f64[n + NEGATIVE_BASE]!))) {
      onDamage(`a cell's native schema or base words hold ${mine}, ${f64[n + POSITIVE_BASE]}, ${f64[n + NEGATIVE_BASE]}`);
      return;
    }
    for (let i = n; i < n + BINS + 2 * w; i++) {
      const v = f64[i]!;
      if (i >= n + BINS || i === n + ZERO ? !(v >= 0 && v <= Number.MAX_SAFE_INTEGER) : false) {
        onDamage(`a cell's native bucket count is ${v}`);
        return;
      }
    }
    if (mine > reductions) {
      positive = fold(positive, mine - reductions);
      negative = fold(negative, mine - reductions);
      reductions = mine;
    }
    const steps = reductions - mine;
    for (let i = 0; i < classicWords; i++) classic[i]! += f64[i]!;
    zeroCount += f64[n + ZERO]!;
    for (const [sign, into] of [[0, positive], [1, negative]] as const) {
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
  if (!(sharedNow >= 0 && sharedNow <= most)) shared.replaceSmall(0, sharedNow, reductions);
  else if (reductions > sharedNow) shared.raiseSmall(0, reductions);
  return { schema: settings.schema - reductions, zeroThreshold: settings.zeroThreshold, zeroCount, positive: sorted(positive), negative: sorted(negative) };
}
