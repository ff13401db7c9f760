// A writer's handle on its cell of a series, and what every handle on a series shares: where it points, the
// placeholder a detached handle points at, and following the series through reset, remove and expiry.
//
// Only the slow path lives here. Each concrete cell class keeps its own followSeries() (the check before every
// update) and its own update methods, so the property loads on the hot path see one class and stay monomorphic;
// what this base holds runs when the series has changed under the handle.
import type { HeapFile } from './heap-file.js';
import { CELL, KIND_SERIES, SERIES, STATE_REMOVED, STATE_RETIRED, STATE_SHIFT, TAG, WORD } from './layout.js';

/** A handle on heap memory that idle-series expiry may have to take away from this process (see expiry.ts). */
export interface ExpiringHandle {
  /** Points the handle away from its series, which is about to be reused: the next update finds it anew. */
  detach(): void;
}

/** Brings a removed series back (it is being written again): it shows up in scrapes from now on. */
export function reviveSeries(u32: Uint32Array, at: number): void {
  const word = Atomics.load(u32, at);
  if (((word >>> STATE_SHIFT) & 0xff) === STATE_REMOVED) Atomics.compareExchange(u32, at, word, TAG | KIND_SERIES);
}

/** Where a detached handle points until its next update finds its series again: a series marked retired. */
export const DETACHED_SERIES = new Uint32Array(16);
DETACHED_SERIES[0] = TAG | (STATE_RETIRED << STATE_SHIFT) | KIND_SERIES;
DETACHED_SERIES[SERIES.GENERATION] = 1;
DETACHED_SERIES[SERIES.TOUCHED] = 1;
const DETACHED_CELL = new Float64Array(2);
const DETACHED_CELL_U32 = new Uint32Array(DETACHED_CELL.buffer);
const DETACHED_CELL_I32 = new Int32Array(DETACHED_CELL.buffer);

/**
 * One writer's cell of a series. `Self` is the concrete class, which is what `reattach` receives. Subclasses add
 * followSeries() and the updates, and say how to clear their values for a new generation.
 */
export abstract class CellHandle<Self extends CellHandle<Self>> implements ExpiringHandle {
  /** Float view of the cell's segment; values start at `base`. Read them after followSeries() or an update began. */
  f64!: Float64Array;
  /** u32 view of the cell's segment; `seq` and `generation` index it. */
  u32!: Uint32Array;
  /** The same as Int32, for Atomics on the Atomics path. */
  i32!: Int32Array;
  /** The cell's pointer. */
  ptr!: number;
  base!: number;
  seq!: number;
  generation!: number;
  /** u32 view of the series record's segment, and the index of the series' generation in it. */
  seriesU32!: Uint32Array;
  seriesGeneration!: number;
  /** The series' touched word (families with a TTL), else its tag word, which is never 0: nothing to mark. */
  seriesTouched!: number;
  /** Families with a TTL: finds the series again (making it anew if need be) once it has expired. */
  readonly #reattach: ((cell: Self) => void) | undefined;

  constructor(file: HeapFile, cell: number, series: number, reattach?: (cell: Self) => void) {
    this.#reattach = reattach;
    this.point(file, cell, series);
  }

  /** Makes this handle write `cell` of `series`. */
  point(file: HeapFile, cell: number, series: number): void {
    const seg = file.segmentOf(cell);
    const at = file.offsetOf(cell);
    this.f64 = seg.f64;
    this.u32 = seg.u32;
    this.i32 = seg.i32;
    this.ptr = cell;
    this.base = at + CELL.VALUES_BYTE / WORD;
    this.seq = at * 2 + CELL.SEQ;
    this.generation = at * 2 + CELL.GENERATION;
    this.seriesU32 = file.segmentOf(series).u32;
    const seriesAt = file.offsetOf(series) * 2;
    this.seriesGeneration = seriesAt + SERIES.GENERATION;
    this.seriesTouched = this.#reattach === undefined ? seriesAt : seriesAt + SERIES.TOUCHED;
  }

  detach(): void {
    this.letGo();
    this.#pointNowhere();
  }

  /** Aims the handle at no cell: its next update finds its series again (see detach()). */
  #pointNowhere(): void {
    this.f64 = DETACHED_CELL;
    this.u32 = DETACHED_CELL_U32;
    this.i32 = DETACHED_CELL_I32;
    this.ptr = 0;
    this.base = 1;
    this.seq = 0;
    this.generation = 1; // 0, the detached series' is 1: the next followSeries() goes to catchUpWithSeries()
    this.seriesU32 = DETACHED_SERIES;
    this.seriesGeneration = SERIES.GENERATION;
    this.seriesTouched = SERIES.TOUCHED;
  }

  /**
   * Call before every update: with a TTL marks the series touched; when the series' generation is not the cell's,
   * calls catchUpWithSeries(). Each subclass writes its own, for the hot path's sake (see the top of this file).
   */
  protected abstract followSeries(): void;

  /** Clears the cell's values for a new generation of the series, inside an update the caller has begun. */
  protected abstract clearValues(): void;

  /**
   * Called when the handle leaves its cell for good (its series expired), before it points elsewhere, while the
   * cell is still this writer's (the sweeper reuses it only once this thread has acknowledged). Nothing by default.
   */
  protected letGo(): void {}

  /** followSeries()'s slow path: follows an expired series, or clears the cell for the series' new generation. */
  protected catchUpWithSeries(): void {
    if (this.#seriesExpired()) this.#followRenewedSeries();
    else this.#moveToSeriesGeneration();
  }

  /** With a TTL: whether the series this handle points at was retired (expired, or this handle is detached). */
  #seriesExpired(): boolean {
    return this.#reattach !== undefined && ((Atomics.load(this.seriesU32, this.seriesGeneration - SERIES.GENERATION) >>> STATE_SHIFT) & 0xff) === STATE_RETIRED;
  }

  /** Points this handle at the series found (or made) anew for the same labels, and catches up with it. */
  #followRenewedSeries(): void {
    this.letGo();
    try {
      this.#reattach!(this as unknown as Self); // every subclass is declared as CellHandle<itself>
    } catch (error) {
      // (too many series, a full heap): the handle must not stay on the retired cell, which the sweeper will give
      // to another series once this thread acknowledges; it tries again at its next update
      this.#pointNowhere();
      throw error;
    }
    this.followSeries();
  }

  /**
   * The series was reset or removed since the last update: clears the cell for its new generation, and brings a
   * removed series back, since it is being written again.
   */
  #moveToSeriesGeneration(): void {
    const at = this.seriesGeneration - SERIES.GENERATION;
    const generation = Atomics.load(this.seriesU32, this.seriesGeneration);
    const s = this.u32[this.seq]!;
    Atomics.store(this.u32, this.seq, s + 1);
    // closed even if clearing throws (the generation then stays behind, so the next update clears again)
    try {
      this.clearValues();
      Atomics.store(this.u32, this.generation, generation);
    } finally {
      Atomics.store(this.u32, this.seq, s + 2);
    }
    reviveSeries(this.seriesU32, at);
  }
}
