// Writers SIGKILLed at random moments, a hundred times over, while others work: through the public metric API, a
// victim creates series in bursts of 50 (so it is often killed inside series creation, and the heap grows by
// segments all along) between stretches of counting as fast as it can; its lane is taken over by the next process to start.
// Meanwhile this process scrapes every few milliseconds. Every scrape must answer within 1 s (of its own time: time
// spent waiting for a CPU on a busy machine left out), no series may ever go down, the survivors' totals must be
// exact, and afterwards the heap reopens cleanly in a new process.
//
// MPMETRICS_FAULT_KILLS scales the number of kills (default 100), which the Node runs of `pnpm test` share
// (support/shard.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Heap, HeapExporter } from '../src/index.js';
import { fixture } from './fixtures/lifetime-processes.js';
import { ownTimeAsync } from './support/own-time.js';
import { sleep, startNode, succeed, type Child } from './support/process-group.js';
import { shardCases, shardTitle, testShard } from './support/shard.js';

const ALL_KILLS = Number(process.env.MPMETRICS_FAULT_KILLS ?? 100);
const SHARD = testShard();
/** This Node's share of the kills (support/shard.ts); each Node's own random sequence. */
const MY_KILLS = shardCases(ALL_KILLS, [], SHARD);
const KILLS = MY_KILLS.length;
const SURVIVORS = 2;
const SURVIVOR_OPS = 2_000_000;
const SEGMENT = 64 * 1024;
const WRITER = fixture('fault-writer.mjs');
const DUMP = fixture('heap-dump.mjs');

/** sample name with labels → value, from the Prometheus text format. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    out.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return out;
}

describe(`${shardTitle(ALL_KILLS, MY_KILLS, SHARD)} writers SIGKILLed at random moments`, () => {
  it('never block a scrape, never make a series go down, never cost a survivor a count', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-fault-'));
    fs.chmodSync(dir, 0o700);
    const heap = Heap.open({ dir, segmentSize: SEGMENT, maxLanes: 32 });
    const env = { ...process.env, MPMETRICS_DIR: dir };
    try {
      const exporter = new HeapExporter(heap);
      const last = new Map<string, number>();
      const problems: string[] = [];
      let scrapes = 0;
      let slowest = 0;
      const scrape = async (): Promise<void> => {
        const { result: text, ms } = await ownTimeAsync(() => exporter.metrics('prometheus'));
        slowest = Math.max(slowest, ms);
        scrapes++;
        for (const [sample, value] of samples(text)) {
          const before = last.get(sample);
          if (before !== undefined && value < before && problems.length < 20) problems.push(`${sample} went down from ${before} to ${value}`);
          last.set(sample, value);
        }
      };

      const survivors = Array.from({ length: SURVIVORS }, (_, i) => startNode(`survivor ${i}`, WRITER, ['survivor', String(i), String(SURVIVOR_OPS)], env));
      let seed = 12345 + SHARD.index;
      const random = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
      let killed = 0;
      let started = 0;
      const victims = new Set<Child>();
      const kill = async (victim: Child): Promise<void> => {
        victim.kill();
        const exit = await victim.finish(10_000);
        if (exit.signal !== 'SIGKILL') problems.push(`${victim.name} ended with ${exit.code ?? exit.signal} before its kill: ${exit.stderr.slice(0, 300)}`);
        victims.delete(victim);
        killed++;
      };
      while (killed < KILLS) {
        // two victims at a time, each killed after a random 0-120 ms of work (started, ready, or deep in it)
        while (victims.size < 2 && started < KILLS) {
          const victim = startNode(`victim ${started}`, WRITER, ['victim', String(started)], env);
          started++;
          victims.add(victim);
          const workMs = random() * 120;
          const beforeReady = random() < 0.15; // sometimes while it is still starting up and claiming its lane
          void (async () => {
            if (!beforeReady) await victim.waitFor('ready', 30_000).catch(() => undefined);
            await sleep(workMs);
            await kill(victim);
          })();
        }
        await scrape();
        await sleep(5);
      }
      const survivorExits = await Promise.all(survivors.map((s) => succeed(s, 120_000)));
      await scrape();

      console.log(`fault kills: ${killed} writers killed, ${scrapes} scrapes, slowest ${slowest.toFixed(1)} ms, heap ${heap.segmentCount} segments`);
      expect(problems).toEqual([]);
      expect(slowest, `slowest of ${scrapes} scrapes, in ms`).toBeLessThan(1000);
      for (let i = 0; i < SURVIVORS; i++) {
        expect(survivorExits[i]!.stdout).toContain('"done"');
        expect(last.get(`fault_ops_total{writer="survivor-${i}",part="main"}`)).toBe(SURVIVOR_OPS);
        expect(last.get(`fault_seconds_count{writer="survivor-${i}"}`)).toBe(SURVIVOR_OPS);
        let own = 0;
        for (const [sample, value] of last) if (sample.startsWith(`fault_series_total{writer="survivor-${i}",`)) own += value;
        expect(own).toBe(1000);
      }
      // the victims did count (they were not all killed before doing anything), and the heap grew on the way
      const victimOps = [...last].filter(([s]) => s.startsWith('fault_ops_total{writer="victim-')).reduce((sum, [, v]) => sum + v, 0);
      expect(victimOps).toBeGreaterThan(0);
      expect(heap.segmentCount).toBeGreaterThan(2);

      // a new process opens the heap and reads the same totals
      type Dump = { families: Record<string, Record<string, { values: number[] }>> };
      const dump = JSON.parse((await succeed(startNode('reader', DUMP, ['fault_ops_total'], env), 30_000)).stdout) as Dump;
      for (let i = 0; i < SURVIVORS; i++) {
        expect(dump.families.fault_ops_total![JSON.stringify([`survivor-${i}`, 'main'])]!.values[0]).toBe(SURVIVOR_OPS);
      }
    } finally {
      heap.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
