// The second writer of the metric contention benchmark: declares the same histogram in the same heap
// (MPMETRICS_DIR) and observes into the same series while told to (see contention.ts).
import { Histogram } from '@mpmetrics/core';
import { serveContender } from './contention.js';
import { CONTENDED_HISTOGRAM } from './metric-contention.js';

const histogram = new Histogram({ ...CONTENDED_HISTOGRAM, registers: [] });
const child = histogram.labels('/contended');
serveContender((count) => {
  for (let i = 0; i < count; i++) child.observe(0.042);
});
