// Memory given back by idle-series expiry (see expiry.ts), to be used again instead of growing the heap.
//
// Series records go to one list per size class (records of families with a TTL are allocated at their class's
// size, so any record of a class fits any request of it), directory nodes to a list of their own (a series record
// keeps its generation from one life to the next, which a node in between would not). Any process pops, so a list
// head is a 64-bit word: the record's pointer in the low half, a count of pops in the high half, so a
// compare-and-swap never succeeds on a head that was popped and pushed back meanwhile (ABA). A record on a list
// is tagged KIND_FREE, with the next one in its word 1.
//
// Cells go back to the lane whose arena they came from, so a reused cell still shares its cache lines with no
// other writer: each lane has a list that the sweeper pushes onto and only the lane's owner takes from. With one
// taker no ABA is possible, so plain 32-bit words do.
import { heapCorrupt } from '../errors.js';
import type { HeapFile } from './heap-file.js';
import { CELL, H, KIND_FREE, LANE, TAG, WORD } from './layout.js';

/** Records up to this many bytes are reused; larger ones (label sets of kilobytes) are not. */
const CLASS_BYTES = 64;
const CLASSES = 64;
const MAX_REUSED_RECORD_BYTES = CLASS_BYTES * CLASSES;
/** Where a free record keeps the next one on its list. */
const FREE_NEXT = 1;

/** The size a record of `bytes` is allocated at when it may be reused (its class's size), else `bytes`. */
export function reusableSize(bytes: number): number {
  return bytes > MAX_REUSED_RECORD_BYTES ? bytes : Math.ceil(bytes / CLASS_BYTES) * CLASS_BYTES;
}

function classOf(bytes: number): number {
  return Math.ceil(bytes / CLASS_BYTES) - 1;
}

const LOW = 0xffffffffn;

/** A series record of the size class of `bytes` from the free lists, or 0 if none is free (or the size is not reused). */
export function popRecord(file: HeapFile, bytes: number): number {
  return bytes > MAX_REUSED_RECORD_BYTES ? 0 : pop(file, H.FREE_RECORDS_I64 + classOf(bytes));
}

/** Gives a series record of `bytes` (its allocated size) back for reuse; a record too large to reuse is left as it is. */
export function pushRecord(file: HeapFile, ptr: number, bytes: number): void {
  if (bytes <= MAX_REUSED_RECORD_BYTES) push(file, H.FREE_RECORDS_I64 + classOf(bytes), ptr);
}

/** A free directory node (of a family with a TTL), or 0. */
export function popNode(file: HeapFile): number {
  return pop(file, H.FREE_NODES_I64);
}

/** Gives a directory node of a family with a TTL back for reuse. */
export function pushNode(file: HeapFile, ptr: number): void {
  push(file, H.FREE_NODES_I64, ptr);
}

function pop(file: HeapFile, at: number): number {
  const i64 = file.segments[0]!.i64;
  for (;;) {
    const head = Atomics.load(i64, at);
    const ptr = Number(head & LOW);
    if (ptr === 0) return 0;
    const top = Atomics.load(file.header, H.ALLOC_TOP);
    let free = false;
    let next = 0;
    if (ptr < top) {
      const u32 = file.segmentOf(ptr).u32;
      const word = file.offsetOf(ptr) * 2;
      free = Atomics.load(u32, word) === (TAG | KIND_FREE);
      next = Atomics.load(u32, word + FREE_NEXT);
    }
    if (!free || next >= top) {
      // taken by another process meanwhile (and in use again), or a damaged list: never hand out a record in use
      if (Atomics.load(i64, at) !== head) continue;
      throw heapCorrupt(file.path, `a free list (header word ${at * 2}) leads to ${ptr}, which is not a free record below the allocation top ${top}`);
    }
    const popped = ((head >> 32n) + 1n) & LOW;
    if (Atomics.compareExchange(i64, at, head, BigInt.asIntN(64, (popped << 32n) | BigInt(next))) === head) return ptr;
  }
}

function push(file: HeapFile, at: number, ptr: number): void {
  const u32 = file.segmentOf(ptr).u32;
  const word = file.offsetOf(ptr) * 2;
  Atomics.store(u32, word, TAG | KIND_FREE);
  const i64 = file.segments[0]!.i64;
  for (;;) {
    const head = Atomics.load(i64, at);
    Atomics.store(u32, word + FREE_NEXT, Number(head & LOW));
    if (Atomics.compareExchange(i64, at, head, (head & ~LOW) | BigInt(ptr)) === head) return;
  }
}

function laneRecord(file: HeapFile, lane: number): number {
  return (file.header[H.LANE_TABLE]! * WORD + lane * LANE.BYTES) / 4;
}

/** Gives a cell of `words` words back to its lane (the sweeper does, for the cells of reclaimed series). */
export function pushCell(file: HeapFile, cell: number, words: number): void {
  const u32 = file.segmentOf(cell).u32;
  const at = file.offsetOf(cell) * 2;
  const lanes = file.segments[0]!.u32;
  const head = laneRecord(file, u32[at + CELL.LANE]!) + LANE.FREE_CELLS;
  // through Atomics like the link after it: on a freed block this word is its kind, which a reader still copying
  // the block checks, and a plain store could become visible before the updates ordered ahead of it (arm64)
  Atomics.store(u32, at + CELL.FREE_WORDS, words);
  for (;;) {
    const first = Atomics.load(lanes, head);
    Atomics.store(u32, at + CELL.NEXT, first);
    if (Atomics.compareExchange(lanes, head, first, cell) === first) return;
  }
}

/** How far a lane looks through its free cells for one of the right size before it takes new memory. */
const CELL_SEARCH = 64;

/** A free cell of exactly `words` words of `lane` (called by the lane's owner only), or 0. */
export function popCell(file: HeapFile, lane: number, words: number): number {
  const lanes = file.segments[0]!.u32;
  const head = laneRecord(file, lane) + LANE.FREE_CELLS;
  for (;;) {
    const first = Atomics.load(lanes, head);
    if (first === 0) return 0;
    const fseg = file.segmentOf(first).u32;
    const fat = file.offsetOf(first) * 2;
    if (fseg[fat + CELL.FREE_WORDS] === words) {
      // the sweeper may push meanwhile: take the head only if it is still the head
      if (Atomics.compareExchange(lanes, head, first, Atomics.load(fseg, fat + CELL.NEXT)) === first) return first;
      continue;
    }
    // Past the head only the owner changes links (the sweeper only ever pushes a new head).
    let prev = first;
    for (let steps = 0; steps < CELL_SEARCH; steps++) {
      const pseg = file.segmentOf(prev).u32;
      const pat = file.offsetOf(prev) * 2;
      const cell = Atomics.load(pseg, pat + CELL.NEXT);
      if (cell === 0) return 0;
      const cseg = file.segmentOf(cell).u32;
      const cat = file.offsetOf(cell) * 2;
      if (cseg[cat + CELL.FREE_WORDS] === words) {
        Atomics.store(pseg, pat + CELL.NEXT, Atomics.load(cseg, cat + CELL.NEXT));
        return cell;
      }
      prev = cell;
    }
    return 0;
  }
}
