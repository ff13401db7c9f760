// The request metrics of one middleware or plugin: `http_request_duration_seconds` (histogram; method, route,
// status_code and any extra labels), `http_requests_in_flight` (gauge, one value for all processes), and on request
// `http_request_size_bytes` / `http_response_size_bytes`. All live in the shared heap, so every worker's requests
// land in the same series. Per request: a cached child lookup through nested Maps and a few shared-memory writes.
import { Gauge, Histogram, type GaugeChild, type HistogramChild } from '@mpmetrics/core';
import { OWN_LABELS, type ResolvedOptions } from './options.js';
import { statusLabel } from './status-label.js';

/** Response sizes in bytes: 100 B … 10 MB. */
const SIZE_BUCKETS = [100, 1000, 10_000, 100_000, 1_000_000, 10_000_000];

type Children = Map<string, Map<string, Map<string, HistogramChild>>>;

export class RequestMetrics<Req> {
  readonly duration: Histogram<string>;
  readonly inFlight: Gauge<string>;
  readonly requestSize: Histogram<string> | undefined;
  readonly responseSize: Histogram<string> | undefined;
  readonly #options: ResolvedOptions<Req>;
  readonly #inFlight: GaugeChild;
  readonly #children: Children = new Map();
  readonly #labelNames: string[];

  constructor(options: ResolvedOptions<Req>) {
    this.#options = options;
    const { metricPrefix: prefix, registry } = options;
    this.#labelNames = [...OWN_LABELS, ...options.extraLabels.map(([name]) => name)];
    const declare = <M>(make: () => M): M => {
      try {
        return make();
      } catch (error) {
        if (error instanceof Error && 'code' in error) {
          // a core error about an option we passed on (buckets) or a conflicting family: say whose it is
          (error as { message: string }).message = `${options.packageName}: ${error.message}`;
        }
        throw error;
      }
    };
    this.duration = declare(
      () =>
        new Histogram({
          name: `${prefix}http_request_duration_seconds`,
          help: 'Duration of HTTP requests in seconds, by method, route template and status code',
          labelNames: this.#labelNames,
          registers: [registry],
          ...(options.buckets === undefined ? {} : { buckets: options.buckets }),
        }),
    );
    this.inFlight = declare(() => new Gauge({ name: `${prefix}http_requests_in_flight`, help: 'HTTP requests being served, by all processes', registers: [registry] }));
    this.#inFlight = this.inFlight.labels();
    const sizes = (name: string, help: string, buckets: number[] | undefined | false): Histogram<string> | undefined =>
      buckets === false ? undefined : declare(() => new Histogram({ name: `${prefix}${name}`, help, labelNames: this.#labelNames, buckets: buckets ?? SIZE_BUCKETS, registers: [registry] }));
    this.requestSize = sizes('http_request_size_bytes', 'Size of HTTP request bodies in bytes (Content-Length)', options.requestSizes);
    this.responseSize = sizes('http_response_size_bytes', 'Size of HTTP response bodies in bytes (Content-Length)', options.responseSizes);
  }

  /** Whether requests with this method are recorded at all. */
  records(method: string): boolean {
    return !this.#options.excludeMethods.has(method);
  }

  /** A request starts: counts it in flight and returns its start time. */
  begin(): number {
    this.#inFlight.inc();
    return performance.now();
  }

  /**
   * The request that began at `start` is over (answered, failed or aborted). `route` is the route template with
   * its mount prefixes (undefined when no route matched), `statusCode` the final status (499 when the client went
   * away first), the sizes from Content-Length when known. Positional, so a request allocates nothing here.
   */
  end(start: number, request: Req, method: string, route: string | undefined, statusCode: number, requestBytes?: number, responseBytes?: number): void {
    const seconds = (performance.now() - start) / 1000;
    this.#inFlight.dec();
    const options = this.#options;
    const template = route ?? options.unmatchedRoute;
    if (options.excludeRoutes.has(template)) return;
    for (const pattern of options.excludePatterns) if (pattern.test(template)) return;
    const status = statusLabel(statusCode, options.groupStatusCodes);
    if (options.extraLabels.length === 0 && this.requestSize === undefined && this.responseSize === undefined) {
      this.#child(method, template, status).observe(seconds);
      return;
    }
    const labels: Record<string, string | number> = { method, route: template, status_code: status };
    for (const [name, value] of options.extraLabels) labels[name] = typeof value === 'string' ? value : value(request);
    this.duration.observe(labels, seconds);
    if (this.requestSize !== undefined && requestBytes !== undefined) this.requestSize.observe(labels, requestBytes);
    if (this.responseSize !== undefined && responseBytes !== undefined) this.responseSize.observe(labels, responseBytes);
  }

  /** The duration child of (method, route, status), found without building a label object or a key string. */
  #child(method: string, route: string, status: string): HistogramChild {
    let routes = this.#children.get(method);
    if (routes === undefined) this.#children.set(method, (routes = new Map()));
    let statuses = routes.get(route);
    if (statuses === undefined) routes.set(route, (statuses = new Map()));
    let child = statuses.get(status);
    if (child === undefined) statuses.set(status, (child = this.duration.labels(method, route, status)));
    return child;
  }
}
