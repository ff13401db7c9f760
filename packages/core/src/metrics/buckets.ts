// Bucket generators with prom-client's signatures, and checks that say what was wrong.
import { MpmetricsRangeError } from '../errors.js';
import { checkFinite } from './values.js';

/** `count` buckets: start, start + width, … */
export function linearBuckets(start: number, width: number, count: number): number[] {
  checkFinite(start, '"start"');
  if (checkFinite(width, '"width"') <= 0) throw new MpmetricsRangeError(`"width" must be greater than 0, received ${width}`);
  if (!Number.isInteger(count) || count < 1) throw new MpmetricsRangeError(`"count" must be an integer ≥ 1, received ${count}`);
  return Array.from({ length: count }, (_, i) => start + i * width);
}

/**
 * `count` buckets: start, start·factor, start·factor², … each the previous one times `factor`, as prom-client
 * computes them: the very same doubles, so the `le` labels of a histogram do not change when it moves over.
 */
export function exponentialBuckets(start: number, factor: number, count: number): number[] {
  if (checkFinite(start, '"start"') <= 0) throw new MpmetricsRangeError(`"start" must be greater than 0, received ${start}`);
  if (checkFinite(factor, '"factor"') <= 1) throw new MpmetricsRangeError(`"factor" must be greater than 1, received ${factor}`);
  if (!Number.isInteger(count) || count < 1) throw new MpmetricsRangeError(`"count" must be an integer ≥ 1, received ${count}`);
  const buckets = new Array<number>(count);
  for (let i = 0, bound = start; i < count; i++, bound *= factor) buckets[i] = bound;
  return buckets;
}
