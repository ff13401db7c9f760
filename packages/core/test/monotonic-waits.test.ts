// The bounded waits on a writer caught mid-update run on the monotonic clock: a wall clock stepped backwards (NTP,
// an operator) must not stretch them. Date.now is faked here to step back 5 s once a wait has begun; the writer is
// a live child process left mid-update (kill-stuck.mjs), so every read of its cell waits to the end of its bound.
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { monotonicMs } from '../src/heap/monotonic-clock.js';
import { ownTime } from './support/own-time.js';
import { usePrivateHeap } from './support/private-heap.js';
import { startNode } from './support/process-group.js';

const STUCK = fileURLToPath(new URL('./fixtures/kill-stuck.mjs', import.meta.url));
const own = usePrivateHeap('mpm-monotonic');
const STEP_MS = 5000;

/** Makes Date.now step back STEP_MS after its first call from now on. */
function stepWallClockBackOnce(): void {
  const realNow = Date.now.bind(Date);
  let calls = 0;
  vi.spyOn(Date, 'now').mockImplementation(() => realNow() - (calls++ === 0 ? 0 : STEP_MS));
}

/** Starts a live writer stopped mid-update (a child: the process-group helper kills it after the test). */
async function stuckSeries(): Promise<number> {
  const stuck = startNode('stuck writer', STUCK, [], { ...process.env, MPMETRICS_DIR: own.dir });
  await stuck.waitFor('stuck', 15_000);
  return own.heap.seriesOf(own.heap.findFamily('mpm_kill_stuck')!.ptr)[0]!.ptr;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('waits on writers caught mid-update', () => {
  it('a deadline on the monotonic clock does not move when Date.now steps back', () => {
    const started = performance.now();
    const deadline = monotonicMs() + 100;
    stepWallClockBackOnce();
    while (monotonicMs() <= deadline) Date.now();
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('a read waits its patience (1 s), not patience + step, for a live writer stopped mid-update', async () => {
    const series = await stuckSeries();
    stepWallClockBackOnce();
    const { result, ms, wallMs } = ownTime(() => Array.from(own.heap.read(series, new Float64Array(8))));
    for (const value of result) expect(value).toBeGreaterThanOrEqual(1000);
    expect(wallMs).toBeGreaterThanOrEqual(900);
    expect(ms).toBeLessThan(3500); // the wall clock's wait: 1 s + the 5 s step
  });

  it('a budgeted read (a scrape) waits its budget, not budget + step', async () => {
    const series = await stuckSeries();
    stepWallClockBackOnce();
    const { result, ms, wallMs } = ownTime(() => own.heap.readWithin(250, () => Array.from(own.heap.read(series, new Float64Array(8)))));
    for (const value of result) expect(value).toBeGreaterThanOrEqual(1000);
    expect(wallMs).toBeGreaterThanOrEqual(200);
    expect(ms).toBeLessThan(2500); // the wall clock's wait: 0.25 s + the 5 s step
  });
});
