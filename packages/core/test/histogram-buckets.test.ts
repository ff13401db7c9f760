// The bucket an observation lands in is the first bound ≥ the value, whether the histogram has a few buckets
// (searched in order) or many (searched by bisection): checked against the definition for edge values (exactly
// on a bound, just above it, below the first, above the last, -0) and random ones.
import { beforeAll, describe, expect, it } from 'vitest';
import { Heap, Histogram, exponentialBuckets, linearBuckets } from '../src/index.js';
import { usePrivateHeap } from './support/private-heap.js';
import { mulberry32 } from './support/random.js';

const privateHeap = usePrivateHeap('mpm-buckets');
let heap: Heap;
beforeAll(() => {
  heap = privateHeap.heap;
});

describe.each([
  ['5 bounds', [0.1, 0.5, 1, 5, 10]],
  ['16 bounds', linearBuckets(-8, 1, 16)],
  ['17 bounds', linearBuckets(-8, 1, 17)],
  ['100 bounds', exponentialBuckets(0.001, 1.15, 100)],
])('a histogram with %s', (label, buckets) => {
  it('counts every observation in the first bucket whose bound is ≥ it', async () => {
    const histogram = new Histogram({ name: `buckets_${label.replace(' ', '_')}`, help: 'h', buckets, heap, registers: [] });
    const random = mulberry32(buckets.length);
    const values = [-0, -1e9, 1e9, buckets[0]! - 1e-9];
    for (const b of buckets) values.push(b, b + 1e-12, b - 1e-12);
    for (let i = 0; i < 2000; i++) values.push(buckets[0]! - 1 + random() * (buckets.at(-1)! - buckets[0]! + 2));
    for (const v of values) histogram.observe(v);
    const cumulative = (await histogram.get()).values.filter((v) => v.metricName?.endsWith('_bucket')).map((v) => v.value);
    const expected = buckets.map((b) => values.filter((v) => v <= b).length);
    expected.push(values.length);
    expect(cumulative).toEqual(expected);
  });
});
