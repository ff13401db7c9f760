// One of the writer processes of the scrape benchmark: fills `count` labeled histogram series in the shared heap
// (MPMETRICS_DIR), then exits (its cells stay in the heap, counted).
import { Histogram } from '@mpmetrics/core';

const count = Number(process.argv[2]);
const histogram = new Histogram({ name: 'bench_scrape_seconds', help: 'Scrape benchmark', labelNames: ['route', 'method'], registers: [] });
for (let i = 0; i < count; i++) {
  const child = histogram.labels(`/route/${i}`, i % 2 === 0 ? 'GET' : 'POST');
  for (let j = 0; j < 20; j++) child.observe((i % 97) / 10 + j / 100);
}
