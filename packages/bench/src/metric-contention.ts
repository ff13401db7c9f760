// Two processes updating one histogram series: what the second writer costs the first. Our cached child's
// observe() is timed in this process alone and while a second process observes into the very same series
// (contention.ts).
import { fileURLToPath } from 'node:url';
import { Histogram } from '@mpmetrics/core';
import { measureContention, type ContentionResult } from './contention.js';

export const CONTENDED_HISTOGRAM = { name: 'bench_contended_seconds', help: 'Contention benchmark', labelNames: ['route'] };

export function measureHistogramContention(rounds: number, n: number): Promise<ContentionResult> {
  const histogram = new Histogram({ ...CONTENDED_HISTOGRAM, registers: [] });
  const child = histogram.labels('/contended');
  const run = (count: number): void => {
    for (let i = 0; i < count; i++) child.observe(0.042);
  };
  return measureContention(fileURLToPath(new URL('./metric-contender.ts', import.meta.url)), [], run, rounds, n);
}
