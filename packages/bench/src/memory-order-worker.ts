// One side of the memory-order comparison (memory-order-cost.ts): run with MPMETRICS_MEMORY_ORDER unset (the x86-64
// path on x64) or set to "atomics" (the arm64 path, forced). Times our hot operations and a scrape in a heap of
// its own, and prints the medians as JSON on its last line.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Counter, Gauge, Heap, HeapExporter, Histogram, Summary } from '@mpmetrics/core';
import { median, timeNs } from './measure.js';
import { fillScrapeSeries } from './scrape-series.js';

const [rounds, n, scrapeSeries] = process.argv.slice(2).map(Number) as [number, number, number];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-bench-order-'));
const heap = Heap.open({ dir });
const none = { heap, registers: [] };
const counter = new Counter({ name: 'o_counter', help: 'h', ...none });
const labeled = new Counter({ name: 'o_counter_l', help: 'h', labelNames: ['method', 'code'], ...none });
const child = labeled.labels('GET', '200');
const histogram = new Histogram({ name: 'o_hist', help: 'h', ...none });
const summary = new Summary({ name: 'o_summary', help: 'h', ...none });
const gauge = new Gauge({ name: 'o_gauge', help: 'h', multiprocessMode: 'livesum', ...none });

const cases: [string, (n: number) => void][] = [
  ['counter `inc()` unlabeled', (k) => { for (let i = 0; i < k; i++) counter.inc(); }],
  ['counter `inc(labels)`', (k) => { for (let i = 0; i < k; i++) labeled.inc({ method: 'GET', code: 200 }); }],
  ['counter cached child `inc()`', (k) => { for (let i = 0; i < k; i++) child.inc(); }],
  ['histogram `observe()` unlabeled', (k) => { for (let i = 0; i < k; i++) histogram.observe(0.3); }],
  ['summary `observe()`', (k) => { for (let i = 0; i < k; i++) summary.observe(i % 1000); }],
  ["gauge `inc()` ('livesum', a per-process cell)", (k) => { for (let i = 0; i < k; i++) gauge.inc(); }],
];
const out: Record<string, number> = {};
for (const [name, run] of cases) {
  run(Math.min(n, 200_000));
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) times.push(timeNs(run, n));
  out[name] = median(times);
}

const scraped = new Histogram({ name: 'o_scrape_seconds', help: 'h', labelNames: ['route', 'method'], ...none, maxSeries: Infinity });
fillScrapeSeries(scraped, scrapeSeries);
const exporter = new HeapExporter(heap);
const scrapes: number[] = [];
for (let r = 0; r < rounds + 2; r++) {
  const start = performance.now();
  Buffer.from(await exporter.metrics('prometheus'));
  if (r >= 2) scrapes.push((performance.now() - start) * 1e6);
}
out[`scrape of ${scrapeSeries} labeled histogram series, one writer (HeapExporter)`] = median(scrapes);
heap.close();
fs.rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify(out));
