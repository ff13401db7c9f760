import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { Heap, HeapExporter, Summary } from '../src/index.js';
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
