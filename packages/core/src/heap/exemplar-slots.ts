// Exemplar slots: the latest exemplar of a series (a counter) or of each bucket (a histogram), one copy shared by
// every process, whichever wrote last. An exemplar is labels, a value and a timestamp, several words that must be
// read together, and any process may write it, so each slot is a seqlock with a lock word that writers take with
// a compare-and-swap (odd: being written) and readers check before and after they copy.
//
// A writer never waits: when another live writer holds the slot, it leaves the slot to it (both exemplars are
// from the same instant; one of them is the latest). A writer killed while it held a slot would leave it odd for
// ever, so the lock word names its holder (lane and claim count): a slot held by a lane that is free, or that was
// claimed again since, is taken over by the next writer, and readers skip it until then.
//
// Reset and remove do not clear the slots (that would race with a writer); the reader drops an exemplar older
// than the series' creation time, which reset and remove move to now.
//
// On x86-64 the slot's fields are plain stores and loads between the lock word's compare-and-swap and release;
// on the Atomics memory-order path (every other CPU, see memory-order.ts) they go through Atomics too: the value
// and timestamp as two halves each, the labels a 32-bit word at a time through a private staging buffer.
import { MpmetricsRangeError } from '../errors.js';
import type { HeapFile } from './heap-file.js';
import { Lane } from './lanes.js';
import { EXEMPLAR, SERIES, WORD } from './layout.js';
import { loadDouble, storeSharedDouble } from './atomic-doubles.js';
import { ATOMIC_ORDER } from './memory-order.js';
import { monotonicMs } from './monotonic-clock.js';
import { spendWaiting, waitDeadline } from './read-budget.js';

const SEQ_MASK = 0xffffffffn;
/** Lane id + 1 (up to 65536) takes 17 bits; the claim count modulo 2^15 the rest of the high word. */
const CLAIM_SHIFT = 17;
const CLAIM_MASK = 0x7fff;

/** An exemplar as stored: its labels encoded (see layout.ts), its value, its timestamp in Unix seconds. */
export interface StoredExemplar {
  readonly labels: Uint8Array;
  readonly value: number;
  readonly timestamp: number;
}

/** How long a reader waits for a live writer to finish a slot before it leaves the exemplar out of the scrape. */
const READ_PATIENCE_MS = 100;
const SPINS_PER_CHECK = 256;
const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** The labels of a slot on their way in or out, on the Atomics path: copied a 32-bit word at a time. */
const staging = new Uint8Array(EXEMPLAR.LABEL_BYTES);
const stagingWords = new Int32Array(staging.buffer);

function holder(lane: number, claims: number): bigint {
  return BigInt((lane + 1) | ((claims & CLAIM_MASK) << CLAIM_SHIFT)) & SEQ_MASK;
}

/** Whether the writer named by a lock word's high half is gone (its lane free, or claimed again since). */
function holderIsGone(file: HeapFile, high: number): boolean {
  const lane = (high & ((1 << CLAIM_SHIFT) - 1)) - 1;
  if (lane < 0 || lane >= file.maxLanes) return true; // nobody valid: damage, or a slot never written
  if (!Lane.isHeld(file, lane)) return true;
  return (Lane.claimCountOf(file, lane) & CLAIM_MASK) !== high >>> CLAIM_SHIFT;
}

export class ExemplarSlots {
  readonly #file: HeapFile;
  readonly #lane: () => Lane;
  readonly #i64: BigInt64Array;
  readonly #f64: Float64Array;
  readonly #u32: Uint32Array;
  readonly #i32: Int32Array;
  readonly #u8: Uint8Array;
  /** Word index of slot 0. */
  readonly #base: number;
  readonly length: number;
  /** u32 index of the series' creation time's f64 (as a word index, for f64). */
  readonly #created: number;

  /** `sharedWords` and `slots` come from the family's declared layout (see Heap.exemplars), not from the record. */
  constructor(file: HeapFile, series: number, sharedWords: number, slots: number, lane: () => Lane) {
    const seg = file.segmentOf(series);
    const at = file.offsetOf(series);
    this.#file = file;
    this.#lane = lane;
    this.#i64 = seg.i64;
    this.#f64 = seg.f64;
    this.#u32 = seg.u32;
    this.#i32 = seg.i32;
    this.#u8 = seg.u8;
    this.length = slots;
    this.#base = at + SERIES.SHARED_BYTE / WORD + sharedWords;
    this.#created = at + SERIES.CREATED_BYTE / WORD;
  }

  #slot(index: number): number {
    if (!(Number.isInteger(index) && index >= 0 && index < this.length)) {
      // the series' layout was checked when it was found, so a bad index is the caller's
      throw new MpmetricsRangeError(`exemplar slot must be an integer from 0 to ${this.length - 1} (the series has ${this.length}), received ${String(index)}`);
    }
    return this.#base + index * EXEMPLAR.WORDS;
  }

  /**
   * Writes an exemplar into slot `index`, unless another live writer holds it right now. `labels` are encoded
   * (at most EXEMPLAR.LABEL_BYTES). Returns whether it was written.
   */
  write(index: number, labels: Uint8Array, value: number, timestamp: number): boolean {
    if (labels.length > EXEMPLAR.LABEL_BYTES) throw new MpmetricsRangeError(`exemplar labels of ${labels.length} bytes do not fit a slot of ${EXEMPLAR.LABEL_BYTES}`);
    const at = this.#slot(index);
    const lane = this.#lane();
    const me = holder(lane.id, lane.claimCount) << 32n;
    const i64 = this.#i64;
    for (let attempt = 0; attempt < 4; attempt++) {
      const word = Atomics.load(i64, at + EXEMPLAR.LOCK);
      let seq = word & SEQ_MASK;
      if ((seq & 1n) === 1n) {
        if (!holderIsGone(this.#file, Number(word >> 32n))) return false;
        seq += 1n; // take over from a dead writer: close its sequence
      }
      if (Atomics.compareExchange(i64, at + EXEMPLAR.LOCK, word, me | ((seq + 1n) & SEQ_MASK)) !== word) continue;
      if (ATOMIC_ORDER) this.#fillAtomically(at, labels, value, timestamp);
      else {
        this.#f64[at + EXEMPLAR.VALUE] = value;
        this.#f64[at + EXEMPLAR.TIMESTAMP] = timestamp;
        this.#u32[(at + EXEMPLAR.LENGTH) * 2] = labels.length;
        this.#u8.set(labels, (at + EXEMPLAR.LABELS) * WORD);
      }
      Atomics.store(i64, at + EXEMPLAR.LOCK, me | ((seq + 2n) & SEQ_MASK));
      return true;
    }
    return false;
  }

  /** Fills a slot held by this writer through Atomics (see the top of this file). */
  #fillAtomically(at: number, labels: Uint8Array, value: number, timestamp: number): void {
    const i32 = this.#i32;
    storeSharedDouble(i32, at + EXEMPLAR.VALUE, value);
    storeSharedDouble(i32, at + EXEMPLAR.TIMESTAMP, timestamp);
    Atomics.store(i32, (at + EXEMPLAR.LENGTH) * 2, labels.length);
    const words = (labels.length + 3) >>> 2;
    if (words > 0) stagingWords[words - 1] = 0; // the last word's bytes past the labels
    staging.set(labels);
    const start = ((at + EXEMPLAR.LABELS) * WORD) / 4;
    for (let w = 0; w < words; w++) Atomics.store(i32, start + w, stagingWords[w]!);
  }

  /**
   * The exemplar in slot `index` as of one whole write, or undefined: never written, written before the series was
   * last reset, held by a writer that died while writing it, or still held after READ_PATIENCE_MS (or once the
   * budget of the scrape this read is part of runs out).
   */
  read(index: number): StoredExemplar | undefined {
    const at = this.#slot(index);
    const i64 = this.#i64;
    let since = 0;
    let deadline = 0;
    for (let attempt = 1; ; attempt++) {
      const before = Atomics.load(i64, at + EXEMPLAR.LOCK);
      if ((before & 1n) === 0n) {
        const i32 = this.#i32;
        const value = ATOMIC_ORDER ? loadDouble(i32, at + EXEMPLAR.VALUE) : this.#f64[at + EXEMPLAR.VALUE]!;
        const timestamp = ATOMIC_ORDER ? loadDouble(i32, at + EXEMPLAR.TIMESTAMP) : this.#f64[at + EXEMPLAR.TIMESTAMP]!;
        const length = ATOMIC_ORDER ? Atomics.load(i32, (at + EXEMPLAR.LENGTH) * 2) : this.#u32[(at + EXEMPLAR.LENGTH) * 2]!;
        const start = (at + EXEMPLAR.LABELS) * WORD;
        const kept = Math.min(length, EXEMPLAR.LABEL_BYTES);
        let labels: Uint8Array;
        if (ATOMIC_ORDER) {
          for (let w = 0; w < (kept + 3) >>> 2; w++) stagingWords[w] = Atomics.load(i32, start / 4 + w);
          labels = staging.slice(0, kept);
        } else labels = this.#u8.slice(start, start + kept);
        if (Atomics.load(i64, at + EXEMPLAR.LOCK) === before) {
          if (since !== 0) spendWaiting(since);
          if (timestamp === 0 || length > EXEMPLAR.LABEL_BYTES || timestamp < this.#f64[this.#created]!) return undefined;
          return { labels, value, timestamp };
        }
      }
      if (attempt % SPINS_PER_CHECK !== 0) continue;
      const now = monotonicMs();
      // within a scrape, its budget bounds this wait too: the scrape's waits add up to it at most
      if (since === 0) {
        since = now;
        deadline = waitDeadline(now, READ_PATIENCE_MS);
      }
      const word = Atomics.load(i64, at + EXEMPLAR.LOCK);
      if (((word & 1n) === 1n && holderIsGone(this.#file, Number(word >> 32n))) || now > deadline) {
        spendWaiting(since);
        return undefined;
      }
      Atomics.wait(sleeper, 0, 0, 1);
    }
  }
}
