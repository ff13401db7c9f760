// @mpmetrics/http: what the Express, Fastify and Koa integrations share.
export { booleanOption, resolveOptions, OWN_LABELS } from './options.js';
export type { ExtraLabel, HttpMetricsOptions, ResolvedOptions } from './options.js';
export { RequestMetrics } from './request-metrics.js';
export type { ResponseHeaders, RouteOf } from './request-metrics.js';
export { metricsResponse, releaseWhenSent } from './metrics-response.js';
export type { MetricsResponse } from './metrics-response.js';
export { statusLabel } from './status-label.js';
export { contentLength, CLIENT_CLOSED_REQUEST } from './request-facts.js';
