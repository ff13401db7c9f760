// `pnpm bench` (full, writes docs/BENCHMARKS.md) and `pnpm bench --quick` (a fast pass that only checks the
// benchmarks still run, for CI). Figures are never asserted: this machine's speed varies minute to minute.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Heap } from '@mpmetrics/core';
import { runMetricPairs } from './metric-cases.js';
import { benchPrimitives } from './primitives.js';
import { formatTable, machineLine, writeSection } from './report.js';
import { measureScrape, measureSeriesCreation } from './series-and-scrape.js';

const quick = process.argv.includes('--quick');
const docs = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'docs', 'BENCHMARKS.md');
const settings = quick ? { rounds: 3, n: 200_000, series: 10_000, scrapeSeries: 200 } : { rounds: 15, n: 3_000_000, series: 100_000, scrapeSeries: 1000 };

console.log(`mpmetrics benchmarks (${quick ? 'quick' : 'full'}): ${machineLine()}\n`);
Heap.open(); // the heap of this run: its directory goes to the writer processes through MPMETRICS_DIR

const primitives = await benchPrimitives(settings);
console.log('### Heap primitives\n');
console.log(primitives);

const heap = Heap.open({ dir: process.env.MPMETRICS_DIR! });
const pairs = runMetricPairs(heap, settings.rounds, settings.n);
const creation = measureSeriesCreation(heap, settings.series);
const scrape = await measureScrape(4, settings.scrapeSeries, quick ? 3 : 11);
const metrics = [
  formatTable(
    ['operation', 'mpmetrics ns/op', 'prom-client ns/op', 'ratio (median of rounds)', 'target', 'met', 'spread'],
    pairs.map((p) => [p.name, p.ours.toFixed(1), p.theirs.toFixed(1), p.ratio.toFixed(3), p.target, p.met ? 'yes' : '**no**', `${(p.spread * 100).toFixed(0)}%`]),
  ),
  '',
  formatTable(
    ['case', 'mpmetrics', 'prom-client', 'ratio', 'target', 'met'],
    [
      [`new series, around the ${creation.at.toLocaleString('en')}th of one family`, `${creation.microsPerNewSeries.toFixed(2)} µs`, '', '', '≤ 10 µs', creation.microsPerNewSeries <= 10 ? 'yes' : '**no**'],
      ['heap bytes per 11-bucket histogram series (one writer)', `${creation.bytesPerHistogramSeries.toFixed(0)} B`, '', '', '', ''],
      [
        `scrape ${settings.scrapeSeries} labeled histogram series written by 4 processes (HeapExporter) vs prom-client \`register.metrics()\` of the same series in one process`,
        `${scrape.oursMs.toFixed(2)} ms`,
        `${scrape.theirsMs.toFixed(2)} ms`,
        scrape.ratio.toFixed(3),
        '≤ 0.5',
        scrape.ratio <= 0.5 ? 'yes' : '**no**',
      ],
    ],
  ),
].join('\n');
console.log('\n### Metrics against prom-client 15\n');
console.log(metrics);
heap.close();

if (!quick) {
  writeSection(docs, 'primitives', `${machineLine()}\n\n${primitives}`);
  writeSection(docs, 'metrics', `${machineLine()}\n\n${metrics}`);
  console.log(`\nwritten to ${docs}`);
}
