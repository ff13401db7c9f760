// Two processes updating one histogram series: what the second writer costs the first. Our cached child's
// observe() is timed in this process alone and while a second process observes into the very same series
// (contention.ts).
import { fileURLToPath } from 'node:url';
import { Histogram } from '@mpmetrics/core';
import { measureContention, type ContentionResult } from './contention.js';

/**
 * What each of the two processes runs: `count` observations into the one series of a histogram declared alike in
 * both (same heap, MPMETRICS_DIR).
 */
export function contendedObservations(): (count: number) => void {
  const histogram = new Histogram({ name: 'bench_contended_seconds', help: 'Contention benchmark', labelNames: ['route'], registers: [] });
  const child = histogram.labels('/contended');
  return (count) => {
    for (let i = 0; i < count; i++) child.observe(0.042);
  };
}

export function measureHistogramContention(rounds: number, n: number): Promise<ContentionResult> {
  return measureContention(fileURLToPath(new URL('./metric-contender.ts', import.meta.url)), [], contendedObservations(), rounds, n);
}
