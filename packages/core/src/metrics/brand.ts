// One brand on every metric class of ours, by Symbol.for: it holds across two copies of this package in one
// process (its ESM and CommonJS builds), where `instanceof` does not.
import type { SharedMetric } from './metric.js';

export const kMetricBrand = Symbol.for('mpmetrics.metric');

/** Whether `value` is a metric of @mpmetrics/core (any type, any copy of the package): its values are in a heap. */
export function isMpmetricsMetric(value: unknown): value is SharedMetric<string, unknown> {
  return typeof value === 'object' && value !== null && (value as { [kMetricBrand]?: unknown })[kMetricBrand] === true;
}
