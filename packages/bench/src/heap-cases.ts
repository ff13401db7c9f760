// The heap's value primitives, and the two designs DESIGN.md asked us to weigh, as benchmark cases over a real
// mapped heap. Each case loops inside one function so the figure is the operation, not a call through a closure.
import type { Heap } from '@mpmetrics/core';
import type { Case } from './measure.js';

const BUCKETS = 11;

export function heapCases(heap: Heap, seriesName: string): Case[] {
  const family = heap.family(`bench_${seriesName}`, '{}');
  // Per-writer cell of a histogram series: 11 buckets + count + sum.
  const series = heap.series(family.ptr, 'hist', { valueWords: BUCKETS + 2, sharedWords: BUCKETS + 2 });
  const cell = heap.cell(series.ptr, BUCKETS + 2);
  const shared = heap.shared(series.ptr);
  // The same shared words, seen raw, for the shared-slot histogram design.
  const counter = heap.series(family.ptr, 'counter', { valueWords: 1, sharedWords: 2 });
  const counterCell = heap.cell(counter.ptr, 1);
  const counterShared = heap.shared(counter.ptr);
  const raw = new Int32Array(16);
  const sab = new Int32Array(new SharedArrayBuffer(64));

  return [
    {
      name: 'bare Atomics.add loop (Int32, SharedArrayBuffer)',
      run: (n) => {
        for (let i = 0; i < n; i++) Atomics.add(sab, 0, 1);
      },
    },
    {
      name: 'per-writer cell add (plain store)',
      run: (n) => {
        for (let i = 0; i < n; i++) counterCell.add(0, 1);
      },
    },
    {
      name: 'shared addInt (Atomics.add BigInt64)',
      run: (n) => {
        for (let i = 0; i < n; i++) counterShared.addInt(0, 1n);
      },
    },
    {
      name: 'shared addFloat (CAS loop on float bits)',
      run: (n) => {
        for (let i = 0; i < n; i++) counterShared.addFloat(1, 0.5);
      },
    },
    {
      name: 'shared setFloat (plain aligned float64 store)',
      run: (n) => {
        for (let i = 0; i < n; i++) counterShared.setFloat(1, i);
      },
    },
    {
      name: 'histogram observe, per-writer cell + seqlock',
      run: (n) => {
        const f64 = cell.f64;
        const base = cell.base;
        for (let i = 0; i < n; i++) {
          cell.begin();
          f64[base + (i % BUCKETS)]! += 1;
          f64[base + BUCKETS]! += 1;
          f64[base + BUCKETS + 1]! += 0.25;
          cell.end();
        }
      },
    },
    {
      name: 'histogram observe, shared slots (atomics)',
      run: (n) => {
        for (let i = 0; i < n; i++) {
          shared.addInt(i % BUCKETS, 1n);
          shared.addFloat(BUCKETS + 1, 0.25);
          shared.addInt(BUCKETS, 1n); // count last, as client_golang bumps it
        }
      },
    },
    {
      name: 'read 13-value group (sum of cells, consistent)',
      run: (n) => {
        const out = new Float64Array(BUCKETS + 2);
        for (let i = 0; i < n; i++) heap.read(series.ptr, out);
      },
    },
    {
      name: 'plain Int32Array add (no sharing, for scale)',
      run: (n) => {
        for (let i = 0; i < n; i++) raw[0]! += 1;
      },
    },
  ];
}
