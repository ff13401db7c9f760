// The scrape that prom-client's cluster mode needs: a primary asks 4 node:cluster workers for their metrics over
// IPC and merges them (AggregatorRegistry.clusterMetrics()), against our HeapExporter reading the same series
// written by 4 processes straight from the heap. Both are timed in the same rounds, in alternating order.
import cluster from 'node:cluster';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Heap, HeapExporter } from '@mpmetrics/core';
import { AggregatorRegistry } from 'prom-client';
import { pairMs, type PairedMs } from './measure.js';
import { runWriters } from './series-and-scrape.js';

async function startWorkers(processes: number, series: number): Promise<() => void> {
  cluster.setupPrimary({ exec: fileURLToPath(new URL('./cluster-worker.ts', import.meta.url)), execArgv: ['--import', 'tsx'], silent: false });
  const workers = Array.from({ length: processes }, () => cluster.fork({ BENCH_SERIES: String(series) }));
  await Promise.all(
    workers.map(
      (worker) =>
        new Promise<void>((resolve, reject) => {
          worker.once('message', () => resolve());
          worker.once('exit', (code) => reject(new Error(`cluster worker exited early (${code})`)));
        }),
    ),
  );
  return () => {
    for (const worker of workers) worker.kill();
  };
}

export async function measureClusterScrape(processes: number, series: number, rounds: number): Promise<PairedMs> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-bench-cluster-'));
  await runWriters(processes, series, dir);
  const heap = Heap.open({ dir });
  const exporter = new HeapExporter(heap);
  const stopWorkers = await startWorkers(processes, series);
  const aggregator = new AggregatorRegistry();
  try {
    // both encoded as an HTTP response would be
    return await pairMs(
      rounds,
      async () => Buffer.from(await exporter.metrics('prometheus')),
      async () => Buffer.from(await aggregator.clusterMetrics()),
    );
  } finally {
    stopWorkers();
    heap.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
