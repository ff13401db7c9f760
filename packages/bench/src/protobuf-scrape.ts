// The protobuf exposition against the text one, of the same series in the same heap, in the same run: a labeled
// histogram family with native and classic buckets, and a classic-only one, each alone in a heap of its own (an
// exporter exports everything in its heap). Each round times `protobufBytes()` and `metricsBytes('prometheus')` of
// both families, in an order that rotates by round: each from a collected heap and a quiet machine as the scrape
// table's cases (series-and-scrape.ts), then all back to back (a full collection makes V8 drop optimised code, which
// the first figure pays for). The ratio is protobuf / text of the same round, its median reported.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_BUCKETS, Heap, HeapExporter, Histogram } from '@mpmetrics/core';
import { median } from './measure.js';
import { seededValues } from './native-observe.js';
import { formatTable } from './report.js';

/** Observations per series, drawn from seeded values over 1 ms to 1 s: some 20 native buckets each. */
const OBSERVATIONS = 20;

export interface ProtobufScrapeSettings {
  readonly series: number;
  readonly rounds: number;
  readonly warmUp: number;
}

interface Family {
  readonly name: string;
  readonly native: boolean;
  readonly dir: string;
  readonly heap: Heap;
  readonly exporter: HeapExporter;
}

/** A heap of its own holding `series` series of one labeled histogram family, native buckets or not. */
function fillFamily(name: string, native: boolean, series: number): Family {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-bench-protobuf-'));
  const heap = Heap.open({ dir });
  const histogram = new Histogram({
    name: 'bench_protobuf_seconds',
    help: 'Protobuf scrape benchmark',
    labelNames: ['route', 'method'],
    buckets: [...DEFAULT_BUCKETS],
    ...(native ? { nativeHistogramBucketFactor: 1.1 } : {}),
    heap,
    registers: [],
    maxSeries: Infinity,
  });
  const values = seededValues(series * OBSERVATIONS);
  for (let i = 0; i < series; i++) {
    const child = histogram.labels(`/route/${i}`, i % 2 === 0 ? 'GET' : 'POST');
    for (let j = 0; j < OBSERVATIONS; j++) child.observe(values[i * OBSERVATIONS + j]!);
  }
  return { name, native, dir, heap, exporter: new HeapExporter(heap) };
}

/** A full collection, when the bench runs with --expose-gc (`pnpm bench` does). */
function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

export async function benchProtobufScrape(settings: ProtobufScrapeSettings): Promise<string> {
  const families: Family[] = [];
  try {
    families.push(fillFamily('classic and native buckets (11 + factor 1.1)', true, settings.series));
    families.push(fillFamily('classic buckets only (11)', false, settings.series));
    type Format = 'protobuf' | 'text';
    const scrape = (family: Family, format: Format): Promise<Buffer> =>
      format === 'protobuf' ? family.exporter.protobufBytes() : family.exporter.metricsBytes('prometheus');
    /** Case 2f is family f's protobuf, 2f + 1 its text. */
    const cases = families.flatMap((family) => (['protobuf', 'text'] as const).map((format) => ({ family, format })));
    const conditions = ['collected', 'backToBack'] as const;
    type Condition = (typeof conditions)[number];
    const ms = { collected: cases.map(() => [] as number[]), backToBack: cases.map(() => [] as number[]) };
    const ratios = { collected: families.map(() => [] as number[]), backToBack: families.map(() => [] as number[]) };
    const time = async (i: number): Promise<number> => {
      const start = process.hrtime.bigint();
      await scrape(cases[i]!.family, cases[i]!.format);
      return Number(process.hrtime.bigint() - start) / 1e6;
    };
    for (let r = 0; r < settings.warmUp + settings.rounds; r++) {
      const round: Record<Condition, number[]> = { collected: [], backToBack: [] };
      // each case from a collected heap and a quiet machine, as the scrape table's: no case pays for collecting
      // another's garbage, nor shares the CPU with the background sweep
      for (let i = 0; i < cases.length; i++) {
        const at = (i + r) % cases.length;
        collectGarbage();
        await new Promise((resolve) => setTimeout(resolve, 50));
        round.collected[at] = await time(at);
      }
      // then back to back, after one untimed scrape of each: code that a full collection threw away (V8 drops
      // optimised code whose embedded objects died) has run again since, as between scrapes that no major GC
      // separates
      for (let i = 0; i < cases.length; i++) await scrape(cases[i]!.family, cases[i]!.format);
      for (let i = 0; i < cases.length; i++) {
        const at = (i + r) % cases.length;
        round.backToBack[at] = await time(at);
      }
      if (r < settings.warmUp) continue;
      for (const condition of conditions) {
        round[condition].forEach((t, i) => ms[condition][i]!.push(t));
        families.forEach((_, f) => ratios[condition][f]!.push(round[condition][2 * f]! / round[condition][2 * f + 1]!));
      }
    }
    const bytes = await Promise.all(cases.map(async (c) => (await scrape(c.family, c.format)).length));

    const perSeries = (condition: Condition, i: number): string => ((median(ms[condition][i]!) * 1000) / settings.series).toFixed(2);
    const size = (i: number): string => `${(bytes[i]! / 1e3).toFixed(0)} kB`;
    const table = formatTable(
      ['family', 'sizes protobuf / text', 'scrape', 'protobuf `protobufBytes()` µs/series', 'text `metricsBytes(\'prometheus\')` µs/series', 'ratio protobuf / text', 'target', 'met'],
      families.flatMap((family, f) =>
        conditions.map((condition) => {
          const ratio = median(ratios[condition][f]!);
          return [
            `${family.name}, ${settings.series.toLocaleString('en')} series`,
            `${size(2 * f)} / ${size(2 * f + 1)}`,
            condition === 'collected' ? 'after a full collection' : 'back to back',
            perSeries(condition, 2 * f),
            perSeries(condition, 2 * f + 1),
            ratio.toFixed(2),
            family.native ? '' : '≤ 2',
            family.native ? '' : met(ratio <= 2),
          ];
        }),
      ),
    );
    return [
      `Scrapes of one labeled histogram family, ${settings.series.toLocaleString('en')} series of ${OBSERVATIONS} observations each (seeded, spread log-uniformly over 1 ms to 1 s), written by this process into a heap of its own; medians of ${settings.rounds} rounds after ${settings.warmUp} of warm-up, ratios the medians of the per-round ratios. Each round times every case after a full collection and a pause (as the scrape table does), then back to back after an untimed scrape of each. The text exposition has no native buckets (it shows the classic ones, as client_golang does), so the native family's protobuf carries more than its text; the target is for the classic-only family:`,
      '',
      table,
    ].join('\n');
  } finally {
    for (const family of families) {
      family.heap.close();
      fs.rmSync(family.dir, { recursive: true, force: true });
    }
  }
}

function met(ok: boolean): string {
  return ok ? 'yes' : '**no**';
}
