// One of the writer processes of the scrape benchmarks: fills the scrape series in the shared heap
// (MPMETRICS_DIR), then exits (its cells stay in the heap, counted).
import { Histogram } from '@mpmetrics/core';
import { fillScrapeSeries } from './scrape-series.js';

fillScrapeSeries(new Histogram({ name: 'bench_scrape_seconds', help: 'Scrape benchmark', labelNames: ['route', 'method'], registers: [], maxSeries: Infinity }), Number(process.argv[2]));
