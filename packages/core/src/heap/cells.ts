// Per-writer cells: each writer lane keeps its own copy of a series' values and updates it with plain stores, the
// cheapest write there is, with no contention between processes. A reader sums the cells of a series.
//
// A group of values that must change together (a histogram's bucket, count and sum) is guarded by the cell's
// sequence word, as in a seqlock: the writer makes it odd, writes, makes it even; a reader that saw the same even
// number before and after its reads saw a whole update. On x86-64 the values are plain typed-array stores and
// loads: TSO and V8 keep them in program order around the sequence word (test/v8-memory-behaviour.test.ts checks
// it on every Node we support). On any other CPU (ATOMIC_ORDER, see memory-order.ts) every access a reader makes
// and every store a writer makes goes through Atomics, doubles as two halves (atomic-doubles.ts): a weakly ordered
// CPU may let a plain load pass the sequence word's acquire load. docs/ARCHITECTURE.md, "Memory ordering", argues both.
//
// Reset and remove bump the series' generation. A cell of an older generation counts as zero for readers, and its
// writer clears it before its next update: nobody ever writes another writer's cell.
import { forEachLeaf } from './directory.js';
import { heapCorrupt } from '../errors.js';
import type { HeapFile } from './heap-file.js';
import type { Lane } from './lanes.js';
import { CELL, FAMILY, H, SERIES, WORD } from './layout.js';
import { CellHandle, DETACHED_SERIES } from './cell-handle.js';
import { loadDouble, storeDouble } from './atomic-doubles.js';
import { ATOMIC_ORDER } from './memory-order.js';
import { monotonicMs } from './monotonic-clock.js';
import { spendWaiting, waitDeadline } from './read-budget.js';
import { ListWalk } from './walk-guard.js';

/** The x86-64 path: plain typed-array stores between plain stores of the sequence word (see the top of this file). */
export class WriterCell extends CellHandle<WriterCell> {
  readonly length: number;
  /**
   * Clears the values for a new generation instead of zeroing them all, for a cell that points at blocks of its own
   * (cell-blocks.ts): the pointers must survive, or the blocks would be lost to the lane.
   */
  clearer: ((cell: WriterCell) => void) | undefined = undefined;
  /**
   * Gives back what the cell's values point at when the handle lets go of the cell for good (its series expired:
   * detached, or found retired by an update). Runs inside an update of that cell. (The blocks of a cell nobody
   * holds are freed by the sweeper: freeCellBlocks.)
   */
  releaser: ((cell: WriterCell) => void) | undefined = undefined;

  constructor(file: HeapFile, cell: number, series: number, length: number, reattach?: (cell: WriterCell) => void) {
    super(file, cell, series, reattach);
    this.length = length;
  }

  /**
   * Clears this cell if the series was reset or removed since its last update (and brings a removed series
   * back, since it is being written again); with a TTL, marks the series touched, and follows it if it expired.
   * Call before every update: two loads and a compare when nothing changed.
   */
  override followSeries(): void {
    const series = this.seriesU32;
    // touched is a hint for the sweeper, ordered against nothing (see ARCHITECTURE.md, "Memory ordering")
    if (series[this.seriesTouched] === 0) series[this.seriesTouched] = 1;
    if (this.u32[this.generation] === series[this.seriesGeneration]) return;
    this.catchUpWithSeries();
  }

  protected override letGo(): void {
    if (this.releaser === undefined || this.seriesU32 === DETACHED_SERIES) return;
    // an update of its own: a reader that copied a block meanwhile sees the sequence move and reads again
    const s = this.u32[this.seq]!;
    Atomics.store(this.u32, this.seq, s + 1);
    try {
      this.releaser(this);
    } finally {
      Atomics.store(this.u32, this.seq, s + 2);
    }
  }

  protected override clearValues(): void {
    if (this.clearer !== undefined) this.clearer(this);
    else for (let i = this.base; i < this.base + this.length; i++) this.put(i, 0);
  }

  /** Adds to one value, as one update (here a single aligned 8-byte store, never seen half-written). */
  add(index: number, delta: number): void {
    this.followSeries();
    this.f64[this.base + index]! += delta;
  }

  /** Adds to two values as one update (a histogram's bucket and sum). */
  addTwo(index: number, delta: number, other: number, otherDelta: number): void {
    this.followSeries();
    const u32 = this.u32;
    const f64 = this.f64;
    const s = u32[this.seq]!;
    u32[this.seq] = s + 1;
    f64[this.base + index]! += delta;
    f64[this.base + other]! += otherDelta;
    u32[this.seq] = s + 2;
  }

  /**
   * Starts a group update: readers retry until `end()`. In between, read values from `f64` (this writer's own) and
   * write them only with `put()`.
   */
  begin(): void {
    this.followSeries();
    this.u32[this.seq]! += 1;
  }

  /** Writes the value at `f64` index `at` (base included) inside a group update. */
  put(at: number, value: number): void {
    this.f64[at] = value;
  }

  /**
   * Adds 1 to the value at `f64` index `at` (base included) inside a group update: a count, with no double to pass
   * (a double passed to a call V8 does not inline is boxed, an allocation per update).
   */
  bump(at: number): void {
    this.f64[at]! += 1;
  }

  /** Adds `source[index]` to the value at `f64` index `at` inside a group update: bump()'s reason, for a double. */
  addFrom(at: number, source: Float64Array, index: number): void {
    this.f64[at]! += source[index]!;
  }

  /** put() into one of this cell's blocks (cell-blocks.ts): a double at index `at` of the block segment's views. */
  putDouble(f64: Float64Array, _i32: Int32Array, at: number, value: number): void {
    f64[at] = value;
  }

  /** Writes a u32 (half a word) at index `at` of a block segment's 32-bit views, inside a group update. */
  putHalf(u32: Uint32Array, _i32: Int32Array, at: number, value: number): void {
    u32[at] = value;
  }

  end(): void {
    this.u32[this.seq]! += 1;
  }
}

/**
 * The Atomics path (every CPU but x86-64): the series' generation, the sequence word and every value go through
 * Atomics, doubles as halves (atomic-doubles.ts). A process makes cells of one class only, so call sites stay
 * monomorphic and the x86-64 path pays nothing for this one.
 */
class AtomicWriterCell extends WriterCell {
  override followSeries(): void {
    const series = this.seriesU32;
    if (series[this.seriesTouched] === 0) series[this.seriesTouched] = 1;
    if (this.u32[this.generation] === Atomics.load(series, this.seriesGeneration)) return;
    this.catchUpWithSeries();
  }

  override add(index: number, delta: number): void {
    this.followSeries();
    const i32 = this.i32;
    const at = this.base + index;
    const s = i32[this.seq]!;
    Atomics.store(i32, this.seq, s + 1);
    storeDouble(i32, at, this.f64[at]! + delta);
    Atomics.store(i32, this.seq, s + 2);
  }

  override addTwo(index: number, delta: number, other: number, otherDelta: number): void {
    this.followSeries();
    const i32 = this.i32;
    const f64 = this.f64;
    const at = this.base + index;
    const otherAt = this.base + other;
    const s = i32[this.seq]!;
    Atomics.store(i32, this.seq, s + 1);
    storeDouble(i32, at, f64[at]! + delta);
    storeDouble(i32, otherAt, f64[otherAt]! + otherDelta);
    Atomics.store(i32, this.seq, s + 2);
  }

  override begin(): void {
    this.followSeries();
    Atomics.store(this.i32, this.seq, this.i32[this.seq]! + 1);
  }

  override put(at: number, value: number): void {
    storeDouble(this.i32, at, value);
  }

  override bump(at: number): void {
    storeDouble(this.i32, at, this.f64[at]! + 1);
  }

  override addFrom(at: number, source: Float64Array, index: number): void {
    storeDouble(this.i32, at, this.f64[at]! + source[index]!);
  }

  override putDouble(_f64: Float64Array, i32: Int32Array, at: number, value: number): void {
    storeDouble(i32, at, value);
  }

  override putHalf(_u32: Uint32Array, i32: Int32Array, at: number, value: number): void {
    // int32 view: V8 stores a uint32 above 2^31 through a slower path (atomic-doubles.ts); the bits are the same
    if (i32[at] !== (value | 0)) Atomics.store(i32, at, value | 0);
  }

  override end(): void {
    Atomics.store(this.i32, this.seq, this.i32[this.seq]! + 1);
  }
}

/** The cell class of this process's memory-order path. */
const CellOfThisPath = ATOMIC_ORDER ? AtomicWriterCell : WriterCell;

/**
 * The most cells one series can have: a lane has one cell per series, except per-process cells, which keep the
 * values of every earlier owner of a lane (see process-cells.ts). So the bound of a walk is what the heap holds.
 */
export function maxCells(file: HeapFile): number {
  return Math.floor(Atomics.load(file.header, H.ALLOC_TOP) / (CELL.VALUES_BYTE / WORD)) + 1;
}

/**
 * Finds this lane's cell of a series, or creates and publishes it. The cell of a dead earlier owner is adopted.
 * `length` is the series' values per cell as its family declares them: never read back from a record that another
 * process may have damaged.
 */
export function claimCell(file: HeapFile, lane: Lane, series: number, length: number, reattach?: (cell: WriterCell) => void): WriterCell {
  return new CellOfThisPath(file, claimCellOf(file, lane, series, length), series, length, reattach);
}


/** claimCell(), as the cell's pointer. A cell list that loops or is longer than one cell per lane is damage. */
export function claimCellOf(file: HeapFile, lane: Lane, series: number, length: number): number {
  const seg = file.segmentOf(series);
  const at = file.offsetOf(series) * 2;
  const head = at + SERIES.CELLS;
  const first = Atomics.load(seg.u32, head);
  const walk = new ListWalk().start(first, file.maxLanes);
  for (let cell = first; cell !== 0; ) {
    const cseg = file.segmentOf(cell);
    const cat = file.offsetOf(cell) * 2;
    if (cseg.u32[cat + CELL.LANE] === lane.id) {
      // An owner killed inside an update left the sequence odd: close it, accepting its partial update.
      if ((cseg.u32[cat + CELL.SEQ]! & 1) === 1) Atomics.add(cseg.u32, cat + CELL.SEQ, 1);
      return cell;
    }
    cell = Atomics.load(cseg.u32, cat + CELL.NEXT);
    if (walk.stops(cell)) throw heapCorrupt(file.path, `the cell list of series ${series} loops or has more cells than lanes`);
  }
  const cell = lane.allocate(CELL.VALUES_BYTE + length * WORD);
  const cseg = file.segmentOf(cell);
  const cat = file.offsetOf(cell) * 2;
  cseg.u32[cat + CELL.LANE] = lane.id;
  // One generation behind the series: the first update then goes through followSeries(), which brings the series back if
  // it was removed since this process looked it up (a cached child of a removed label set writes it again).
  cseg.u32[cat + CELL.GENERATION] = (Atomics.load(seg.u32, at + SERIES.GENERATION) - 1) >>> 0;
  for (;;) {
    const first = Atomics.load(seg.u32, head);
    Atomics.store(cseg.u32, cat + CELL.NEXT, first);
    if (Atomics.compareExchange(seg.u32, head, first, cell) === first) break;
  }
  return cell;
}


/**
 * Closes every update an earlier owner of `lane` left open when it died (an odd sequence word), in all series,
 * so that readers stop waiting for a writer that is gone: the lane is held again, by us, and a held lane's odd
 * cell looks like a live writer mid-update. Runs once, when a writer adopts a lane that had an owner before.
 */
export function closeAbandonedUpdates(file: HeapFile, lane: number): void {
  forEachLeaf(file, file.header[H.FAMILY_ROOT]!, (family) => {
    const root = file.segmentOf(family).u32[file.offsetOf(family) * 2 + FAMILY.SERIES_ROOT]!;
    forEachLeaf(file, root, (series) => {
      const first = Atomics.load(file.segmentOf(series).u32, file.offsetOf(series) * 2 + SERIES.CELLS);
      const walk = new ListWalk().start(first, maxCells(file));
      for (let cell = first; cell !== 0; ) {
        const u32 = file.segmentOf(cell).u32;
        const at = file.offsetOf(cell) * 2;
        if (u32[at + CELL.LANE] === lane && (Atomics.load(u32, at + CELL.SEQ) & 1) === 1) Atomics.add(u32, at + CELL.SEQ, 1);
        cell = Atomics.load(u32, at + CELL.NEXT);
        if (walk.stops(cell)) break; // damage: the series' readers report it
      }
    });
  });
}

/** How long a reader waits for a live writer to finish an update before it takes what it sees. */
const READ_PATIENCE_MS = 1000;
/** Retries between two checks of the writer's liveness and of the time. */
const SPINS_PER_CHECK = 1024;
/** Something to Atomics.wait on, to sleep a millisecond between checks instead of spinning on a core. */
const sleeper = new Int32Array(new SharedArrayBuffer(4));

let scratch = new Float64Array(64);

/**
 * A word a reader loads that is ordered by something else: a list link or head (its cell's fields are read through
 * it, so after it), or a cell's generation (inside the seqlock window). On x86-64 a plain load is the same `mov` as
 * `Atomics.load`, which Node 20 and 22 call out of line (some 100 instructions); elsewhere, Atomics.
 */
function loadOrdered(u32: Uint32Array, at: number): number {
  return ATOMIC_ORDER ? Atomics.load(u32, at) : u32[at]!;
}

/** A copy of a cell's values into `scratch`: plain loads (x86-64) or each double's halves through Atomics. */
function copyValues(i32: Int32Array, f64: Float64Array, base: number, length: number): void {
  if (ATOMIC_ORDER) for (let i = 0; i < length; i++) scratch[i] = loadDouble(i32, base + i);
  else for (let i = 0; i < length; i++) scratch[i] = f64[base + i]!;
}

/**
 * Calls `visit` with a copy of each current-generation cell of a series, each as of a whole update. A cell whose
 * writer died mid-update is read as it is; a live writer is waited for, at most READ_PATIENCE_MS per cell (or
 * until the budget of the scrape this read is part of runs out).
 * `length` is the values per cell the family declares (never the record's own count, which damage could make
 * huge). `isLaneHeld` says whether a lane has a live owner. The copy (its first `length` values) is only valid
 * during the call. A cell list that loops, or is longer than the heap could hold, throws MPM_ERR_HEAP_CORRUPT.
 *
 * `copyMore`, for cells with blocks (cell-blocks.ts), copies what the values point at inside the same seqlock read
 * (so the blocks are as of the same update) and says whether all of it was whole; false under an unchanged even
 * sequence is damage (MPM_ERR_HEAP_CORRUPT). A cell taken as it is (its writer dead or too slow) leaves out what
 * `copyMore` could not read, and if the sequence moved meanwhile, all it copied: `copyMore(values, true)` drops it.
 */
export function readEachCell(
  file: HeapFile,
  series: number,
  length: number,
  isLaneHeld: (lane: number) => boolean,
  visit: (values: Float64Array, length: number, lane: number) => void,
  copyMore?: (values: Float64Array, drop?: boolean) => boolean,
): void {
  const seg = file.segmentOf(series);
  const at = file.offsetOf(series) * 2;
  const generation = loadOrdered(seg.u32, at + SERIES.GENERATION);
  if (scratch.length < length) scratch = new Float64Array(length);
  const first = loadOrdered(seg.u32, at + SERIES.CELLS);
  // per-process cells keep earlier owners' cells, so only the heap's size bounds their list
  const walk = new ListWalk().start(first, maxCells(file));
  for (let cell = first; cell !== 0; ) {
    const cseg = file.segmentOf(cell);
    const cat = file.offsetOf(cell) * 2;
    const next = loadOrdered(cseg.u32, cat + CELL.NEXT);
    const read = readOneCell(cseg.u32, cseg.i32, cseg.f64, cat, length, generation, isLaneHeld, copyMore);
    if (read === CELL_BROKEN) throw heapCorrupt(file.path, `cell ${cell} of series ${series} points at a block that is not one of its blocks`);
    if (read === CELL_READ) visit(scratch, length, cseg.u32[cat + CELL.LANE]!);
    cell = next;
    if (walk.stops(cell)) throw cellListDamaged(file, series);
  }
}

function cellListDamaged(file: HeapFile, series: number): Error {
  return heapCorrupt(file.path, `the cell list of series ${series} loops or is longer than the heap could hold`);
}

/** readCells' walk, reused: it calls nothing that could call it again, and a scrape calls it once per series. */
const sumWalk = new ListWalk();

/**
 * Adds up the current-generation cells of a series into `out`, whose length is the values per cell the family
 * declares (see readEachCell). A writer's cells hold one per lane, so a longer list is damage.
 */
export function readCells(file: HeapFile, series: number, out: Float64Array | number[], isLaneHeld: (lane: number) => boolean): void {
  const seg = file.segmentOf(series);
  const at = file.offsetOf(series) * 2;
  const length = out.length;
  // a loop, not fill(): on an Array, fill() is a call into C++ of some 600 instructions (valgrind, 2026-12-07)
  for (let i = 0; i < length; i++) out[i] = 0;
  const generation = loadOrdered(seg.u32, at + SERIES.GENERATION);
  if (scratch.length < length) scratch = new Float64Array(length);
  const first = loadOrdered(seg.u32, at + SERIES.CELLS);
  const walk = sumWalk.start(first, file.maxLanes);
  for (let cell = first; cell !== 0; ) {
    const cseg = file.segmentOf(cell);
    const cat = file.offsetOf(cell) * 2;
    const next = loadOrdered(cseg.u32, cat + CELL.NEXT);
    if (readOneCell(cseg.u32, cseg.i32, cseg.f64, cat, length, generation, isLaneHeld) === CELL_READ) {
      for (let i = 0; i < length; i++) out[i]! += scratch[i]!;
    }
    cell = next;
    if (walk.stops(cell)) throw cellListDamaged(file, series);
  }
}

/** readOneCell's answers: the cell's values are in `scratch`; it is of another generation; its blocks are damaged. */
const CELL_READ = 0;
const CELL_OTHER_GENERATION = 1;
const CELL_BROKEN = 2;

/**
 * Copies one cell into `scratch` as of a whole update, with its generation read inside the same seqlock window:
 * a writer clears its cell for a new generation, or a lane reuses a free cell, as one update (moveToSeriesGeneration,
 * Lane.allocate), so the generation seen is the one the values are of. A cell of another generation counts as zero.
 */
function readOneCell(
  u32: Uint32Array,
  i32: Int32Array,
  f64: Float64Array,
  cat: number,
  length: number,
  generation: number,
  isLaneHeld: (lane: number) => boolean,
  copyMore?: (values: Float64Array, drop?: boolean) => boolean,
): number {
  const seqAt = cat + CELL.SEQ;
  const generationAt = cat + CELL.GENERATION;
  const base = cat / 2 + CELL.VALUES_BYTE / WORD;
  let since = 0;
  let deadline = 0;
  for (let attempt = 1; ; attempt++) {
    const before = Atomics.load(u32, seqAt);
    if ((before & 1) === 0) {
      const current = loadOrdered(u32, generationAt) === generation;
      let whole = true;
      if (current) {
        copyValues(i32, f64, base, length);
        whole = copyMore === undefined || copyMore(scratch);
      }
      if (Atomics.load(u32, seqAt) === before) {
        if (since !== 0) spendWaiting(since);
        return !current ? CELL_OTHER_GENERATION : whole ? CELL_READ : CELL_BROKEN;
      }
    } else if (loadOrdered(u32, generationAt) !== generation) {
      // mid-update in another generation: an update that brings a cell to ours clears it, so it counts as zero
      // either way, and is not waited for
      if (since !== 0) spendWaiting(since);
      return CELL_OTHER_GENERATION;
    }
    if (attempt % SPINS_PER_CHECK !== 0) continue;
    // Still no whole update: the writer is very busy, stopped, or dead. A dead writer's cell is taken as it is
    // (at most its last update is partial); a live one is waited for, within bounds.
    const dead = !isLaneHeld(u32[cat + CELL.LANE]!);
    const now = monotonicMs();
    if (since === 0) {
      since = now;
      deadline = waitDeadline(now, READ_PATIENCE_MS);
    }
    if (dead || now > deadline) {
      spendWaiting(since);
      const asItIs = Atomics.load(u32, seqAt);
      if (loadOrdered(u32, generationAt) !== generation) return CELL_OTHER_GENERATION;
      copyValues(i32, f64, base, length);
      copyMore?.(scratch); // what it could not read is left out: a torn copy is no sign of damage
      // a block copied while the sequence moved may already be another series' (a freed block is reused at once)
      if (copyMore !== undefined && Atomics.load(u32, seqAt) !== asItIs) copyMore(scratch, true);
      return CELL_READ;
    }
    // A live writer paused mid-update (descheduled, stopped): give it the core rather than spin against it.
    Atomics.wait(sleeper, 0, 0, 1);
  }
}
