// The heap grows by whole segments while processes use it. Two writer processes create thousands of series (cells
// from one word to 32 KiB, in many families, some series shared by both) in a heap of 128 KiB segments, while a
// third process enumerates and reads everything over and over, mapping each new segment when it first meets it.
// The heap must grow by at least 100 segments with nobody crashing, the reader must never see a half-written
// series, and in the end every series holds exactly what its writer wrote.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Heap } from '../src/index.js';

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const WRITER = fixture('growth-writer.mjs');
const READER = fixture('growth-reader.mjs');

// The control words growth-expect.mjs defines.
const CONTROL = { family: 'mpm_control', key: 'growth', layout: { valueWords: 0, sharedWords: 4 } };
const READY = 0;
const GO = 1;

const SEGMENT_SIZE = 128 * 1024;
const MAX_LANES = 64; // the header and a 64-lane table fit in the first 128 KiB segment
const WRITERS = 2;
const SERIES_PER_WRITER = 1500;

// ---- children: started with process.execPath in their own process group, always awaited with a time limit,
// and killed when anything goes wrong.

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface Child {
  readonly name: string;
  exited: boolean;
  finish(ms: number): Promise<Exit>;
  kill(): void;
}

const running = new Set<Child>();

afterEach(() => {
  for (const child of running) child.kill();
  running.clear();
});

function startNode(name: string, script: string, args: string[], env: NodeJS.ProcessEnv): Child {
  const proc: ChildProcess = spawn(process.execPath, [script, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  proc.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  proc.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const closed = new Promise<Exit>((resolve, reject) => {
    proc.on('error', reject);
    proc.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  const child: Child = {
    name,
    exited: false,
    kill() {
      if (child.exited || proc.pid === undefined) return;
      try {
        process.kill(-proc.pid, 'SIGKILL');
      } catch {
        proc.kill('SIGKILL');
      }
    },
    async finish(ms) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          child.kill();
          reject(new Error(`${name} did not finish within ${ms} ms (killed)\nstdout: ${stdout}\nstderr: ${stderr}`));
        }, ms);
      });
      try {
        const exit = await Promise.race([closed, timeout]);
        if (exit.code !== 0) throw new Error(`${name} exited with ${exit.code ?? exit.signal}\nstdout: ${stdout}\nstderr: ${stderr}`);
        return exit;
      } finally {
        clearTimeout(timer);
      }
    },
  };
  proc.on('exit', () => {
    child.exited = true;
    running.delete(child);
  });
  running.add(child);
  return child;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface WriterReport {
  id: number;
  lane: number;
  count: number;
  ms: number;
  segmentsAtStart: number;
  segmentsAtEnd: number;
}

interface ReaderReport {
  passes: number;
  seriesRead: number;
  maxPassMs: number;
  segmentCounts: number[];
  finalSeries: number;
  segments: number;
  errors: string[];
}

describe(`a heap of ${SEGMENT_SIZE / 1024} KiB segments growing under ${WRITERS} writers and a reader`, () => {
  it('grows by at least 100 segments, with every series exact and no torn read on the way', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-growth-'));
    fs.chmodSync(dir, 0o700);
    const heap = Heap.open({ dir, segmentSize: SEGMENT_SIZE, maxLanes: MAX_LANES });
    try {
      expect(heap.segmentCount).toBe(1);
      const control = heap.shared(heap.series(heap.family(CONTROL.family, '{}').ptr, CONTROL.key, CONTROL.layout).ptr);
      const env = { ...process.env, MPMETRICS_DIR: dir };
      const writers = Array.from({ length: WRITERS }, (_, i) =>
        startNode(`writer ${i + 1}`, WRITER, [String(i + 1), String(SERIES_PER_WRITER)], env),
      );
      const reader = startNode('reader', READER, [String(WRITERS), String(SERIES_PER_WRITER)], env);
      const all = [...writers, reader];

      const readyBy = Date.now() + 30_000;
      while (control.getInt(READY) < BigInt(all.length)) {
        const dead = all.find((child) => child.exited);
        if (dead) await dead.finish(1000); // throws with its output
        if (Date.now() > readyBy) throw new Error(`only ${control.getInt(READY)} of ${all.length} processes were ready within 30 s`);
        await sleep(5);
      }
      control.addInt(GO, 1n);

      const [writerExits, readerExit] = await Promise.all([
        Promise.all(writers.map((writer) => writer.finish(60_000))),
        reader.finish(90_000),
      ]);
      const reports = writerExits.map((exit) => JSON.parse(exit.stdout) as WriterReport);
      const read = JSON.parse(readerExit.stdout) as ReaderReport;

      expect(reports.map((r) => r.count)).toEqual([SERIES_PER_WRITER, SERIES_PER_WRITER]);
      expect(read.errors).toEqual([]);
      // The heap grew by 100 segments or more, and the reader read while it grew (it saw several sizes).
      expect(heap.segmentCount).toBeGreaterThanOrEqual(101);
      expect(read.segments).toBe(heap.segmentCount);
      expect(read.passes).toBeGreaterThanOrEqual(2);
      expect(read.segmentCounts.length).toBeGreaterThanOrEqual(2);
      expect(read.finalSeries).toBe(WRITERS * SERIES_PER_WRITER + 16);

      // And this process, which had mapped only the first segment, maps the rest and finds the same values.
      const k = SERIES_PER_WRITER - 1;
      const family = heap.findFamily(`mpm_growth_w2_${k % 8}`);
      expect(family).toBeDefined();
      const last = heap.seriesOf(family!.ptr).find((s) => s.key === `k${k}`);
      expect(last).toBeDefined();
      const values = heap.read(last!.ptr, new Float64Array(last!.valueWords));
      expect(Array.from(values.subarray(0, 3))).toEqual([k + 0.5, k + 1, k + 2]);
      expect(heap.shared(last!.ptr).getInt(0)).toBe(BigInt(k + 1));
      expect(fs.statSync(path.join(dir, 'heap')).size).toBe(heap.segmentCount * SEGMENT_SIZE);
    } finally {
      heap.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
