// The options every integration takes, checked once when the middleware or plugin is made. Errors start with the
// integration's package name and say which option, what was expected and what was received.
import { MpmetricsRangeError, MpmetricsTypeError } from '@mpmetrics/core';
import { register as globalRegister, type Registry } from 'prom-client';

/** A label added to every request's series: a constant, or computed from the request. */
export type ExtraLabel<Req> = string | ((request: Req) => string | number);

export interface HttpMetricsOptions<Req> {
  /** Upper bounds of `http_request_duration_seconds`, in seconds. Default: prom-client's default buckets. */
  buckets?: number[];
  /** Put before every metric name, e.g. `"myapp_"`. Default: none. (Not `prefix`: Fastify takes that one.) */
  metricPrefix?: string;
  /** The path that serves the metrics of every process (GET), or `false` to serve none. Default: `"/metrics"`. */
  metricsPath?: string | false;
  /** Route templates (`"/health"`) or patterns not to record. */
  excludeRoutes?: (string | RegExp)[];
  /** HTTP methods not to record, e.g. `["OPTIONS"]`. */
  excludeMethods?: string[];
  /** More labels on the request metrics: name → constant value, or a function of the request. */
  extraLabels?: Record<string, ExtraLabel<Req>>;
  /** Record `status_code` as its class (`"2xx"`, `"4xx"`) instead of the code. Default: false. */
  groupStatusCodes?: boolean;
  /** Also record `http_request_size_bytes` (from Content-Length), with these buckets or the defaults. */
  requestSizes?: boolean | number[];
  /** Also record `http_response_size_bytes` (from Content-Length), with these buckets or the defaults. */
  responseSizes?: boolean | number[];
  /** The prom-client registry the metrics are registered in. Default: prom-client's global `register`. */
  registry?: Registry;
  /** The `route` label of a request no route matched (never the raw URL). Default: `"#unmatched"`. */
  unmatchedRoute?: string;
  /**
   * Serve /metrics from a buffer that later scrapes reuse once the response is sent, instead of fresh memory.
   * Default: false, as any hook or middleware that keeps the body would then see a later scrape's bytes.
   */
  reuseMetricsBuffer?: boolean;
}

export interface ResolvedOptions<Req> {
  readonly packageName: string;
  readonly buckets: number[] | undefined;
  readonly metricPrefix: string;
  readonly metricsPath: string | false;
  readonly excludeRoutes: ReadonlySet<string>;
  readonly excludePatterns: readonly RegExp[];
  readonly excludeMethods: ReadonlySet<string>;
  readonly extraLabels: readonly (readonly [string, ExtraLabel<Req>])[];
  readonly groupStatusCodes: boolean;
  readonly requestSizes: number[] | undefined | false;
  readonly responseSizes: number[] | undefined | false;
  readonly registry: Registry;
  readonly unmatchedRoute: string;
  readonly reuseMetricsBuffer: boolean;
}

const KNOWN = new Set([
  'buckets',
  'metricPrefix',
  'metricsPath',
  'excludeRoutes',
  'excludeMethods',
  'extraLabels',
  'groupStatusCodes',
  'requestSizes',
  'responseSizes',
  'registry',
  'unmatchedRoute',
  'reuseMetricsBuffer',
]);
const PREFIX = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
/** Labels the integrations set themselves. */
export const OWN_LABELS = ['method', 'route', 'status_code'] as const;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof RegExp) return `the pattern ${String(value)}`;
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

/** Throws the TypeError of an option of the wrong type: the package, the option, what was expected and what came. */
function refuseType(packageName: string, option: string, expected: string, received: unknown): never {
  throw new MpmetricsTypeError(`${packageName}: option "${option}" must be ${expected}, received ${describe(received)}`);
}

/**
 * An integration's own boolean option (absent: false), checked as the shared ones are. The integration passes its
 * name to resolveOptions() among its `ownOptions`, so that it is not refused as unknown.
 */
export function booleanOption(packageName: string, options: object | undefined, option: string): boolean {
  const value = (options as Record<string, unknown> | undefined)?.[option];
  if (value === undefined) return false;
  if (typeof value !== 'boolean') refuseType(packageName, option, 'a boolean', value);
  return value;
}

/**
 * Checks the options every integration shares. `ownOptions` names the options the integration itself takes and
 * checks (Express's `shareHiddenClasses`): they are accepted here, and listed when an unknown one is refused.
 */
export function resolveOptions<Req>(packageName: string, options: unknown, ownOptions: readonly string[] = []): ResolvedOptions<Req> {
  const type = (option: string, expected: string, received: unknown): never => refuseType(packageName, option, expected, received);
  const range = (option: string, message: string): never => {
    throw new MpmetricsRangeError(`${packageName}: option "${option}" ${message}`);
  };
  if (options === undefined) options = {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) type('options', 'an object', options);
  const o = options as HttpMetricsOptions<Req>;
  for (const key of Object.keys(o)) {
    if (!KNOWN.has(key) && !ownOptions.includes(key)) range(key, `is not an option of ${packageName} (its options: ${[...KNOWN, ...ownOptions].join(', ')})`);
  }

  if (o.buckets !== undefined && !Array.isArray(o.buckets)) type('buckets', 'an array of numbers', o.buckets);
  const metricPrefix = o.metricPrefix === undefined ? '' : o.metricPrefix;
  if (typeof metricPrefix !== 'string') type('metricPrefix', 'a string', metricPrefix);
  if (metricPrefix !== '' && !PREFIX.test(metricPrefix)) {
    range('metricPrefix', `must start a valid metric name ([a-zA-Z_:][a-zA-Z0-9_:]*), received ${JSON.stringify(metricPrefix)}`);
  }
  const metricsPath = o.metricsPath === undefined ? '/metrics' : o.metricsPath;
  if (metricsPath !== false && (typeof metricsPath !== 'string' || !metricsPath.startsWith('/'))) {
    type('metricsPath', 'a path starting with "/" or false', metricsPath);
  }

  const excludeRoutes = new Set<string>();
  const excludePatterns: RegExp[] = [];
  if (o.excludeRoutes !== undefined) {
    if (!Array.isArray(o.excludeRoutes)) type('excludeRoutes', 'an array of route templates or RegExps', o.excludeRoutes);
    for (const route of o.excludeRoutes) {
      if (typeof route === 'string') excludeRoutes.add(route);
      else if (route instanceof RegExp) excludePatterns.push(route);
      else type('excludeRoutes', 'an array of route templates or RegExps, holding', route);
    }
  }
  const excludeMethods = new Set<string>();
  if (o.excludeMethods !== undefined) {
    if (!Array.isArray(o.excludeMethods)) type('excludeMethods', 'an array of HTTP methods', o.excludeMethods);
    for (const method of o.excludeMethods) {
      if (typeof method !== 'string' || method === '') type('excludeMethods', 'an array of HTTP methods, holding', method);
      excludeMethods.add(method.toUpperCase());
    }
  }

  const extraLabels: [string, ExtraLabel<Req>][] = [];
  if (o.extraLabels !== undefined) {
    if (typeof o.extraLabels !== 'object' || o.extraLabels === null || Array.isArray(o.extraLabels)) {
      type('extraLabels', 'an object of label name → value or function', o.extraLabels);
    }
    for (const [name, value] of Object.entries(o.extraLabels)) {
      if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name) || name.startsWith('__')) range('extraLabels', `has an invalid label name ${JSON.stringify(name)}`);
      if ((OWN_LABELS as readonly string[]).includes(name) || name === 'le') range('extraLabels', `may not set "${name}", a label the metrics set themselves`);
      if (typeof value !== 'string' && typeof value !== 'function') type(`extraLabels.${name}`, 'a string or a function of the request', value);
      extraLabels.push([name, value]);
    }
  }

  if (o.groupStatusCodes !== undefined && typeof o.groupStatusCodes !== 'boolean') type('groupStatusCodes', 'a boolean', o.groupStatusCodes);
  const sizes = (option: 'requestSizes' | 'responseSizes'): number[] | undefined | false => {
    const value = o[option];
    if (value === undefined || value === false) return false;
    if (value === true) return undefined; // the default buckets
    if (!Array.isArray(value)) type(option, 'a boolean or an array of bucket bounds', value);
    return value as number[];
  };
  const registry = o.registry === undefined ? globalRegister : o.registry;
  if (typeof (registry as Registry | null)?.registerMetric !== 'function') type('registry', 'a prom-client Registry', registry);
  const unmatchedRoute = o.unmatchedRoute === undefined ? '#unmatched' : o.unmatchedRoute;
  if (typeof unmatchedRoute !== 'string') type('unmatchedRoute', 'a string', unmatchedRoute);
  if (o.reuseMetricsBuffer !== undefined && typeof o.reuseMetricsBuffer !== 'boolean') type('reuseMetricsBuffer', 'a boolean', o.reuseMetricsBuffer);

  return {
    packageName,
    buckets: o.buckets,
    metricPrefix,
    metricsPath,
    excludeRoutes,
    excludePatterns,
    excludeMethods,
    extraLabels,
    groupStatusCodes: o.groupStatusCodes ?? false,
    requestSizes: sizes('requestSizes'),
    responseSizes: sizes('responseSizes'),
    registry,
    unmatchedRoute,
    reuseMetricsBuffer: o.reuseMetricsBuffer ?? false,
  };
}
