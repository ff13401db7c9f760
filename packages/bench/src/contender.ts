// A second writer for the contended benchmarks: opens the same heap (MPMETRICS_DIR), finds the same series, and
// runs one case in a loop until told to stop on stdin.
import { Heap } from '@mpmetrics/core';
import { heapCases } from './heap-cases.js';

const [caseName, seriesName] = process.argv.slice(2);
const heap = Heap.open();
const target = heapCases(heap, seriesName!).find((c) => c.name === caseName);
if (target === undefined) throw new Error(`contender: no case named ${caseName}`);
let running = true;
process.stdin.on('data', () => (running = false));
process.stdout.write('ready\n');
const loop = (): void => {
  const until = Date.now() + 20;
  while (Date.now() < until) target.run(10_000);
  if (running) setImmediate(loop);
  else process.exit(0);
};
loop();
