// Doubles moved through Atomics, for the Atomics memory-order path (see memory-order.ts). A Float64Array cannot be
// used with Atomics, so a double in the heap is stored and loaded as its two 32-bit halves (little-endian, as on
// x86-64 and arm64: the low half at the even index), through a private Float64Array/Int32Array pair that nobody
// else sees. Two halves are two accesses: callers put them under a sequence word, as every group update already
// is. Int32, not Uint32: V8 stores a uint32 above 2^31 through a slower path (a heap number).

const conv = new Float64Array(1);
const halves = new Int32Array(conv.buffer);

/**
 * Stores `value` into the double at word index `at` of `i32`'s buffer, by its halves, skipping a half that does
 * not change (a whole count below 2^21 lives in the high half alone). Only the single writer of the word may call
 * it: it reads the old halves with plain loads, which see its own earlier stores.
 */
export function storeDouble(i32: Int32Array, at: number, value: number): void {
  conv[0] = value;
  const i = at * 2;
  const low = halves[0]!;
  const high = halves[1]!;
  if (i32[i] !== low) Atomics.store(i32, i, low);
  if (i32[i + 1] !== high) Atomics.store(i32, i + 1, high);
}

/** storeDouble() for a word other writers may have written (an exemplar slot): both halves, always. */
export function storeSharedDouble(i32: Int32Array, at: number, value: number): void {
  conv[0] = value;
  Atomics.store(i32, at * 2, halves[0]!);
  Atomics.store(i32, at * 2 + 1, halves[1]!);
}

/** Loads the double at word index `at` by its halves. Whole only between two equal even reads of its sequence word. */
export function loadDouble(i32: Int32Array, at: number): number {
  const i = at * 2;
  halves[0] = Atomics.load(i32, i);
  halves[1] = Atomics.load(i32, i + 1);
  return conv[0]!;
}
