// The must-show of the shared heap: writers of every kind Node has (cluster workers, child_process.fork children,
// worker_threads, unrelated processes sharing MPMETRICS_DIR) update the same series at the same time, a million
// rounds each, and a separate process that never wrote reads totals that are exact to the last increment.
//
// Every writer claims its lane, reports ready, and waits on a shared word for the start signal, so all of them
// really run together (each checks that nobody had finished when it began). Increments are whole numbers and
// dyadic fractions (0.25, 0.5), whose sums are exact in doubles: any lost or doubled update shows.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Heap } from '../src/index.js';
import { sleep, startFork, startNode, succeed, type Child } from './support/process-group.js';
import { timeLimit } from './support/time-limits.js';

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const WRITER = fixture('totals-writer.mjs');
const CLUSTER = fixture('totals-cluster.mjs');
const THREADS = fixture('totals-threads.mjs');
const WATCH = fixture('totals-watch.mjs');
const DUMP = fixture('heap-dump.mjs');

// The layout totals-writer.mjs uses.
const CONTROL_FAMILY = 'mpm_control';
const CONTROL_KEY = 'barrier';
const CONTROL_LAYOUT = { valueWords: 0, sharedWords: 3 };
const READY = 0;
const GO = 1;

const ROUNDS = 1_000_000;

function childEnv(dir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, MPMETRICS_DIR: dir, ...extra };
}

function privateDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-totals-'));
  fs.chmodSync(dir, 0o700);
  return dir;
}


// ---- the run

interface WriterReport {
  kind: string;
  pid: number;
  threadId: number;
  lane: number;
  finishedBeforeStart: number;
  ms: number;
  own: number[];
}

interface WatchReport {
  reads: number;
  midway: number;
  torn: number;
  backwards: number;
  leadOutOfRange: number;
  maxReadMs: number;
  examples: unknown[];
}

interface SeriesDump {
  live: boolean;
  values: number[];
  sharedInt: string[];
  sharedFloat: number[];
  readMs: number;
}

interface Dump {
  segments: number;
  families: Record<string, Record<string, SeriesDump>>;
}

interface Groups {
  cluster?: number;
  fork?: number;
  threads?: number;
  unrelated?: number;
}

interface RunResult {
  reports: WriterReport[];
  totals: SeriesDump;
  watch: WatchReport | undefined;
}

async function runWriters(groups: Groups, options: { watch?: boolean } = {}): Promise<RunResult> {
  const dir = privateDir();
  const heap = Heap.open({ dir });
  try {
    const control = heap.shared(heap.series(heap.family(CONTROL_FAMILY, '{}').ptr, CONTROL_KEY, CONTROL_LAYOUT).ptr);
    const env = childEnv(dir, { MPM_TOTALS_COUNT: String(ROUNDS) });
    const writers = (groups.cluster ?? 0) + (groups.fork ?? 0) + (groups.threads ?? 0) + (groups.unrelated ?? 0);

    const hosts: Child[] = []; // each prints a JSON array of reports
    const singles: Child[] = []; // each prints one JSON report
    const forked: Child[] = []; // each sends one IPC message
    if (groups.cluster) hosts.push(startNode('cluster primary', CLUSTER, [String(groups.cluster)], env));
    if (groups.threads) hosts.push(startNode('worker_threads host', THREADS, [String(groups.threads)], env));
    for (let i = 0; i < (groups.fork ?? 0); i++) {
      forked.push(startFork(`fork child ${i}`, WRITER, { ...env, MPM_TOTALS_ROLE: 'writer', MPM_TOTALS_KIND: 'fork' }));
    }
    for (let i = 0; i < (groups.unrelated ?? 0); i++) {
      singles.push(startNode(`unrelated process ${i}`, WRITER, [], { ...env, MPM_TOTALS_ROLE: 'writer', MPM_TOTALS_KIND: 'unrelated' }));
    }
    const all = [...hosts, ...forked, ...singles];

    // Start barrier: every writer has attached and claimed its lane before anyone begins.
    const readyWithin = timeLimit(30_000);
    const readyBy = Date.now() + readyWithin;
    while (control.getInt(READY) < BigInt(writers)) {
      const dead = all.find((child) => child.exited);
      if (dead) throw new Error(`${dead.name} exited before the start: ${JSON.stringify(await dead.finish(1000))}`);
      if (Date.now() > readyBy) throw new Error(`only ${control.getInt(READY)} of ${writers} writers were ready within ${readyWithin / 1000} s`);
      await sleep(5);
    }
    const watcher = options.watch ? startNode('concurrent reader', WATCH, [String(writers), String(ROUNDS)], env) : undefined;
    if (watcher) await sleep(200); // let it attach, so it reads while the writers run
    control.addInt(GO, 1n);

    const exits = await Promise.all(all.map((child) => succeed(child, 90_000)));
    const reports: WriterReport[] = [];
    exits.forEach((exit, i) => {
      const child = all[i]!;
      if (hosts.includes(child)) reports.push(...(JSON.parse(exit.stdout) as WriterReport[]));
      else if (singles.includes(child)) reports.push(JSON.parse(exit.stdout) as WriterReport);
      else reports.push(...(child.messages as WriterReport[]));
    });
    const watch = watcher ? (JSON.parse((await succeed(watcher, 30_000)).stdout) as WatchReport) : undefined;

    // The totals, read by a process that never wrote.
    const dump = JSON.parse((await succeed(startNode('reader', DUMP, ['mpm_totals'], env), 30_000)).stdout) as Dump;
    const totals = dump.families['mpm_totals']?.['all'];
    if (!totals) throw new Error(`the reader found no series: ${JSON.stringify(dump)}`);
    return { reports, totals, watch };
  } finally {
    heap.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function expectExact(result: RunResult, writers: number, kinds: Record<string, number>): void {
  const { reports, totals } = result;
  expect(reports).toHaveLength(writers);
  const byKind: Record<string, number> = {};
  for (const report of reports) byKind[report.kind] = (byKind[report.kind] ?? 0) + 1;
  expect(byKind).toEqual(kinds);
  // Each writer had its own lane (all were alive at once), saw nobody finished when it began, and its own cell
  // holds exactly its own updates: nobody else wrote into it.
  expect(new Set(reports.map((r) => r.lane)).size).toBe(writers);
  expect(reports.filter((r) => r.finishedBeforeStart !== 0)).toEqual([]);
  for (const report of reports) expect(report.own).toEqual([ROUNDS, ROUNDS * 0.25, ROUNDS, ROUNDS * 0.5]);

  const n = writers * ROUNDS;
  expect(totals.values).toEqual([n, n * 0.25, n, n * 0.5]);
  expect(totals.sharedInt[0]).toBe(String(n));
  expect(totals.sharedFloat[1]).toBe(n * 0.5);
}

describe(`${ROUNDS.toLocaleString('en')} updates per writer, read back exactly by a process that never wrote`, () => {
  it('4 cluster workers (forked by a cluster primary, inheriting MPMETRICS_DIR)', async () => {
    expectExact(await runWriters({ cluster: 4 }), 4, { cluster: 4 });
  });

  it('4 child_process.fork children', async () => {
    expectExact(await runWriters({ fork: 4 }), 4, { fork: 4 });
  });

  it('4 worker_threads of one process', async () => {
    expectExact(await runWriters({ threads: 4 }), 4, { thread: 4 });
  });

  it('3 unrelated node processes started with the same MPMETRICS_DIR', async () => {
    expectExact(await runWriters({ unrelated: 3 }), 3, { unrelated: 3 });
  });

  it('all 15 at once: 4 cluster workers, 4 forks, 4 threads and 3 unrelated processes, with a reader watching', async () => {
    const result = await runWriters({ cluster: 4, fork: 4, threads: 4, unrelated: 3 }, { watch: true });
    expectExact(result, 15, { cluster: 4, fork: 4, thread: 4, unrelated: 3 });

    // The reader that ran alongside saw the counts move, and never a half-applied group, a total going down, or
    // a cell's +1 more than one round ahead of its group.
    const watch = result.watch!;
    expect(watch.reads).toBeGreaterThan(0);
    expect(watch.midway).toBeGreaterThan(0);
    expect({ torn: watch.torn, backwards: watch.backwards, leadOutOfRange: watch.leadOutOfRange, examples: watch.examples }).toEqual({
      torn: 0,
      backwards: 0,
      leadOutOfRange: 0,
      examples: [],
    });
  });
});
