// Soak: writer processes update a fixed set of series while another process scrapes everything, for a bounded time
// (MPMETRICS_SOAK_SECONDS, default 20; set it to 3600 for an hour). After a warm-up, nothing may grow: the heap
// allocates nothing more (its allocation top is the same at the middle and at the end), and no process's resident
// memory keeps climbing. The totals are exact at the end.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Heap, HeapExporter } from '../src/index.js';
import { fixture } from './fixtures/lifetime-processes.js';
import { startNode, succeed, type Event } from './support/process-group.js';

/** `node --expose-gc <worker> …`: the worker samples its memory after a full GC. */
const startWorker = (name: string, args: string[], env: NodeJS.ProcessEnv) => startNode(name, '--expose-gc', [WORKER, ...args], env);

const SECONDS = Number(process.env.MPMETRICS_SOAK_SECONDS ?? 20);
const WRITERS = 3;
const WORKER = fixture('soak-worker.mjs');
const MiB = 1024 * 1024;

interface Sample extends Event {
  rss: number;
  heapUsed: number;
  allocTop?: number;
}

/** The highest `field` in the samples taken between fractions `from` and `to` of the run. */
function peak(samples: Sample[], field: 'rss' | 'heapUsed', from: number, to: number): number {
  const part = samples.slice(Math.floor(samples.length * from), Math.ceil(samples.length * to));
  return Math.max(...part.map((s) => s[field]));
}

describe(`soak: ${WRITERS} writers and a scraper for ${SECONDS} s`, () => {
  it('keeps heap size and memory flat after warm-up, and the totals exact', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-soak-'));
    fs.chmodSync(dir, 0o700);
    const env = { ...process.env, MPMETRICS_DIR: dir };
    const heap = Heap.open({ dir });
    try {
      const children = [
        ...Array.from({ length: WRITERS }, (_, i) => startWorker(`writer ${i}`, ['writer', String(i), String(SECONDS)], env)),
        startWorker('scraper', ['scraper', '0', String(SECONDS)], env),
      ];
      await Promise.all(children.map((child) => succeed(child, (SECONDS + 60) * 1000)));

      const report: string[] = [];
      for (const child of children) {
        const samples = child.events.filter((e) => e.event === 'sample') as Sample[];
        expect(samples.length, child.name).toBeGreaterThan(8);
        // warm-up: the first quarter. Then the peak of the last third may not pass the peak of the second quarter by
        // more than a quarter (or 16 MiB of RSS, 4 MiB of JS heap, for the small processes): a leak grows without
        // bound, GC noise does not (and every sample follows a full GC).
        const settled = peak(samples, 'rss', 0.25, 0.5);
        const late = peak(samples, 'rss', 2 / 3, 1);
        const heapSettled = peak(samples, 'heapUsed', 0.25, 0.5);
        const heapLate = peak(samples, 'heapUsed', 2 / 3, 1);
        report.push(`${child.name}: rss ${(settled / MiB).toFixed(0)} → ${(late / MiB).toFixed(0)} MiB, JS heap ${(heapSettled / MiB).toFixed(1)} → ${(heapLate / MiB).toFixed(1)} MiB`);
        expect(late, `${child.name}'s resident memory late in the run`).toBeLessThanOrEqual(Math.max(settled * 1.25, settled + 16 * MiB));
        expect(heapLate, `${child.name}'s retained JS heap late in the run`).toBeLessThanOrEqual(Math.max(heapSettled * 1.25, heapSettled + 4 * MiB));
      }
      const scraper = children[WRITERS]!;
      const tops = (scraper.events.filter((e) => e.event === 'sample') as Sample[]).map((s) => s.allocTop!);
      expect(tops.at(-1), 'heap allocation top at the end vs the middle of the run').toBe(tops[Math.floor(tops.length / 2)]);

      const ops = children.slice(0, WRITERS).map((child) => child.events.find((e) => e.event === 'done')!.ops as number);
      const total = ops.reduce((a, b) => a + b, 0);
      const text = await new HeapExporter(heap).metrics('prometheus');
      const sumOf = (prefix: string): number =>
        text
          .split('\n')
          .filter((line) => line.startsWith(prefix))
          .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
      expect(sumOf('soak_requests_total{')).toBe(total);
      expect(sumOf('soak_seconds_count{')).toBe(total);
      expect(sumOf('soak_bytes_count{')).toBe(total);
      expect(sumOf('soak_in_flight{')).toBe(0);
      console.log(`soak ${SECONDS} s: ${total} updates of each kind; ${report.join('; ')}; heap ${heap.segmentCount} segments`);
    } finally {
      heap.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, (SECONDS + 120) * 1000);
});
