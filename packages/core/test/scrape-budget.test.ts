// One read budget per scrape, however the scrape is made: 20 metrics each have a series whose writer, a live child
// process, is stopped (SIGSTOP) in the middle of an update. A scrape waits for such a writer at most
// SCRAPE_READ_BUDGET_MS (250 ms) in all, then takes the cells as they are; through prom-client's
// register.metrics(), which calls every metric's get(), a budget per get() let it wait 20 × 250 ms = 5 s.
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { Counter, HeapExporter } from '../src/index.js';
import { SCRAPE_READ_BUDGET_MS } from '../src/metrics/family-reader.js';
import { ownTimeAsync } from './support/own-time.js';
import { usePrivateHeap } from './support/private-heap.js';
import { sleep, startNode } from './support/process-group.js';

const STUCK_METRICS = fileURLToPath(new URL('./fixtures/stuck-metrics.mjs', import.meta.url));
const METRICS = 20;
/** Generous for one budget (250 ms) on a loaded machine; the budget per metric took 5 s. */
const ONE_BUDGET_LIMIT_MS = 1200;

const own = usePrivateHeap('mpm-scrape-budget');

/** The 20 metrics, declared here too (some with a collect), and registered in a registry of their own, their writer stopped mid-update. */
async function stuckMetrics(): Promise<Registry> {
  const writer = startNode('stuck metrics', STUCK_METRICS, [String(METRICS)], { ...process.env, MPMETRICS_DIR: own.dir });
  await writer.waitFor('stuck', 15_000);
  writer.proc.kill('SIGSTOP'); // the process-group helper SIGKILLs it after the test
  const registry = new Registry();
  for (let i = 0; i < METRICS; i++) {
    // A third of them read without a collect, in get()'s own call; a third after awaiting a sync one, in a
    // microtask; a third after an async one that waits on a timer, in a later turn of the event loop.
    const collect = i % 3 === 0 ? undefined : i % 3 === 1 ? (): void => {} : (): Promise<void> => sleep(5);
    new Counter({ name: `mpm_budget_${i}_total`, help: 'Left mid-update', registers: [registry], heap: own.heap, ...(collect && { collect }) });
  }
  return registry;
}

/** Checks that a text exposition has every mpm_budget counter, each with the writer's count (a later test's writer
 * takes over the lane, and the cells, of the one killed before it, and counts on). */
function expectEveryCounter(text: string): void {
  const values = [...text.matchAll(/^mpm_budget_\d+_total (\S+)$/gm)].map((m) => Number(m[1]));
  expect(values).toHaveLength(METRICS);
  for (const value of values) expect(value).toBeGreaterThanOrEqual(1);
}

describe('a scrape waits for writers stopped mid-update within one budget', () => {
  it('through prom-client\'s register.metrics(), whatever the number of metrics', async () => {
    const registry = await stuckMetrics();
    const { result, ms, wallMs } = await ownTimeAsync(() => registry.metrics());
    expectEveryCounter(result);
    expect(wallMs).toBeGreaterThanOrEqual(SCRAPE_READ_BUDGET_MS * 0.8); // it did wait: the writer is alive
    expect(ms).toBeLessThan(ONE_BUDGET_LIMIT_MS);

    // A scrape awaited after it, even in the same turn of the event loop, has a budget of its own.
    const again = await ownTimeAsync(() => registry.metrics());
    expectEveryCounter(again.result);
    expect(again.wallMs).toBeGreaterThanOrEqual(SCRAPE_READ_BUDGET_MS * 0.8);
    expect(again.ms).toBeLessThan(ONE_BUDGET_LIMIT_MS);
  });

  it('through HeapExporter', async () => {
    await stuckMetrics();
    const { result, ms, wallMs } = await ownTimeAsync(() => new HeapExporter(own.heap).metrics());
    expectEveryCounter(result);
    expect(wallMs).toBeGreaterThanOrEqual(SCRAPE_READ_BUDGET_MS * 0.8);
    expect(ms).toBeLessThan(ONE_BUDGET_LIMIT_MS);
  });

  it('that counts time spent waiting, not reading or writing: a scrape slow to write still waits, once', async () => {
    await stuckMetrics();
    const stuck = (i: number): number => own.heap.seriesOf(own.heap.findFamily(`mpm_budget_${i}_total`)!.ptr)[0]!.ptr;
    const first = new Float64Array(1);
    const second = new Float64Array(1);
    let waitedMs = 0;
    let againMs = 0;
    own.heap.readWithin(SCRAPE_READ_BUDGET_MS, () => {
      // longer than the budget, busy as a scrape writing 100,000 series' text is, before it meets the writer
      const busyUntil = performance.now() + SCRAPE_READ_BUDGET_MS + 100;
      while (performance.now() < busyUntil);
      let from = performance.now();
      own.heap.read(stuck(0), first);
      waitedMs = performance.now() - from;
      from = performance.now();
      own.heap.read(stuck(1), second); // the budget is spent: taken as it is at once
      againMs = performance.now() - from;
    });
    expect(waitedMs).toBeGreaterThanOrEqual(SCRAPE_READ_BUDGET_MS * 0.8);
    expect(againMs).toBeLessThan(SCRAPE_READ_BUDGET_MS * 0.5);
    expect(first[0]).toBeGreaterThanOrEqual(1);
    expect(second[0]).toBeGreaterThanOrEqual(1);
  });
});
