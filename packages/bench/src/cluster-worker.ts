// A node:cluster worker of the AggregatorRegistry benchmark: fills `count` labeled histogram series in
// prom-client's global registry (the same series the scrape writers put in the heap), then tells the primary.
// prom-client answers the primary's clusterMetrics() requests once an AggregatorRegistry exists in the worker.
import { AggregatorRegistry, Histogram } from 'prom-client';
import { fillScrapeSeries } from './scrape-series.js';

fillScrapeSeries(new Histogram({ name: 'bench_scrape_seconds', help: 'Scrape benchmark', labelNames: ['route', 'method'] }), Number(process.env.BENCH_SERIES));
new AggregatorRegistry(); // installs the worker's answer to the primary's requests
process.send!('ready');
