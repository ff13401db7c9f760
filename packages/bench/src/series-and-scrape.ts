// Series creation cost at scale, heap bytes per series, and scrape time against prom-client.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Counter, Heap, HeapExporter, Histogram } from '@mpmetrics/core';
import * as pc from 'prom-client';
import { pairMs, type PairedMs } from './measure.js';
import { fillScrapeSeries } from './scrape-series.js';

export interface SeriesResult {
  /** µs to create one new series, measured around the `at`-th one. */
  readonly microsPerNewSeries: number;
  readonly at: number;
  readonly bytesPerHistogramSeries: number;
}

/** Creates `total` series in one family and times the last 1000 creations. */
export function measureSeriesCreation(heap: Heap, total: number): SeriesResult {
  const counter = new Counter({ name: 'bench_series_total', help: 'h', labelNames: ['id'], heap, registers: [], maxSeries: Infinity });
  const window = Math.min(1000, total);
  for (let i = 0; i < total - window; i++) counter.inc({ id: i });
  const start = process.hrtime.bigint();
  for (let i = total - window; i < total; i++) counter.inc({ id: i });
  const micros = Number(process.hrtime.bigint() - start) / 1000 / window;

  const before = allocated(heap);
  const histogram = new Histogram({ name: 'bench_series_bytes', help: 'h', labelNames: ['id'], heap, registers: [], maxSeries: Infinity });
  const n = 10_000;
  for (let i = 0; i < n; i++) histogram.observe({ id: i }, 0.1);
  const bytes = (allocated(heap) - before) / n;
  return { microsPerNewSeries: micros, at: total, bytesPerHistogramSeries: bytes };
}

function allocated(heap: Heap): number {
  return Atomics.load(heap.file.header, 8 /* ALLOC_TOP, in words */) * 8;
}

/** Fills the scrape series into the heap in `dir` from `processes` writer processes at once. */
export async function runWriters(processes: number, series: number, dir: string): Promise<void> {
  const script = fileURLToPath(new URL('./scrape-writer.ts', import.meta.url));
  await Promise.all(
    Array.from(
      { length: processes },
      () =>
        new Promise<void>((resolve, reject) => {
          const child = spawn(process.execPath, ['--import', 'tsx', script, String(series)], {
            stdio: 'inherit',
            env: { ...process.env, MPMETRICS_DIR: dir },
          });
          child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`scrape writer exited with ${code}`))));
        }),
    ),
  );
}

export interface ScrapeResult extends PairedMs {
  /** Bytes of our exposition. */
  readonly bytes: number;
}

/**
 * `series` labeled histogram series written by `processes` processes, exported here, vs prom-client in one:
 * `warmUp` rounds first, then `rounds`.
 */
export async function measureScrape(processes: number, series: number, rounds: number, warmUp = 2): Promise<ScrapeResult> {
  // A heap of its own, holding only this family: the exporter exports everything in its heap.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-bench-scrape-'));
  await runWriters(processes, series, dir);
  const heap = Heap.open({ dir });
  const exporter = new HeapExporter(heap);
  const registry = new pc.Registry();
  fillScrapeSeries(new pc.Histogram({ name: 'bench_scrape_seconds', help: 'Scrape benchmark', labelNames: ['route', 'method'], registers: [registry] }), series);
  let bytes = 0;
  try {
    const paired = await pairMs(
      rounds,
      // both encoded as an HTTP response would be: a rope left unflattened would hide part of the cost
      async () => (bytes = Buffer.from(await exporter.metrics('prometheus')).length),
      async () => Buffer.from(await registry.metrics()),
      warmUp,
    );
    return { ...paired, bytes };
  } finally {
    heap.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
