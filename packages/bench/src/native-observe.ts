// Native histogram buckets on the hot path: unlabeled `observe(v)` of our classic histogram, our native-only one
// (factor 1.1), our one with both, and prom-client's classic one, side by side in one process, in rounds whose
// order alternates; ratios are taken round by round. Values come from a fixed seeded array spanning three decades
// (1 ms to 1 s), so the native bucket changes from call to call as in real use. Then the garbage collections
// during a fixed number of calls of each: the goal is that native `observe()` allocates nothing. They are counted
// twice: with the values in a Float64Array (unboxed doubles, as a value computed just before the call is; V8 boxes
// one to pass it unless it inlines `observe()` into the loop, which its inlining budget decides), and with the values
// already boxed (what `observe()` itself allocates).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { DEFAULT_BUCKETS, Heap, Histogram } from '@mpmetrics/core';
import * as pc from 'prom-client';
import { median, spread, timeNs } from './measure.js';
import { formatTable } from './report.js';

/** How many values the observed ones cycle through (a power of two: the loops index with a mask). */
const VALUES = 4096;

/**
 * `count` values spread log-uniformly over [low, high), from a fixed seed (mulberry32): every run observes the same.
 * Held in a plain array that once held a non-number, so its elements stay tagged (boxed once, here): a call passes
 * them as they are, and whatever a loop over them allocates is the callee's.
 */
export function seededValues(count: number, low = 1e-3, high = 1, seed = 0x6d2b79f5): number[] {
  let state = seed >>> 0;
  const random = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const values: unknown[] = [{}]; // generic elements from the start: the numbers below are never unboxed into the array
  values.length = 0;
  const decades = Math.log10(high / low);
  for (let i = 0; i < count; i++) values.push(low * 10 ** (decades * random()));
  return values as number[];
}


export interface NativeObserveSettings {
  readonly rounds: number;
  /** Calls per case per round. */
  readonly n: number;
  /** Calls during which the garbage collections of each case are counted. */
  readonly gcCalls: number;
}

interface Row {
  readonly name: string;
  /** n calls over the unboxed values (timed, and their collections counted). */
  readonly run: (n: number) => void;
  /** n calls over the same values already boxed (collections counted). */
  readonly runBoxed: (n: number) => void;
}

/** A full collection, when the bench runs with --expose-gc (`pnpm bench` does). */
function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** Garbage collections (PerformanceObserver 'gc' entries) while `run(calls)` runs, from a collected heap. */
async function countCollections(run: (n: number) => void, calls: number): Promise<number> {
  collectGarbage(); // before observing: its own entry is not counted, and the young generation starts empty
  let events = 0;
  const observer = new PerformanceObserver((list) => (events += list.getEntries().length));
  observer.observe({ entryTypes: ['gc'] });
  run(calls);
  await new Promise((resolve) => setTimeout(resolve, 50)); // gc entries arrive asynchronously
  observer.disconnect();
  return events;
}

export async function benchNativeObserve(settings: NativeObserveSettings): Promise<string> {
  // a heap of its own, removed afterwards
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-bench-native-'));
  const heap = Heap.open({ dir });
  try {
    const boxed = seededValues(VALUES);
    const unboxed = Float64Array.from(boxed);
    const mask = VALUES - 1;
    const none = { registers: [] as pc.Registry[] };
    const classic = new Histogram({ name: 'b_observe_classic', help: 'h', heap, ...none });
    const native = new Histogram({ name: 'b_observe_native', help: 'h', heap, nativeHistogramBucketFactor: 1.1, ...none });
    const both = new Histogram({ name: 'b_observe_both', help: 'h', heap, buckets: [...DEFAULT_BUCKETS], nativeHistogramBucketFactor: 1.1, ...none });
    const theirs = new pc.Histogram({ name: 'b_observe_classic', help: 'h', ...none });
    // every loop written out, each its own function literal: closures of one literal would share their feedback, and
    // V8 would optimise one loop for all four histograms (and both arrays) instead of each alone
    const rows: Row[] = [
      {
        name: 'mpmetrics classic (default buckets)',
        run: (n) => {
          for (let i = 0; i < n; i++) classic.observe(unboxed[i & mask]!);
        },
        runBoxed: (n) => {
          for (let i = 0; i < n; i++) classic.observe(boxed[i & mask]!);
        },
      },
      {
        name: 'mpmetrics native only (factor 1.1)',
        run: (n) => {
          for (let i = 0; i < n; i++) native.observe(unboxed[i & mask]!);
        },
        runBoxed: (n) => {
          for (let i = 0; i < n; i++) native.observe(boxed[i & mask]!);
        },
      },
      {
        name: 'mpmetrics classic and native (default buckets, factor 1.1)',
        run: (n) => {
          for (let i = 0; i < n; i++) both.observe(unboxed[i & mask]!);
        },
        runBoxed: (n) => {
          for (let i = 0; i < n; i++) both.observe(boxed[i & mask]!);
        },
      },
      {
        name: 'prom-client classic (default buckets)',
        run: (n) => {
          for (let i = 0; i < n; i++) theirs.observe(unboxed[i & mask]!);
        },
        runBoxed: (n) => {
          for (let i = 0; i < n; i++) theirs.observe(boxed[i & mask]!);
        },
      },
    ];
    const CLASSIC = 0;
    const PROM_CLIENT = 3;
    // warm up: let V8 optimise every case first
    for (const row of rows) {
      row.run(Math.min(settings.n, 200_000));
      row.runBoxed(Math.min(settings.n, 200_000));
    }
    const times = rows.map(() => [] as number[]);
    const toClassic = rows.map(() => [] as number[]);
    const toPromClient = rows.map(() => [] as number[]);
    for (let round = 0; round < settings.rounds; round++) {
      const order = rows.map((_, i) => i);
      if (round % 2 === 1) order.reverse();
      const ns: number[] = [];
      for (const i of order) ns[i] = timeNs(rows[i]!.run, settings.n);
      ns.forEach((t, i) => {
        times[i]!.push(t);
        toClassic[i]!.push(t / ns[CLASSIC]!);
        toPromClient[i]!.push(t / ns[PROM_CLIENT]!);
      });
    }
    const collections: number[] = [];
    const boxedCollections: number[] = [];
    for (const row of rows) {
      collections.push(await countCollections(row.run, settings.gcCalls));
      boxedCollections.push(await countCollections(row.runBoxed, settings.gcCalls));
    }

    const calls = settings.gcCalls.toLocaleString('en');
    const native1 = (i: number): boolean => i === 1 || i === 2; // the rows the targets are for
    const table = formatTable(
      [
        'histogram, unlabeled `observe(v)`',
        'ns/op',
        'ratio / our classic',
        'target ≤ 2',
        'ratio / prom-client classic',
        'target < 1',
        `GC events in ${calls} calls`,
        'target ≤ our classic',
        `GC events in ${calls} calls, values already boxed`,
        'spread',
      ],
      rows.map((row, i) => {
        const classicRatio = median(toClassic[i]!);
        const promClientRatio = median(toPromClient[i]!);
        return [
          row.name,
          median(times[i]!).toFixed(1),
          classicRatio.toFixed(2),
          native1(i) ? met(classicRatio <= 2) : '',
          promClientRatio.toFixed(2),
          native1(i) ? met(promClientRatio < 1) : '',
          String(collections[i]),
          native1(i) ? met(collections[i]! <= collections[CLASSIC]!) : '',
          String(boxedCollections[i]),
          `${(spread(times[i]!) * 100).toFixed(0)}%`,
        ];
      }),
    );
    return [
      `Unlabeled \`observe(v)\`, one process, v cycling through ${VALUES.toLocaleString('en')} seeded values spread log-uniformly over 1 ms to 1 s, read from a Float64Array (unboxed doubles, as a value computed just before the call is: V8 boxes one to pass it unless it inlines \`observe()\` into the loop). ${settings.rounds} rounds of ${settings.n.toLocaleString('en')} calls; ratios are medians of the per-round ratios. GC events are PerformanceObserver 'gc' entries (scavenges, unless a full collection shows up) during ${calls} calls of each, each count from a collected heap; the last GC column passes the same values already boxed (from a plain array), so what it shows is what \`observe()\` itself allocates. The targets are for the rows with native buckets.`,
      '',
      table,
    ].join('\n');
  } finally {
    heap.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function met(ok: boolean): string {
  return ok ? 'yes' : '**no**';
}
