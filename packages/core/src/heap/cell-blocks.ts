// Blocks: values of a writer's cell kept outside it, so that what a cell holds can grow with its data while the
// cell itself keeps the fixed size its family declares (a summary's bins: metrics/summary-sketch.ts). A cell value
// holds a block's pointer; the block comes from the writer's own lane (its arena or its free cells, as a cell does)
// and goes back there when its writer replaces it, so it never shares a cache line with another writer.
//
// Only the lane's owner writes a block, and only inside an update of the cell pointing at it (through the cell's
// putDouble()/putHalf(), so the Atomics memory-order path stores through Atomics): the cell's seqlock covers the
// block as it covers the cell's own values. A reader copies the blocks inside the same seqlock read
// (readEachCell's copyMore). A replaced block goes back to the lane inside the update that stops pointing at it;
// a reader still copying it then sees the sequence changed and reads again, so what it copied from a block reused
// meanwhile is never used. Every pointer and size read from a cell is checked before a block is read (blockWords).
// A block names the cell that points at it, so the sweeper can free the blocks of a cell whose writer is gone.
import type { HeapFile } from './heap-file.js';
import { pushCell } from './free-lists.js';
import type { Lane } from './lanes.js';
import { BLOCK, CELL, H, KIND_BLOCK, KIND_MASK, STATE_SHIFT, TAG, TAG_MASK, WORD } from './layout.js';
import { ATOMIC_ORDER } from './memory-order.js';
import type { SegmentViews } from './segments.js';

/** The most data words a block has (a cell's values are at most 65536 words; a block holds more of them). */
const MAX_BLOCK_WORDS = 65536;

/**
 * A new block of `words` data words (zeroed) from `lane`, marked with `state` (0 to 255: what its data holds, for
 * its user). Its header is stored through Atomics before the caller publishes its pointer in a cell.
 */
export function allocateBlock(file: HeapFile, lane: Lane, words: number, state: number): number {
  const ptr = lane.allocate(BLOCK.DATA_BYTE + words * WORD);
  const u32 = file.segmentOf(ptr).u32;
  const at = file.offsetOf(ptr) * 2;
  Atomics.store(u32, at + BLOCK.LANE, lane.id);
  Atomics.store(u32, at + BLOCK.WORDS, words);
  Atomics.store(u32, at + BLOCK.WORDS_CHECK, ~words >>> 0);
  Atomics.store(u32, at + BLOCK.OWNER, 0);
  Atomics.store(u32, at + BLOCK.SLOT, 0);
  Atomics.store(u32, at + BLOCK.KIND, TAG | (state << STATE_SHIFT) | KIND_BLOCK);
  return ptr;
}

/**
 * Names the cell and which of its values (`slot`, from its first) will point at the block, before that value
 * does: a writer follows, and a sweeper frees, only a block that names the very value leading to it.
 */
export function claimBlock(file: HeapFile, ptr: number, cell: number, slot: number): void {
  const u32 = file.segmentOf(ptr).u32;
  const at = file.offsetOf(ptr) * 2;
  Atomics.store(u32, at + BLOCK.OWNER, cell);
  Atomics.store(u32, at + BLOCK.SLOT, slot);
}

/**
 * The u32 index of the header of a block at `ptr` (a value read from a cell, so anything) in its segment's views,
 * or -1 unless `ptr` is a whole number inside the allocated heap whose header fits its segment.
 */
function headerAt(file: HeapFile, ptr: number): number {
  if (!(Number.isInteger(ptr) && ptr > 0 && ptr < Atomics.load(file.header, H.ALLOC_TOP))) return -1;
  if (file.offsetOf(ptr) + BLOCK.DATA_BYTE / WORD > file.segmentSize / WORD) return -1;
  return file.offsetOf(ptr) * 2;
}

/** The data words in a block's header at `at`, or -1 if its check word disagrees or the data passes its segment. */
function checkedWords(file: HeapFile, u32: Uint32Array, at: number, maxWords: number): number {
  const words = Atomics.load(u32, at + BLOCK.WORDS);
  if (Atomics.load(u32, at + BLOCK.WORDS_CHECK) !== ~words >>> 0) return -1;
  if (words > maxWords || at / 2 + BLOCK.DATA_BYTE / WORD + words > file.segmentSize / WORD) return -1;
  return words;
}

/**
 * Gives back the blocks a reclaimed cell (`cellWords` words, header included) still points at: those of an owner
 * that let go of it without giving them back itself (its lane unheld: a closed heap, an exited worker, a dead
 * process). The sweeper does, before the cell goes back. It knows no layout, so it takes every value that leads
 * to a block of the cell's lane naming this cell as its owner, with a size its check word confirms; a block is
 * freed once however many values lead to it, and anything doubtful is kept, not freed.
 */
export function freeCellBlocks(file: HeapFile, cell: number, cellWords: number): void {
  const seg = file.segmentOf(cell);
  const first = file.offsetOf(cell) + CELL.VALUES_BYTE / WORD;
  const lane = seg.u32[file.offsetOf(cell) * 2 + CELL.LANE]!;
  const freed: number[] = [];
  for (let i = first; i < file.offsetOf(cell) + cellWords; i++) {
    const ptr = seg.f64[i]!;
    const at = headerAt(file, ptr);
    if (at < 0 || freed.includes(ptr)) continue;
    const u32 = file.segmentOf(ptr).u32;
    const kind = Atomics.load(u32, at + BLOCK.KIND);
    if ((kind & TAG_MASK) !== TAG || (kind & KIND_MASK) !== KIND_BLOCK) continue;
    if (u32[at + BLOCK.OWNER] !== cell || u32[at + BLOCK.SLOT] !== i - first || u32[at + BLOCK.LANE] !== lane) continue;
    const words = checkedWords(file, u32, at, MAX_BLOCK_WORDS);
    if (words < 0) continue;
    freed.push(ptr);
    freeBlock(file, ptr, words);
  }
}

/** Gives a block back to its lane's free cells (its writer does, inside the update that stopped pointing at it). */
export function freeBlock(file: HeapFile, ptr: number, words: number): void {
  // `words` is what its writer allocated, not the header's word count: damage could have changed that one
  pushCell(file, ptr, BLOCK.DATA_BYTE / WORD + words);
}

/** A block as its writer sees it: its segment's views, the f64 index of its first data word, its size and state. */
export interface OwnBlock {
  readonly views: SegmentViews;
  readonly at: number;
  readonly words: number;
  readonly state: number;
  /** The lane it was allocated from (a writer follows only its own lane's blocks). */
  readonly lane: number;
  /** The cell, and which of its values, it was claimed for (claimBlock). */
  readonly owner: number;
  readonly slot: number;
}

/** A block of this writer's own (its own stores, so plain loads see them). */
export function ownBlock(file: HeapFile, ptr: number): OwnBlock {
  const views = file.segmentOf(ptr);
  const offset = file.offsetOf(ptr);
  const u32 = views.u32;
  const kind = u32[offset * 2 + BLOCK.KIND]!;
  return {
    views,
    at: offset + BLOCK.DATA_BYTE / WORD,
    words: u32[offset * 2 + BLOCK.WORDS]!,
    state: (kind >>> STATE_SHIFT) & 0xff,
    lane: u32[offset * 2 + BLOCK.LANE]!,
    owner: u32[offset * 2 + BLOCK.OWNER]!,
    slot: u32[offset * 2 + BLOCK.SLOT]!,
  };
}

/**
 * The data words of the block at `ptr` (a value read from a cell, so anything), or -1 unless it leads inside the
 * allocated heap to a block marked `state` of at most `maxWords` words (confirmed by its check word) that ends
 * inside its segment.
 */
export function blockWords(file: HeapFile, ptr: number, state: number, maxWords: number): number {
  const at = headerAt(file, ptr);
  if (at < 0) return -1;
  const u32 = file.segmentOf(ptr).u32;
  const kind = Atomics.load(u32, at + BLOCK.KIND);
  if ((kind & TAG_MASK) !== TAG || (kind & KIND_MASK) !== KIND_BLOCK || (kind >>> STATE_SHIFT) % 256 !== state) return -1;
  return checkedWords(file, u32, at, maxWords);
}

/**
 * Copies the first `words` data words of a block (checked by blockWords) into `into` as 32-bit halves: plain loads
 * on x86-64, each half through Atomics on the Atomics path (as a cell's values are copied).
 */
export function copyBlock(file: HeapFile, ptr: number, words: number, into: Uint32Array): void {
  const views = file.segmentOf(ptr);
  const from = (file.offsetOf(ptr) + BLOCK.DATA_BYTE / WORD) * 2;
  if (ATOMIC_ORDER) {
    const i32 = views.i32;
    for (let i = 0; i < words * 2; i++) into[i] = Atomics.load(i32, from + i);
  } else into.set(views.u32.subarray(from, from + words * 2));
}
