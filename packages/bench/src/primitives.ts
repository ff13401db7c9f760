// Heap primitives: ns per operation beside a bare Atomics.add loop measured in the same run (one process), and the
// cost of the same operations while a second process hammers the same series.
import { spawn } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Heap } from '@mpmetrics/core';
import { heapCases } from './heap-cases.js';
import { median, runSuite, timeNs } from './measure.js';
import { formatTable } from './report.js';

export interface Settings {
  readonly rounds: number;
  readonly n: number;
}

async function withContender(caseName: string, seriesName: string, body: () => number): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./contender.ts', import.meta.url)), caseName, seriesName], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`contender exited early (${code})`)));
  });
  await new Promise((r) => setTimeout(r, 50)); // let it reach its optimised loop
  try {
    return body();
  } finally {
    child.stdin.end('stop\n');
    await new Promise((r) => child.once('exit', r));
  }
}

export async function benchPrimitives(settings: Settings): Promise<string> {
  const heap = Heap.open();
  const single = runSuite(heapCases(heap, 'single'), settings.rounds, settings.n);
  const singleRows = single.map((r) => [r.name, r.ns.toFixed(2), `${r.ratio.toFixed(2)}×`, `${(r.spread * 100).toFixed(0)}%`]);

  const contended: string[][] = [];
  if (os.availableParallelism() >= 2) {
    const cases = heapCases(heap, 'contended');
    for (const c of cases.slice(1, 7)) {
      const own = c;
      const times = await withContender(c.name, 'contended', () => {
        own.run(Math.min(settings.n, 200_000));
        const samples: number[] = [];
        for (let r = 0; r < settings.rounds; r++) samples.push(timeNs(own.run, settings.n));
        return median(samples);
      });
      const alone = single.find((s) => s.name === c.name)!.ns;
      contended.push([c.name, alone.toFixed(2), times.toFixed(2), `${(times / alone).toFixed(2)}×`]);
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
      ? formatTable(['operation', 'ns/op alone', 'ns/op with a second writer', 'slowdown'], contended)
      : '(skipped: this machine has one CPU)',
  ].join('\n');
}
