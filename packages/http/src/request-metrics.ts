// The request metrics of one middleware or plugin: `http_request_duration_seconds` (histogram; method, route,
// status_code and any extra labels), `http_requests_in_flight` (gauge, summed over the live processes), and on
// request `http_request_size_bytes` / `http_response_size_bytes`. All live in the shared heap, so every worker's
// requests land in the same series. Per request: one 'close' listener (a closure over the start time and the
// request, since state kept on the response costs property accesses that miss V8's caches where the response's
// hidden class is its own), then a cached child lookup through nested Maps and a few shared-memory writes. Node's
// HTTP diagnostics channels in place of the listener cost more: see docs/benchmarks-journal.md, "Tried and
// dropped: Node's HTTP diagnostics channels".
import type { ServerResponse } from 'node:http';
import { Gauge, Histogram, type GaugeChild, type HistogramChild } from '@mpmetrics/core';
import { OWN_LABELS, type ResolvedOptions } from './options.js';
import { CLIENT_CLOSED_REQUEST, contentLength } from './request-facts.js';
import { statusLabel } from './status-label.js';

/** Response sizes in bytes: 100 B … 10 MB. */
const SIZE_BUCKETS = [100, 1000, 10_000, 100_000, 1_000_000, 10_000_000];

type Children = Map<string, Map<string, Map<string, HistogramChild>>>;

/** How an integration reads its framework's request once the response has closed. */
export interface RouteOf<Req> {
  /** The route template with its mount prefixes; undefined when no route matched. */
  (request: Req): string | undefined;
}

/** Where the response's headers are read (the framework's reply when it keeps them, else the response). */
export interface ResponseHeaders {
  getHeader(name: string): unknown;
}

/** How many kinds of failure are warned about, each once; past it, all further ones are one kind. */
const MAX_WARNED_KINDS = 64;

export class RequestMetrics<Req> {
  readonly duration: Histogram<string>;
  readonly inFlight: Gauge<string>;
  readonly requestSize: Histogram<string> | undefined;
  readonly responseSize: Histogram<string> | undefined;
  readonly #options: ResolvedOptions<Req>;
  readonly #inFlight: GaugeChild;
  readonly #children: Children = new Map();
  readonly #labelNames: string[];
  readonly #routeOf: RouteOf<Req>;
  readonly #sizes: boolean;
  /** The methods not recorded, or undefined when none: a request then skips the Set. */
  readonly #excludeMethods: ReadonlySet<string> | undefined;
  /** Whether the route templates or patterns exclude any, so that a request without exclusions skips both. */
  readonly #excludesRoutes: boolean;
  readonly #warned = new Set<string>();

  constructor(options: ResolvedOptions<Req>, routeOf: RouteOf<Req>) {
    this.#options = options;
    this.#routeOf = routeOf;
    this.#excludeMethods = options.excludeMethods.size === 0 ? undefined : options.excludeMethods;
    this.#excludesRoutes = options.excludeRoutes.size !== 0 || options.excludePatterns.length !== 0;
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
    // Each process counts its own requests in its own cell (plain stores), and a scrape sums the live processes: a
    // worker that died mid-request leaves nothing in flight, and no two workers update one word.
    this.inFlight = declare(
      () => new Gauge({ name: `${prefix}http_requests_in_flight`, help: 'HTTP requests being served, by all live processes', multiprocessMode: 'livesum', registers: [registry] }),
    );
    this.#inFlight = this.inFlight.labels();
    const sizes = (name: string, help: string, buckets: number[] | undefined | false): Histogram<string> | undefined =>
      buckets === false ? undefined : declare(() => new Histogram({ name: `${prefix}${name}`, help, labelNames: this.#labelNames, buckets: buckets ?? SIZE_BUCKETS, registers: [registry] }));
    this.requestSize = sizes('http_request_size_bytes', 'Size of HTTP request bodies in bytes (Content-Length)', options.requestSizes);
    this.responseSize = sizes('http_response_size_bytes', 'Size of HTTP response bodies in bytes (Content-Length)', options.responseSizes);
    this.#sizes = this.requestSize !== undefined || this.responseSize !== undefined;
  }

  /**
   * Records the request `request` (what the route reader and extra labels are given) with HTTP method `method`,
   * answered by `res`, unless its method is excluded: counted in flight until `res` closes, then observed with its
   * route, its final status (499 when the application had not ended the response: the client went away first) and,
   * on request, sizes. The integration passes the method it has at hand, so that none is read twice: a property
   * read off an object whose hidden class is its own (as Express's are under Node 20 to 23, unless its middleware's
   * `shareHiddenClasses` is on) misses V8's caches (docs/benchmarks-journal.md, "Express's per-request hidden classes").
   * `route`: the route template when the framework has matched it already (Fastify), so that it is not read
   * again at the end; undefined to read it then.
   */
  track(request: Req, res: ServerResponse, method: string, headers: ResponseHeaders = res, route?: string): void {
    if (this.#excludeMethods?.has(method) === true) return;
    const start = performance.now();
    this.#inFlight.inc();
    res.on('close', () => {
      try {
        this.#end(start, request, method, res, headers, route);
      } catch (error) {
        this.#notRecorded(error);
      }
    });
  }

  /**
   * A request that could not be recorded (an extra label function threw or gave a bad value, or a new label set
   * is past the metric's cardinality limit) must not take the application down from a 'close' listener: it is
   * left out, with a process warning, once per kind of error.
   */
  #notRecorded(error: unknown): void {
    const code = (error as { code?: unknown } | null)?.code;
    // errors without a code are told apart by message, which may vary without end: the set stays bounded
    const kind = typeof code === 'string' ? code : this.#warned.size < MAX_WARNED_KINDS ? String((error as Error | null)?.message ?? error) : 'uncoded';
    if (this.#warned.has(kind)) return;
    this.#warned.add(kind);
    process.emitWarning(`${this.#options.packageName}: a request was not recorded (${String((error as Error | null)?.message ?? error)}); further ones failing the same way are left out silently`, {
      type: 'MpmetricsWarning',
      code: 'MPM_WARN_REQUEST_NOT_RECORDED',
    });
  }

  #end(start: number, request: Req, method: string, res: ServerResponse, headers: ResponseHeaders, route: string | undefined): void {
    const seconds = (performance.now() - start) / 1000;
    this.#inFlight.dec();
    const options = this.#options;
    const template = route ?? this.#routeOf(request) ?? options.unmatchedRoute;
    if (this.#excludesRoutes && this.#excluded(template)) return;
    const status = statusLabel(res.writableEnded ? res.statusCode : CLIENT_CLOSED_REQUEST, options.groupStatusCodes);
    if (options.extraLabels.length === 0 && !this.#sizes) {
      this.#child(method, template, status).observe(seconds);
      return;
    }
    const labels: Record<string, string | number> = { method, route: template, status_code: status };
    for (const [name, value] of options.extraLabels) labels[name] = typeof value === 'string' ? value : value(request);
    this.duration.observe(labels, seconds);
    const requestBytes = contentLength(res.req.headers['content-length']);
    if (this.requestSize !== undefined && requestBytes !== undefined) this.requestSize.observe(labels, requestBytes);
    const responseBytes = contentLength(headers.getHeader('content-length'));
    if (this.responseSize !== undefined && responseBytes !== undefined) this.responseSize.observe(labels, responseBytes);
  }

  /** Whether `template` is one of the excluded route templates or matches an excluded pattern. */
  #excluded(template: string): boolean {
    if (this.#options.excludeRoutes.has(template)) return true;
    for (const pattern of this.#options.excludePatterns) if (pattern.test(template)) return true;
    return false;
  }

  /** The duration child of (method, route, status), found without building a label object or a key string. */
  #child(method: string, route: string, status: string): HistogramChild {
    const child = this.#children.get(method)?.get(route)?.get(status);
    return child ?? this.#newChild(method, route, status);
  }

  /**
   * Makes the child, then links it. Made first, so that a refused label set (past the histogram's `maxSeries`)
   * leaves no Map behind: the cache then holds only children that exist, at most `maxSeries` of them.
   */
  #newChild(method: string, route: string, status: string): HistogramChild {
    const child = this.duration.labels(method, route, status);
    let routes = this.#children.get(method);
    if (routes === undefined) this.#children.set(method, (routes = new Map()));
    let statuses = routes.get(route);
    if (statuses === undefined) routes.set(route, (statuses = new Map()));
    statuses.set(status, child);
    return child;
  }
}
