// Idle-series expiry: a family declared with a TTL loses the label sets nobody updated for that long, and their
// memory is used again, so a service whose label values churn does not grow for ever.
//
// 1. Touch. A writer of such a family sets the series' touched word to 1 when it finds it 0 (cells.ts,
//    shared-words.ts): one load per update, and a store at most once a sweep per process.
// 2. Sweep. One process at a time (it holds the SWEEP lock; a dead sweeper's lock goes with it) takes every touched
//    word back to 0 and notes when it saw it set; a series not touched for longer than its TTL is retired: taken
//    out of the directory (one compare-and-swap of its slot), marked retired, its generation bumped (so a writer
//    that still holds it goes back to the directory at its next update and makes it anew), and put on the retired
//    list with the new sweep epoch.
// 3. Grace. Processes cache pointers to series (children, cells, shared words). Each process with a lane, between
//    two of its operations, detaches its handles on series retired since the epoch it last acknowledged, and then
//    acknowledges the current epoch in its lane record. A lane nobody holds does not count (its owner is gone).
// 4. Reuse. A retired series whose epoch every held lane has acknowledged can be reached by nobody: its record goes
//    to the free list of its size class and its cells back to their lanes (free-lists.ts).
//
// A write that lands in the instant between the sweeper's decision and its mark goes to the retired series and is
// not seen: the series had been idle for a whole TTL, and the next write starts it again from zero, as a new series.
import { freeCellBlocks } from './cell-blocks.js';
import { lockByte, unlockByte } from './heap-io.js';
import { find, isNodeAt, leafKey } from './directory.js';
import type { HeapFile } from './heap-file.js';
import { pushCell, pushNode, pushRecord, reusableSize } from './free-lists.js';
import { CELL, FAMILY, H, KIND_FAMILY, KIND_MASK, KIND_NODE, KIND_SERIES, LEAF, LOCK, NODE, SERIES, STATE_RETIRED, STATE_SHIFT, TAG, TAG_MASK, WORD } from './layout.js';
import { ListWalk, maxRecords } from './walk-guard.js';
import { seriesKeyByte } from './series-store.js';

/** A family swept for idle series, and its TTL. */
export interface ExpiringFamily {
  readonly ptr: number;
  readonly ttlSeconds: number;
}

function isSeries(file: HeapFile, ptr: number): boolean {
  return file.hasKind(ptr, KIND_SERIES);
}

/** Whether `ptr` leads to a retired record (a series, or an emptied directory node). */
function isRetired(file: HeapFile, ptr: number): boolean {
  if (ptr === 0 || ptr >= Atomics.load(file.header, H.ALLOC_TOP)) return false;
  const word = Atomics.load(file.segmentOf(ptr).u32, file.offsetOf(ptr) * 2);
  return (word & TAG_MASK) === TAG && ((word >>> STATE_SHIFT) & 0xff) === STATE_RETIRED;
}

function stateOf(u32: Uint32Array, at: number): number {
  return (Atomics.load(u32, at) >>> STATE_SHIFT) & 0xff;
}

/**
 * Where a retired record (its u32 index `at` in `u32`) links to the next on the retired list: a node keeps it past
 * its slots, which readers still walking it must find as they were.
 */
function retiredNextOf(u32: Uint32Array, at: number): number {
  return at + ((u32[at]! & KIND_MASK) === KIND_NODE ? NODE.RETIRED_NEXT : SERIES.RETIRED_NEXT);
}

/** Where a retired record keeps its sweep epoch, as an index into the f64 view of its segment. */
function epochOf(u32: Uint32Array, at: number): number {
  return at / 2 + ((u32[at]! & KIND_MASK) === KIND_NODE ? NODE.RETIRED_EPOCH_BYTE : SERIES.SEEN_BYTE) / WORD;
}

/**
 * Retires the series of `family` idle for longer than its TTL; returns them. `now` in Unix seconds. Only the
 * first leaf of a slot is retired (others share their whole 32-bit hash with it, which is rare): a later sweep
 * finds them first.
 */
function sweepFamily(file: HeapFile, family: ExpiringFamily, now: number, retired: number[]): void {
  const root = file.segmentOf(family.ptr).u32[file.offsetOf(family.ptr) * 2 + FAMILY.SERIES_ROOT]!;
  if (!file.hasKind(root, KIND_NODE) || !isNodeAt(file, root, 0)) return; // damage: left for readers to report
  const stack = [root];
  const limit = maxRecords(Atomics.load(file.header, H.ALLOC_TOP));
  const seen = new Set<number>([root]);
  let familySizes: string | undefined;
  for (let visited = 0; stack.length > 0 && visited < limit; visited++) {
    const node = stack.pop()!;
    const depth = file.segmentOf(node).u32[file.offsetOf(node) * 2 + NODE.DEPTH]!;
    const u32 = file.segmentOf(node).u32;
    const slots = file.offsetOf(node) * 2 + NODE.SLOTS;
    for (let i = 0; i < NODE.FANOUT; i++) {
      const p = Atomics.load(u32, slots + i);
      if (p === 0) continue;
      if (file.hasKind(p, KIND_NODE)) {
        // a node not one level down (it could lead back up), or linked twice (its subtree would be walked once per
        // path), is damage: not followed
        if (isNodeAt(file, p, depth + 1) && !seen.has(p)) {
          seen.add(p);
          stack.push(p);
        }
        continue;
      }
      if (!isSeries(file, p)) continue; // damage: left for readers to report
      const seg = file.segmentOf(p);
      const at = file.offsetOf(p) * 2;
      if (stateOf(seg.u32, at) === STATE_RETIRED) continue;
      // its sizes decide the free lists its cells and record go to: a record whose sizes disagree with themselves
      // or with its family's others is damage, never retired (freed with a wrong size, it would overlap another)
      if (!hasOwnSizes(file, p)) continue;
      const sizes = `${seg.u32[at + SERIES.VALUE_WORDS]},${seg.u32[at + SERIES.SHARED_WORDS]},${seg.u32[at + SERIES.EXEMPLAR_SLOTS]}`;
      if ((familySizes ??= sizes) !== sizes) continue;
      if (Atomics.exchange(seg.u32, at + SERIES.TOUCHED, 0) !== 0) {
        seg.f64[at / 2 + SERIES.SEEN_BYTE / WORD] = now;
        continue;
      }
      if (now - seg.f64[at / 2 + SERIES.SEEN_BYTE / WORD]! <= family.ttlSeconds) continue;
      // Out of the directory first: from now on nobody finds it, and whoever found it before sees the mark. A
      // sweeper killed between the two would leave writers on a series nobody sees: the header names the series
      // until it is marked, and the next sweep finishes the job (finishInterrupted).
      Atomics.store(file.header, H.RETIRING_FAMILY, family.ptr);
      Atomics.store(file.header, H.RETIRING, p);
      if (Atomics.compareExchange(u32, slots + i, p, Atomics.load(seg.u32, at + LEAF.NEXT)) === p) {
        markRetired(file, family.ptr, p);
        retired.push(p);
      }
      Atomics.store(file.header, H.RETIRING, 0);
    }
  }
}

/**
 * Marks a series taken out of the directory retired: its generation moves (its writers go and find their label set
 * anew) and it leaves its family's count.
 */
function markRetired(file: HeapFile, family: number, p: number): void {
  const seg = file.segmentOf(p);
  const at = file.offsetOf(p) * 2;
  for (;;) {
    const word = Atomics.load(seg.u32, at);
    if (Atomics.compareExchange(seg.u32, at, word, TAG | (STATE_RETIRED << STATE_SHIFT) | KIND_SERIES) === word) break;
  }
  Atomics.add(seg.u32, at + SERIES.GENERATION, 1);
  Atomics.sub(file.segmentOf(family).u32, file.offsetOf(family) * 2 + FAMILY.SERIES_COUNT, 1);
}

/**
 * Finishes the retirement a killed sweeper left half-done: a series it had taken out of the directory but not
 * marked is marked now (if it is still in the directory, the sweeper died before taking it out: nothing to do).
 */
function finishInterrupted(file: HeapFile, retired: number[]): void {
  const p = Atomics.load(file.header, H.RETIRING);
  if (p === 0) return;
  const family = Atomics.load(file.header, H.RETIRING_FAMILY);
  if (isSeries(file, p) && file.hasKind(family, KIND_FAMILY) && stateOf(file.segmentOf(p).u32, file.offsetOf(p) * 2) !== STATE_RETIRED) {
    const root = file.segmentOf(family).u32[file.offsetOf(family) * 2 + FAMILY.SERIES_ROOT]!;
    const key = leafKey(file, p);
    if (find(file, root, { bytes: key, hash: file.segmentOf(p).u32[file.offsetOf(p) * 2 + LEAF.HASH]! }) !== p) {
      markRetired(file, family, p);
      retired.push(p);
    }
  }
  Atomics.store(file.header, H.RETIRING, 0);
}

/**
 * Takes the emptied nodes below `node` out of the directory (the caller holds the DIRECTORY lock exclusively, so
 * no insert is on its way into one; readers may be, and the nodes wait out the grace period like series).
 * Returns whether `node` itself is empty.
 */
function collapseEmptyNodes(file: HeapFile, node: number, depth: number, retired: number[], seen: Set<number>): boolean {
  seen.add(node);
  const u32 = file.segmentOf(node).u32;
  const slots = file.offsetOf(node) * 2 + NODE.SLOTS;
  let empty = true;
  for (let i = 0; i < NODE.FANOUT; i++) {
    const p = Atomics.load(u32, slots + i);
    if (p === 0) continue;
    // only nodes one level down and not met before are followed: at most MAX_DEPTH deep, each node once
    if (!file.hasKind(p, KIND_NODE) || !isNodeAt(file, p, depth + 1) || seen.has(p) || !collapseEmptyNodes(file, p, depth + 1, retired, seen)) {
      empty = false;
      continue;
    }
    Atomics.store(u32, slots + i, 0);
    Atomics.store(file.segmentOf(p).u32, file.offsetOf(p) * 2, TAG | (STATE_RETIRED << STATE_SHIFT) | KIND_NODE);
    retired.push(p);
  }
  return empty;
}

/**
 * Sweeps `families` (the caller holds the SWEEP lock) and puts what it retires on the retired list under a new
 * sweep epoch. Returns how many series it retired.
 */
export function sweep(file: HeapFile, families: readonly ExpiringFamily[], now: number): number {
  const retired: number[] = [];
  finishInterrupted(file, retired);
  for (const family of families) sweepFamily(file, family, now, retired);
  if (retired.length === 0) return 0;
  const series = retired.length;
  // Directory nodes left empty go too, if no insert is under way (else at a later sweep).
  if (lockByte(file.fd, LOCK.DIRECTORY, true)) {
    try {
      for (const family of families) {
        const root = file.segmentOf(family.ptr).u32[file.offsetOf(family.ptr) * 2 + FAMILY.SERIES_ROOT]!;
        if (file.hasKind(root, KIND_NODE) && isNodeAt(file, root, 0)) collapseEmptyNodes(file, root, 0, retired, new Set());
      }
    } finally {
      unlockByte(file.fd, LOCK.DIRECTORY);
    }
  }
  const epoch = Atomics.add(file.header, H.SWEEP_EPOCH, 1) + 1;
  for (const p of retired) {
    const seg = file.segmentOf(p);
    const at = file.offsetOf(p) * 2;
    seg.f64[epochOf(seg.u32, at)] = epoch;
    Atomics.store(seg.u32, retiredNextOf(seg.u32, at), Atomics.load(file.header, H.RETIRED_HEAD));
    Atomics.store(file.header, H.RETIRED_HEAD, p);
  }
  return series;
}

/**
 * Calls `visit` with every record (series or node) retired after epoch `acked` (newest first). Safe while the sweeper works:
 * records of epoch `acked` or older may be reused meanwhile, and the walk stops before them.
 */
export function forEachRetiredSince(file: HeapFile, acked: number, visit: (ptr: number) => void): void {
  const head = Atomics.load(file.header, H.RETIRED_HEAD);
  const walk = new ListWalk().start(head, maxRecords(Atomics.load(file.header, H.ALLOC_TOP)));
  for (let p = head; p !== 0; ) {
    if (!isRetired(file, p)) return;
    const seg = file.segmentOf(p);
    const at = file.offsetOf(p) * 2;
    if (seg.f64[epochOf(seg.u32, at)]! <= acked) return;
    visit(p);
    p = Atomics.load(seg.u32, retiredNextOf(seg.u32, at));
    if (walk.stops(p)) return; // a loop (damage): what is past it was visited already
  }
}

/**
 * Frees the retired series every held lane has moved past (the caller holds the SWEEP lock): cells back to their
 * lanes, records to the free lists. `minAcked` is the lowest epoch acknowledged by a held lane.
 */
export function reclaim(file: HeapFile, minAcked: number): number {
  let prevAt = -1;
  let prevU32: Uint32Array | undefined;
  let p = Atomics.load(file.header, H.RETIRED_HEAD);
  const limit = maxRecords(Atomics.load(file.header, H.ALLOC_TOP));
  // A link to anything but a retired record (a damaged file) ends the list there: what it leads to is never freed.
  let reclaimable = false;
  const walk = new ListWalk().start(p, limit);
  for (let steps = 0; p !== 0 && steps < limit && isRetired(file, p); steps++) {
    const seg = file.segmentOf(p);
    const at = file.offsetOf(p) * 2;
    if (seg.f64[epochOf(seg.u32, at)]! <= minAcked) {
      reclaimable = true;
      break;
    }
    prevU32 = seg.u32;
    prevAt = retiredNextOf(seg.u32, at);
    p = Atomics.load(seg.u32, prevAt);
    if (walk.stops(p)) return 0; // a loop (damage): nothing on it can be told apart from what is in use
  }
  if (!reclaimable && p === 0) return 0;
  // cut the list where the walk stopped: everything from p on is older still (or, in a damaged file, not a
  // retired record, or a loop: then nothing is freed)
  if (prevU32 === undefined) Atomics.store(file.header, H.RETIRED_HEAD, 0);
  else Atomics.store(prevU32, prevAt, 0);
  if (!reclaimable) return 0;
  let freed = 0;
  // the list is cut: a series whose freeing throws (damage) must not take the ones after it along, so the first
  // error is thrown only once the rest are free
  let failure: unknown;
  for (let steps = 0; p !== 0 && steps < limit && isRetired(file, p); steps++) {
    const seg = file.segmentOf(p);
    const at = file.offsetOf(p) * 2;
    const next = Atomics.load(seg.u32, retiredNextOf(seg.u32, at));
    try {
      freeSeries(file, p);
      freed++;
    } catch (error) {
      failure ??= error;
    }
    p = next;
  }
  if (failure !== undefined) throw failure;
  return freed;
}

/** The most words a cell can have: values are at most 65536 words (heap.ts checks layouts against it). */
const MAX_CELL_WORDS = CELL.VALUES_BYTE / WORD + 65536;

/** Whether the cell list from `first` ends (no loop, no more cells than the heap could hold). */
function isWholeCellList(file: HeapFile, first: number): boolean {
  const walk = new ListWalk().start(first, maxRecords(Atomics.load(file.header, H.ALLOC_TOP)));
  for (let cell = first; cell !== 0; ) {
    cell = Atomics.load(file.segmentOf(cell).u32, file.offsetOf(cell) * 2 + CELL.NEXT);
    if (walk.stops(cell)) return false;
  }
  return true;
}

/**
 * Whether a series record's sizes agree: its key starts right after its shared words and exemplar slots, and
 * the record ends inside its segment (no record crosses one).
 */
function hasOwnSizes(file: HeapFile, p: number): boolean {
  const u32 = file.segmentOf(p).u32;
  const at = file.offsetOf(p) * 2;
  const keyByte = seriesKeyByte(u32[at + SERIES.SHARED_WORDS]!, u32[at + SERIES.EXEMPLAR_SLOTS]!);
  return keyByte === u32[at + LEAF.KEY_OFFSET] && file.offsetOf(p) * WORD + keyByte + u32[at + LEAF.KEY_LENGTH]! <= file.segmentSize;
}

/** Frees a retired series (its cells and record) or directory node. What damage makes doubtful is kept, not freed. */
function freeSeries(file: HeapFile, p: number): void {
  const seg = file.segmentOf(p);
  const at = file.offsetOf(p) * 2;
  if ((seg.u32[at]! & KIND_MASK) === KIND_NODE) {
    pushNode(file, p);
    return;
  }
  if (!hasOwnSizes(file, p)) return; // damaged since it was retired: its sizes cannot be trusted
  const cellWords = CELL.VALUES_BYTE / WORD + seg.u32[at + SERIES.VALUE_WORDS]!;
  // Cells go back only from a whole list: pushing a cell of a loop twice would hand it to two series.
  const first = Atomics.load(seg.u32, at + SERIES.CELLS);
  if (cellWords <= MAX_CELL_WORDS && isWholeCellList(file, first)) {
    for (let cell = first; cell !== 0; ) {
      const cseg = file.segmentOf(cell).u32;
      const next = Atomics.load(cseg, file.offsetOf(cell) * 2 + CELL.NEXT);
      const fits = file.offsetOf(cell) + cellWords <= file.segmentSize / WORD;
      if (fits && cseg[file.offsetOf(cell) * 2 + CELL.LANE]! < file.maxLanes) {
        freeCellBlocks(file, cell, cellWords);
        pushCell(file, cell, cellWords);
      }
      cell = next;
    }
  }
  pushRecord(file, p, reusableSize(seg.u32[at + LEAF.KEY_OFFSET]! + seg.u32[at + LEAF.KEY_LENGTH]!));
}
