import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it, vi } from 'vitest';
import { Counter, Heap, HeapExporter, Summary } from '../src/index.js';
import { CELL, SERIES } from '../src/heap/layout.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

it('a summary observation that fills the heap throws and leaves every cell closed, its earlier observations kept', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-summary-full-'));
  dirs.push(dir);
  const heap = Heap.open({ dir, segmentSize: 65536, maxSize: 65536 * 3, maxLanes: 8 });
  try {
    const s = new Summary({ name: 'full_seconds', help: 'h', labelNames: ['k'], heap, registers: [] });
    let error: { code?: string } | undefined;
    let sets = 0;
    for (; sets < 100000 && error === undefined; sets++) {
      const child = s.labels(String(sets));
      try {
        child.observe(1e-3);
        child.observe(1e3); // far from the first: a block of the store's whole range
      } catch (e) {
        error = e as { code?: string };
      }
    }
    expect(error?.code).toBe('MPM_ERR_HEAP_FULL');
    const family = heap.findFamily('full_seconds')!;
    let odd = 0;
    for (const series of heap.seriesOf(family.ptr)) {
      const cell = heap.file.segmentOf(series.ptr).u32[heap.file.offsetOf(series.ptr) * 2 + SERIES.CELLS]!;
      if (cell === 0) continue;
      if (heap.file.segmentOf(cell).u32[heap.file.offsetOf(cell) * 2 + CELL.SEQ]! % 2 !== 0) odd++;
    }
    expect(odd).toBe(0);
    const t0 = Date.now();
    const text = await new HeapExporter(heap).metrics();
    expect(Date.now() - t0).toBeLessThan(5000);
    // the first label set kept both observations
    expect(text).toContain('full_seconds_count{k="0"} 2');
    expect(text).toMatch(/full_seconds_sum\{k="0"\} 1000\.001/);
  } finally {
    heap.close();
  }
}, 60000);

it('a summary observation that needs a new block when the heap is full throws before writing: its series reads as before, low bins unfolded', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-summary-full-'));
  dirs.push(dir);
  const heap = Heap.open({ dir, segmentSize: 65536, maxSize: 65536 * 3, maxLanes: 8 });
  try {
    const s = new Summary({ name: 'kept_seconds', help: 'h', percentiles: [0.01, 0.5, 0.99], heap, registers: [] });
    // two decades: the store's first block holds them
    for (let v = 1; v <= 100; v += 0.5) s.observe(v);
    const filler = new Summary({ name: 'filler_seconds', help: 'h', labelNames: ['k'], heap, registers: [] });
    let error: { code?: string } | undefined;
    for (let i = 0; i < 100000 && error === undefined; i++) {
      try {
        filler.labels(String(i)).observe(1e-3);
        filler.labels(String(i)).observe(1e3);
      } catch (e) {
        error = e as { code?: string };
      }
    }
    expect(error?.code).toBe('MPM_ERR_HEAP_FULL');
    const exporter = new HeapExporter(heap);
    const before = await exporter.metrics();
    expect(before).toContain('kept_seconds_count 199');
    // six decades up: the range moves up, folding the low bins, and the bins need the store's whole range
    expect(() => s.observe(1e8)).toThrow(expect.objectContaining({ code: 'MPM_ERR_HEAP_FULL' }));
    const after = await exporter.metrics();
    expect(after).toBe(before);
    // an observation inside the block needs no memory and is recorded
    s.observe(50);
    expect(await exporter.metrics()).toContain('kept_seconds_count 200');
  } finally {
    heap.close();
  }
}, 60000);

it('on a full heap, an observation that moves its store within its block is still recorded: after a new window, a reset', () => {
  vi.useFakeTimers({ toFake: ['Date'] });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-summary-full-'));
  dirs.push(dir);
  const heap = Heap.open({ dir, segmentSize: 65536, maxSize: 65536 * 3, maxLanes: 8 });
  try {
    const windowed = new Summary({ name: 'windowed_seconds', help: 'h', maxAgeSeconds: 60, ageBuckets: 1, heap, registers: [] });
    const plain = new Summary({ name: 'plain_seconds', help: 'h', heap, registers: [] });
    for (let v = 1; v <= 100; v += 0.5) {
      windowed.observe(v);
      plain.observe(v);
    }
    const filler = new Counter({ name: 'filler_total', help: 'h', labelNames: ['k'], maxSeries: Infinity, heap, registers: [] });
    expect(() => {
      for (let i = 0; i < 1_000_000; i++) filler.inc({ k: String(i) });
    }).toThrow(expect.objectContaining({ code: 'MPM_ERR_HEAP_FULL' }));
    // and the lane's arena too, to its last word
    expect(() => {
      for (;;) heap.allocateBlock(1, 0);
    }).toThrow(expect.objectContaining({ code: 'MPM_ERR_HEAP_FULL' }));
    vi.setSystemTime(Date.now() + 61_000); // a new window: the store is emptied, its block kept
    windowed.observe(50);
    plain.reset();
    plain.observe(50);
    expect(() => plain.observe(1e8), 'a move out of its block still needs memory').toThrow(expect.objectContaining({ code: 'MPM_ERR_HEAP_FULL' }));
  } finally {
    heap.close();
    vi.useRealTimers();
  }
}, 60000);
