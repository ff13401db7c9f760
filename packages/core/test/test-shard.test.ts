// The split of randomized cases between the Node runs (support/shard.ts): together the runs cover every case once.
import { describe, expect, it } from 'vitest';
import { shardCases, testShard } from './support/shard.js';

describe('MPMETRICS_TEST_SHARD', () => {
  it('gives each case to exactly one of the Node runs, and the regressions to all', () => {
    const runs = [0, 1, 2, 3].map((index) => shardCases(3000, [434, 4217], { index, count: 4 }));
    const counts = new Map<number, number>();
    for (const run of runs) for (const i of run) counts.set(i, (counts.get(i) ?? 0) + 1);
    for (let i = 0; i < 3000; i++) if (i !== 434) expect(counts.get(i), `case ${i}`).toBe(1);
    expect(counts.get(434)).toBe(4);
    expect(counts.get(4217)).toBe(4);
    expect(counts.size).toBe(3001);
    expect(runs.map((run) => run.length)).toEqual([752, 752, 751, 752]); // 434 is run 3's own case too
  });

  it('is one run of every case when unset, and refuses a malformed value', () => {
    expect(testShard({})).toEqual({ index: 0, count: 1 });
    expect(testShard({ MPMETRICS_TEST_SHARD: '2/4' })).toEqual({ index: 2, count: 4 });
    for (const bad of ['4/4', '1', 'a/b', '0/0', '-1/2']) expect(() => testShard({ MPMETRICS_TEST_SHARD: bad }), bad).toThrow(/MPMETRICS_TEST_SHARD/);
  });
});
