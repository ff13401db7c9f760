// A summary cell taken as it is (its writer stalled mid-update past the read's patience) whose blocks could not be
// read: its count is kept, its bins are left out, and the quantiles still read as numbers.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { Heap, HeapExporter, Summary } from '../src/index.js';
import { CELL, SERIES, WORD } from '../src/heap/layout.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

const POS_BLOCK = 7;

it('quantiles of a cell taken as it is with a count but no bins read as an empty window, not undefined', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-summary-as-is-'));
  dirs.push(dir);
  const heap = Heap.open({ dir });
  try {
    const s = new Summary({ name: 'a_seconds', help: 'h', heap, registers: [] });
    for (let i = 0; i < 10; i++) s.observe(0.01 * (i + 1));
    const family = heap.findFamily('a_seconds')!;
    const series = heap.seriesOf(family.ptr)[0]!;
    const cell = heap.file.segmentOf(series.ptr).u32[heap.file.offsetOf(series.ptr) * 2 + SERIES.CELLS]!;
    const seg = heap.file.segmentOf(cell);
    const at = heap.file.offsetOf(cell);
    // a writer stopped mid-update, its block pointer not yet written
    seg.u32[at * 2 + CELL.SEQ]! += 1;
    seg.f64[at + CELL.VALUES_BYTE / WORD + POS_BLOCK] = 0;
    const text = await new HeapExporter(heap).metrics();
    seg.u32[at * 2 + CELL.SEQ]! += 1;
    expect(text).toContain('a_seconds_count 10');
    expect(text).not.toMatch(/undefined|NaN|-Inf/);
    expect(text).toContain('a_seconds{quantile="0.5"} 0');
  } finally {
    heap.close();
  }
}, 20000);
