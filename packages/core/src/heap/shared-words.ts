// Words of a series that every process updates in place: one copy, last write wins for `set`. Used where
// per-writer cells cannot express the meaning (a gauge's single shared value). Integers use Atomics.add on 64-bit
// words; float additions a compare-and-swap loop on the word's bits; a float set is a plain aligned 8-byte store,
// which x86-64 and arm64 make in one piece (v8-memory-behaviour.test.ts checks it on every Node we test), so a
// concurrent add's compare-and-swap sees either the old or the new value, never half of one.

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

export class SharedWords {
  readonly #i64: BigInt64Array;
  readonly #f64: Float64Array;
  readonly #base: number;
  readonly length: number;

  constructor(i64: BigInt64Array, f64: Float64Array, base: number, length: number) {
    this.#i64 = i64;
    this.#f64 = f64;
    this.#base = base;
    this.length = length;
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

  /** Lowers (or raises) a float word to `value` if that is lower (higher): for min and max gauges. */
  minFloat(index: number, value: number): void {
    this.#extreme(index, value, -1);
  }

  maxFloat(index: number, value: number): void {
    this.#extreme(index, value, 1);
  }

  #extreme(index: number, value: number, sign: number): void {
    const i64 = this.#i64;
    const at = this.#base + index;
    for (;;) {
      const old = Atomics.load(i64, at);
      const current = fromBits(old);
      if (!((value - current) * sign > 0) && !Number.isNaN(current)) return;
      if (Atomics.compareExchange(i64, at, old, toBits(value)) === old) return;
    }
  }
}
