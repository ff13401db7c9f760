// Native histograms (nativeHistogramBucketFactor): options checked at construction; observations counted in the
// spec's buckets (positive, negative, zero); the resolution dropping when the bucket budget is exceeded, never
// rising again; one schema and exact counts across real processes; a damaged cell reported, never hung on.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Counter, HeapExporter, Histogram, type Heap } from '../src/index.js';
import { bucketKey, coarserKey } from '../src/metrics/native-buckets.js';
import { startIpcChild, type IpcChild } from './support/ipc-child.js';
import { usePrivateHeap } from './support/private-heap.js';
import { mulberry32 } from './support/random.js';

const WRITER = fileURLToPath(new URL('./fixtures/native-histogram-writer.mjs', import.meta.url));

const privateHeap = usePrivateHeap('mpm-native');
let heap: Heap;
beforeAll(() => {
  heap = privateHeap.heap;
});

interface NativeView {
  schema: number;
  zeroThreshold: number;
  zeroCount: number;
  positive: readonly (readonly [number, number])[];
  negative: readonly (readonly [number, number])[];
}

async function exported(name: string, h: Heap = heap): Promise<{ values: readonly number[]; native: NativeView }[]> {
  const family = (await new HeapExporter(h).snapshot()).find((f) => f.name === name)!;
  return family.series.map((s) => ({ values: s.values, native: s.native! }));
}

/** The family's only series. */
async function only(name: string): Promise<{ values: readonly number[]; native: NativeView }> {
  const series = await exported(name);
  expect(series).toHaveLength(1);
  return series[0]!;
}

/** The buckets `values` fill at `schema`, as the spec defines them: [positive, negative, zero count]. */
function expectedBuckets(values: readonly number[], schema: number, zeroThreshold: number): [[number, number][], [number, number][], number] {
  const positive = new Map<number, number>();
  const negative = new Map<number, number>();
  let zero = 0;
  for (const v of values) {
    if (Math.abs(v) <= zeroThreshold) zero++;
    else {
      const into = v > 0 ? positive : negative;
      const k = bucketKey(Math.abs(v), schema);
      into.set(k, (into.get(k) ?? 0) + 1);
    }
  }
  const sorted = (m: Map<number, number>): [number, number][] => [...m].sort((a, b) => a[0] - b[0]);
  return [sorted(positive), sorted(negative), zero];
}

function total(buckets: readonly (readonly [number, number])[]): number {
  return buckets.reduce((sum, [, n]) => sum + n, 0);
}

let names = 0;
const uniqueName = (): string => `native_h${names++}`;

describe('options', () => {
  const bad: [string, Record<string, unknown>, string, RegExp][] = [
    ['a factor of 1', { nativeHistogramBucketFactor: 1 }, 'MPM_ERR_OUT_OF_RANGE', /greater than 1/],
    ['a factor below 1', { nativeHistogramBucketFactor: 0.5 }, 'MPM_ERR_OUT_OF_RANGE', /greater than 1/],
    ['an infinite factor', { nativeHistogramBucketFactor: Infinity }, 'MPM_ERR_OUT_OF_RANGE', /finite/],
    ['a NaN factor', { nativeHistogramBucketFactor: NaN }, 'MPM_ERR_INVALID_ARG_TYPE', /must be a number, received number NaN/],
    ['a factor as text', { nativeHistogramBucketFactor: '1.1' }, 'MPM_ERR_INVALID_ARG_TYPE', /must be a number/],
    ['a negative zero threshold', { nativeHistogramBucketFactor: 1.1, nativeHistogramZeroThreshold: -1 }, 'MPM_ERR_OUT_OF_RANGE', /≥ 0, received -1/],
    ['a budget of 0', { nativeHistogramBucketFactor: 1.1, nativeHistogramMaxBucketNumber: 0 }, 'MPM_ERR_OUT_OF_RANGE', /from 1 to 4096, received 0/],
    ['a fractional budget', { nativeHistogramBucketFactor: 1.1, nativeHistogramMaxBucketNumber: 2.5 }, 'MPM_ERR_OUT_OF_RANGE', /whole number/],
    ['a budget past 4096', { nativeHistogramBucketFactor: 1.1, nativeHistogramMaxBucketNumber: 5000 }, 'MPM_ERR_OUT_OF_RANGE', /4096/],
    ['a zero threshold without a factor', { nativeHistogramZeroThreshold: 0.001 }, 'MPM_ERR_INVALID_ARG_TYPE', /"nativeHistogramBucketFactor" turns on/],
    ['a budget without a factor', { nativeHistogramMaxBucketNumber: 100 }, 'MPM_ERR_INVALID_ARG_TYPE', /"nativeHistogramBucketFactor" turns on/],
    ['native buckets on a counter', { nativeHistogramBucketFactor: 1.1, type: 'counter' }, 'MPM_ERR_OUT_OF_RANGE', /applies to histograms only/],
    ['no classic buckets and no native ones', { buckets: [] }, 'MPM_ERR_OUT_OF_RANGE', /native buckets only/],
  ];
  it.each(bad)('refuses %s with a coded error that says what was expected', (_what, options, code, message) => {
    let caught: unknown;
    try {
      const { type, ...rest } = options;
      if (type === 'counter') new Counter({ name: uniqueName(), help: 'h', heap, registers: [], ...rest });
      else new Histogram({ name: uniqueName(), help: 'h', heap, registers: [], ...rest });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(Error);
    expect((caught as { code?: string }).code).toBe(code);
    expect((caught as Error).message).toMatch(message);
  });

  it('keeps no classic buckets by default with native ones (as client_golang), and both when buckets are given', () => {
    expect(new Histogram({ name: uniqueName(), help: 'h', heap, registers: [], nativeHistogramBucketFactor: 1.1 }).buckets).toEqual([]);
    expect(new Histogram({ name: uniqueName(), help: 'h', heap, registers: [], nativeHistogramBucketFactor: 1.1, buckets: [1, 2] }).buckets).toEqual([1, 2]);
  });
});

describe('one process', () => {
  it('counts positive, negative and zero observations in the spec\'s buckets, count equal to their total', async () => {
    const name = uniqueName();
    // a budget that holds every bucket of the data at schema 3 (the budget's own test is below)
    const h = new Histogram({ name, help: 'h', heap, registers: [], nativeHistogramBucketFactor: 1.1, nativeHistogramMaxBucketNumber: 400 });
    const random = mulberry32(7);
    const values = [0, -0, 1, 2, 0.5, -1, -2.5, 2 ** -128, -(2 ** -128), 1e-300, 123.456];
    for (let i = 0; i < 5000; i++) values.push((random() < 0.2 ? -1 : 1) * 10 ** (random() * 4 - 3));
    for (const v of values) h.observe(v);
    const { values: classic, native } = await only(name);
    expect(native.schema).toBe(3);
    expect(native.zeroThreshold).toBe(2 ** -128);
    const [positive, negative, zero] = expectedBuckets(values, 3, 2 ** -128);
    expect(native.positive).toEqual(positive);
    expect(native.negative).toEqual(negative);
    expect(native.zeroCount).toBe(zero);
    expect(zero).toBe(5); // 0, −0, ±2^−128 (at the threshold) and 1e−300
    expect(classic[0]).toBe(values.length); // the +Inf bucket: the count
    expect(native.zeroCount + total(native.positive) + total(native.negative)).toBe(values.length);
    expect(classic[1]).toBeCloseTo(values.reduce((a, b) => a + b, 0), 6);
  });

  it('keeps classic buckets beside native ones, from the same observations', async () => {
    const name = uniqueName();
    const h = new Histogram({ name, help: 'h', heap, registers: [], buckets: [0.1, 1, 10], nativeHistogramBucketFactor: 2 });
    for (const v of [0.05, 0.5, 5, 50]) h.observe(v);
    const { values, native } = await only(name);
    expect(values).toEqual([1, 2, 3, 4, 55.55]);
    expect(native.schema).toBe(0);
    expect(native.positive).toEqual([[-4, 1], [-1, 1], [3, 1], [6, 1]]); // 0.5 = 2^−1 ends bucket −1
  });

  it('shows a native-only histogram in the text format as client_golang does: the +Inf bucket, sum and count', async () => {
    const name = uniqueName();
    const h = new Histogram({ name, help: 'h', heap, registers: [], nativeHistogramBucketFactor: 1.1 });
    h.observe(1);
    h.observe(3);
    const text = await new HeapExporter(heap).metrics();
    const lines = text.split('\n').filter((l) => l.startsWith(name));
    expect(lines, text).toEqual([`${name}_bucket{le="+Inf"} 2`, `${name}_count 2`, `${name}_sum 4`]);
    // and prom-client's registry path (get()) has the same samples
    expect((await h.get()).values.map((v) => [v.metricName, v.labels, v.value])).toEqual([
      [`${name}_bucket`, { le: '+Inf' }, 2],
      [`${name}_sum`, {}, 4],
      [`${name}_count`, {}, 2],
    ]);
  });

  it('with a zero threshold of 0, counts only zero in the zero bucket, and the smallest magnitudes in their own', async () => {
    const name = uniqueName();
    const h = new Histogram({ name, help: 'h', heap, registers: [], nativeHistogramBucketFactor: 1.1, nativeHistogramZeroThreshold: 0 });
    const values = [0, Number.MIN_VALUE, -Number.MIN_VALUE, 2 ** -1074 * 3, 1e-310, Number.MAX_VALUE, -Number.MAX_VALUE];
    for (const v of values) h.observe(v);
    const { native } = await only(name);
    const [positive, negative, zero] = expectedBuckets(values, native.schema, 0);
    expect(zero).toBe(1);
    expect(native.zeroCount).toBe(1);
    // from 2^−1074 to 2^1024 is wider than the budget allows at schema 3: the schema dropped
    expect(native.schema).toBeLessThan(3);
    expect(native.positive).toEqual(positive);
    expect(native.negative).toEqual(negative);
  });

  it('drops the resolution when the budget is exceeded, merging buckets exactly, and never raises it again', async () => {
    const name = uniqueName();
    const h = new Histogram({ name, help: 'h', heap, registers: [], nativeHistogramBucketFactor: 1.01, nativeHistogramMaxBucketNumber: 20 });
    const narrow = [1, 1.01, 1.02, 1.03];
    for (const v of narrow) h.observe(v);
    let { native } = await only(name);
    expect(native.schema).toBe(7); // 1.01 → 2^(2^−7) = 1.0054 (schema 6's 1.0109 is wider than asked)
    const wide: number[] = [...narrow];
    for (let i = 0; i < 400; i++) wide.push(1 + i / 10);
    for (const v of wide.slice(narrow.length)) h.observe(v);
    ({ native } = await only(name));
    expect(native.schema).toBeLessThan(7);
    expect(native.positive.length).toBeLessThanOrEqual(20);
    const [positive] = expectedBuckets(wide, native.schema, 2 ** -128);
    expect(native.positive).toEqual(positive);
    // one schema finer would have been over budget: the drop was no deeper than needed
    expect(expectedBuckets(wide, native.schema + 1, 2 ** -128)[0].length).toBeGreaterThan(20);
    // narrow data again: the schema stays where it went
    const dropped = native.schema;
    for (const v of narrow) h.observe(v);
    ({ native } = await only(name));
    expect(native.schema).toBe(dropped);
    expect(native.positive).toEqual(expectedBuckets([...wide, ...narrow], dropped, 2 ** -128)[0]);
    // until reset() starts the series over (a counter reset, which Prometheus sees anyway): its schema too
    h.reset();
    for (const v of narrow) h.observe(v);
    ({ native } = await only(name));
    expect(native.schema).toBe(7);
    expect(native.positive).toEqual(expectedBuckets(narrow, 7, 2 ** -128)[0]);
  });

  it('drops the resolution for one process\'s own window too (values far apart), for both signs at once', async () => {
    const name = uniqueName();
    const h = new Histogram({ name, help: 'h', heap, registers: [], nativeHistogramBucketFactor: 1.001 });
    const values = [1, 1e-3, 1e3, -1, -1e6, 1e30, 1e-30, 7];
    for (const v of values) h.observe(v);
    const { native } = await only(name);
    const [positive, negative] = expectedBuckets(values, native.schema, 2 ** -128);
    expect(native.positive).toEqual(positive);
    expect(native.negative).toEqual(negative);
    // 1e−30 … 1e30 spans 200 powers of two, more than a window of 160 bins at schema 0: 100 at schema −1
    expect(native.schema).toBe(-1);
  });
});

describe('across processes', () => {
  const PROCESSES = 4;
  let children: IpcChild[] = [];
  beforeAll(async () => {
    children = await Promise.all(Array.from({ length: PROCESSES }, () => startIpcChild(WRITER, privateHeap.dir)));
  });
  afterAll(() => {
    for (const c of children) c.stop();
  });

  it('shows one native histogram of every process\'s observations, exact, at one schema', async () => {
    const name = uniqueName();
    const config = { name, nativeHistogramBucketFactor: 1.05, nativeHistogramMaxBucketNumber: 60 };
    await Promise.all(children.map((c) => c.request({ op: 'declare', config })));
    const all: number[] = [];
    const perProcess = children.map((_, i) => {
      const random = mulberry32(100 + i);
      // dyadic values (k/1024), so that every sum is exact in any order; spans that differ per process
      return Array.from({ length: 20_000 }, () => Math.round((random() < 0.1 ? -1 : 1) * 2 ** (random() * (6 + i) - 3) * 1024) / 1024);
    });
    for (const v of perProcess) all.push(...v);
    // all at once, in slices, so that the processes' updates interleave
    for (let slice = 0; slice < 10; slice++) {
      await Promise.all(children.map((c, i) => c.request({ op: 'observe', name, values: perProcess[i]!.slice(slice * 2000, (slice + 1) * 2000) })));
    }
    const views = await Promise.all([...children.map((c) => c.request<{ values: number[]; native: NativeView }[]>({ op: 'export', name })), exported(name)]);
    const { native, values } = views.at(-1)![0]!;
    for (const view of views) expect(view[0]!.native).toEqual(native); // every process shows the same
    expect(values[0]).toBe(all.length);
    expect(values[1]).toBe(all.reduce((a, b) => a + b, 0));
    const [positive, negative, zero] = expectedBuckets(all, native.schema, 2 ** -128);
    expect(native.positive).toEqual(positive);
    expect(native.negative).toEqual(negative);
    expect(native.zeroCount).toBe(zero);
    expect(native.positive.length + native.negative.length).toBeLessThanOrEqual(60);
    expect(native.schema).toBeLessThan(4);
  });

  it('a schema dropped by one process holds for every process, and for the next observations of all', async () => {
    const name = uniqueName();
    const config = { name, nativeHistogramBucketFactor: 1.01, nativeHistogramMaxBucketNumber: 140 };
    await Promise.all(children.map((c) => c.request({ op: 'declare', config })));
    await children[0]!.request({ op: 'observe', name, values: [1, 1.5] });
    await children[1]!.request({ op: 'observe', name, values: [1.25] });
    expect((await exported(name))[0]!.native.schema).toBe(7);
    // one process alone spans more than its window at schema 6: it drops the schema (no scrape involved)
    await children[2]!.request({ op: 'observe', name, values: [2 ** -20, 2 ** 20] });
    await children[1]!.request({ op: 'observe', name, values: [1.75] });
    const views = await Promise.all([...children.map((c) => c.request<{ native: NativeView }[]>({ op: 'export', name })), exported(name)]);
    const schema = views[0]![0]!.native.schema;
    expect(schema).toBeLessThan(7);
    for (const view of views) expect(view[0]!.native.schema).toBe(schema);
    expect(views[0]![0]!.native.positive).toEqual(expectedBuckets([1, 1.5, 1.25, 2 ** -20, 2 ** 20, 1.75], schema, 2 ** -128)[0]);
    // and the merge is the same as each process's buckets folded: keys agree whatever the order of drops
    expect(coarserKey(bucketKey(1.75, 7), 7 - schema)).toBe(bucketKey(1.75, schema));
  });
});

describe('a damaged heap', () => {
  /** This process's cell of the family's only series. */
  function cellOf(name: string, words: number): { f64: Float64Array; base: number } {
    const family = heap.findFamily(name)!;
    const [series] = heap.seriesOf(family.ptr);
    return heap.cell(series!.ptr, words);
  }

  it('a writer that finds its cell\'s schema word damaged says so with a coded error, then counts on from zero', async () => {
    const name = uniqueName();
    const h = new Histogram({ name, help: 'h', heap, registers: [], nativeHistogramBucketFactor: 1.1 });
    h.observe(1);
    const cell = cellOf(name, 2 + 4 + 2 * 160);
    cell.f64[cell.base + 2] = 1e9; // the cell's schema reductions
    expect(() => h.observe(2)).toThrow(expect.objectContaining({ code: 'MPM_ERR_HEAP_CORRUPT' }));
    h.observe(3);
    const { values, native } = await only(name);
    expect(native.schema).toBe(3);
    expect(values[0]).toBe(native.zeroCount + total(native.positive) + total(native.negative));
    expect(native.positive).toEqual(expectedBuckets(values[0] === 2 ? [2, 3] : [3], 3, 2 ** -128)[0]);
  });

  it('a scrape leaves out a cell whose bucket counts are damaged, with a warning, and shows the rest', async () => {
    const name = uniqueName();
    const h = new Histogram({ name, help: 'h', heap, registers: [], nativeHistogramBucketFactor: 1.1 });
    h.observe(1);
    const cell = cellOf(name, 2 + 4 + 2 * 160);
    cell.f64[cell.base + 2 + 4 + 7] = Number.NaN;
    const warnings: string[] = [];
    const onWarning = (w: Error & { code?: string }): void => void warnings.push(`${w.code}`);
    process.on('warning', onWarning);
    try {
      const { values, native } = await only(name);
      expect(values[0]).toBe(0);
      expect(native.positive).toEqual([]);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).toContain('MPM_WARN_DAMAGED_SERIES');
  });

  it('a base word near 2^31 or far from any key is damage: no write outside the cell, the schema kept, count = buckets', async () => {
    for (const base of [2 ** 31 - 4096 - 50, 1e9, -(2 ** 31), 0.5]) {
      const name = uniqueName();
      const h = new Histogram({ name, help: 'h', heap, registers: [], nativeHistogramBucketFactor: 1.001 });
      h.observe(1);
      h.observe(2 ** (100 / 256));
      const cell = cellOf(name, 2 + 4 + 2 * 160);
      const n = cell.base + 2;
      cell.f64[n + 2] = base; // the positive window's base key
      const before = cell.f64.slice();
      expect(() => h.observe(1), `base ${base}`).toThrow(expect.objectContaining({ code: 'MPM_ERR_HEAP_CORRUPT' }));
      // nothing outside the cell changed (its header's sequence word moves with every update)
      const changed: number[] = [];
      for (let i = 0; i < before.length; i++) if ((i < cell.base - 2 || i >= n + 4 + 2 * 160) && !Object.is(before[i], cell.f64[i])) changed.push(i - cell.base);
      expect(changed, `base ${base}`).toEqual([]);
      for (const v of [1, 1.1, 1.2]) h.observe(v);
      const { values, native } = await only(name);
      expect(native.schema, `base ${base}`).toBe(8);
      expect(values[0]).toBe(4); // the observation that met the damage, and the three after it
      expect(native.positive).toEqual(expectedBuckets([1, 1, 1.1, 1.2], 8, 2 ** -128)[0]);
    }
  });

  it('a damaged bucket count is started anew by its writer, and a scrape warns once per damage', async () => {
    const name = uniqueName();
    const h = new Histogram({ name, help: 'h', heap, registers: [], nativeHistogramBucketFactor: 1.1 });
    h.observe(1);
    const cell = cellOf(name, 2 + 4 + 2 * 160);
    const n = cell.base + 2;
    const j = cell.f64.subarray(n + 4, n + 4 + 160).findIndex((c) => c !== 0);
    cell.f64[n + 4 + j] = Number.NaN;
    const warnings: string[] = [];
    const onWarning = (w: Error & { code?: string }): void => void warnings.push(`${w.code}`);
    process.on('warning', onWarning);
    try {
      for (let i = 0; i < 3; i++) await only(name);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((w) => w === 'MPM_WARN_DAMAGED_SERIES')).toHaveLength(1);
      expect(() => h.observe(1)).toThrow(expect.objectContaining({ code: 'MPM_ERR_HEAP_CORRUPT' }));
      for (let i = 0; i < 9; i++) h.observe(1 + i / 100);
      const { values, native } = await only(name);
      expect(values[0]).toBe(10);
      expect(native.positive).toEqual(expectedBuckets([1, ...Array.from({ length: 9 }, (_, i) => 1 + i / 100)], 3, 2 ** -128)[0]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('a family whose stored native settings are not a declaration\'s is left out of scrapes, not misread', async () => {
    const name = uniqueName();
    heap.declareFamily(name, JSON.stringify({ type: 'histogram', help: 'h', labelNames: [], aggregator: 'sum', buckets: [], native: { schema: 1e9, zeroThreshold: 0, maxBuckets: 1 } }));
    expect((await new HeapExporter(heap).snapshot()).some((f) => f.name === name)).toBe(false);
  });

  it('a damaged shared schema word is mended from the cells, not trusted', async () => {
    const name = uniqueName();
    const h = new Histogram({ name, help: 'h', heap, registers: [], nativeHistogramBucketFactor: 1.1 });
    h.observe(1);
    const family = heap.findFamily(name)!;
    const [series] = heap.seriesOf(family.ptr);
    const shared = heap.shared(series!.ptr);
    shared.setInt(0, 5_000_000n);
    h.observe(2);
    const { native } = await only(name);
    expect(native.schema).toBe(3);
    expect(shared.getSmall(0)).toBe(0);
  });
});
