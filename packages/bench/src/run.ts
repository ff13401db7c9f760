// `pnpm bench` (full, writes docs/BENCHMARKS.md) and `pnpm bench --quick` (a fast pass that only checks the
// benchmarks still run, for CI). Figures are never asserted: this machine's speed varies minute to minute.
// `--only=http` (or `import`, `primitives`, `metrics`, `scrape`, `native-observe`, `protobuf`, `memory-order`, comma-separated) runs just those sections and writes nothing, for
// iterating on one of them; `--rounds=N` then sets the HTTP rounds. `--only=instructions` counts the HTTP apps'
// instructions per request under valgrind (too slow to be part of the full run; the quick pass does
// a small count to check that it works). `--only=hot-path` counts instructions per metric update under valgrind the
// same way (about 6 minutes; likewise kept out of the full run and counted a little in the quick pass). With
// `--only=instructions`, `--framework=`, `--variant=` (comma-separated), `--jobs=N`, `--warm-up=N`, `--settle=N` and `--measured=N`
// count a part of it at a time (src/http-instructions.ts).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Heap } from '@mpmetrics/core';
import { runMetricPairs } from './metric-cases.js';
import { measureTimerGarbage } from './timer-garbage.js';
import { benchPrimitives } from './primitives.js';
import { formatTable, machineLine, writeSection } from './report.js';
import { measureClusterScrape } from './cluster-scrape.js';
import { benchHttp } from './http-cases.js';
import { benchImport } from './import-time.js';
import { QUICK_INSTRUCTIONS, benchInstructions, narrowInstructions } from './http-instructions.js';
import { FULL_HOT_PATH_UPDATES, HOT_PATH_KINDS, QUICK_HOT_PATH_UPDATES, benchHotPathInstructions } from './hot-path-instructions.js';
import { measureHistogramContention } from './metric-contention.js';
import { measureMemoryOrderCost } from './memory-order-cost.js';
import { measureScrape, measureSeriesCreation, type ScrapeResult } from './series-and-scrape.js';
import { benchNativeObserve } from './native-observe.js';
import { benchProtobufScrape } from './protobuf-scrape.js';

const quick = process.argv.includes('--quick');
const docs = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'docs', 'BENCHMARKS.md');
const settings = quick
  ? { rounds: 3, n: 200_000, series: 10_000, scrapeSeries: 200, clusterSeries: 200, scrapeSizes: [1000], http: { rounds: 1, seconds: 0.5, warmUpSeconds: 0.25 } }
  : { rounds: 15, n: 2_000_000, series: 100_000, scrapeSeries: 1000, clusterSeries: 1000, scrapeSizes: [1000, 10_000, 100_000], http: { rounds: 12, seconds: 1.5, warmUpSeconds: 2 } };

const option = (name: string): string | undefined => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const only = option('only')?.split(',');
const runs = (section: string): boolean => only === undefined || only.includes(section);
const rounds = option('rounds');
const http = rounds === undefined ? settings.http : { ...settings.http, rounds: Number(rounds) };

console.log(`mpmetrics benchmarks (${quick ? 'quick' : 'full'}${only === undefined ? '' : `, only ${only.join(', ')}`}): ${machineLine()}\n`);
Heap.open(); // the heap of this run: its directory goes to the writer processes through MPMETRICS_DIR

const began = performance.now();
const took = (since: number): string => `(${((performance.now() - since) / 1000).toFixed(0)} s)`;

const met = (ok: boolean): string => (ok ? 'yes' : '**no**');

async function measureScrapes(): Promise<ScrapeResult[]> {
  const scrapes = [];
  // 100,000 series: a round of the six cases takes about 12 s, so 3 rounds after 1 warm-up. Every size warms up
  // over at least 20,000 series per case: at 1,000 series two warm-up rounds left the scrape code still tiering up
  // (a lease measured 2.4 to 2.6 µs per series after 2 scrapes, 1.8 to 1.9 after 40; journal, 2026-12-07)
  for (const series of settings.scrapeSizes) {
    const rounds = quick ? 2 : series >= 100_000 ? 3 : series >= 10_000 ? 5 : 11;
    scrapes.push(await measureScrape(4, series, rounds, quick ? 1 : Math.ceil(20_000 / series)));
  }
  return scrapes;
}

/** The scrape table's lines: µs per series of each case, against the targets (≤ 2.5 µs, ≤ 0.1 × prom-client). */
function scrapeTable(scrapes: readonly ScrapeResult[]): string[] {
  return [
    'Scrapes of labeled 11-bucket histogram series, each written by 4 processes (prom-client holds the same series in one process). Times are µs per series, each case as an HTTP response sends it (a string encoded to UTF-8); "fresh memory" is a new Buffer of the exposition\'s size, filled: what this machine charges for memory that size (page faults), which every case that returns a new body of that size pays; `leaseMetricsBytes()` writes into a reused buffer and releases it, as the integrations\' `/metrics` does once the response is sent, so it pays none:',
    '',
    formatTable(
      [
        'series',
        'exposition',
        '`metricsBytes()`',
        'target ≤ 2.5',
        '`metrics()` as sent',
        'fresh memory',
        'prom-client `register.metrics()`',
        'ratio `metricsBytes()` / prom-client (≤ 0.1)',
        '`leaseMetricsBytes()`, reused buffer',
        'target ≤ 2.5',
        'ratio `leaseMetricsBytes()` / prom-client (≤ 0.1)',
        'our histogram through prom-client\'s `register.metrics()`, / prom-client\'s own (≤ 1.2)',
      ],
      scrapes.map((g) => {
        const perSeries = (ms: number): string => ((ms * 1000) / g.series).toFixed(2);
        return [
          g.series.toLocaleString('en'),
          `${(g.bytes / 1e6).toFixed(1)} MB`,
          perSeries(g.ms.bytes),
          met((g.ms.bytes * 1000) / g.series <= 2.5),
          perSeries(g.ms.text),
          perSeries(g.ms.freshMemory),
          perSeries(g.ms.promClient),
          `${g.ratio.bytesToPromClient.toFixed(3)} ${met(g.ratio.bytesToPromClient <= 0.1)}`,
          perSeries(g.ms.lease),
          met((g.ms.lease * 1000) / g.series <= 2.5),
          `${g.ratio.leaseToPromClient.toFixed(3)} ${met(g.ratio.leaseToPromClient <= 0.1)}`,
          `${g.ratio.throughPromClient.toFixed(3)} ${met(g.ratio.throughPromClient <= 1.2)}`,
        ];
      }),
    ),
  ];
}

if (runs('import')) {
  const since = performance.now();
  const importTable = await benchImport(quick ? 3 : 21);
  console.log(`### Import time against prom-client 15 ${took(since)}\n`);
  console.log(importTable);
  if (!quick && only === undefined) writeSection(docs, 'import', `${machineLine()}\n\n${importTable}`);
}

if (runs('primitives')) {
  const since = performance.now();
  const primitives = await benchPrimitives(settings);
  console.log(`### Heap primitives ${took(since)}\n`);
  console.log(primitives);
  if (!quick && only === undefined) writeSection(docs, 'primitives', `${machineLine()}\n\n${primitives}`);
}

if (runs('metrics')) await benchMetrics();
else if (only?.includes('scrape') === true) {
  // the scrape table alone (it is part of the metrics section), for iterating on the exposition
  const since = performance.now();
  const table = scrapeTable(await measureScrapes()).join('\n');
  console.log(`\n### Scrapes against prom-client 15 ${took(since)}\n`);
  console.log(table);
}

async function benchMetrics(): Promise<void> {
  const since = performance.now();
  const heap = Heap.open({ dir: process.env.MPMETRICS_DIR! });
  const pairs = runMetricPairs(heap, settings.rounds, settings.n);
  const timerGarbage = await measureTimerGarbage(quick ? 500_000 : 5_000_000);
  const creation = measureSeriesCreation(heap, settings.series);
  const contention = await measureHistogramContention(quick ? 2 : 10, settings.n);
  const clusterScrape = await measureClusterScrape(4, settings.clusterSeries, quick ? 3 : 11);
  const scrapes = await measureScrapes();
  const metrics = [
    formatTable(
      ['operation', 'mpmetrics ns/op', 'prom-client ns/op', 'ratio (median of rounds)', 'target', 'met', 'spread'],
      pairs.map((p) => [p.name, p.ours.toFixed(1), p.theirs.toFixed(1), p.ratio.toFixed(3), p.target, p.met ? 'yes' : '**no**', `${(p.spread * 100).toFixed(0)}%`]),
    ),
    '',
    formatTable(
      ['case', 'mpmetrics', 'prom-client', 'ratio', 'target', 'met'],
      [
        [`new series, around the ${creation.at.toLocaleString('en')}th of one family`, `${creation.microsPerNewSeries.toFixed(2)} µs`, '', '', '≤ 10 µs', met(creation.microsPerNewSeries <= 10)],
        [
          `bytes allocated per unlabeled histogram \`startTimer()()\`, from the scavenges of ${timerGarbage.calls.toLocaleString('en')} calls with a fixed young generation (floor: a closure and two \`process.hrtime.bigint()\` reads, ${timerGarbage.bytesPerCall.floor.toFixed(0)} B)`,
          `${timerGarbage.bytesPerCall.ours.toFixed(0)} B`,
          `${timerGarbage.bytesPerCall.promClient.toFixed(0)} B`,
          `${(timerGarbage.bytesPerCall.ours / timerGarbage.bytesPerCall.floor).toFixed(2)} × the floor`,
          '≤ 1.1 × the floor',
          met(timerGarbage.bytesPerCall.ours <= timerGarbage.bytesPerCall.floor * 1.1),
        ],
        ['heap bytes per 11-bucket histogram series (one writer)', `${creation.bytesPerHistogramSeries.toFixed(0)} B`, '', '', '', ''],
        [
          `cluster scrape: ${settings.clusterSeries} labeled histogram series in each of 4 writers (HeapExporter) vs prom-client \`AggregatorRegistry.clusterMetrics()\` with 4 node:cluster workers`,
          `${clusterScrape.oursMs.toFixed(2)} ms`,
          `${clusterScrape.theirsMs.toFixed(2)} ms`,
          clusterScrape.ratio.toFixed(3),
          '≤ 0.05',
          met(clusterScrape.ratio <= 0.05),
        ],
        [
          'cached child `observe()` of one histogram series while a second process observes into it (ratio = contended / alone, median of rounds)',
          `${contention.contendedNs.toFixed(1)} ns (alone ${contention.aloneNs.toFixed(1)} ns)`,
          '',
          contention.ratio.toFixed(2),
          '≤ 3',
          met(contention.ratio <= 3),
        ],
      ],
    ),
    '',
    ...scrapeTable(scrapes),
  ].join('\n');
  console.log(`\n### Metrics against prom-client 15 ${took(since)}\n`);
  console.log(metrics);
  heap.close();
  if (!quick && only === undefined) writeSection(docs, 'metrics', `${machineLine()}\n\n${metrics}`);
}

if (runs('native-observe')) {
  // native histogram buckets on the hot path: every case in one process, the GC count in a fixed number of calls
  const since = performance.now();
  const table = await benchNativeObserve({ rounds: settings.rounds, n: settings.n, gcCalls: quick ? 1_000_000 : 5_000_000 });
  console.log(`\n### Native histogram \`observe()\` against classic and prom-client 15 ${took(since)}\n`);
  console.log(table);
  if (!quick && only === undefined) writeSection(docs, 'native-observe', `${machineLine()}\n\n${table}`);
}

if (runs('protobuf')) {
  // the same series through both expositions; 20 warm-up rounds at 1,000 series, as the scrape table's
  const since = performance.now();
  const table = await benchProtobufScrape({ series: settings.scrapeSeries, rounds: quick ? 2 : 11, warmUp: quick ? 1 : Math.ceil(20_000 / settings.scrapeSeries) });
  console.log(`\n### Protobuf exposition against text ${took(since)}\n`);
  console.log(table);
  if (!quick && only === undefined) writeSection(docs, 'protobuf', `${machineLine()}\n\n${table}`);
}

if (runs('memory-order')) {
  // the arm64 path (Atomics for every ordered access) forced on this machine, beside the x86-64 path, in children
  const since = performance.now();
  const table = quick ? measureMemoryOrderCost(1, 2, settings.n / 4, 200) : measureMemoryOrderCost(4, 9, settings.n / 2, settings.scrapeSeries);
  console.log(`\n### Memory-order paths: the arm64 path's cost on ${process.arch} ${took(since)}\n`);
  console.log(table);
  if (!quick && only === undefined) writeSection(docs, 'memory-order', `${machineLine()}\n\n${table}`);
}

if (runs('http')) {
  const since = performance.now();
  const httpTable = await benchHttp(http);
  console.log(`\n### HTTP middleware against the bare frameworks and their peers ${took(since)}\n`);
  console.log(httpTable);
  if (!quick && only === undefined) writeSection(docs, 'http', `${machineLine()}\n\n${httpTable}`);
}
// asked for by name; the quick pass also counts a little when it runs everything
if (only?.includes('instructions') ?? quick) {
  const since = performance.now();
  const flags = { framework: option('framework'), variant: option('variant'), jobs: option('jobs'), warmUp: option('warm-up'), settle: option('settle'), measured: option('measured') };
  const instructionTable = await benchInstructions(quick ? QUICK_INSTRUCTIONS : narrowInstructions(flags));
  console.log(`\n### HTTP middleware in instructions per request ${took(since)}\n`);
  console.log(instructionTable);
}
if (only?.includes('hot-path') ?? quick) {
  const since = performance.now();
  // the quick pass checks that counting works, on one kind: all of them add 5 minutes to CI under load
  const hotPathTable = quick
    ? await benchHotPathInstructions(QUICK_HOT_PATH_UPDATES, HOT_PATH_KINDS.slice(0, 1))
    : await benchHotPathInstructions(FULL_HOT_PATH_UPDATES);
  console.log(`\n### Hot-path instructions per update ${took(since)}\n`);
  console.log(hotPathTable);
}
if (!quick && only === undefined) console.log(`\nwritten to ${docs}`);
console.log(`\nall of it ${took(began)}`);
