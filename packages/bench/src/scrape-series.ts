// The series every scrape benchmark exports, written the same way into prom-client and mpmetrics histograms:
// `count` label sets of (route, method), 20 observations each.
interface Labeled {
  labels(...values: string[]): { observe(value: number): void };
}

export function fillScrapeSeries(histogram: Labeled, count: number): void {
  for (let i = 0; i < count; i++) {
    const child = histogram.labels(`/route/${i}`, i % 2 === 0 ? 'GET' : 'POST');
    for (let j = 0; j < 20; j++) child.observe((i % 97) / 10 + j / 100);
  }
}
