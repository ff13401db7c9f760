// A scrape racing reset(): a writer process resets a histogram and observes one value 50 times, over and over,
// while this process scrapes. The cell's generation is read inside the same seqlock window as its values (cells.ts,
// readOneCell), so every scrape shows one whole generation: count and sum of one value, its bucket and those above
// holding the count, an empty histogram, or none (reset() removes the series until its next observation, as
// prom-client's does); never a half-cleared cell. A second writer observed 1.5 once before the first reset and stays
// alive, idle: its cell keeps that older generation, so no scrape may count it.
import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import { describe, expect, it } from 'vitest';
import { HeapExporter } from '../src/index.js';
import { usePrivateHeap } from './support/private-heap.js';

const RACER = new URL('./fixtures/reset-racer.mjs', import.meta.url).pathname;
const shared = usePrivateHeap('mpm-reset-race');
const NAME = 'reset_race_seconds';

/** The histogram's samples in one scrape: bucket counts by `le`, count and sum. */
function readingOf(text: string): { buckets: Map<string, number>; count: number; sum: number } {
  const buckets = new Map<string, number>();
  let count = Number.NaN;
  let sum = Number.NaN;
  for (const line of text.split('\n')) {
    const bucket = /^reset_race_seconds_bucket\{le="([^"]+)"\} (\S+)$/.exec(line);
    if (bucket !== null) buckets.set(bucket[1]!, Number(bucket[2]));
    else if (line.startsWith(`${NAME}_count `)) count = Number(line.slice(NAME.length + 7));
    else if (line.startsWith(`${NAME}_sum `)) sum = Number(line.slice(NAME.length + 5));
  }
  return { buckets, count, sum };
}

/** A racer process (fixtures/reset-racer.mjs) and its output lines, once it has said it is ready. */
async function startRacer(mode: string): Promise<{ child: ChildProcess; exited: Promise<number | null>; lines: AsyncIterator<string> }> {
  const child = spawn(process.execPath, [RACER, NAME, mode], { env: { ...process.env, MPMETRICS_DIR: shared.dir }, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  const lines = readline.createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  expect(JSON.parse(((await lines.next()).value as string | undefined) ?? 'null')).toEqual({ ready: true });
  return { child, exited, lines };
}

describe('scrapes racing reset()', () => {
  it('show one whole generation of the cells each time: never a half-cleared cell, nor one of an older generation', async () => {
    // first, the idle writer's 1.5, then the racer, whose first reset leaves that cell a generation behind
    const idle = await startRacer('idle');
    try {
      const racer = await startRacer('3000');
      const exporter = new HeapExporter(shared.heap);
      const seen = { removed: 0, empty: 0, small: 0, large: 0 };
      let done = false;
      void racer.exited.then(() => (done = true));
      while (!done) {
        // a turn of the event loop each time: scrapes awaited back to back would never let 'close' be heard
        await new Promise((resolve) => setImmediate(resolve));
        const { buckets, count, sum } = readingOf(await exporter.metrics());
        const shown = `count ${count}, sum ${sum}, buckets ${JSON.stringify([...buckets])}`;
        if (Number.isNaN(count)) {
          // reset() removes the series, as prom-client's does, until its next observation
          expect([buckets.size, sum], shown).toEqual([0, Number.NaN]);
          seen.removed++;
          continue;
        }
        expect(buckets.get('+Inf'), shown).toBe(count);
        if (count === 0) {
          expect([sum, buckets.get('0.5'), buckets.get('1.0'), buckets.get('2.0')], shown).toEqual([0, 0, 0, 0]);
          seen.empty++;
        } else if (sum === count * 0.25) {
          expect([buckets.get('0.5'), buckets.get('1.0'), buckets.get('2.0')], shown).toEqual([count, count, count]);
          seen.small++;
        } else {
          // (the idle writer's 1.5 counted would break this: 4 × count is not a sum with it)
          expect(sum, shown).toBe(count * 4);
          expect([buckets.get('0.5'), buckets.get('1.0'), buckets.get('2.0')], shown).toEqual([0, 0, 0]);
          seen.large++;
        }
      }
      expect(await racer.exited).toBe(0);
      const last = JSON.parse(((await racer.lines.next()).value as string | undefined) ?? 'null') as { rounds: number };
      expect(last.rounds).toBeGreaterThan(100);
      // scrapes fell in rounds of both values (a round takes microseconds, a scrape much longer), so they raced it
      expect(Math.min(seen.small, seen.large), JSON.stringify(seen)).toBeGreaterThan(0);
    } finally {
      idle.child.kill('SIGKILL');
      await idle.exited;
    }
  });
});
