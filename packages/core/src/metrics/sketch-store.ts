// Where one store of a summary sketch (one sign of one window, see summary-sketch.ts) keeps its bins: in a block of
// its writer's cell (heap/cell-blocks.ts) that covers only the bins in use, not the store's whole range. The block
// holds `capacity` consecutive bins from absolute bin `base`; every nonzero bin of the store lies in it. It starts
// at FIRST_BINS bins (3.5 decades) of 32-bit counts, two a word, and is replaced by a block of the store's whole
// range when its bins span more, and by one of 64-bit counts (doubles, as before) when a count would pass 2^32 − 1.
// So a store takes 1.6 KB for data of up to 3.5 decades, and never more than its range at 8 bytes a bin.
//
// The writer changes a store only inside its cell's update (cell.begin()), through the cell's put API, so readers
// see a store whole (the cell's seqlock covers its blocks). The cell holds [offset, count, block, base] per store:
// offset and count belong to summary-sketch.ts, block and base to this file.
import type { WriterCell } from '../heap/cells.js';
import type { Heap } from '../heap/heap.js';
import { heapCorrupt } from '../errors.js';

/** Cell words of a store, from its first. */
export const S_OFFSET = 0;
export const S_COUNT = 1;
const S_BLOCK = 2;
export const S_BASE = 3;
export const STORE_WORDS = 4;

/** Block states: 32-bit counts two a word, or one double a word. */
const NARROW = 0;
const WIDE = 1;
/** A store's first block: 3.5 decades of bins at α = 1% (each decade is 115.1 bins), 1632 bytes of counts. */
const FIRST_BINS = 408;

let narrowLimit = 0xffffffff;

/** Tests only: promote a store to 64-bit counts past `limit` instead of 2^32 − 1 (restored with undefined). */
export function setNarrowCountLimit(limit: number | undefined): void {
  narrowLimit = limit ?? 0xffffffff;
}

/** Whether a base or offset read from a cell is a bin index (damage could have made it anything). */
export function isBin(k: number): boolean {
  return (k | 0) === k; // a whole number below 2^31 in magnitude: |0 changes anything else
}

/** A store's block as its writer reads and writes it. */
class Bins {
  constructor(
    readonly cell: WriterCell,
    readonly ptr: number,
    readonly u32: Uint32Array,
    readonly i32: Int32Array,
    readonly f64: Float64Array,
    /** f64 index of the first data word */
    readonly at: number,
    readonly capacity: number,
    readonly wide: boolean,
    /** the heap file's path, for the error of a write outside the block */
    readonly path: string,
  ) {}

  /** Data words of the block, as allocated. */
  get words(): number {
    return this.wide ? this.capacity : this.capacity / 2;
  }

  get(j: number): number {
    return this.wide ? this.f64[this.at + j]! : this.u32[this.at * 2 + j]!;
  }

  /** Writes bin j (the slow path's writes: checked, so that no bin is ever written outside its block). */
  set(j: number, n: number): void {
    if ((j >>> 0) !== j || j >= this.capacity) {
      // thrown inside the update, which summary.ts closes: the cell is left whole, the heap word unwritten
      throw heapCorrupt(this.path, `summary bin ${j} is outside its block of ${this.capacity} bins at ${this.ptr}`);
    }
    if (this.wide) this.cell.putDouble(this.f64, this.i32, this.at + j, n);
    else this.cell.putHalf(this.u32, this.i32, this.at * 2 + j, n);
  }
}

/**
 * The lowest and highest absolute bin of a block holding a count, bin `k` included, and the total of its counts;
 * `visit` is given each bin that holds one, in order.
 */
function spanOf(bins: Bins, base: number, k: number, visit?: (bin: number, n: number) => void): { lo: number; hi: number; total: number } {
  let lo = k;
  let hi = k;
  let total = 0;
  for (let j = 0; j < bins.capacity; j++) {
    const n = bins.get(j);
    if (n === 0) continue;
    total += n;
    lo = Math.min(lo, base + j);
    hi = Math.max(hi, base + j);
    visit?.(base + j, n);
  }
  return { lo, hi, total };
}

/**
 * One writer's access to the stores of its summary cell: each store's block, found once from the pointer in the
 * cell and checked (blockWords) before it is used, so that an update allocates nothing. A pointer that damage
 * changed is dropped with the bins it led to (a new block starts), and `damage` says so for the caller to report
 * once the update is closed.
 */
export class SketchBlocks {
  readonly #heap: Heap;
  /** By the store's first cell word, from the cell's base. */
  #bins: (Bins | undefined)[] = [];
  /** Blocks taken by reserve() for the update about to begin, not yet pointed at by any cell. */
  readonly #spares: { ptr: number; words: number; state: number }[] = [];
  damage: string | undefined = undefined;

  constructor(heap: Heap) {
    this.#heap = heap;
  }

  /** Forgets the blocks found so far (the cell was cleared, or points elsewhere). */
  forget(): void {
    this.#bins = [];
  }

  /** The store's block, checked (and cached) if its pointer leads to one claimed for it; nothing is written. */
  #found(cell: WriterCell, s: number, size: number): Bins | undefined {
    const ptr = cell.f64[s + S_BLOCK]!;
    if (ptr === 0) return undefined;
    const cached = this.#bins[s - cell.base];
    if (cached !== undefined && cached.ptr === ptr) return cached;
    let words = this.#heap.blockWords(ptr, NARROW, size / 2);
    const wide = words < 0;
    if (wide) words = this.#heap.blockWords(ptr, WIDE, size);
    const block = words < 0 ? undefined : this.#heap.ownBlock(ptr);
    // another lane's block is another writer's (writing it would race that writer), and another value's, even of
    // this cell, is another store's: only a block claimed for this very word is this store's
    if (block === undefined || block.lane !== this.#heap.lane.id || block.owner !== cell.ptr || block.slot !== s + S_BLOCK - cell.base) return undefined;
    const bins = new Bins(cell, ptr, block.views.u32, block.views.i32, block.views.f64, block.at, wide ? words : words * 2, wide, this.#heap.file.path);
    this.#bins[s - cell.base] = bins;
    return bins;
  }

  /** #found() inside an update: a pointer that leads to no block of the store is dropped, and `damage` says so. */
  #binsOf(cell: WriterCell, s: number, size: number): Bins | undefined {
    const bins = this.#found(cell, s, size);
    const ptr = cell.f64[s + S_BLOCK]!;
    if (bins === undefined && ptr !== 0) {
      this.damage = `summary cell word ${s + S_BLOCK} holds ${ptr}, which is not a block of its store: its bins were dropped`;
      cell.put(s + S_BLOCK, 0);
    }
    return bins;
  }

  /**
   * Adds `n` to absolute bin `k` of the store whose cell words start at `s` if that needs no move (a block already
   * found, the bin inside it, a count that fits); else writes nothing and returns false. The update of almost
   * every observation, kept small so that it inlines ((j >>> 0) === j: not below the block, nor from a base that
   * damage made no whole number).
   */
  addInPlace(cell: WriterCell, s: number, k: number, n: number): boolean {
    const bins = this.#bins[s - cell.base];
    if (bins === undefined || bins.ptr !== cell.f64[s + S_BLOCK]) return false;
    const j = k - cell.f64[s + S_BASE]!;
    if ((j >>> 0) !== j || j >= bins.capacity) return false;
    if (bins.wide) {
      cell.putDouble(bins.f64, bins.i32, bins.at + j, bins.f64[bins.at + j]! + n);
      return true;
    }
    const count = bins.u32[bins.at * 2 + j]! + n;
    if (count > narrowLimit) return false;
    cell.putHalf(bins.u32, bins.i32, bins.at * 2 + j, count);
    return true;
  }

  /**
   * Adds `n` to absolute bin `k` of the store whose cell words start at `s` (a store of `size` bins at most),
   * moving its bins to another place or block first if `k` is outside its block or the count needs 64 bits. A new
   * block comes from the spares reserve() took, so nothing here allocates once the update has begun.
   */
  addToBin(cell: WriterCell, s: number, size: number, k: number, n: number): void {
    if (!this.addInPlace(cell, s, k, n)) this.addMoving(cell, s, size, k, n);
  }

  /**
   * Takes, before an update that moves the store at `s` of `cell` (of `size` bins) to hold bin `k`, a spare block
   * of each kind the move could allocate, judged from the store as it is (read, not written): its first block if
   * it has none (or none that checks), its whole range in 32-bit counts if its bins and k span more than its
   * block, in doubles if all its counts and this one could pass 2^32 − 1. A move allocates each kind at most once
   * (a store's block only grows, and only from 32-bit to double counts) and never more than that judgment (a range
   * move folds or clamps bins inward, and a reset or a new window only empties bins), so the update allocates
   * nothing, and a full heap is reported before anything is written: no observation is ever half recorded, and no
   * bin folded away. A move that fits its block takes nothing. Unused spares go back with returnSpares().
   */
  reserve(cell: WriterCell, s: number, size: number, k: number): void {
    try {
      for (const [words, state] of this.#kindsNeeded(cell, s, size, k)) {
        if (!this.#spares.some((b) => b.words === words && b.state === state)) {
          this.#spares.push({ ptr: this.#heap.allocateBlock(words, state), words, state });
        }
      }
    } catch (error) {
      this.returnSpares();
      throw error;
    }
  }

  #kindsNeeded(cell: WriterCell, s: number, size: number, k: number): (readonly [words: number, state: number])[] {
    const first = [FIRST_BINS / 2, NARROW] as const;
    const bins = this.#found(cell, s, size);
    const base = cell.f64[s + S_BASE]!;
    if (bins === undefined || !isBin(base)) return [first];
    if (bins.wide) return [];
    const { lo, hi, total } = spanOf(bins, base, k);
    const kinds: (readonly [number, number])[] = [];
    if (hi - lo + 1 > bins.capacity) {
      if (bins.capacity < FIRST_BINS) kinds.push(first);
      if (bins.capacity < size) kinds.push([size / 2, NARROW]);
    }
    if (total + 1 > narrowLimit) kinds.push([size, WIDE]);
    return kinds;
  }

  /** Gives back the spares no update used (after the update that reserved them has ended). */
  returnSpares(): void {
    for (const spare of this.#spares.splice(0)) this.#heap.freeBlock(spare.ptr, spare.words);
  }

  /**
   * A new block of `words` data words marked `state` for the store at `s` of `cell`, which is about to point at it: a spare when
   * reserve() took one, else allocated now.
   */
  #newBlock(cell: WriterCell, s: number, words: number, state: number): number {
    const i = this.#spares.findIndex((b) => b.words === words && b.state === state);
    const ptr = i < 0 ? this.#heap.allocateBlock(words, state) : this.#spares.splice(i, 1)[0]!.ptr;
    this.#heap.claimBlock(ptr, cell.ptr, s + S_BLOCK - cell.base);
    return ptr;
  }

  /**
   * addToBin() once addInPlace() said no: the block is not found yet, or the store's bins must move to another
   * base or block, or to 64-bit counts.
   */
  addMoving(cell: WriterCell, s: number, size: number, k: number, n: number): void {
    let bins = this.#binsOf(cell, s, size);
    let base = cell.f64[s + S_BASE]!;
    const j = k - base;
    if (bins === undefined || (j >>> 0) !== j || j >= bins.capacity) {
      bins = this.#place(cell, s, size, bins, base, k, false);
      base = cell.f64[s + S_BASE]!;
    }
    const count = bins.get(k - base) + n;
    if (!bins.wide && count > narrowLimit) {
      bins = this.#place(cell, s, size, bins, base, k, true);
      base = cell.f64[s + S_BASE]!;
    }
    bins.set(k - base, count);
  }

  /**
   * Moves the store's bins so that they and bin `k` fit: to another base in the same block if they fit it, else to
   * a new block (of the store's whole range, or FIRST_BINS while they fit that; of doubles if `wide`), freeing the
   * old one. Leaves room on the side `k` is on, where the data is going.
   */
  #place(cell: WriterCell, s: number, size: number, old: Bins | undefined, oldBase: number, k: number, wide: boolean): Bins {
    let lo = k;
    let hi = k;
    const kept: number[] = [];
    if (old !== undefined && !isBin(oldBase)) {
      this.damage = `summary cell word ${s + S_BASE} holds ${oldBase}, which is not a bin: the bins of its block were dropped`;
      // the cell stops pointing at the block before it goes back to the lane
      cell.put(s + S_BLOCK, 0);
      this.#heap.freeBlock(old.ptr, old.words);
      this.#bins[s - cell.base] = undefined;
      old = undefined;
    }
    if (old !== undefined) {
      ({ lo, hi } = spanOf(old, oldBase, k, (bin, n) => kept.push(bin, n)));
      wide ||= old.wide;
    }
    // Kept bins can span more than the store's range when damage or a writer that died mid-update left bins
    // outside it (an offset moved up before the bins below it were folded, or a range restarted): fold them into
    // the edge of a range of `size` bins that holds k, as a move of the range does, so that every bin fits a block.
    if (hi - lo + 1 > size) {
      const low = hi - k < size ? hi - size + 1 : k;
      const high = low + size - 1;
      const folded = new Map<number, number>();
      for (let i = 0; i < kept.length; i += 2) {
        const b = Math.min(Math.max(kept[i]!, low), high);
        folded.set(b, (folded.get(b) ?? 0) + kept[i + 1]!);
      }
      kept.length = 0;
      lo = k;
      hi = k;
      for (const [b, n] of folded) {
        kept.push(b, n);
        lo = Math.min(lo, b);
        hi = Math.max(hi, b);
        if (n > narrowLimit) wide = true;
      }
    }
    const span = hi - lo + 1;
    const capacity = wide ? size : old !== undefined && span <= old.capacity ? old.capacity : span <= FIRST_BINS ? FIRST_BINS : size;
    let base: number;
    if (kept.length === 0) base = k - (capacity >> 2);
    else if (lo >= oldBase && hi < oldBase + capacity) base = oldBase;
    else if (k === hi) base = lo;
    else base = hi - capacity + 1;
    if (old === undefined || capacity !== old.capacity || wide !== old.wide) {
      const ptr = this.#newBlock(cell, s, wide ? capacity : capacity / 2, wide ? WIDE : NARROW);
      const block = this.#heap.ownBlock(ptr);
      const bins = new Bins(cell, ptr, block.views.u32, block.views.i32, block.views.f64, block.at, capacity, wide, this.#heap.file.path);
      for (let i = 0; i < kept.length; i += 2) bins.set(kept[i]! - base, kept[i + 1]!);
      cell.put(s + S_BLOCK, ptr);
      cell.put(s + S_BASE, base);
      // the old block goes back to the lane inside this update: a reader still copying it will read again
      if (old !== undefined) this.#heap.freeBlock(old.ptr, old.words);
      this.#bins[s - cell.base] = bins;
      return bins;
    }
    // the same block from another base: each bin written once with its new count
    const next = new Array<number>(capacity).fill(0);
    for (let i = 0; i < kept.length; i += 2) next[kept[i]! - base] = kept[i + 1]!;
    for (let j = 0; j < capacity; j++) if (old.get(j) !== next[j]) old.set(j, next[j]!);
    cell.put(s + S_BASE, base);
    return old;
  }

  /** Empties every bin below absolute bin `below` and returns their sum (folding the low end of a range). */
  takeBinsBelow(cell: WriterCell, s: number, size: number, below: number): number {
    const bins = this.#binsOf(cell, s, size);
    if (bins === undefined) return 0;
    const base = cell.f64[s + S_BASE]!;
    let sum = 0;
    for (let j = 0; j < Math.min(bins.capacity, below - base); j++) {
      const n = bins.get(j);
      if (n === 0) continue;
      sum += n;
      bins.set(j, 0);
    }
    return sum;
  }

  /** The highest absolute bin holding a count, or -Infinity if none does. */
  highestBin(cell: WriterCell, s: number, size: number): number {
    const bins = this.#binsOf(cell, s, size);
    if (bins === undefined) return -Infinity;
    for (let j = bins.capacity - 1; j >= 0; j--) if (bins.get(j) !== 0) return cell.f64[s + S_BASE]! + j;
    return -Infinity;
  }

  /** Gives the store's block back to the lane (its series expired) and forgets it. */
  releaseStore(cell: WriterCell, s: number, size: number): void {
    const bins = this.#binsOf(cell, s, size);
    if (bins === undefined) return;
    cell.put(s + S_BLOCK, 0);
    this.#heap.freeBlock(bins.ptr, bins.words);
    this.#bins[s - cell.base] = undefined;
  }

  /** Empties a store (a new window, or a reset), keeping its block for the data to come. */
  clearStore(cell: WriterCell, s: number, size: number): void {
    const bins = this.#binsOf(cell, s, size);
    if (bins !== undefined) for (let j = 0; j < bins.capacity; j++) if (bins.get(j) !== 0) bins.set(j, 0);
    if (cell.f64[s + S_OFFSET] !== 0) cell.put(s + S_OFFSET, 0);
    if (cell.f64[s + S_COUNT] !== 0) cell.put(s + S_COUNT, 0);
    if (cell.f64[s + S_BASE] !== 0) cell.put(s + S_BASE, 0);
  }
}

/** A reader's copy of one store's block, made inside the cell's seqlock read. */
export class StoreCopy {
  /** Bins in the copy (0: no block, or one that could not be read). */
  capacity = 0;
  wide = false;
  #u32 = new Uint32Array(0);
  #f64 = new Float64Array(0);

  /**
   * Copies the block the cell words at `s` of `values` point at; false if they do not lead to a block of this
   * store (of at most `size` bins), or its base is not a bin index: damage, unless the copy was torn.
   */
  copy(heap: Heap, values: Float64Array, s: number, size: number): boolean {
    this.capacity = 0;
    const ptr = values[s + S_BLOCK]!;
    if (ptr === 0) return true;
    if (!isBin(values[s + S_BASE]!)) return false;
    let words = heap.blockWords(ptr, NARROW, size / 2);
    this.wide = words < 0;
    if (this.wide) words = heap.blockWords(ptr, WIDE, size);
    if (words < 0) return false;
    if (this.#f64.length < words) {
      this.#f64 = new Float64Array(size);
      this.#u32 = new Uint32Array(this.#f64.buffer);
    }
    heap.copyBlock(ptr, words, this.#u32);
    this.capacity = this.wide ? words : words * 2;
    return true;
  }

  /** The count of bin j of the copy. */
  /** Data words of the block, as allocated. */
  get words(): number {
    return this.wide ? this.capacity : this.capacity / 2;
  }

  get(j: number): number {
    return this.wide ? this.#f64[j]! : this.#u32[j]!;
  }
}
