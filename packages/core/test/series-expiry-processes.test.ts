// Idle-series expiry (`ttlSeconds`) across processes: three processes churning label values reuse each other's
// memory, a scrape meanwhile never shows one label set's count under another, and a handle kept on an expired
// label set starts it anew from zero. A heap of its own, so what the heap grows by is this test's alone.
import { spawn } from 'node:child_process';
import readline from 'node:readline';
import { describe, expect, it } from 'vitest';
import { Counter, Gauge, HeapExporter } from '../src/index.js';
import { allocatedBytes, sampleLines } from './support/heap-checks.js';
import { usePrivateHeap } from './support/private-heap.js';
import { sleep } from './support/process-group.js';

const CHURNER = new URL('./fixtures/expiry-churner.mjs', import.meta.url).pathname;
const shared = usePrivateHeap('mpm-expiry-mp');

const scrape = (): Promise<string> => new HeapExporter(shared.heap).metrics();
const allocated = (): number => allocatedBytes(shared.heap);

/** A churner's two reports: a third of its rounds done; all done, with what a scrape showed right then. */
interface Churner {
  readonly third: Promise<void>;
  readonly done: Promise<{ written: number; scraped: string }>;
  kill(): void;
}

function startChurner(args: string[]): Churner {
  const child = spawn(process.execPath, [CHURNER, ...args], {
    env: { ...process.env, MPMETRICS_DIR: shared.dir },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // 'close', not 'exit': it comes after the child's output has all been read, so a line printed before exiting is
  // always seen first
  const exited = new Promise<never>((_, reject) => child.once('close', (code) => reject(new Error(`churner ${args[2]} exited with ${code}`))));
  exited.catch(() => undefined);
  const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, unknown>> => {
    const line = await Promise.race([lines.next(), exited]);
    if (line.done === true) return await exited;
    return JSON.parse(line.value) as Record<string, unknown>;
  };
  const third = next().then((report) => expect(report).toEqual({ third: true }));
  // scraped as soon as the churner says so: its last write is younger than the TTL (the churners do not finish
  // together, so by the time all have, the first one's label set can have expired, as it should)
  const done = third.then(next).then(async (report) => ({ written: report.written as number, scraped: await scrape() }));
  done.catch(() => undefined); // awaited once `third` has resolved; a failure of `third` is reported there
  return { third, done, kill: () => child.kill('SIGKILL') };
}

describe('ttlSeconds across processes', () => {
  it('3 processes churning a counter and a per-process gauge reuse each other\'s memory without touching live label sets', async () => {
    const name = 'mpme_mp_churn_total';
    const ttl = 0.3;
    const rounds = 60;
    const perRound = 50;
    const reader = new Counter({ name, help: 'Churned', labelNames: ['key'], ttlSeconds: ttl, maxSeries: Infinity, heap: shared.heap, registers: [] });
    reader.inc({ key: 'parent' }, 0); // declared; the parent also sweeps and acknowledges
    const workers = `${name}_workers`;
    new Gauge({ name: workers, help: 'Churned', labelNames: ['key'], ttlSeconds: ttl, maxSeries: Infinity, multiprocessMode: 'livesum', heap: shared.heap, registers: [] });
    const before = allocated();
    const churners = ['a', 'b', 'c'].map((tag) => startChurner([name, String(ttl), tag, String(rounds), String(perRound), '50']));
    try {
      // scrapes while they churn: every label set shown counts its one write (or none yet: a scrape can fall
      // between a label set's first write making it visible and adding 1), never another's
      let thirdDone = false;
      const third = Promise.all(churners.map((c) => c.third))
        .then(() => allocated() - before)
        .finally(() => (thirdDone = true));
      for (let i = 0; i < 20 || !thirdDone; i++) {
        const text = await scrape();
        for (const sample of sampleLines(text, name)) expect(sample).toMatch(/^mpme_mp_churn_total\{key="(held-[abc]"\} 1|[abc]-\d+-\d+"\} [01]|parent"\} 0)$/);
        // (a 'livesum' gauge shows 0 for a label set whose setter has not set it yet, or has exited)
        for (const sample of sampleLines(text, workers)) expect(sample).toMatch(/^mpme_mp_churn_total_workers\{key="[abc]-\d+-\d+"\} [01]$/);
        await sleep(50);
      }
      const grownByThird = await third;
      const reports = await Promise.all(churners.map((c) => c.done));
      expect(reports.map((r) => r.written)).toEqual([rounds * perRound, rounds * perRound, rounds * perRound]);
      // each kept handle's label set expired while its process churned; its last write started it anew
      for (const [i, tag] of ['a', 'b', 'c'].entries()) expect(reports[i]!.scraped).toContain(`${name}{key="held-${tag}"} 7\n`);
      const text = await scrape();
      for (const sample of sampleLines(text, name)) expect(sample).toMatch(/^mpme_mp_churn_total\{key="(held-[abc]"\} 7|[abc]-\d+-\d+"\} 1|parent"\} 0)$/);
      for (const sample of sampleLines(text, workers)) expect(sample).toMatch(/^mpme_mp_churn_total_workers\{key="[abc]-\d+-\d+"\} [01]$/);
      // 9,000 label sets made, 3,000 by the time every churner had done a third of its rounds: the heap grew
      // little after that (memory used again)
      expect(grownByThird).toBeGreaterThan(0);
      expect(allocated() - before - grownByThird).toBeLessThan(grownByThird / 2);
    } finally {
      for (const c of churners) c.kill();
    }
  }, 60_000);
});
