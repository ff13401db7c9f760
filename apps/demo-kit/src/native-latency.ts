// The demo's native histogram, beside the classic one the integrations record: every request a worker serves
// (GET /metrics aside, as the integrations leave it out too) is observed into `demo_request_duration_native_seconds`,
// native buckets only (nativeHistogramBucketFactor 1.1: schema 3). Its own family rather than native buckets on
// `http_request_duration_seconds`: a Prometheus before 2.45 (no `scrape_classic_histograms`) keeps only the native
// buckets of a histogram that has both, and the dashboard's classic panels would go blank. It is timed at the
// Node HTTP server, not in a framework's middleware, so the three demos share it as they are; and it counts the
// same requests as the classic histogram, so its count equals that histogram's `_count` summed over routes.
// Not exported from the package's root: loading @mpmetrics/core makes a heap, which the fastify launcher must not.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Histogram } from '@mpmetrics/core';

const NATIVE_LATENCY_NAME = 'demo_request_duration_native_seconds';

let histogram: Histogram<string> | undefined;

/** The histogram, declared on first use: in each worker, so that the series shows (empty) before any request. */
function nativeLatency(): Histogram<string> {
  histogram ??= new Histogram({
    name: NATIVE_LATENCY_NAME,
    help: 'Duration of the demo HTTP requests in seconds, every route (GET /metrics aside), as a native histogram',
    nativeHistogramBucketFactor: 1.1,
  });
  return histogram;
}

/** Whether the request is a scrape of /metrics, which the integrations do not record either. */
function isScrape(req: IncomingMessage): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const url = req.url ?? '';
  return url === '/metrics' || url.startsWith('/metrics?');
}

/**
 * Times every request `server` receives, from its 'request' event (before the framework's own listener) until its
 * response closes, into the native histogram. Call it in each worker once its server exists, before it serves.
 */
export function recordNativeLatency(server: Server): void {
  const latency = nativeLatency();
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    if (isScrape(req)) return;
    const start = performance.now();
    res.once('close', () => latency.observe((performance.now() - start) / 1000));
  });
}
