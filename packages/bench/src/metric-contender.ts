// The second writer of the metric contention benchmark: declares the same histogram in the same heap
// (MPMETRICS_DIR) and observes into the same series in a loop while told to run. Stdin lines: "run", "pause",
// "stop"; it answers "ready" once, then "running" / "paused" as it switches.
import { createInterface } from 'node:readline';
import { Histogram } from '@mpmetrics/core';
import { CONTENDED_HISTOGRAM } from './metric-contention.js';

const histogram = new Histogram({ ...CONTENDED_HISTOGRAM, registers: [] });
const child = histogram.labels('/contended');
let running = false;
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'stop') process.exit(0);
  running = line === 'run';
  process.stdout.write(running ? 'running\n' : 'paused\n');
});
process.stdout.write('ready\n');
const loop = (): void => {
  if (running) {
    const until = Date.now() + 20;
    while (Date.now() < until) for (let i = 0; i < 10_000; i++) child.observe(0.042);
  }
  setTimeout(loop, running ? 0 : 5);
};
loop();
