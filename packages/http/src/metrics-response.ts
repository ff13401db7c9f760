// The body of GET /metrics: every family in the shared heap, whichever process declared it (so any worker answers
// for all of them), followed by the metrics of the registry that are not in the heap (prom-client's own, e.g. its
// default metrics of this process). Prometheus text or OpenMetrics, as the Accept header asks. Every collect()
// runs once: the exporter runs those of the metrics declared here, prom-client those of its own metrics.
import { HeapExporter, contentTypeOf, isMpmetricsMetric, negotiateFormat, writeExpositionBytes } from '@mpmetrics/core';
import { Registry } from 'prom-client';

export interface MetricsResponse {
  readonly contentType: string;
  /** UTF-8: the heap's exposition is written as bytes and never made a string (see writeExpositionBytes). */
  readonly body: Buffer;
}

const EOF_LINE = '# EOF\n';

const heapExporter = new HeapExporter();

export async function metricsResponse(registry: Registry, accept: string | undefined): Promise<MetricsResponse> {
  const format = negotiateFormat(accept);
  const heapBytes = writeExpositionBytes(await heapExporter.snapshot(), format);
  const others = registry.getMetricsAsArray().filter((metric) => !isMpmetricsMetric(metric));
  let body = heapBytes;
  if (others.length > 0) {
    const rest = new Registry<'text/plain; version=0.0.4; charset=utf-8' | 'application/openmetrics-text; version=1.0.0; charset=utf-8'>();
    if (format === 'openmetrics') rest.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    for (const metric of others) rest.registerMetric(metric as never);
    // prom-client's OpenMetrics registry strips _total from its counters' `name` for good; these metrics belong to
    // the user's registry (and the next scrape may be text), so their names are put back
    const names = others.map((metric) => metric.name);
    let restText: string;
    try {
      restText = await rest.metrics();
    } finally {
      others.forEach((metric, i) => (metric.name = names[i]!));
    }
    const heap = format === 'openmetrics' ? heapBytes.subarray(0, heapBytes.length - EOF_LINE.length) : heapBytes;
    body = Buffer.concat([heap, Buffer.from(restText)]);
  }
  return { contentType: contentTypeOf(format), body };
}
