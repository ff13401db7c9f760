// What a summary window holds in the heap (issue 23): its bins live in a block that grows with the data, of 32-bit
// counts, so 3 decades of data take at most 2 KB a window where every window took 10 KB before; wider data takes
// more, never more than before. Also: a count that would pass 2^32 − 1 moves its store to 64-bit counts (tested
// with a small limit; the quantiles must not change), and a block pointer or size that damage changed is never
// followed: a scrape leaves the series out with MPM_WARN_DAMAGED_SERIES, the writer reports MPM_ERR_HEAP_CORRUPT
// once and starts a new block.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { Counter, Heap, HeapExporter, Summary } from '../src/index.js';
import { BLOCK, CELL, H, KIND_BLOCK, LANE, SERIES, TAG, WORD } from '../src/heap/layout.js';
import { setNarrowCountLimit } from '../src/metrics/sketch-store.js';
import { allocatedBytes } from './support/heap-checks.js';
import { mulberry32 } from './support/random.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});
afterEach(() => setNarrowCountLimit(undefined));

function freshHeap(): Heap {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-summary-memory-'));
  fs.chmodSync(dir, 0o700);
  dirs.push(dir);
  return Heap.open({ dir });
}

function logUniform(seed: number, low: number, decades: number, n = 20_000): number[] {
  const random = mulberry32(seed);
  return Array.from({ length: n }, () => 10 ** (low + decades * random()));
}

/** This thread's lane record in the lane table: its arena's top and end (words), where cells and blocks come from. */
function arena(heap: Heap): { top: number; end: number } {
  const record = (heap.file.header[H.LANE_TABLE]! * WORD + heap.lane.id * LANE.BYTES) / 4;
  const u32 = heap.file.segments[0]!.u32;
  return { top: u32[record + LANE.ARENA_TOP]!, end: u32[record + LANE.ARENA_END]! };
}

/** Heap bytes a fresh summary series takes for `values`, per window: its cell and blocks, and blocks it let go. */
function bytesPerWindow(values: readonly number[], windows: number): number {
  const heap = freshHeap();
  try {
    new Counter({ name: 'warm_total', help: 'h', heap, registers: [] }).inc(); // this lane and its first arena chunk
    const summary = new Summary({
      name: 'mem_seconds',
      help: 'h',
      labelNames: ['k'],
      heap,
      registers: [],
      ...(windows > 1 ? { maxAgeSeconds: 60 * windows, ageBuckets: windows } : {}),
    });
    const start = Date.now();
    const observeAll = (child: { observe(v: number): void }): void => {
      values.forEach((v, i) => {
        if (windows > 1) {
          // a share of the values in each window, on a clock set by hand
          const now = start + Math.floor((windows * i) / values.length) * 60_000;
          Date.now = () => now;
        }
        child.observe(v);
      });
    };
    // A first series of the same data fills the lane's pool of spare blocks (what a store's move may need is
    // taken before its update, and what it did not use goes back to the lane): measured is what each further
    // series adds, as in a process with many.
    observeAll(summary.labels('warm'));
    const child = summary.labels('a'); // the series record, which is not the lane's
    const before = arena(heap);
    observeAll(child);
    const after = arena(heap);
    expect(after.end, 'the measurement stayed inside one arena chunk').toBe(before.end);
    return ((after.top - before.top) * WORD) / windows;
  } finally {
    Date.now = realNow;
    heap.close();
  }
}
const realNow = Date.now;

describe('heap bytes per summary window', () => {
  it('are at most 2 KB for 3 decades, and grow with wider data up to less than half of the 10 KB it took before', () => {
    const sizes = {
      '3 decades': bytesPerWindow(logUniform(1, -3, 3), 1),
      '3 decades, 3 windows': bytesPerWindow(logUniform(1, -3, 3), 3),
      '6 decades': bytesPerWindow(logUniform(2, -3, 6), 1),
      '9 decades': bytesPerWindow(logUniform(3, -4, 9), 1),
    };
    console.log(`bytes per window: ${JSON.stringify(sizes)}`);
    expect(sizes['3 decades']).toBeLessThanOrEqual(2048);
    expect(sizes['3 decades, 3 windows']).toBeLessThanOrEqual(2048);
    // the positive range's block of 808 32-bit counts (the first block it outgrew went back to the lane's pool)
    expect(sizes['6 decades']).toBeLessThanOrEqual(5100);
    expect(sizes['9 decades']).toBe(sizes['6 decades']);
  });
});

describe('blocks of expired label sets', () => {
  it('go back to their lane with the cells, so a churn of label sets with wide data stops growing the heap', () => {
    // as series-expiry.test.ts: the clock (Date only) moved by hand, a sweep at the end of each round
    vi.useFakeTimers({ toFake: ['Date'] });
    const heap = freshHeap();
    try {
      const summary = new Summary({ name: 'churn_seconds', help: 'h', labelNames: ['id'], ttlSeconds: 0.2, maxSeries: Infinity, heap, registers: [] });
      const header = new Float64Array(heap.file.header.buffer, 0, H.NEXT_SWEEP_F64 + 1);
      const values = logUniform(7, -3, 6, 40); // beyond the first block: each store grows once
      const before = allocatedBytes(heap);
      const rounds = 40;
      let grownByHalf = 0;
      for (let round = 0; round < rounds; round++) {
        for (let i = 0; i < 20; i++) for (const v of values) summary.observe({ id: `${round}-${i}` }, v);
        vi.setSystemTime(Date.now() + 60);
        header[H.NEXT_SWEEP_F64] = 0; // a sweep is due now
        heap.maintain();
        if (round === rounds / 2 - 1) grownByHalf = allocatedBytes(heap) - before;
      }
      expect(grownByHalf).toBeGreaterThan(0);
      expect(allocatedBytes(heap) - before, 'the second half used memory given back').toBe(grownByHalf);
    } finally {
      heap.close();
      vi.useRealTimers();
    }
  });
});

describe('blocks of a lane nobody holds', () => {
  it('go back with the cells when a label set expires after its writer closed the heap, unless damage makes their size doubtful', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-summary-memory-'));
    fs.chmodSync(dir, 0o700);
    dirs.push(dir);
    const sweeper = Heap.open({ dir });
    const writer = Heap.open({ dir }); // a second lane, as another process's
    try {
      const summary = new Summary({ name: 'gone_seconds', help: 'h', labelNames: ['id'], ttlSeconds: 0.2, maxSeries: Infinity, heap: writer, registers: [] });
      for (const v of logUniform(7, -3, 6, 200)) summary.observe({ id: 'a' }, v);
      for (const v of logUniform(8, -3, 3, 200)) summary.observe({ id: 'a' }, -v);
      const cell = ownCell(writer, 'gone_seconds');
      const blocks = [POSITIVE_BLOCK, NEGATIVE_BLOCK].map((at) => cell.f64[cell.values + at]!);
      expect(blocks.every((ptr) => ptr > 0 && isBlock(writer, ptr))).toBe(true);
      const lane = writer.lane.id;
      // damage: the negative block's header claims more words than its check word allows, so it is kept
      const [positive, negative] = blocks as [number, number];
      writer.file.segmentOf(negative).u32[writer.file.offsetOf(negative) * 2 + BLOCK.WORDS]! *= 50;
      writer.close(); // the lane is unheld: no owner will give the blocks back
      const header = new Float64Array(sweeper.file.header.buffer, 0, H.NEXT_SWEEP_F64 + 1);
      for (let round = 0; round < 3; round++) {
        vi.setSystemTime(Date.now() + 300);
        header[H.NEXT_SWEEP_F64] = 0; // a sweep is due now
        sweeper.maintain();
      }
      expect(sweeper.findFamily('gone_seconds') && sweeper.seriesOf(sweeper.findFamily('gone_seconds')!.ptr).length).toBe(0);
      // the positive block is a free cell of the writer's lane now, on that lane's free list; the damaged one is kept
      expect(isBlock(sweeper, positive)).toBe(false);
      expect(freeCellsOf(sweeper, lane)).toContain(positive);
      expect(isBlock(sweeper, negative)).toBe(true);
      expect(freeCellsOf(sweeper, lane)).not.toContain(negative);
    } finally {
      sweeper.close();
      vi.useRealTimers();
    }
  });

  it("a value equal to a segment's last word is no block: the sweep goes on and frees every expired label set", () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-summary-memory-'));
    fs.chmodSync(dir, 0o700);
    dirs.push(dir);
    const segmentSize = 65536;
    const sweeper = Heap.open({ dir, segmentSize, maxLanes: 16 });
    const writer = Heap.open({ dir, segmentSize, maxLanes: 16 });
    try {
      // past the first segment's last word, so that a value naming it is inside the allocated heap
      const filler = new Counter({ name: 'fill_total', help: 'h', labelNames: ['i'], maxSeries: Infinity, heap: writer, registers: [] });
      for (let i = 0; Atomics.load(writer.file.header, H.ALLOC_TOP) < (3 * segmentSize) / WORD; i++) filler.inc({ i: String(i) });
      const summary = new Summary({ name: 'gone_seconds', help: 'h', labelNames: ['id'], ttlSeconds: 0.2, maxSeries: Infinity, heap: writer, registers: [] });
      summary.observe({ id: 'a' }, segmentSize / WORD - 1); // its sum names the first segment's last word
      summary.observe({ id: 'b' }, 1);
      summary.observe({ id: 'c' }, 2);
      writer.close();
      const header = new Float64Array(sweeper.file.header.buffer, 0, H.NEXT_SWEEP_F64 + 1);
      for (let round = 0; round < 4; round++) {
        vi.setSystemTime(Date.now() + 300);
        header[H.NEXT_SWEEP_F64] = 0;
        sweeper.maintain();
      }
      expect(sweeper.seriesOf(sweeper.findFamily('gone_seconds')!.ptr)).toEqual([]);
      expect(Atomics.load(sweeper.file.header, H.RETIRED_HEAD), 'every retired label set freed').toBe(0);
    } finally {
      sweeper.close();
      vi.useRealTimers();
    }
  });

  it('a value that only looks like a block pointer is not freed: the block must name the cell as its owner', async () => {
    const heap = freshHeap();
    try {
      const a = new Summary({ name: 'a_seconds', help: 'h', heap, registers: [] });
      const b = new Summary({ name: 'b_seconds', help: 'h', labelNames: ['id'], ttlSeconds: 0.2, maxSeries: Infinity, heap, registers: [] });
      a.observe(1);
      b.observe({ id: 'x' }, 1);
      const aBlock = ownCell(heap, 'a_seconds');
      const ptr = aBlock.f64[aBlock.values + POSITIVE_BLOCK]!;
      const bCell = ownCell(heap, 'b_seconds');
      bCell.f64[bCell.values + 0] = ptr; // b's sum now reads as a's block pointer
      vi.useFakeTimers({ toFake: ['Date'] });
      const header = new Float64Array(heap.file.header.buffer, 0, H.NEXT_SWEEP_F64 + 1);
      for (let round = 0; round < 3; round++) {
        vi.setSystemTime(Date.now() + 300);
        header[H.NEXT_SWEEP_F64] = 0;
        heap.maintain();
      }
      expect(heap.seriesOf(heap.findFamily('b_seconds')!.ptr).length).toBe(0);
      expect(isBlock(heap, ptr)).toBe(true);
      a.observe(2);
      expect((await a.get()).values.find((v) => v.metricName === 'a_seconds_count')?.value).toBe(2);
    } finally {
      heap.close();
      vi.useRealTimers();
    }
  });
});

function isBlock(heap: Heap, ptr: number): boolean {
  return (heap.file.segmentOf(ptr).u32[heap.file.offsetOf(ptr) * 2 + BLOCK.KIND]! & 0xffff00ff) === (TAG | KIND_BLOCK);
}

/** The free cells on a lane's list, head first. */
function freeCellsOf(heap: Heap, lane: number): number[] {
  const u32 = heap.file.segments[0]!.u32;
  const out: number[] = [];
  for (let p = u32[(heap.file.header[H.LANE_TABLE]! * WORD + lane * LANE.BYTES) / 4 + LANE.FREE_CELLS]!; p !== 0 && out.length < 10000; ) {
    out.push(p);
    p = heap.file.segmentOf(p).u32[heap.file.offsetOf(p) * 2 + CELL.NEXT]!;
  }
  return out;
}

/** The cell of this thread in the one series of `name`, and the f64 index of its first value. */
function ownCell(heap: Heap, name: string): { f64: Float64Array; u32: Uint32Array; values: number } {
  const family = heap.findFamily(name)!;
  const series = heap.seriesOf(family.ptr)[0]!;
  const seg = heap.file.segmentOf(series.ptr);
  const cell = seg.u32[heap.file.offsetOf(series.ptr) * 2 + SERIES.CELLS]!;
  const cseg = heap.file.segmentOf(cell);
  return { f64: cseg.f64, u32: cseg.u32, values: heap.file.offsetOf(cell) + CELL.VALUES_BYTE / WORD };
}

/** Cell values of a summary without a window: sum, count, then epoch, count, zero, and [offset, count, block, base] per sign. */
const POSITIVE_OFFSET = 2 + 3;
const POSITIVE_BLOCK = 2 + 3 + 2;
const POSITIVE_BASE = 2 + 3 + 3;
const NEGATIVE_BLOCK = 2 + 3 + 4 + 2;

describe('32-bit counts', () => {
  it('move to 64-bit counts before they would wrap, and the quantiles stay the same', async () => {
    const heap = freshHeap();
    try {
      const values = logUniform(4, -2, 2, 5000).concat(Array.from({ length: 3000 }, () => 0.5));
      const quantiles = async (name: string): Promise<number[]> => {
        const summary = new Summary({ name, help: 'h', percentiles: [0.01, 0.5, 0.6, 0.99], heap, registers: [] });
        for (const v of values) summary.observe(v);
        return (await summary.get()).values.map((v) => v.value);
      };
      const narrow = await quantiles('narrow_seconds');
      const narrowBlock = ownCell(heap, 'narrow_seconds');
      expect(blockState(heap, narrowBlock.f64[narrowBlock.values + POSITIVE_BLOCK]!)).toBe(0);
      setNarrowCountLimit(1000); // the 3000 observations of 0.5 pass it
      const promoted = await quantiles('promoted_seconds');
      const promotedBlock = ownCell(heap, 'promoted_seconds');
      expect(blockState(heap, promotedBlock.f64[promotedBlock.values + POSITIVE_BLOCK]!)).toBe(1);
      expect(promoted).toEqual(narrow);
    } finally {
      heap.close();
    }
  });
});

describe("a block pointer that leads to another writer's block", () => {
  // a second handle on one file needs the file: in-process heaps opened twice are two heaps
  it.skipIf(process.env['MPMETRICS_HEAP'] === 'process')('is refused by the writer, which would otherwise write it while its owner does', () => {
    const mine = freshHeap();
    const theirs = Heap.open({ dir: mine.file.path.slice(0, -'/heap'.length) }); // a second handle: a lane of its own
    try {
      expect(theirs.lane.id).not.toBe(mine.lane.id);
      const summary = new Summary({ name: 'mine_seconds', help: 'h', heap: mine, registers: [] });
      const other = new Summary({ name: 'theirs_seconds', help: 'h', heap: theirs, registers: [] });
      summary.observe(1);
      other.observe(1);
      const cell = ownCell(mine, 'mine_seconds');
      const foreign = ownCell(theirs, 'theirs_seconds');
      cell.f64[cell.values + POSITIVE_BLOCK] = foreign.f64[foreign.values + POSITIVE_BLOCK]!;
      // its child knew another block: it checks the one the cell now names before writing it
      expect(() => summary.observe(2)).toThrow(expect.objectContaining({ code: 'MPM_ERR_HEAP_CORRUPT' }));
      expect(foreign.f64[foreign.values + 1], 'the other writer counts one observation').toBe(1);
    } finally {
      theirs.close();
      mine.close();
    }
  });
});

function blockState(heap: Heap, ptr: number): number {
  return (heap.file.segmentOf(ptr).u32[heap.file.offsetOf(ptr) * 2 + BLOCK.KIND]! >>> 8) & 0xff;
}

interface Damage {
  name: string;
  damage: (heap: Heap, cell: ReturnType<typeof ownCell>) => void;
  /** Whether a scrape must leave the series out: readers follow pointers, sizes and bases, not a range's offset. */
  leftOut: boolean;
  /** Whether the writer reports it: it checks what it reads from its cell, and knows its blocks' sizes already. */
  reported: boolean;
}

describe('a damaged block pointer, size, base or offset', () => {
  const cases: Damage[] = [
    { name: 'a pointer past the allocated heap', leftOut: true, reported: true, damage: (heap, cell) => (cell.f64[cell.values + POSITIVE_BLOCK] = heap.file.header[H.ALLOC_TOP]! + 10) },
    {
      name: 'a pointer to the series record',
      leftOut: true,
      reported: true,
      damage: (heap, cell) => (cell.f64[cell.values + POSITIVE_BLOCK] = heap.seriesOf(heap.findFamily('damaged_seconds')!.ptr)[0]!.ptr),
    },
    { name: 'a pointer that is not a whole number', leftOut: true, reported: true, damage: (_heap, cell) => (cell.f64[cell.values + POSITIVE_BLOCK] = 12.5) },
    { name: 'a base that is not a bin', leftOut: true, reported: true, damage: (_heap, cell) => (cell.f64[cell.values + POSITIVE_BASE] = NaN) },
    { name: 'an offset that is not a bin', leftOut: false, reported: true, damage: (_heap, cell) => (cell.f64[cell.values + POSITIVE_OFFSET] = 1e300) },
    {
      name: 'a block size beyond the largest block',
      leftOut: true,
      reported: false,
      damage: (heap, cell) => {
        const ptr = cell.f64[cell.values + POSITIVE_BLOCK]!;
        heap.file.segmentOf(ptr).u32[heap.file.offsetOf(ptr) * 2 + BLOCK.WORDS] = 1 << 30;
      },
    },
    {
      // a block of this lane, of the right kind and size, but claimed for another series: writing or freeing it
      // would change a series that still points at it (only a reader, which never writes, may read it)
      name: "a pointer to another series' block of the same lane",
      leftOut: false,
      reported: true,
      damage: (heap, cell) => {
        const healthy = ownCell(heap, 'healthy_seconds');
        cell.f64[cell.values + POSITIVE_BLOCK] = healthy.f64[healthy.values + POSITIVE_BLOCK]!;
      },
    },
    {
      name: "a pointer to the same cell's other store's block",
      leftOut: false,
      reported: true,
      damage: (_heap, cell) => (cell.f64[cell.values + POSITIVE_BLOCK] = cell.f64[cell.values + NEGATIVE_BLOCK]!),
    },
  ];
  for (const { name, damage, leftOut, reported } of cases) {
    it(`${name}: never followed; a scrape ${leftOut ? 'leaves the series out with a warning' : 'exports it'}, the writer ${reported ? 'reports it once and ' : ''}goes on`, async () => {
      const heap = freshHeap();
      const warnings: Error[] = [];
      const onWarning = (warning: Error): void => void warnings.push(warning);
      process.on('warning', onWarning);
      try {
        const summary = new Summary({ name: 'damaged_seconds', help: 'h', percentiles: [0.5], heap, registers: [] });
        const healthy = new Summary({ name: 'healthy_seconds', help: 'h', percentiles: [0.5], heap, registers: [] });
        for (const v of [-1, ...logUniform(5, -3, 3, 999)]) {
          summary.observe(v);
          healthy.observe(v);
        }
        const healthyText = (await new HeapExporter(heap).metrics()).split('\n').filter((line) => line.startsWith('healthy_seconds')).join('\n');
        damage(heap, ownCell(heap, 'damaged_seconds'));
        const before = ownCell(heap, 'damaged_seconds').f64[ownCell(heap, 'damaged_seconds').values + 1]!;
        const text = await new HeapExporter(heap).metrics();
        expect(text).toContain('healthy_seconds_count 1000');
        await new Promise((resolve) => setImmediate(resolve)); // warnings come on the next tick
        const codes = warnings.map((w) => (w as NodeJS.ErrnoException).code);
        if (leftOut) {
          expect(text).not.toContain('damaged_seconds_count');
          expect(codes).toContain('MPM_WARN_DAMAGED_SERIES');
        } else {
          expect(text).toContain(`damaged_seconds_count ${before}`);
          expect(codes).toEqual([]);
        }
        if (reported) expect(() => summary.observe(0.5)).toThrow(expect.objectContaining({ code: 'MPM_ERR_HEAP_CORRUPT' }));
        summary.observe(0.5); // recorded, in a new block where one was dropped
        const cell = ownCell(heap, 'damaged_seconds');
        expect(cell.u32[(cell.values - CELL.VALUES_BYTE / WORD) * 2 + CELL.SEQ]! % 2, 'the update was closed').toBe(0);
        expect(cell.f64[cell.values + 1]! - before, "every observation counted, the one that reported too").toBe(reported ? 2 : 1);
        expect(await new HeapExporter(heap).metrics(), 'the other series as it was').toContain(healthyText);
        await new Promise((resolve) => setImmediate(resolve)); // this scrape's warning, if any, is this test's
      } finally {
        process.off('warning', onWarning);
        heap.close();
      }
    });
  }
});

describe('a block size damaged within its store\'s range', () => {
  it('is refused by its check word: the writer starts a new block and writes nothing past the old one', async () => {
    const heap = freshHeap();
    try {
      const a = new Summary({ name: 'a_seconds', help: 'h', percentiles: [0.5], heap, registers: [] });
      a.observe(1);
      const next = new Summary({ name: 'next_seconds', help: 'h', percentiles: [0.5], heap, registers: [] });
      next.observe(1); // its block follows a's in the lane's arena
      const nextText = (await new HeapExporter(heap).metrics()).split('\n').filter((line) => line.startsWith('next_seconds')).join('\n');
      const cell = ownCell(heap, 'a_seconds');
      const ptr = cell.f64[cell.values + POSITIVE_BLOCK]!;
      const u32 = heap.file.segmentOf(ptr).u32;
      u32[heap.file.offsetOf(ptr) * 2 + BLOCK.WORDS]! *= 2; // 408 bins, still no more than the positive range
      a.reset(); // its writer finds the block again from its header, as another process adopting the lane would
      const codes = new Set<string>();
      for (let v = 1; v < 1e7; v *= 1.02) {
        try {
          a.observe(v);
        } catch (e) {
          codes.add((e as { code?: string }).code ?? String(e));
        }
      }
      expect([...codes]).toEqual(['MPM_ERR_HEAP_CORRUPT']);
      expect(cell.f64[cell.values + POSITIVE_BLOCK]).not.toBe(ptr);
      expect((await new HeapExporter(heap).metrics()).split('\n').filter((line) => line.startsWith('next_seconds')).join('\n')).toBe(nextText);
    } finally {
      heap.close();
    }
  });
});
