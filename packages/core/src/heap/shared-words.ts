// Words of a series that every process updates in place: one copy, last write wins for `set`. Used where
// per-writer cells cannot express the meaning (a gauge's single shared value). Integers use Atomics.add on 64-bit
// words; float additions a compare-and-swap loop on the word's bits; a float set is a plain aligned 8-byte store,
// which x86-64 and arm64 make in one piece (v8-memory-behaviour.test.ts checks it on every Node we test), so a
// concurrent add's compare-and-swap sees either the old or the new value, never half of one.
import { DETACHED_SERIES, reviveSeries, type ExpiringHandle } from './cell-handle.js';
import type { HeapFile } from './heap-file.js';
import { SERIES, STATE_RETIRED, STATE_SHIFT, WORD } from './layout.js';

const bits = new BigInt64Array(1);
const asFloat = new Float64Array(bits.buffer);

function toBits(value: number): bigint {
  asFloat[0] = value;
  return bits[0]!;
}

function fromBits(word: bigint): number {
  bits[0] = word;
  return asFloat[0]!;
}

const DETACHED_WORDS = new BigInt64Array(1);
const DETACHED_FLOATS = new Float64Array(DETACHED_WORDS.buffer);
const DETACHED_HALVES = new Int32Array(DETACHED_WORDS.buffer);

export class SharedWords implements ExpiringHandle {
  #i64!: BigInt64Array;
  #f64!: Float64Array;
  #i32!: Int32Array;
  #base!: number;
  readonly length: number;
  #seriesU32!: Uint32Array;
  #seriesAt!: number;
  /** The series' touched word (families with a TTL), else its tag word, which is never 0: nothing to mark. */
  #touched!: number;
  /** Families with a TTL: finds the series again (making it anew if need be) once it has expired. */
  readonly #reattach: ((words: SharedWords) => void) | undefined;

  constructor(file: HeapFile, series: number, reattach?: (words: SharedWords) => void) {
    this.#reattach = reattach;
    this.length = file.segmentOf(series).u32[file.offsetOf(series) * 2 + SERIES.SHARED_WORDS]!;
    this.point(file, series);
  }

  /** Makes this handle use the shared words of `series`. */
  point(file: HeapFile, series: number): void {
    const seg = file.segmentOf(series);
    const at = file.offsetOf(series);
    this.#i64 = seg.i64;
    this.#f64 = seg.f64;
    this.#i32 = seg.i32;
    this.#base = at + SERIES.SHARED_BYTE / WORD;
    this.#seriesU32 = seg.u32;
    this.#seriesAt = at * 2;
    this.#touched = this.#reattach === undefined ? at * 2 : at * 2 + SERIES.TOUCHED;
  }

  detach(): void {
    this.#i64 = DETACHED_WORDS;
    this.#f64 = DETACHED_FLOATS;
    this.#i32 = DETACHED_HALVES;
    this.#base = 0;
    this.#seriesU32 = DETACHED_SERIES;
    this.#seriesAt = 0;
    this.#touched = SERIES.TOUCHED;
  }

  /**
   * Call before every write: brings a removed series back (it is being written again); with a TTL, marks the
   * series touched, and follows it if it expired.
   */
  guard(): void {
    const u32 = this.#seriesU32;
    if (u32[this.#touched] === 0) u32[this.#touched] = 1;
    if (this.#reattach !== undefined && ((Atomics.load(u32, this.#seriesAt) >>> STATE_SHIFT) & 0xff) === STATE_RETIRED) {
      this.#reattach(this);
      this.guard();
      return;
    }
    reviveSeries(u32, this.#seriesAt);
  }

  /** Adds a whole number to a 64-bit integer word; returns the new value. */
  addInt(index: number, delta: bigint): bigint {
    return Atomics.add(this.#i64, this.#base + index, delta) + delta;
  }

  setInt(index: number, value: bigint): void {
    Atomics.store(this.#i64, this.#base + index, value);
  }

  getInt(index: number): bigint {
    return Atomics.load(this.#i64, this.#base + index);
  }

  /**
   * A small whole number kept in the low half of a word (little-endian, as on x86-64 and arm64; the high half stays
   * 0), read with a plain load and no BigInt: a hint for a hot path, which checks it before it acts on it.
   */
  getSmall(index: number): number {
    return this.#i32[(this.#base + index) * 2]!;
  }

  /** Raises the small number of getSmall() to `value` if it is below (never lowers it); returns what it now is. */
  raiseSmall(index: number, value: number): number {
    const i32 = this.#i32;
    const at = (this.#base + index) * 2;
    for (;;) {
      const old = Atomics.load(i32, at);
      if (old >= value) return old;
      if (Atomics.compareExchange(i32, at, old, value) === old) return value;
    }
  }

  /** Sets the small number of getSmall() to `value` if it still is `expected` (mending a damaged word). */
  replaceSmall(index: number, expected: number, value: number): void {
    Atomics.compareExchange(this.#i32, (this.#base + index) * 2, expected, value);
  }

  /** Adds to a float word (compare-and-swap on its bits); returns the new value. */
  addFloat(index: number, delta: number): number {
    const i64 = this.#i64;
    const at = this.#base + index;
    for (;;) {
      const old = Atomics.load(i64, at);
      const next = fromBits(old) + delta;
      if (Atomics.compareExchange(i64, at, old, toBits(next)) === old) return next;
    }
  }

  /** Sets a float word: one plain aligned store (no BigInt, no allocation); the last writer wins. */
  setFloat(index: number, value: number): void {
    this.#f64[this.#base + index] = value;
  }

  getFloat(index: number): number {
    return fromBits(Atomics.load(this.#i64, this.#base + index));
  }
}
