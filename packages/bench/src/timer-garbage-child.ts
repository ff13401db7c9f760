// One process of the timer garbage count (timer-garbage.ts): warms up `kind`'s timer, then prints the number of
// garbage collections while it runs argv[3] unlabeled startTimer()() calls.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { Heap, Histogram } from '@mpmetrics/core';
import * as pc from 'prom-client';
import type { TimerKind } from './timer-garbage.js';

const kind = process.argv[2] as TimerKind;
const calls = Number(process.argv[3]);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-bench-timer-'));
const heap = Heap.open({ dir });
const ours = new Histogram({ name: 'timer_seconds', help: 'h', heap, registers: [] });
const theirs = new pc.Histogram({ name: 'timer_seconds', help: 'h', registers: [] });
const floor = (): (() => number) => {
  const start = process.hrtime.bigint();
  return () => Number(process.hrtime.bigint() - start) / 1e9;
};
const start = { ours: () => ours.startTimer(), promClient: () => theirs.startTimer(), floor }[kind];
let sink = 0;
const run = (n: number): void => {
  for (let i = 0; i < n; i++) sink += start()();
};
run(200_000); // let V8 optimise first
let events = 0;
const observer = new PerformanceObserver((list) => (events += list.getEntries().length));
observer.observe({ entryTypes: ['gc'] });
run(calls);
await new Promise((resolve) => setTimeout(resolve, 50)); // gc entries arrive asynchronously
observer.disconnect();
heap.close();
fs.rmSync(dir, { recursive: true, force: true });
process.stdout.write(`${sink >= 0 ? events : -1}\n`);
