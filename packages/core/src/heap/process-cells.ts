// Per-process cells: values that belong to one writer (a process, or a worker thread) rather than to its lane, for
// gauges whose processes each keep their own value (multiprocessMode sum, min, max, all and their live variants).
//
// A counter's cell belongs to its lane: whoever takes a dead writer's lane goes on counting in its cells, so
// totals never drop. A per-process value must not pass to the next owner: the new owner of a lane would report
// the dead writer's gauge as its own, under its own pid. So a per-process cell records its owner (pid, start time,
// and the lane's claim count, see lanes.ts), and a writer only ever writes a cell of its own lane *and* its
// own claim. An earlier owner's cell stays as it was, readable as that owner's value, with its pid: readers tell
// live owners from dead ones with WriterLiveness. Live modes drop dead owners' values, so there the next owner of
// the lane takes the old cell over (cleared) instead of growing the list; other modes keep them.
//
// "Has a value" is a word of its own: a writer that never set the gauge has no value (it is not 0, which would be
// wrong for min, and would invent a series under its pid for all).
//
// On x86-64 a change of the value alone is one plain 8-byte store; on the Atomics memory-order path (every other
// CPU, see memory-order.ts) a double is two 32-bit halves, so every change is a group update under the sequence.
import type { HeapFile } from './heap-file.js';
import type { Lane } from './lanes.js';
import { CELL, PROCESS_CELL, SERIES, WORD } from './layout.js';
import { storeDouble } from './atomic-doubles.js';
import { ATOMIC_ORDER } from './memory-order.js';
import { CellHandle } from './cell-handle.js';
import { maxCells, readEachCell } from './cells.js';
import { heapCorrupt } from '../errors.js';
import { ListWalk } from './walk-guard.js';
import type { ProcessIdentity } from './process-identity.js';
import type { WriterLiveness } from './writer-liveness.js';

const VALUE = PROCESS_CELL.VALUE;
const HAS_VALUE = PROCESS_CELL.HAS_VALUE;

/** This writer's own value of a series, on the x86-64 path: every update is a plain store or two; nothing allocates. */
export class ProcessCell extends CellHandle<ProcessCell> {
  /**
   * Forgets the value if the series was reset or removed since the last update (and brings a removed series
   * back, since it is being written again); with a TTL, marks the series touched, and follows it if it expired.
   * The owner fields stay.
   */
  protected override followSeries(): void {
    const series = this.seriesU32;
    if (series[this.seriesTouched] === 0) series[this.seriesTouched] = 1;
    if (this.u32[this.generation] === series[this.seriesGeneration]) return;
    this.catchUpWithSeries();
  }

  protected override clearValues(): void {
    this.put(VALUE, 0);
    this.put(HAS_VALUE, 0);
  }

  /** Stores one of the cell's values, inside an update. */
  protected put(index: number, value: number): void {
    this.f64[this.base + index] = value;
  }

  set(value: number): void {
    this.followSeries();
    const f64 = this.f64;
    const base = this.base;
    if (f64[base + HAS_VALUE] === 1) {
      f64[base + VALUE] = value; // one aligned 8-byte store: never seen half-written
      return;
    }
    this.first(value);
  }

  /** Adds `delta` to this writer's value (a writer without a value starts from 0). */
  add(delta: number): void {
    this.followSeries();
    const f64 = this.f64;
    const base = this.base;
    if (f64[base + HAS_VALUE] === 1) {
      f64[base + VALUE]! += delta;
      return;
    }
    this.first(delta);
  }

  /** The first value: value and mark together, as one update. */
  protected first(value: number): void {
    const u32 = this.u32;
    const s = u32[this.seq]!;
    Atomics.store(u32, this.seq, s + 1);
    this.put(VALUE, value);
    this.put(HAS_VALUE, 1);
    Atomics.store(u32, this.seq, s + 2);
  }

  /** Drops this writer's value: readers then skip it, as if it had never set one. */
  clear(): void {
    this.followSeries();
    if (this.f64[this.base + HAS_VALUE] !== 1) return;
    const u32 = this.u32;
    const s = u32[this.seq]!;
    Atomics.store(u32, this.seq, s + 1);
    this.put(VALUE, 0);
    this.put(HAS_VALUE, 0);
    Atomics.store(u32, this.seq, s + 2);
  }
}

/**
 * The Atomics path (every CPU but x86-64): a double is two halves, so every change of the value is an update under
 * the sequence word, and the series' generation is loaded with Atomics. One class per process: see cells.ts.
 */
class AtomicProcessCell extends ProcessCell {
  protected override followSeries(): void {
    const series = this.seriesU32;
    if (series[this.seriesTouched] === 0) series[this.seriesTouched] = 1;
    if (this.u32[this.generation] === Atomics.load(series, this.seriesGeneration)) return;
    this.catchUpWithSeries();
  }

  protected override put(index: number, value: number): void {
    storeDouble(this.i32, this.base + index, value);
  }

  override set(value: number): void {
    this.followSeries();
    this.#update(value);
  }

  override add(delta: number): void {
    this.followSeries();
    const f64 = this.f64;
    this.#update(f64[this.base + HAS_VALUE] === 1 ? f64[this.base + VALUE]! + delta : delta);
  }

  #update(value: number): void {
    const i32 = this.i32;
    const s = i32[this.seq]!;
    Atomics.store(i32, this.seq, s + 1);
    storeDouble(i32, this.base + VALUE, value);
    storeDouble(i32, this.base + HAS_VALUE, 1); // stores nothing once it is 1
    Atomics.store(i32, this.seq, s + 2);
  }
}

/** The per-process cell class of this process's memory-order path. */
const ProcessCellOfThisPath = ATOMIC_ORDER ? AtomicProcessCell : ProcessCell;

/** Writes the owner fields of a cell and clears its value, as one update (the cell may be read meanwhile). */
function takeCell(file: HeapFile, cell: number, series: number, lane: Lane, owner: ProcessIdentity): void {
  const seg = file.segmentOf(cell);
  const at = file.offsetOf(cell);
  const base = at + CELL.VALUES_BYTE / WORD;
  const seq = at * 2 + CELL.SEQ;
  const s = Atomics.load(seg.u32, seq) & ~1; // an odd word left by a dead owner was closed when the lane was claimed
  Atomics.store(seg.u32, seq, s + 1);
  const put = (index: number, value: number): void => {
    if (ATOMIC_ORDER) storeDouble(seg.i32, base + index, value);
    else seg.f64[base + index] = value;
  };
  put(VALUE, 0);
  put(HAS_VALUE, 0);
  put(PROCESS_CELL.PID, owner.pid);
  put(PROCESS_CELL.START, owner.start);
  put(PROCESS_CELL.CLAIM_COUNT, lane.claimCount);
  // One generation behind the series: the first update then runs followSeries(), which brings back a series removed
  // (by anyone) before this writer's first update, as a write to it must.
  const generation = Atomics.load(file.segmentOf(series).u32, file.offsetOf(series) * 2 + SERIES.GENERATION);
  Atomics.store(seg.u32, at * 2 + CELL.GENERATION, (generation - 1) >>> 0);
  Atomics.store(seg.u32, seq, s + 2);
}

/**
 * This writer's per-process cell of a series: the one of its lane and claim, else (with `reuseDead`, for live
 * modes) an earlier owner's cell of its lane taken over, else a new one.
 */
export function claimProcessCell(
  file: HeapFile,
  lane: Lane,
  series: number,
  owner: ProcessIdentity,
  reuseDead: boolean,
  reattach?: (cell: ProcessCell) => void,
): ProcessCell {
  return new ProcessCellOfThisPath(file, claimProcessCellOf(file, lane, series, owner, reuseDead), series, reattach);
}


/** claimProcessCell(), as the cell's pointer. A cell list that loops is damage (MPM_ERR_HEAP_CORRUPT). */
export function claimProcessCellOf(file: HeapFile, lane: Lane, series: number, owner: ProcessIdentity, reuseDead: boolean): number {
  const seg = file.segmentOf(series);
  const head = file.offsetOf(series) * 2 + SERIES.CELLS;
  let reusable = 0;
  const first = Atomics.load(seg.u32, head);
  const walk = new ListWalk().start(first, maxCells(file));
  for (let cell = first; cell !== 0; ) {
    const cseg = file.segmentOf(cell);
    const cat = file.offsetOf(cell);
    if (cseg.u32[cat * 2 + CELL.LANE] === lane.id) {
      if (cseg.f64[cat + CELL.VALUES_BYTE / WORD + PROCESS_CELL.CLAIM_COUNT] === lane.claimCount) return cell;
      if (reuseDead && reusable === 0) reusable = cell;
    }
    cell = Atomics.load(cseg.u32, cat * 2 + CELL.NEXT);
    if (walk.stops(cell)) throw heapCorrupt(file.path, `the cell list of series ${series} loops or is longer than the heap could hold`);
  }
  if (reusable !== 0) {
    takeCell(file, reusable, series, lane, owner);
    return reusable;
  }
  const cell = lane.allocate(CELL.VALUES_BYTE + PROCESS_CELL.WORDS * WORD);
  const cseg = file.segmentOf(cell);
  const cat = file.offsetOf(cell) * 2;
  cseg.u32[cat + CELL.LANE] = lane.id;
  takeCell(file, cell, series, lane, owner);
  for (;;) {
    const first = Atomics.load(seg.u32, head);
    Atomics.store(cseg.u32, cat + CELL.NEXT, first);
    if (Atomics.compareExchange(seg.u32, head, first, cell) === first) break;
  }
  return cell;
}

/** One writer's value as a reader sees it. */
export interface ProcessValue {
  value: number;
  pid: number;
  /** The owner's start time (clock ticks since boot; 0 if unknown): with the pid, which process it was. */
  start: number;
  alive: boolean;
}

/**
 * Calls `visit` with every writer's value of a series (writers without a value are skipped), each as of a whole
 * update, and whether its writer is alive. `entry` is reused between calls: copy what you keep.
 */
export function readProcessCells(
  file: HeapFile,
  series: number,
  isLaneHeld: (lane: number) => boolean,
  liveness: WriterLiveness,
  visit: (entry: ProcessValue) => void,
): void {
  const entry: ProcessValue = { value: 0, pid: 0, start: 0, alive: false };
  readEachCell(file, series, PROCESS_CELL.WORDS, isLaneHeld, (values, _length, lane) => {
    if (values[HAS_VALUE] !== 1) return;
    entry.value = values[VALUE]!;
    entry.pid = values[PROCESS_CELL.PID]!;
    entry.start = values[PROCESS_CELL.START]!;
    entry.alive = liveness.isAlive(lane, values[PROCESS_CELL.CLAIM_COUNT]!);
    visit(entry);
  });
}
