// Series creation cost at scale, heap bytes per series, and scrape time against prom-client.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Counter, Heap, HeapExporter, Histogram } from '@mpmetrics/core';
import * as pc from 'prom-client';
import { median } from './measure.js';
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

/** A full collection, when the bench runs with --expose-gc (`pnpm bench` does). */
function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

export interface ScrapeResult {
  readonly series: number;
  /** Bytes of the exposition. */
  readonly bytes: number;
  /** Medians over rounds, ms per scrape. */
  readonly ms: {
    /** HeapExporter.metricsBytes(): the body as sent, no string made. */
    readonly bytes: number;
    /** HeapExporter.leaseMetricsBytes(), then release(): the body in a reused buffer, as the integrations send it. */
    readonly lease: number;
    /** HeapExporter.metrics(), then encoded as a response sends a string. */
    readonly text: number;
    /** prom-client's `register.metrics()` of its own histogram, encoded the same way. */
    readonly promClient: number;
    /** prom-client's `register.metrics()` with our histogram registered: its formatter over our get(). */
    readonly oursThroughPromClient: number;
    /** A fresh Buffer of the exposition's size, filled: what new memory of that size costs on this machine. */
    readonly freshMemory: number;
  };
  /** Medians of the per-round ratios. */
  readonly ratio: {
    /** metricsBytes() / prom-client. */
    readonly bytesToPromClient: number;
    /** leaseMetricsBytes() / prom-client. */
    readonly leaseToPromClient: number;
    /** our histogram through prom-client's registry / prom-client's own. */
    readonly throughPromClient: number;
  };
}

/**
 * `series` labeled histogram series written by `processes` processes, exported here, beside prom-client holding the
 * same series in one process: `warmUp` rounds first, then `rounds`, the cases in an order that rotates by round.
 */
export async function measureScrape(processes: number, series: number, rounds: number, warmUp = 2): Promise<ScrapeResult> {
  // A heap of its own, holding only this family: the exporter exports everything in its heap.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-bench-scrape-'));
  await runWriters(processes, series, dir);
  const heap = Heap.open({ dir });
  try {
    const exporter = new HeapExporter(heap);
    const theirs = new pc.Registry();
    fillScrapeSeries(new pc.Histogram({ name: 'bench_scrape_seconds', help: 'Scrape benchmark', labelNames: ['route', 'method'], registers: [theirs] }), series);
    // our histogram declared here joins the family the writers filled; prom-client's registry formats its get()
    const oursInPromClient = new pc.Registry();
    new Histogram({ name: 'bench_scrape_seconds', help: 'Scrape benchmark', labelNames: ['route', 'method'], heap, registers: [oursInPromClient as never], maxSeries: Infinity });
    const bytes = (await exporter.metricsBytes('prometheus')).length;
    // each case as an HTTP response would send it: a string is encoded, a rope left unflattened would hide part of the cost
    const cases: Record<keyof ScrapeResult['ms'], () => Promise<unknown>> = {
      bytes: () => exporter.metricsBytes('prometheus'),
      // released at once, as a response whose socket took the whole body at once gives it back
      lease: async () => (await exporter.leaseMetricsBytes('prometheus')).release(),
      text: async () => Buffer.from(await exporter.metrics('prometheus')),
      promClient: async () => Buffer.from(await theirs.metrics()),
      oursThroughPromClient: async () => Buffer.from(await oursInPromClient.metrics()),
      freshMemory: async () => Buffer.allocUnsafe(bytes).fill(0x61),
    };
    const names = Object.keys(cases) as (keyof ScrapeResult['ms'])[];
    const times = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<keyof ScrapeResult['ms'], number[]>;
    const toPromClient: number[] = [];
    const leaseToPromClient: number[] = [];
    const through: number[] = [];
    for (let r = 0; r < warmUp + rounds; r++) {
      const round: Partial<Record<keyof ScrapeResult['ms'], number>> = {};
      for (let i = 0; i < names.length; i++) {
        const name = names[(i + r) % names.length]!;
        // each case starts from a collected heap, so that none pays for collecting another's garbage (prom-client's
        // 100,000-series text leaves some 650 MB of it, whose collection otherwise lands in whichever case comes next)
        collectGarbage();
        // and from a quiet machine: V8 sweeps what the collection freed on a background thread, which on this
        // 2-core machine shares the core's neighbour with the case timed (10,000-series lease: 2.07 to 3.43 µs a
        // series over three runs without this pause, 1.96 to 1.99 with it)
        await new Promise((resolve) => setTimeout(resolve, 50));
        const start = process.hrtime.bigint();
        await cases[name]();
        round[name] = Number(process.hrtime.bigint() - start) / 1e6;
      }
      if (r < warmUp) continue;
      for (const name of names) times[name].push(round[name]!);
      toPromClient.push(round.bytes! / round.promClient!);
      leaseToPromClient.push(round.lease! / round.promClient!);
      through.push(round.oursThroughPromClient! / round.promClient!);
    }
    const ms = Object.fromEntries(names.map((n) => [n, median(times[n])])) as unknown as ScrapeResult['ms'];
    return { series, bytes, ms, ratio: { bytesToPromClient: median(toPromClient), leaseToPromClient: median(leaseToPromClient), throughPromClient: median(through) } };
  } finally {
    heap.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
