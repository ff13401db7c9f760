// The heap grows by whole segments while processes use it. Two writer processes create thousands of series (cells
// from one word to 32 KiB, in many families, some series shared by both) in a heap of 128 KiB segments, while a
// third process enumerates and reads everything over and over, mapping each new segment when it first meets it.
// The heap must grow by at least 100 segments with nobody crashing, the reader must never see a half-written
// series, and in the end every series holds exactly what its writer wrote.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { H } from '../src/heap/layout.js';
import { Heap } from '../src/index.js';
import { withoutFallocate } from './support/no-fallocate.js';
import { sleep, startNode, succeed } from './support/process-group.js';

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
  // with fallocate, growers take no lock; without (a filesystem that lacks it), they extend under the growth lock
  for (const fallocate of [true, false]) {
  it(`grows by at least 100 segments, with every series exact and no torn read on the way${fallocate ? '' : ', where fallocate is missing'}`, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-growth-'));
    fs.chmodSync(dir, 0o700);
    const heap = Heap.open({ dir, segmentSize: SEGMENT_SIZE, maxLanes: MAX_LANES });
    try {
      expect(heap.segmentCount).toBe(1);
      const control = heap.shared(heap.series(heap.family(CONTROL.family, '{}').ptr, CONTROL.key, CONTROL.layout).ptr);
      const env = fallocate ? { ...process.env, MPMETRICS_DIR: dir } : withoutFallocate({ ...process.env, MPMETRICS_DIR: dir });
      const writers = Array.from({ length: WRITERS }, (_, i) =>
        startNode(`writer ${i + 1}`, WRITER, [String(i + 1), String(SERIES_PER_WRITER)], env),
      );
      const reader = startNode('reader', READER, [String(WRITERS), String(SERIES_PER_WRITER)], env);
      const all = [...writers, reader];

      const readyBy = Date.now() + 30_000;
      while (control.getInt(READY) < BigInt(all.length)) {
        const dead = all.find((child) => child.exited);
        if (dead) await succeed(dead, 1000); // throws with its output
        if (Date.now() > readyBy) throw new Error(`only ${control.getInt(READY)} of ${all.length} processes were ready within 30 s`);
        await sleep(5);
      }
      control.addInt(GO, 1n);

      const [writerExits, readerExit] = await Promise.all([
        Promise.all(writers.map((writer) => succeed(writer, 60_000))),
        succeed(reader, 90_000),
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
      expect(Atomics.load(heap.file.header, H.GROW_BY_TRUNCATE)).toBe(fallocate ? 0 : 1);
    } finally {
      heap.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
  }
});
