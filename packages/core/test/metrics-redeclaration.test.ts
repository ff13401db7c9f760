// A name declared again is a new metric, as in prom-client: after `register.clear()` or `removeSingleMetric()`, in
// another registry, or from a test file's fresh module registry (jest, vitest), `new Counter({ name })` starts at
// zero and may have other label names, another type or other buckets. Always side by side with prom-client.
//
// The shared heap adds one rule: a family that another writer (process or thread) has declared too is never
// replaced, since that would drop the other's counts; declared again, it is joined (values go on, and the
// declaration must match). Real processes show it, and the heap-level protocol is checked on damage and on a
// replacement cut short.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Counter as PromCounter, Gauge as PromGauge, Histogram as PromHistogram, Registry } from 'prom-client';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { Counter, Gauge, Heap, HeapExporter, Histogram, defaultHeap, setDefaultHeap } from '../src/index.js';
import { DECLARED_REPLACED, DECLARED_SHARED, FAMILY } from '../src/heap/layout.js';
import { privateHeap, uniqueName } from './helpers/parity.js';
import { thrownKind } from './support/heap-checks.js';

const DECLARE = fileURLToPath(new URL('./fixtures/declare-metric.mjs', import.meta.url));

const own = privateHeap('mpm-redeclare-');
const heap = own.heap;
afterAll(() => own.close());

/** Both registries write the same text, and it is `expected`. */
async function expectBoth(ours: Registry, theirs: Registry, expected: string): Promise<void> {
  expect(await ours.metrics()).toBe(await theirs.metrics());
  expect(await ours.metrics()).toBe(expected);
}

/** Declares a metric in another process on the heap of `dir` (optionally updating it), and waits for it to exit. */
function declareElsewhere(dir: string, spec: unknown): { ok: boolean; error?: { code: string; message: string } } {
  const run = spawnSync(process.execPath, [DECLARE, JSON.stringify(spec)], { env: { ...process.env, MPMETRICS_DIR: dir }, encoding: 'utf8', timeout: 30_000 });
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as { ok: boolean; error?: { code: string; message: string } };
}

function familyWord(h: Heap, ptr: number, field: number): { u32: Uint32Array; at: number } {
  return { u32: h.file.segmentOf(ptr).u32, at: h.file.offsetOf(ptr) * 2 + field };
}

describe('in one process, as in prom-client', () => {
  it('register.clear() then the same declaration: a new metric at zero', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const name = uniqueName('mpmd_jobs_total');
    const make = (): [Counter<'kind'>, PromCounter<'kind'>] => [
      new Counter({ name, help: 'Jobs', labelNames: ['kind'], registers: [ours], heap }),
      new PromCounter({ name, help: 'Jobs', labelNames: ['kind'], registers: [theirs] }),
    ];
    for (const metric of make()) metric.inc({ kind: 'a' }, 5);
    ours.clear();
    theirs.clear();
    await expectBoth(ours, theirs, '\n');
    for (const metric of make()) metric.inc({ kind: 'b' });
    await expectBoth(ours, theirs, `# HELP ${name} Jobs\n# TYPE ${name} counter\n${name}{kind="b"} 1\n`);
    expect(await new HeapExporter(heap).metrics()).toContain(`# TYPE ${name} counter\n${name}{kind="b"} 1\n`);
    expect(await new HeapExporter(heap).metrics()).not.toContain(`${name}{kind="a"}`);
  });

  it('register.clear() then other label names, another type or other buckets: accepted, from zero', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const name = uniqueName('mpmd_shape');
    new Counter({ name, help: 'v1', labelNames: ['a'], registers: [ours], heap }).inc({ a: 'x' }, 3);
    new PromCounter({ name, help: 'v1', labelNames: ['a'], registers: [theirs] }).inc({ a: 'x' }, 3);

    for (const registry of [ours, theirs]) registry.clear();
    new Counter({ name, help: 'v2', labelNames: ['b', 'a'], registers: [ours], heap }).inc({ b: 'y', a: 'x' });
    new PromCounter({ name, help: 'v2', labelNames: ['b', 'a'], registers: [theirs] }).inc({ b: 'y', a: 'x' });
    await expectBoth(ours, theirs, `# HELP ${name} v2\n# TYPE ${name} counter\n${name}{b="y",a="x"} 1\n`);

    for (const registry of [ours, theirs]) registry.clear();
    new Gauge({ name, help: 'v3', registers: [ours], heap }).set(-2);
    new PromGauge({ name, help: 'v3', registers: [theirs] }).set(-2);
    await expectBoth(ours, theirs, `# HELP ${name} v3\n# TYPE ${name} gauge\n${name} -2\n`);

    for (const registry of [ours, theirs]) registry.clear();
    new Histogram({ name, help: 'v4', buckets: [1], registers: [ours], heap }).observe(0.5);
    new PromHistogram({ name, help: 'v4', buckets: [1], registers: [theirs] }).observe(0.5);
    await expectBoth(
      ours,
      theirs,
      `# HELP ${name} v4\n# TYPE ${name} histogram\n${name}_bucket{le="1"} 1\n${name}_bucket{le="+Inf"} 1\n${name}_sum 0.5\n${name}_count 1\n`,
    );
    // the heap's exporter shows the latest declaration only
    const exported = await new HeapExporter(heap).metrics();
    expect(exported).toContain(`# TYPE ${name} histogram\n`);
    expect(exported).not.toContain(`# TYPE ${name} gauge\n`);
  });

  it('a metric kept from before the clear goes on with its own values, apart from the new one', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const name = uniqueName('mpmd_kept_total');
    const old = new Counter({ name, help: 'h', registers: [ours], heap });
    const theirOld = new PromCounter({ name, help: 'h', registers: [theirs] });
    ours.clear();
    theirs.clear();
    const fresh = new Counter({ name, help: 'h', registers: [ours], heap });
    const theirFresh = new PromCounter({ name, help: 'h', registers: [theirs] });
    old.inc(10);
    theirOld.inc(10);
    fresh.inc(1);
    theirFresh.inc(1);
    expect(await old.get()).toEqual(await theirOld.get());
    expect(await fresh.get()).toEqual(await theirFresh.get());
    await expectBoth(ours, theirs, `# HELP ${name} h\n# TYPE ${name} counter\n${name} 1\n`);
  });

  it('registers: [] twice: two metrics, the second exported by HeapExporter', async () => {
    const name = uniqueName('mpmd_loose_total');
    const first = new Counter({ name, help: 'h', registers: [], heap });
    const second = new Counter({ name, help: 'h', labelNames: ['k'], registers: [], heap });
    first.inc(4);
    second.inc({ k: 'v' }, 2);
    expect((await first.get()).values).toEqual([{ value: 4, labels: {} }]);
    expect((await second.get()).values).toEqual([{ value: 2, labels: { k: 'v' } }]);
    expect(await new HeapExporter(heap).metrics()).toContain(`# TYPE ${name} counter\n${name}{k="v"} 2\n`);
  });
});

describe('across module instances of one thread (jest and vitest give each test file its own)', () => {
  it('every copy of the module finds the same default heap, so a name declared again by a later "file" starts anew', async () => {
    const before = defaultHeap();
    setDefaultHeap(heap);
    try {
      const name = uniqueName('mpmd_files_total');
      const first = new Counter({ name, help: 'File 1', labelNames: ['route'], registers: [] });
      first.inc({ route: '/a' }, 3);

      vi.resetModules();
      const fresh = (await import('../src/index.js')) as typeof import('../src/index.js');
      expect(fresh.Counter).not.toBe(Counter); // a new copy of the module, as the next test file gets
      expect(fresh.defaultHeap()).toBe(heap);
      const second = new fresh.Counter({ name, help: 'File 2', labelNames: ['route', 'method'], registers: [] });
      second.inc({ route: '/a', method: 'GET' });
      expect((await second.get()).values).toEqual([{ value: 1, labels: { route: '/a', method: 'GET' } }]);
      expect(await new HeapExporter(heap).metrics()).toContain(`# HELP ${name} File 2\n# TYPE ${name} counter\n${name}{route="/a",method="GET"} 1\n`);
      expect((await first.get()).values).toEqual([{ value: 3, labels: { route: '/a' } }]);
    } finally {
      setDefaultHeap(before);
    }
  });
});

describe('a family another process declared too is joined, never replaced', () => {
  it('declared again after a child declared and wrote it: its counts stay, and another shape is refused', async () => {
    const name = uniqueName('mpmd_joined_total');
    const ours = new Registry();
    const first = new Counter({ name, help: 'h', labelNames: ['k'], registers: [ours], heap });
    first.inc({ k: 'x' }, 2);
    // a real process declares the same metric and adds 5, then exits: its counts are kept for good
    expect(declareElsewhere(own.dir, { type: 'counter', config: { name, help: 'h', labelNames: ['k'] }, update: ['inc', { k: 'x' }, 5] })).toEqual({ ok: true });
    ours.clear();
    const again = new Counter({ name, help: 'h', labelNames: ['k'], registers: [ours], heap });
    again.inc({ k: 'x' });
    expect(await ours.metrics()).toBe(`# HELP ${name} h\n# TYPE ${name} counter\n${name}{k="x"} 8\n`);
    ours.clear();
    expect(thrownKind(() => new Counter({ name, help: 'h', labelNames: ['k', 'other'], registers: [ours], heap }))).toBe('RangeError:MPM_ERR_METRIC_CONFLICT');
    expect(await new HeapExporter(heap).metrics()).toContain(`${name}{k="x"} 8\n`);
  });

  it('a family made by another process is joined by the first declaration here, and so never replaced by a second', async () => {
    const name = uniqueName('mpmd_theirs_total');
    expect(declareElsewhere(own.dir, { type: 'counter', config: { name, help: 'h' }, update: ['inc', 4] })).toEqual({ ok: true });
    const first = new Counter({ name, help: 'h', registers: [], heap });
    first.inc();
    const second = new Counter({ name, help: 'h', registers: [], heap });
    second.inc();
    expect((await second.get()).values).toEqual([{ value: 6, labels: {} }]);
    expect((await first.get()).values).toEqual([{ value: 6, labels: {} }]);
  });

  it('a process that declares a family this one made marks it shared, and a redeclaration here then joins', async () => {
    const name = uniqueName('mpmd_mine_total');
    const mine = new Counter({ name, help: 'h', registers: [], heap });
    const ptr = heap.findFamily(name)!.ptr;
    const { u32, at } = familyWord(heap, ptr, FAMILY.DECLARED);
    expect(Atomics.load(u32, at)).toBe(0);
    heap.family(name, 'looked up again by the same handle'); // not another writer: the family stays its maker's
    expect(Atomics.load(u32, at)).toBe(0);
    expect(declareElsewhere(own.dir, { type: 'counter', config: { name, help: 'h' }, update: ['inc', 1] })).toEqual({ ok: true });
    expect(Atomics.load(u32, at)).toBe(DECLARED_SHARED);
    mine.inc();
    const again = new Counter({ name, help: 'h', registers: [], heap });
    expect(heap.findFamily(name)!.ptr).toBe(ptr);
    expect((await again.get()).values).toEqual([{ value: 2, labels: {} }]);
  });
});

describe('the heap protocol (families.ts)', () => {
  it('a replacement cut short (its maker died between its two steps) is finished by whoever finds it', () => {
    const name = uniqueName('mpmd_cut_total');
    const made = heap.declareFamily(name, '{"probe":1}');
    const { u32, at } = familyWord(heap, made.ptr, FAMILY.DECLARED);
    Atomics.store(u32, at, DECLARED_REPLACED); // step one done, step two (publishing a new record) never came
    const other = Heap.open({ dir: own.dir });
    try {
      const found = other.declareFamily(name, '{"probe":2}');
      expect(found.created).toBe(true);
      expect(found.ptr).not.toBe(made.ptr);
      expect(heap.findFamily(name)).toMatchObject({ ptr: found.ptr, meta: '{"probe":2}' });
      expect(heap.families().filter((f) => f.name === name)).toHaveLength(1);
    } finally {
      other.close();
    }
  });

  it('a DECLARED word that is none of ours counts as shared: the family is joined, not replaced', () => {
    const name = uniqueName('mpmd_odd_total');
    const made = heap.declareFamily(name, '{"probe":1}');
    const { u32, at } = familyWord(heap, made.ptr, FAMILY.DECLARED);
    Atomics.store(u32, at, 77);
    const again = heap.declareFamily(name, '{"probe":1}');
    expect(again).toMatchObject({ ptr: made.ptr, created: false });
  });

  it('a current-record pointer into garbage or to another name is refused as damage (MPM_ERR_HEAP_CORRUPT)', () => {
    const name = uniqueName('mpmd_bad_total');
    const made = heap.declareFamily(name, '{"probe":1}');
    const otherName = heap.declareFamily(uniqueName('mpmd_else_total'), '{"probe":1}');
    const { u32, at } = familyWord(heap, made.ptr, FAMILY.CURRENT);
    for (const bad of [otherName.ptr, made.ptr + 1, 0xfffffff0]) {
      Atomics.store(u32, at, bad);
      expect(() => heap.findFamily(name), String(bad)).toThrow(expect.objectContaining({ code: 'MPM_ERR_HEAP_CORRUPT' }));
      expect(() => heap.declareFamily(name, '{"probe":1}'), String(bad)).toThrow(expect.objectContaining({ code: 'MPM_ERR_HEAP_CORRUPT' }));
    }
    Atomics.store(u32, at, 0);
    expect(heap.findFamily(name)?.ptr).toBe(made.ptr);
  });
});
