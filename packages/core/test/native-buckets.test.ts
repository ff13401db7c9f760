// Native histogram buckets against the spec: bucket `key` at schema s holds (2^((key−1)/2^s), 2^(key/2^s)], its
// bound as Prometheus computes it (its own table of fractions, not always the nearest double), at every schema
// from 8 to −4, for the smallest and largest magnitudes a double has, and for the values whose bucket Math.log2
// gets wrong.
import { describe, expect, it } from 'vitest';
import { SCHEMA_8_FRACTIONS } from '../src/metrics/native-bounds.js';
import { bucketKey, bucketUpperBound, coarserKey, schemaForFactor } from '../src/metrics/native-buckets.js';

/** The next double above x > 0. */
function nextUp(x: number): number {
  const f = new Float64Array([x]);
  new BigUint64Array(f.buffer)[0]! += 1n;
  return f[0]!;
}

function nextDown(x: number): number {
  const f = new Float64Array([x]);
  new BigUint64Array(f.buffer)[0]! -= 1n;
  return f[0]!;
}

/**
 * The keys at `schema` whose bounds are normal doubles (a subnormal bound is rounded to fewer bits, and may fall in
 * the bucket below: the extremes are checked on their own).
 */
function finiteKeys(schema: number): [number, number] {
  return [bucketKey(2 ** -1021, schema) + 1, bucketKey(Number.MAX_VALUE, schema) - 1];
}

describe('the table of fractions', () => {
  it('holds 2^(i/256 − 1), each within 4 units in the last place of the exact value (the drift of its making)', () => {
    // exact comparison in integers: x = m/2^53 against 2^(i/256 − 1), by raising both to the 256th power
    for (let i = 0; i < 256; i++) {
      const x = SCHEMA_8_FRACTIONS[i]!;
      const m = BigInt(x * 2 ** 53);
      const target = 1n << BigInt(53 * 256 + i - 256);
      expect((m - 4n) ** 256n < target && target < (m + 4n) ** 256n, `entry ${i}`).toBe(true);
    }
  });

  it('is Prometheus\'s: pinned entries, where it is not the nearest double', () => {
    expect(SCHEMA_8_FRACTIONS[128]).toBe(0.7071067811865475); // √½ rounds to …476, Prometheus has …475
    expect(SCHEMA_8_FRACTIONS[6]).toBe(0.5081891574554764);
    expect(SCHEMA_8_FRACTIONS[255]).toBe(0.9972960560854698);
    expect(SCHEMA_8_FRACTIONS[0]).toBe(0.5);
  });
});

describe('schemaForFactor', () => {
  it('picks the coarsest standard schema within the factor, as client_golang does', () => {
    expect(schemaForFactor(1.1)).toBe(3);
    expect(schemaForFactor(2)).toBe(0);
    expect(Object.is(schemaForFactor(2), 0)).toBe(true);
    expect(schemaForFactor(1.5)).toBe(1);
    expect(schemaForFactor(4)).toBe(-1);
    expect(schemaForFactor(1.0001)).toBe(8);
    expect(schemaForFactor(2 ** 2 ** 4)).toBe(-4);
    expect(schemaForFactor(1e300)).toBe(-4);
    expect(schemaForFactor(2 ** 2 ** -3)).toBe(3);
  });
});

describe.each([8, 7, 5, 3, 1, 0, -1, -2, -4])('schema %i', (schema) => {
  const [first, last] = finiteKeys(schema);
  const keys: number[] = [];
  for (let k = first; k <= last; k += Math.max(1, Math.floor((last - first) / 4000))) keys.push(k);
  keys.push(last, -1, 0, 1, 2);

  it('puts a bucket\'s upper bound in the bucket, and the next double above it in the next one', () => {
    for (const k of keys) {
      const bound = bucketUpperBound(k, schema);
      expect(bucketKey(bound, schema), `bound of ${k}: ${bound}`).toBe(k);
      expect(bucketKey(nextUp(bound), schema), `above the bound of ${k}`).toBe(k + 1);
      expect(bucketKey(nextDown(bound), schema) <= k).toBe(true);
    }
  });

  it('agrees with the definition: 2^((key − 1)/2^s) < v ≤ 2^(key/2^s), for values between bounds', () => {
    for (const k of keys) {
      const lower = bucketUpperBound(k - 1, schema);
      const upper = bucketUpperBound(k, schema);
      if (!(lower > 0) || upper === Number.MAX_VALUE) continue;
      const mid = lower + (upper - lower) / 2;
      if (mid > lower && mid < upper) expect(bucketKey(mid, schema)).toBe(k);
    }
  });

  it('merges two buckets into one per coarser schema, exactly as keys computed at that schema', () => {
    if (schema === -4) return;
    for (const k of keys) {
      const bound = bucketUpperBound(k, schema);
      for (let steps = 1; schema - steps >= -4; steps++) expect(coarserKey(k, steps), `${k} down ${steps}`).toBe(bucketKey(bound, schema - steps));
    }
  });
});

describe('where Math.log2 rounds a value into the wrong bucket', () => {
  it('finds the bucket from the exponent and the table instead', () => {
    let wrongByLog2 = 0;
    for (let schema = 1; schema <= 8; schema++) {
      for (let k = -3000; k <= 3000; k++) {
        const bound = bucketUpperBound(k, schema);
        if (bound < 2 ** -1021 || bound >= Number.MAX_VALUE) continue;
        if (Math.ceil(Math.log2(bound) * 2 ** schema) !== k) {
          wrongByLog2++;
          expect(bucketKey(bound, schema)).toBe(k);
        }
      }
    }
    expect(wrongByLog2).toBeGreaterThan(10); // there are such values: the test would check nothing otherwise
  });
});

describe('the extremes', () => {
  it('keys the smallest subnormal, the largest double, and powers of two', () => {
    expect(bucketKey(Number.MIN_VALUE, 0)).toBe(-1074);
    expect(bucketKey(Number.MAX_VALUE, 0)).toBe(1024);
    expect(bucketKey(Number.MAX_VALUE, 8)).toBe(1024 * 256);
    expect(bucketUpperBound(1024 * 256 - 1, 8)).toBeLessThan(Number.MAX_VALUE);
    expect(bucketUpperBound(1024, 0)).toBe(Number.MAX_VALUE);
    expect(bucketKey(1, 3)).toBe(0);
    expect(bucketKey(2, 3)).toBe(8);
    expect(bucketKey(0.5, -2)).toBe(0); // (2^−4, 1]
    expect(bucketKey(2, -2)).toBe(1);
    expect(bucketKey(16, -2)).toBe(1);
    expect(bucketKey(nextUp(16), -2)).toBe(2);
    expect(bucketKey(2 ** -1022, 3)).toBe(-1022 * 8);
    expect(bucketKey(2 ** -1030, 3)).toBe(-1030 * 8);
  });
});
