// Native histogram buckets, as the Prometheus native histogram spec defines them: at schema s, bucket `key` holds
// the values in (2^((key − 1)·2^−s), 2^(key·2^−s)], positive and negative values alike by their magnitude. The key
// is found from the value's binary exponent and a table search (never from Math.log2, which rounds some values
// at a boundary into the wrong bucket), with Prometheus's boundary table, so that keys agree with the server's.
import { SCHEMA_8_FRACTIONS } from './native-bounds.js';

/** The schemas of the spec: 8 is the finest (2^(1/256) a bucket), −4 the coarsest (2^16). */
export const MAX_SCHEMA = 8;
export const MIN_SCHEMA = -4;

/** client_golang's default zero threshold, 2^−128: above 0, so an empty native histogram still looks native. */
export const DEFAULT_ZERO_THRESHOLD = 2 ** -128;

/**
 * The largest schema whose bucket factor 2^(2^−schema) is at most `factor`, as client_golang picks it: 1.1 gives 3
 * (factor 1.09), 2 gives 0; a factor past 2^16 gives −4, one below 2^(1/256) gives 8.
 */
export function schemaForFactor(factor: number): number {
  const floor = Math.floor(Math.log2(Math.log2(factor)));
  if (floor <= -MAX_SCHEMA) return MAX_SCHEMA;
  if (floor >= -MIN_SCHEMA) return MIN_SCHEMA;
  return 0 - floor || 0; // never −0
}

// frexp without allocation: a double's bits through two views of one buffer
const bits = new Float64Array(1);
const words = new Uint32Array(bits.buffer);
const HIGH = 1; // the word holding sign and exponent (little-endian, as on x86-64 and arm64)

/**
 * Where a hot path stages the magnitude for stagedKey(): a double passed to a function V8 does not inline is boxed,
 * an allocation per observation.
 */
export const STAGED_MAGNITUDE: Float64Array = bits;

/** The key of the bucket holding `magnitude` (finite, above 0) at `schema`. */
export function bucketKey(magnitude: number, schema: number): number {
  bits[0] = magnitude;
  return stagedKey(schema);
}

/**
 * bucketKey() of the magnitude in STAGED_MAGNITUDE: the frac/exponent split of the double (magnitude = frac·2^exp,
 * frac in [0.5, 1)), then the first boundary at or above frac. Overwrites the staged value.
 */
export function stagedKey(schema: number): number {
  const high = words[HIGH]!;
  const biased = (high >>> 20) & 0x7ff;
  // subnormals and coarse schemas on their own, keeping this (the hot path) small enough for V8 to inline
  if (biased === 0 || schema <= 0) return otherKey(schema);
  words[HIGH] = (high & 0x800fffff) | (1022 << 20);
  return fractionIndex(schema) + (biased - 1023) * (1 << schema);
}

/**
 * The first of the schema's 2^schema fractions at or above the frac staged in `bits` (2^schema when frac is above
 * them all: bucket 0 of the next exponent).
 */
function fractionIndex(schema: number): number {
  const frac = bits[0]!;
  const stride = 1 << (MAX_SCHEMA - schema);
  let lo = 0;
  let hi = 1 << schema;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (SCHEMA_8_FRACTIONS[mid * stride]! < frac) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** stagedKey() of a subnormal magnitude, or at a schema of 0 or below. */
function otherKey(schema: number): number {
  let biased = (words[HIGH]! >>> 20) & 0x7ff;
  let exp: number;
  if (biased === 0) {
    // subnormal: scale into the normal range first (exact), and take the scale back out of the exponent
    bits[0] = bits[0]! * 2 ** 64;
    biased = (words[HIGH]! >>> 20) & 0x7ff;
    exp = biased - 1022 - 64;
  } else exp = biased - 1022;
  words[HIGH] = (words[HIGH]! & 0x800fffff) | (1022 << 20);
  // subnormal at a fine schema: the search, with the exponent kept apart
  if (schema > 0) return fractionIndex(schema) + (exp - 1) * (1 << schema);
  const frac = bits[0]!;
  // a power of two ends its bucket; above that, the exponent's buckets merge 2^−schema at a time
  const key = frac === 0.5 ? exp - 1 : exp;
  const shift = -schema;
  return (key + (1 << shift) - 1) >> shift;
}

/** frac·2^exp with one rounding, whatever the exponent (2 ** exp alone is 0 below −1074 and Infinity above 1023). */
function ldexp(frac: number, exp: number): number {
  if (exp > 1000) return frac * 2 ** (exp - 100) * 2 ** 100;
  if (exp < -1000) return frac * 2 ** (exp + 100) * 2 ** -100;
  return frac * 2 ** exp;
}

/**
 * The upper bound of bucket `key` at `schema`, computed as Prometheus does: the boundary of the last bucket below
 * +Inf (2^1024) is Number.MAX_VALUE.
 */
export function bucketUpperBound(key: number, schema: number): number {
  if (schema <= 0) {
    const exp = key * 2 ** -schema;
    return exp >= 1024 ? Number.MAX_VALUE : ldexp(1, exp);
  }
  const n = 1 << schema;
  const frac = SCHEMA_8_FRACTIONS[(key & (n - 1)) << (MAX_SCHEMA - schema)]!;
  const exp = (key >> schema) + 1;
  return frac === 0.5 && exp >= 1025 ? Number.MAX_VALUE : ldexp(frac, exp);
}

/** The key at schema − `steps` of the bucket `key`: each step merges buckets 2k − 1 and 2k into k (a ceiling). */
export function coarserKey(key: number, steps: number): number {
  return steps === 0 ? key : (key + (1 << steps) - 1) >> steps;
}
