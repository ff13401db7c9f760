// A store's kept bins can span more than its range when a writer died mid-update (the lane's adopter accepts the
// partial update) or damage left a range restarted over far-away bins: moving them to a new block must fold them
// into it, never write past its end.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { Heap, Summary } from '../src/index.js';
import { BLOCK, CELL, SERIES, TAG, TAG_MASK, WORD } from '../src/heap/layout.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** The positive store's words of the summary's own cell (no window: the first window's). */
const POS_OFFSET = 5;
const POS_BLOCK = 7;
const POS_BASE = 8;

function ownCell(heap: Heap, name: string) {
  const family = heap.findFamily(name)!;
  const series = heap.seriesOf(family.ptr)[0]!;
  const cell = heap.file.segmentOf(series.ptr).u32[heap.file.offsetOf(series.ptr) * 2 + SERIES.CELLS]!;
  return { f64: heap.file.segmentOf(cell).f64, values: heap.file.offsetOf(cell) + CELL.VALUES_BYTE / WORD };
}

/**
 * Nonzero u32 words in the `n` past `end` (a block's end) that are no header: spare blocks the update did not use
 * follow it (sketch-store.ts reserve()), given back to the lane, their data never written.
 */
function nonzeroPastBlock(u32: Uint32Array, end: number, n: number, lane: number): number {
  let nonzero = 0;
  let next = end;
  for (let i = end; i < end + n; i++) {
    if (i === next && u32[i + 3] !== 0) {
      // a block (TAG | KIND_BLOCK in its kind word: its data words in [2]) or a free cell (its words, header included,
      // in [3]) of this lane, of a size a summary store has: anything else is a header written over
      const kind = u32[i + 3]!;
      const words = (kind & TAG_MASK) === TAG ? u32[i + 2]! : kind - BLOCK.DATA_BYTE / 8;
      if (u32[i + 1] !== lane || ![204, 232, 404, 464, 808].includes(words)) return Infinity;
      next = (kind & TAG_MASK) === TAG ? i + (BLOCK.DATA_BYTE / 4 + u32[i + 2]! * 2) : i + kind * 2;
      i += BLOCK.DATA_BYTE / 4 - 1;
      continue;
    }
    if (u32[i] !== 0) nonzero++;
  }
  return nonzero;
}

/** Writes a summary's first 1000 observations (3 decades: its first block), damages its cell, observes 1e5. */
function overflowCase(damage: (kFar: number) => number) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-store-overflow-'));
  dirs.push(dir);
  const heap = Heap.open({ dir });
  const s = new Summary({ name: 'a_seconds', help: 'h', heap, registers: [] });
  for (let i = 0; i < 1000; i++) s.observe(10 ** (-3 + (3 * i) / 1000));
  const c = ownCell(heap, 'a_seconds');
  const kFar = Math.ceil(Math.log(1e5) / Math.log(1.01 / 0.99));
  c.f64[c.values + POS_OFFSET] = damage(kFar);
  let error: { code?: string } | undefined;
  try {
    s.observe(1e5);
  } catch (e) {
    error = e as { code?: string };
  }
  const ptr = c.f64[c.values + POS_BLOCK]!;
  const seg = heap.file.segmentOf(ptr);
  const at = heap.file.offsetOf(ptr);
  const words = seg.u32[at * 2 + BLOCK.WORDS]!;
  const outside = nonzeroPastBlock(seg.u32, (at + BLOCK.DATA_BYTE / WORD + words) * 2, 4096, heap.lane.id);
  const block = heap.ownBlock(ptr);
  let binned = 0;
  for (let j = 0; j < words * 2; j++) binned += block.views.u32[block.at * 2 + j]!;
  const base = c.f64[c.values + POS_BASE]!;
  heap.close();
  return { error, outside, binned, words, base, kFar };
}

it('a range moved up by a writer that died before folding the bins below it: the next block holds every bin', () => {
  // what the move up leaves when its writer is killed right after cell.put(offset): the new offset, old bins below it
  const r = overflowCase((kFar) => kFar - 807);
  expect(r.error).toBeUndefined();
  expect(r.outside).toBe(0);
  expect(r.binned).toBe(1001); // the far-away bins folded into the lowest, none lost
  expect(r.kFar - r.base).toBeLessThan(r.words * 2);
});

it('an offset that is not a bin restarts the range over far-away bins: no bin is written past the block', () => {
  const r = overflowCase(() => 1e300);
  expect(r.error?.code).toBe('MPM_ERR_HEAP_CORRUPT');
  expect(r.outside).toBe(0);
  expect(r.binned).toBe(1001);
});

it('a block dropped for a base that is not a bin goes back to the lane with the size its writer allocated', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-store-overflow-'));
  dirs.push(dir);
  const heap = Heap.open({ dir });
  try {
    const s = new Summary({ name: 'a_seconds', help: 'h', heap, registers: [] });
    for (let i = 0; i < 1000; i++) s.observe(10 ** (-3 + (3 * i) / 1000));
    const c = ownCell(heap, 'a_seconds');
    const ptr = c.f64[c.values + POS_BLOCK]!;
    const u32 = heap.file.segmentOf(ptr).u32;
    const at = heap.file.offsetOf(ptr) * 2;
    const words = u32[at + BLOCK.WORDS]!;
    // damage: the block's header claims more words, and the store's base is no bin
    u32[at + BLOCK.WORDS] = words * 50;
    c.f64[c.values + POS_BASE] = 0.5;
    expect(() => s.observe(1e5)).toThrow(expect.objectContaining({ code: 'MPM_ERR_HEAP_CORRUPT' }));
    // it went back as a free cell of its true size (a free cell of the size the damaged header claimed would have
    // been left for a larger allocation to overrun its neighbours), and a block of that size is made from it
    expect(c.f64[c.values + POS_BLOCK]).not.toBe(ptr);
    expect(u32[at + CELL.FREE_WORDS]).toBe(BLOCK.DATA_BYTE / WORD + words);
    expect(heap.allocateBlock(words, 0)).toBe(ptr);
  } finally {
    heap.close();
  }
});
