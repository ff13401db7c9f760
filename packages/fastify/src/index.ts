// @mpmetrics/fastify: request metrics exact across every worker.
export { mpmetrics, mpmetrics as default } from './plugin.js';
export type { FastifyMetricsOptions } from './plugin.js';
