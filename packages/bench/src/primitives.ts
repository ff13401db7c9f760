// Heap primitives: ns per operation beside a bare Atomics.add loop measured in the same run (one process), and the
// cost of the same operations while a second process hammers the same series (timed alone and beside it, round by
// round: contention.ts).
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Heap } from '@mpmetrics/core';
import { measureContention } from './contention.js';
import { heapCases } from './heap-cases.js';
import { runSuite } from './measure.js';
import { formatTable } from './report.js';

export interface Settings {
  readonly rounds: number;
  readonly n: number;
}

export async function benchPrimitives(settings: Settings): Promise<string> {
  const heap = Heap.open();
  const single = runSuite(heapCases(heap, 'single'), settings.rounds, settings.n);
  const singleRows = single.map((r) => [r.name, r.ns.toFixed(2), `${r.ratio.toFixed(2)}×`, `${(r.spread * 100).toFixed(0)}%`]);

  const contended: string[][] = [];
  if (os.availableParallelism() >= 2) {
    const contender = fileURLToPath(new URL('./contender.ts', import.meta.url));
    for (const c of heapCases(heap, 'contended').slice(1, 7)) {
      const result = await measureContention(contender, [c.name, 'contended'], c.run, settings.rounds, settings.n);
      contended.push([c.name, result.aloneNs.toFixed(2), result.contendedNs.toFixed(2), `${result.ratio.toFixed(2)}×`]);
    }
  }
  heap.close();
  return [
    '#### One process (ratio = ns / bare Atomics.add loop of the same round)',
    '',
    formatTable(['operation', 'ns/op', 'ratio', 'spread'], singleRows),
    '',
    '#### Two processes writing the same series at once',
    '',
    contended.length > 0
      ? formatTable(['operation', 'ns/op alone', 'ns/op with a second writer', 'slowdown (median of rounds)'], contended)
      : '(skipped: this machine has one CPU)',
  ].join('\n');
}
