// The body of GET /metrics: every family in the shared heap, whichever process declared it (so any worker answers
// for all of them), followed by the metrics of the registry that are not in the heap (prom-client's own, e.g. its
// default metrics of this process). Prometheus text or OpenMetrics, as the Accept header asks. Every collect()
// runs once: the exporter runs those of the metrics declared here, prom-client those of its own metrics. A client
// that prefers the protobuf exposition (a Prometheus scraping native histograms) gets it, prom-client's metrics
// included: prom-client cannot write protobuf, so they are read as JSON and written by @mpmetrics/core.
import type { ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { HeapExporter, PROTOBUF_CONTENT_TYPE, contentTypeOf, isMpmetricsMetric, negotiateScrapeFormat } from '@mpmetrics/core';
import { Registry } from 'prom-client';

export interface MetricsResponse {
  readonly contentType: string;
  /**
   * UTF-8, never made a string. By default a fresh Buffer the user's hooks may keep; with `reuse`, a buffer lent by
   * @mpmetrics/core (HeapExporter.leaseMetricsBytes) that a later scrape writes into once `release()` is called: so a
   * response gives it back only after sending it (releaseWhenSent).
   */
  readonly body: Buffer;
  /** Gives a lent body's buffer back for a later scrape (a fresh body: does nothing). Again: nothing; never: safe. */
  release(): void;
}

const noRelease = (): void => {};

const heapExporter = new HeapExporter();

/** `reuse` is the integrations' `reuseMetricsBuffer` option: lend the body instead of copying it out. */
export async function metricsResponse(registry: Registry, accept: string | undefined, reuse = false): Promise<MetricsResponse> {
  const format = negotiateScrapeFormat(accept);
  const others = registry.getMetricsAsArray().filter((metric) => !isMpmetricsMetric(metric));
  if (format === 'protobuf') {
    let json: Awaited<ReturnType<Registry['getMetricsAsJSON']>> = [];
    if (others.length > 0) {
      const registryOfOthers = new Registry();
      for (const metric of others) registryOfOthers.registerMetric(metric as never);
      json = await registryOfOthers.getMetricsAsJSON();
    }
    return { contentType: PROTOBUF_CONTENT_TYPE, body: await heapExporter.protobufBytes(json), release: noRelease };
  }
  let rest: string | undefined;
  if (others.length > 0) {
    const registryOfOthers = new Registry<'text/plain; version=0.0.4; charset=utf-8' | 'application/openmetrics-text; version=1.0.0; charset=utf-8'>();
    if (format === 'openmetrics') registryOfOthers.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    for (const metric of others) registryOfOthers.registerMetric(metric as never);
    // prom-client's OpenMetrics registry strips _total from its counters' `name` for good; these metrics belong to
    // the user's registry (and the next scrape may be text), so their names are put back
    const names = others.map((metric) => metric.name);
    try {
      rest = await registryOfOthers.metrics();
    } finally {
      others.forEach((metric, i) => (metric.name = names[i]!));
    }
  }
  // the heap is read last, each series written as it is read: prom-client's text goes after the heap's families,
  // into the same buffer (in OpenMetrics it ends with the one `# EOF`)
  if (!reuse) return { contentType: contentTypeOf(format), body: await heapExporter.metricsBytes(format, rest), release: noRelease };
  const lease = await heapExporter.leaseMetricsBytes(format, rest);
  return { contentType: contentTypeOf(format), body: lease.bytes, release: () => lease.release() };
}

/**
 * Gives the body's buffer back once `res` has handed all of it to the OS: on a net.Socket (TLSSocket included),
 * Node emits 'finish' from the callback of the response's last write, which libuv calls once the kernel has the
 * bytes. In every other case the response keeps its buffer for GC, and no scrape writes into it meanwhile:
 * - no socket yet (a pipelined request);
 * - a connection that is not a net.Socket (a Duplex given by `server.emit('connection', ...)`): its write callback
 *   may come while the chunk still sits, by reference, in its peer's queue;
 * - a socket destroyed by 'finish': Node calls a write cancelled by it back as done too (a client that leaves
 *   mid-body still gets 'finish'). libuv has cancelled that write, so releasing would likely be safe: not
 *   releasing is conservative.
 * Under HTTP/2's compatibility API the buffer is never released: the proxy socket is already destroyed at 'finish'.
 * `response` may be a metricsResponse() or core's ExpositionLease: anything with the `release()` to call.
 */
export function releaseWhenSent(res: ServerResponse, response: Pick<MetricsResponse, 'release'>): void {
  // taken now: Node detaches the socket from the response before this 'finish' listener runs
  const socket = res.socket;
  if (!(socket instanceof Socket)) return;
  res.once('finish', () => {
    if (!socket.destroyed) response.release();
  });
}
