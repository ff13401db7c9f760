// @mpmetrics/express: request metrics exact across every worker.
export { metricsMiddleware } from './middleware.js';
export type { ExpressMetricsOptions } from './middleware.js';
