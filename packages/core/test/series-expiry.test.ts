// Idle-series expiry (`ttlSeconds`) in one process: a label set nobody updated for its TTL leaves scrapes, its
// memory is used again (a churn of label values does not grow the heap for ever), a handle kept on it starts it
// anew from zero, and none of this disturbs other label sets. Across processes: series-expiry-processes.test.ts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { Counter, Gauge, Heap, HeapExporter, Histogram, Info, Summary, type NativeHistogramSnapshot } from '../src/index.js';
import { FAMILY, H, LEAF, NODE } from '../src/heap/layout.js';
import { allocatedBytes, sampleLines, thrownKind } from './support/heap-checks.js';
import { usePrivateHeap } from './support/private-heap.js';
import { sleep } from './support/process-group.js';

const shared = usePrivateHeap('mpm-expiry');
const common = (): { heap: (typeof shared)['heap']; registers: [] } => ({ heap: shared.heap, registers: [] });

const scrape = (): Promise<string> => new HeapExporter(shared.heap).metrics();
const allocated = (): number => allocatedBytes(shared.heap);
/** Makes a sweep due now, whenever the last one was. */
const sweepDueNow = (): void => {
  new Float64Array(shared.heap.file.header.buffer, 0, H.NEXT_SWEEP_F64 + 1)[H.NEXT_SWEEP_F64] = 0;
};

describe('ttlSeconds in one process', () => {
  it('drops an idle label set from scrapes, keeps a busy one exact, and starts a kept handle anew from zero', async () => {
    const counter = new Counter({ name: 'mpme_requests_total', help: 'h', labelNames: ['path'], ttlSeconds: 0.5, ...common() });
    const histogram = new Histogram({ name: 'mpme_seconds', help: 'h', labelNames: ['path'], buckets: [1], ttlSeconds: 0.5, ...common() });
    const gauge = new Gauge({ name: 'mpme_queue', help: 'h', labelNames: ['queue'], ttlSeconds: 0.5, ...common() });
    const summary = new Summary({ name: 'mpme_size', help: 'h', labelNames: ['path'], percentiles: [0.5], ttlSeconds: 0.5, ...common() });
    const perProcess = new Gauge({ name: 'mpme_workers', help: 'h', labelNames: ['pool'], multiprocessMode: 'livesum', ttlSeconds: 0.5, ...common() });
    const native = new Histogram({ name: 'mpme_native_seconds', help: 'h', labelNames: ['path'], nativeHistogramBucketFactor: 1.1, nativeHistogramMaxBucketNumber: 20, ttlSeconds: 0.5, ...common() });
    const idleNative = native.labels('/idle');
    // far apart: the series' schema drops below the declared 3 (its shared word rises)
    for (const v of [1e-6, 1, 1e6]) idleNative.observe(v);
    const nativeOf = async (): Promise<NativeHistogramSnapshot | undefined> =>
      (await new HeapExporter(shared.heap).snapshot()).find((f) => f.name === 'mpme_native_seconds')?.series.find((s) => s.labels[0] === '/idle')?.native;
    expect((await nativeOf())!.schema).toBeLessThan(3);
    const idle = counter.labels('/idle');
    const idlePool = perProcess.labels('idle');
    idlePool.set(6);
    idle.inc(5);
    histogram.observe({ path: '/idle' }, 0.5);
    gauge.set({ queue: 'idle' }, 3);
    summary.observe({ path: '/idle' }, 10);
    expect(await scrape()).toContain('mpme_requests_total{path="/idle"} 5\n');

    // /busy is written every 50 ms of the clock, while the heap's own timer sweeps: it never expires, and counts
    // every write. The clock (Date only) moves by hand, 50 ms a step, so a stalled process cannot make a busy label
    // set look idle.
    vi.useFakeTimers({ toFake: ['Date'] });
    let busy = 0;
    try {
      for (let i = 0; i < 100 && (await scrape()).includes('idle'); i++) {
        counter.inc({ path: '/busy' });
        perProcess.inc({ pool: 'busy' });
        busy++;
        vi.setSystemTime(Date.now() + 50);
        await sleep(50);
      }
    } finally {
      vi.useRealTimers();
    }
    expect(busy).toBeGreaterThan(10);
    const text = await scrape();
    expect(text).not.toContain('idle');
    expect(text).toContain(`mpme_requests_total{path="/busy"} ${busy}\n`);
    expect(text).toContain(`mpme_workers{pool="busy"} ${busy}\n`);

    // the kept handle of an expired label set: its next write makes the series again, from zero
    idle.inc(2);
    gauge.set({ queue: 'idle' }, 4);
    histogram.observe({ path: '/idle' }, 2);
    idlePool.inc();
    // the kept native child writes a series made anew: from zero, at the declared schema, its handle on the
    // shared schema word following it
    idleNative.observe(2);
    expect(await nativeOf()).toMatchObject({ schema: 3, zeroCount: 0, positive: [[8, 1]], negative: [] });
    const again = await scrape();
    expect(again).toContain('mpme_workers{pool="idle"} 1\n');
    expect(again).toContain('mpme_requests_total{path="/idle"} 2\n');
    expect(again).toContain('mpme_queue{queue="idle"} 4\n');
    expect(again).toContain('mpme_seconds_bucket{path="/idle",le="1.0"} 0\n');
    expect(again).toContain('mpme_seconds_count{path="/idle"} 1\n');
    expect(again).not.toContain('mpme_size_count{path="/idle"}');
  }, 30_000);

  it('reuses the memory of expired label sets: a churn of label values stays within a bound', async () => {
    // The clock (Date only) is moved by hand and each round ends with a sweep, so how many label sets are alive at
    // once does not depend on how busy the machine is: a stalled process would otherwise keep more of them.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const churned = new Counter({ name: 'mpme_churn_total', help: 'h', labelNames: ['id'], ttlSeconds: 0.2, maxSeries: Infinity, ...common() });
      const family = shared.heap.findFamily('mpme_churn_total')!;
      let peakSeries = 0;
      const before = allocated();
      const rounds = 60;
      let grownByHalf = 0;
      for (let round = 0; round < rounds; round++) {
        for (let i = 0; i < 100; i++) churned.inc({ id: `${round}-${i}` });
        peakSeries = Math.max(peakSeries, shared.heap.seriesCount(family.ptr));
        vi.setSystemTime(Date.now() + 60);
        sweepDueNow();
        shared.heap.maintain();
        if (round === rounds / 2 - 1) grownByHalf = allocated() - before;
      }
      const grown = allocated() - before;
      // 6,000 label sets written, a round every 60 ms with a TTL of 200 ms: the last 5 rounds' alive at most
      expect(peakSeries).toBeLessThanOrEqual(500);
      // the second half of the run needs nothing new: expired records, cells and nodes are used again
      expect(grownByHalf).toBeGreaterThan(0);
      expect(grown).toBe(grownByHalf);
      // every label set still shown counts exactly its one write
      const shown = sampleLines(await scrape(), 'mpme_churn_total');
      expect(shown.length).toBeGreaterThan(0);
      for (const line of shown) expect(line).toMatch(/^mpme_churn_total\{id="\d+-\d+"\} 1$/);
    } finally {
      vi.useRealTimers();
    }
  });

  it('finishes a retirement whose sweeper was killed half-way, so no writer keeps writing a series nobody sees', async () => {
    const counter = new Counter({ name: 'mpme_interrupted_total', help: 'h', labelNames: ['k'], ttlSeconds: 3600, ...common() });
    const child = counter.labels('x');
    child.inc(3);
    const file = shared.heap.file;
    const family = shared.heap.findFamily('mpme_interrupted_total')!;
    const series = shared.heap.findSeries(family.ptr, JSON.stringify(['x']))!;
    // what a sweeper killed between taking the series out of the directory and marking it leaves behind
    const root = file.segmentOf(family.ptr).u32[file.offsetOf(family.ptr) * 2 + FAMILY.SERIES_ROOT]!;
    const hash = file.segmentOf(series).u32[file.offsetOf(series) * 2 + LEAF.HASH]!;
    const slot = file.offsetOf(root) * 2 + NODE.SLOTS + (hash & (NODE.FANOUT - 1));
    expect(file.segmentOf(root).u32[slot]).toBe(series);
    file.header[H.RETIRING_FAMILY] = family.ptr;
    file.header[H.RETIRING] = series;
    file.segmentOf(root).u32[slot] = 0;
    child.inc(1);
    expect(await scrape()).not.toContain('mpme_interrupted_total{k="x"}');

    sweepDueNow();
    shared.heap.maintain();
    expect(file.header[H.RETIRING]).toBe(0);
    child.inc(2); // the series was finished off: the kept child makes its label set anew
    expect(await scrape()).toContain('mpme_interrupted_total{k="x"} 2\n');
  });

  it('a scrape walking the directory while another process retires the label sets before it sees emptied nodes as empty', async () => {
    const counter = new Counter({ name: 'mpme_walked_total', help: 'h', labelNames: ['id'], ttlSeconds: 0.1, maxSeries: Infinity, ...common() });
    for (let i = 0; i < 600; i++) counter.inc({ id: String(i) }); // two levels of nodes below the root
    const family = shared.heap.findFamily('mpme_walked_total')!;
    // the sweeper: another lane on the same file, as another process is
    const sweeper = Heap.open({ dir: shared.dir });
    try {
      let seen = 0;
      shared.heap.forEachSeries(family.ptr, (_ptr, live) => {
        // at the first label set found, every one goes idle for longer than the TTL and is retired, and every node
        // below the root is emptied and taken out, among them nodes this walk has yet to look into; their memory
        // is not reused before this process moves on
        if (seen++ === 0) {
          sweepDueNow();
          sweeper.maintain(); // notes every label set as touched now
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
          sweepDueNow();
          sweeper.maintain();
          expect(shared.heap.seriesCount(family.ptr)).toBe(0);
        } else {
          expect(live).toBe(false); // only a retired label set, left in a chain of equal hashes, can still be met
        }
      });
      expect(seen).toBeGreaterThan(0);
      expect(seen).toBeLessThan(600);
      expect(sampleLines(await scrape(), 'mpme_walked_total')).toEqual([]);
    } finally {
      sweeper.close();
    }
  });

  it('a damaged free list or retired list never hands out or frees a record in use', async () => {
    const counter = new Counter({ name: 'mpme_damaged_total', help: 'h', labelNames: ['k'], ttlSeconds: 3600, ...common() });
    counter.inc({ k: 'kept' }, 5);
    const file = shared.heap.file;
    const family = shared.heap.findFamily('mpme_damaged_total')!;
    const kept = shared.heap.findSeries(family.ptr, JSON.stringify(['kept']))!;
    const i64 = file.segments[0]!.i64;
    const lists = [...Array.from({ length: 64 }, (_, i) => H.FREE_RECORDS_I64 + i), H.FREE_NODES_I64];
    try {
      // every free list leads to the live record
      for (const at of lists) i64[at] = BigInt(kept);
      expect(thrownKind(() => counter.inc({ k: 'new' }))).toBe('MpmetricsError:MPM_ERR_HEAP_CORRUPT');
      expect(() => counter.inc({ k: 'new' })).toThrow(/a free list \(header word \d+\) leads to \d+, which is not a free record/);
      for (const at of lists) i64[at] = 0n;
      // the retired list leads to it: the sweep frees nothing, and drops the damaged list
      file.header[H.RETIRED_HEAD] = kept;
      sweepDueNow();
      shared.heap.maintain();
      expect(file.header[H.RETIRED_HEAD]).toBe(0);
      counter.inc({ k: 'kept' });
      counter.inc({ k: 'new' }, 2);
      const text = await scrape();
      expect(text).toContain('mpme_damaged_total{k="kept"} 6\n');
      expect(text).toContain('mpme_damaged_total{k="new"} 2\n');
    } finally {
      for (const at of lists) i64[at] = 0n;
    }
  });

  it('checks the option at construction', () => {
    const make = (extra: Record<string, unknown>, labelNames: string[] = ['a']) => () =>
      new Counter({ name: 'mpme_opt_total', help: 'h', labelNames, ...common(), ...extra });
    expect(thrownKind(make({ ttlSeconds: '60' }))).toBe('TypeError:MPM_ERR_INVALID_ARG_TYPE');
    for (const bad of [0, -1, 0.01, Infinity, NaN, 400 * 86400]) {
      const kind = Number.isNaN(bad) ? 'TypeError:MPM_ERR_INVALID_ARG_TYPE' : 'RangeError:MPM_ERR_OUT_OF_RANGE';
      expect(thrownKind(make({ ttlSeconds: bad })), String(bad)).toBe(kind);
    }
    expect(() => make({ ttlSeconds: 0 })()).toThrow('"ttlSeconds" must be from 0.1 to 31622400 (a year), received number 0');
    expect(() => make({ ttlSeconds: 60 }, [])()).toThrow('"ttlSeconds" applies to metrics with labels');
    expect(() => make({ ttlSeconds: 60, enableExemplars: true })()).toThrow('"ttlSeconds" and "enableExemplars" cannot be used together');
    expect(() => new Info({ name: 'mpme_opt_info', help: 'h', ttlSeconds: 60, ...common() } as never)).toThrow('not to a info');
    expect(shared.heap.findFamily('mpme_opt_total')).toBeUndefined(); // a refused declaration leaves nothing
  });
});

describe('a handle whose series expired and cannot be made again', () => {
  // a second handle on one file needs the file: in-process heaps opened twice are two heaps
  it.skipIf(process.env['MPMETRICS_HEAP'] === 'process')('throws, never writes the cell it left (which the sweeper gives to another series), and tries again at its next update', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-expiry-'));
    fs.chmodSync(dir, 0o700);
    const sweeper = Heap.open({ dir });
    const writer = Heap.open({ dir }); // a lane of its own, as another process's
    try {
      const counter = new Counter({ name: 'mpme_one_total', help: 'h', labelNames: ['id'], ttlSeconds: 0.2, maxSeries: 1, heap: writer, registers: [] });
      const kept = counter.labels('a');
      kept.inc();
      const header = new Float64Array(sweeper.file.header.buffer, 0, H.NEXT_SWEEP_F64 + 1);
      const sweep = (): void => {
        vi.setSystemTime(Date.now() + 300);
        header[H.NEXT_SWEEP_F64] = 0;
        sweeper.maintain();
      };
      sweep();
      sweep(); // 'a' retired by the other lane's sweep, before the writer acknowledged it
      counter.inc({ id: 'b' }); // the family's one label set now
      expect(() => kept.inc()).toThrow(expect.objectContaining({ code: 'MPM_ERR_TOO_MANY_SERIES' }));
      writer.maintain(); // acknowledges
      sweep();
      sweep(); // 'a' freed, its cell back in the writer's lane ('b' expired too: the family has room again)
      const other = new Counter({ name: 'mpme_other_total', help: 'h', heap: writer, registers: [] });
      other.inc(5); // in the cell 'a' had
      kept.inc(); // makes 'a' anew, in a cell of its own
      const text = await new HeapExporter(writer).metrics();
      expect(text).toContain('mpme_other_total 5\n');
      expect(text).toContain('mpme_one_total{id="a"} 1\n');
    } finally {
      writer.close();
      sweeper.close();
      vi.useRealTimers();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
