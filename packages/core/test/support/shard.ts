// Node-independent randomized suites (the heap fuzzers, the SIGKILL faults) split their cases between the Node runs
// of one `pnpm test`: run-on-all-nodes.mjs sets MPMETRICS_TEST_SHARD="<index>/<count>" per Node, each Node takes the
// cases whose number is its index modulo the count, so all Nodes together run every case once. What they test is
// our JavaScript over a damaged heap, not the Node it runs on. Unset (one Node, or vitest run by hand): every case.
export interface Shard {
  index: number;
  count: number;
}

export function testShard(env: NodeJS.ProcessEnv = process.env): Shard {
  const raw = env.MPMETRICS_TEST_SHARD;
  if (raw === undefined || raw === '') return { index: 0, count: 1 };
  const match = /^(\d+)\/(\d+)$/.exec(raw);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index >= count) throw new RangeError(`MPMETRICS_TEST_SHARD: expected "<index>/<count>" with index < count, received "${raw}"`);
  return { index, count };
}

/** The case numbers 0..total-1 this shard runs, plus `always` (regressions run in every shard). */
export function shardCases(total: number, always: readonly number[] = [], shard: Shard = testShard()): number[] {
  const mine = Array.from({ length: total }, (_, i) => i).filter((i) => i % shard.count === shard.index);
  return [...new Set([...mine, ...always])].sort((a, b) => a - b);
}

/** "752 (Node run 2 of 4's share of 3000, and any regressions)", or "3002" for one run, for a describe() title. */
export function shardTitle(total: number, run: readonly number[], shard: Shard = testShard()): string {
  return shard.count === 1 ? `${run.length}` : `${run.length} (Node run ${shard.index + 1} of ${shard.count}'s share of ${total}, and any regressions)`;
}
