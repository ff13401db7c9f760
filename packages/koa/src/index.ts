// @mpmetrics/koa: request metrics exact across every worker.
export { metricsMiddleware } from './middleware.js';
export type { KoaMetricsOptions } from './middleware.js';
