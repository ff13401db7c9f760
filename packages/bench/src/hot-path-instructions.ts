// Instructions per metric update, counted by valgrind (cachegrind): the figure a change to the cells is judged by,
// since this machine's timings swing by 20% and more from one run to the next. Each kind runs in a child
// (hot-path/update-child.mjs) twice, with 0 and with `measured` updates after the same warm-up; the difference over
// `measured` is one update, the benchmark's loop and closure call included, so it is an upper bound to compare
// between versions, not what an update costs alone. Both memory-order paths are counted: the default one
// (MPMETRICS_MEMORY_ORDER unset: plain on x86-64) and the Atomics one that every other CPU takes, forced.
// Too slow for the full run (6 minutes on 2 busy cores), it runs when asked: `pnpm bench --only=hot-path`.
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { countNodeInstructions, valgrindVersion } from './cachegrind.js';
import { ownHeapEnv } from './http/own-heap-env.js';
import { inParallel } from './in-parallel.js';
import { formatTable } from './report.js';

/** Updates counted after the warm-up; the quick pass only checks that the counting works. */
export const FULL_HOT_PATH_UPDATES = 200_000;
export const QUICK_HOT_PATH_UPDATES = 1000;

/** Updates before either count, so that both start from code V8 has already optimized. */
const WARM_UP = 20_000;
const SEED = 42;
const CHILD = fileURLToPath(new URL('./hot-path/update-child.mjs', import.meta.url));

/** The child's update kinds, by the names it knows them by; it rejects any other. */
export const HOT_PATH_KINDS: readonly string[] = [
  'counter.inc()',
  'child.inc()',
  'inc(labels)',
  'gauge.set(v)',
  "gauge.set(v), mode 'livesum'",
  'histogram.observe(v)',
  'summary.observe(v)',
];

type MemoryOrder = 'default' | 'atomics';
const ORDERS: readonly MemoryOrder[] = ['default', 'atomics'];

function orderEnv(order: MemoryOrder): NodeJS.ProcessEnv {
  const env = ownHeapEnv();
  if (order === 'atomics') env.MPMETRICS_MEMORY_ORDER = 'atomics';
  else delete env.MPMETRICS_MEMORY_ORDER;
  return env;
}

function countInstructions(kind: string, order: MemoryOrder, updates: number): Promise<number> {
  return countNodeInstructions(`${kind} (${order})`, SEED, [CHILD, kind, String(WARM_UP), String(updates)], orderEnv(order));
}

/** A table of instructions per update, each of `kinds` on both memory-order paths, with how it was counted. */
export async function benchHotPathInstructions(measured: number, kinds: readonly string[] = HOT_PATH_KINDS): Promise<string> {
  const version = await valgrindVersion();
  if (version === undefined) return 'Not measured: `valgrind` was not found (Debian: `apt-get install valgrind`).';
  const cases = kinds.flatMap((kind) => ORDERS.map((order) => ({ kind, order })));
  const jobs = cases.flatMap(({ kind, order }) => [0, measured].map((updates) => () => countInstructions(kind, order, updates)));
  const counts = await inParallel(jobs, os.availableParallelism());
  const perUpdate = new Map<string, number>();
  cases.forEach(({ kind, order }, i) => perUpdate.set(`${kind}/${order}`, (counts[2 * i + 1]! - counts[2 * i]!) / measured));

  const rows = kinds.map((kind) => [kind, ...ORDERS.map((order) => perUpdate.get(`${kind}/${order}`)!.toFixed(0))]);
  const defaultPath = process.arch === 'x64' ? 'plain' : 'Atomics';
  return [
    `${version}, \`--tool=cachegrind\`; Node \`--single-threaded --predictable\`, seeds fixed; one update after ${WARM_UP.toLocaleString('en')}: the difference between a run of 0 updates and one of ${measured.toLocaleString('en')}, over ${measured.toLocaleString('en')}. The benchmark's loop and closure call are in the figure: an upper bound, comparable between versions, not an update's cost alone.`,
    '',
    formatTable(['update', `instructions, MPMETRICS_MEMORY_ORDER unset (${defaultPath} path on ${process.arch})`, 'instructions, `MPMETRICS_MEMORY_ORDER=atomics` (Atomics path)'], rows),
  ].join('\n');
}
