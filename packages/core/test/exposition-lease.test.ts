// Lent exposition buffers (HeapExporter.leaseMetricsBytes, leaseExpositionBytes): the same bytes as metricsBytes(),
// in buffers that later scrapes reuse, and never in one that another scrape still holds: two scrapes interleaved by
// their awaits keep their own bytes, a lease never released leaves later scrapes correct, a released buffer is the
// one the next scrape writes into, and bad arguments throw coded errors. Real heaps, real collects; no mocks.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Counter, Gauge, HeapExporter, leaseExpositionBytes, writeExpositionBytes, type ExpositionLease } from '../src/index.js';
import { usePrivateHeap } from './support/private-heap.js';
import { GOLDEN_SEEDS, goldenFamilies } from './support/golden-families.js';

const one = usePrivateHeap('mpm-lease-a');
const two = usePrivateHeap('mpm-lease-b');
const three = usePrivateHeap('mpm-lease-c');

/** A family of `series` counters in `heap` whose every value is `value`, and a way to set them all again. */
function counters(heap: typeof one.heap, name: string, series: number, value: number): (value: number) => void {
  const counter = new Counter({ name, help: 'Lease test', labelNames: ['id'] as const, heap, registers: [], maxSeries: Infinity });
  const set = (v: number): void => {
    counter.reset();
    for (let i = 0; i < series; i++) counter.inc({ id: `series-${i}` }, v);
  };
  set(value);
  return set;
}

/** What a lease fixture (test/fixtures, run with --expose-gc in a child on `dir`) printed. */
function runFixture<T>(name: string, dir: string): T {
  const script = fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
  const child = spawnSync(process.execPath, ['--expose-gc', script, dir], { encoding: 'utf8', timeout: 60_000 });
  expect(child.status, child.stderr).toBe(0);
  return JSON.parse(child.stdout) as T;
}

/** The distinct values of the samples of `name` in an exposition. */
function valuesOf(bytes: Buffer, name: string): Set<string> {
  const values = new Set<string>();
  for (const line of bytes.toString('utf8').split('\n')) if (line.startsWith(`${name}{`)) values.add(line.slice(line.lastIndexOf(' ') + 1));
  return values;
}

describe('exposition leases', () => {
  it('hold the same bytes as metricsBytes() and writeExpositionBytes(), in both formats', async () => {
    counters(one.heap, 'lease_same_total', 50, 3);
    const exporter = new HeapExporter(one.heap);
    for (const format of ['prometheus', 'openmetrics'] as const) {
      const lease = await exporter.leaseMetricsBytes(format);
      expect(lease.bytes.equals(await exporter.metricsBytes(format))).toBe(true);
      lease.release();
    }
    for (const seed of GOLDEN_SEEDS.slice(0, 3)) {
      for (const format of ['prometheus', 'openmetrics'] as const) {
        const lease = leaseExpositionBytes(goldenFamilies(seed), format, { zone: 'a"b' });
        expect(lease.bytes.equals(writeExpositionBytes(goldenFamilies(seed), format, { zone: 'a"b' }))).toBe(true);
        lease.release();
      }
    }
  });

  it('write another registry’s text after the families, with one # EOF in OpenMetrics', () => {
    const families = goldenFamilies(GOLDEN_SEEDS[0]!);
    const ours = writeExpositionBytes(families, 'openmetrics');
    const rest = '# TYPE theirs counter\ntheirs_total 1\n# EOF\n';
    const lease = leaseExpositionBytes(families, 'openmetrics', undefined, rest);
    expect(lease.bytes.toString()).toBe(ours.toString().slice(0, -'# EOF\n'.length) + rest);
    lease.release();
    const text = leaseExpositionBytes(families, 'prometheus', undefined, 'theirs 1\n');
    expect(text.bytes.toString()).toBe(`${writeExpositionBytes(families, 'prometheus').toString()}theirs 1\n`);
    text.release();
    // the copying writer appends it the same way (what @mpmetrics/http serves by default)
    expect(writeExpositionBytes(families, 'openmetrics', undefined, rest).toString()).toBe(ours.toString().slice(0, -'# EOF\n'.length) + rest);
    expect(() => writeExpositionBytes(families, 'openmetrics', undefined, 1 as never)).toThrow(expect.objectContaining({ name: 'TypeError', code: 'MPM_ERR_INVALID_ARG_TYPE' }));
  });

  it('keep two scrapes interleaved by their awaits apart (async collects, two heaps of different content)', async () => {
    counters(one.heap, 'lease_mix_total', 2000, 1);
    counters(two.heap, 'lease_mix_total', 2000, 2);
    // collects that wait, so that each scrape's snapshot resolves while the other's is pending
    for (const [heap, n] of [[one.heap, 1], [two.heap, 2]] as const) {
      new Gauge({ name: 'lease_mix_wait', help: 'Waits at collect', heap, registers: [], collect: () => new Promise<void>((resolve) => setTimeout(resolve, n * 3)) });
    }
    const a = new HeapExporter(one.heap);
    const b = new HeapExporter(two.heap);
    const held: ExpositionLease[] = [];
    for (let round = 0; round < 20; round++) {
      const [la, lb, copyA, lb2] = await Promise.all([a.leaseMetricsBytes(), b.leaseMetricsBytes(), a.metricsBytes(), b.leaseMetricsBytes('openmetrics')]);
      expect(valuesOf(la.bytes, 'lease_mix_total')).toEqual(new Set(['1']));
      expect(valuesOf(lb.bytes, 'lease_mix_total')).toEqual(new Set(['2']));
      expect(valuesOf(lb2.bytes, 'lease_mix_total')).toEqual(new Set(['2']));
      expect(la.bytes.equals(copyA)).toBe(true);
      expect(new Set([la.bytes.buffer, lb.bytes.buffer, lb2.bytes.buffer]).size).toBe(3);
      // some kept across rounds, released in another order than taken
      if (round % 3 === 0) held.push(lb);
      else lb.release();
      lb2.release();
      la.release();
      for (const lease of held) expect(valuesOf(lease.bytes, 'lease_mix_total')).toEqual(new Set(['2']));
    }
    for (const lease of held) lease.release();
  });

  it('reuse a released buffer for the next scrape, and never one still lent', async () => {
    const set = counters(one.heap, 'lease_reuse_total', 100, 5);
    const exporter = new HeapExporter(one.heap);
    // two leases held empty the free list, so the next buffer given back is the next one taken
    const p = await exporter.leaseMetricsBytes();
    const q = await exporter.leaseMetricsBytes();
    const first = await exporter.leaseMetricsBytes();
    const buffer = first.bytes.buffer;
    expect(new Set([p.bytes.buffer, q.bytes.buffer, buffer]).size).toBe(3);
    first.release();
    set(6);
    const second = await exporter.leaseMetricsBytes();
    expect(second.bytes.buffer).toBe(buffer);
    expect(valuesOf(second.bytes, 'lease_reuse_total')).toEqual(new Set(['6']));
    expect(valuesOf(p.bytes, 'lease_reuse_total')).toEqual(new Set(['5']));
    // released twice, it is still given back once: two later scrapes get two buffers
    second.release();
    second.release();
    const x = await exporter.leaseMetricsBytes();
    const y = await exporter.leaseMetricsBytes();
    expect(x.bytes.buffer).not.toBe(y.bytes.buffer);
    for (const lease of [p, q, x, y]) lease.release();
  });

  it('leave later scrapes correct when a lease is never released', async () => {
    const set = counters(one.heap, 'lease_kept_total', 500, 7);
    const exporter = new HeapExporter(one.heap);
    const kept = await exporter.leaseMetricsBytes();
    const copy = Buffer.from(kept.bytes);
    for (let v = 8; v < 28; v++) {
      set(v);
      const lease = await exporter.leaseMetricsBytes();
      expect(valuesOf(lease.bytes, 'lease_kept_total')).toEqual(new Set([String(v)]));
      lease.release();
      expect(kept.bytes.equals(copy)).toBe(true);
    }
    // dropped without release(): nothing refers to it but this test, and scrapes go on
    expect((await exporter.metricsBytes()).length).toBeGreaterThan(0);
  });

  it('are collected by GC when never released (--expose-gc, in a child)', () => {
    const r = runFixture<{ size: number; distinct: number; before: number; holding: number; after: number; lines: number }>('unreleased-leases.mjs', two.dir);
    expect(r.size).toBeGreaterThan(1_000_000);
    expect(r.distinct).toBe(40); // each its own buffer, none shared
    expect(r.holding - r.before).toBeGreaterThan(40 * r.size);
    expect(r.after - r.before).toBeLessThan(4 * r.size); // what is left: the free list's buffers at most
    expect(r.lines).toBe(8000);
  });

  it('give back the memory of a flood that passed, after eight small scrapes in a row (--expose-gc, in a child)', () => {
    const r = runFixture<{ start: number; size: number; grown: number; afterSeven: number; afterEight: number; lines: number; wavering: number }>('shrinking-leases.mjs', three.dir);
    expect(r.size).toBeGreaterThan(1_000_000);
    // both free buffers grew to hold the flood; seven small scrapes keep them, the eighth lets them go
    expect(r.afterSeven - r.afterEight).toBeGreaterThan(1.5 * r.size);
    expect(r.grown - r.afterEight).toBeGreaterThan(1.5 * r.size);
    // and nothing else of the flood is left: not the label text the exporter kept for its 9,000 series either
    expect(r.afterEight - r.start).toBeLessThan(0.25 * r.size);
    // the flood again: a buffer grows back and the text is whole; small scrapes between large ones keep it
    expect(r.lines).toBe(9000);
    expect(r.wavering - r.afterEight).toBeGreaterThan(0.9 * r.size);
  });

  it('keep buffers the size of a large appended exposition, not three times it (--expose-gc, in a child)', () => {
    const r = runFixture<{ size: number; kept: number }>('rest-memory.mjs', three.dir);
    expect(r.size).toBeGreaterThan(4_000_000);
    // one free buffer holds the scrape; room reserved at 3 bytes a character kept 3 times that
    expect(r.kept).toBeLessThan(1.5 * r.size);
  });

  it('append another registry\'s exposition after the heap\'s families, as writeExpositionBytes() does', async () => {
    counters(one.heap, 'lease_rest_total', 3, 2);
    const exporter = new HeapExporter(one.heap);
    for (const [format, rest] of [['prometheus', '# HELP other_total o\n# TYPE other_total counter\nother_total 1\n'], ['openmetrics', '# TYPE other counter\nother_total 1\n# EOF\n']] as const) {
      const expected = writeExpositionBytes(await exporter.snapshot(), format, undefined, rest);
      expect((await exporter.metricsBytes(format, rest)).equals(expected)).toBe(true);
      const lease = await exporter.leaseMetricsBytes(format, rest);
      expect(lease.bytes.equals(expected)).toBe(true);
      expect(lease.bytes.toString().endsWith(rest)).toBe(true);
      lease.release();
    }
    // text that is not ASCII, met part-way: é, a lone surrogate (written as U+FFFD, as Buffer.from writes it), 🙂
    const mixed = `# HELP other_total ${'a'.repeat(5000)}é\ud800🙂\n# TYPE other_total counter\nother_total 1\n`;
    const lease = await exporter.leaseMetricsBytes('prometheus', mixed);
    expect(lease.bytes.equals(Buffer.concat([await exporter.metricsBytes('prometheus'), Buffer.from(mixed)]))).toBe(true);
    lease.release();
    const type = expect.objectContaining({ name: 'TypeError', code: 'MPM_ERR_INVALID_ARG_TYPE' });
    await expect(exporter.metricsBytes('prometheus', 1 as never)).rejects.toThrow(type);
    await expect(exporter.leaseMetricsBytes('prometheus', Buffer.from('x') as never)).rejects.toThrow(type);
  });

  it('refuse bytes read after release(), and bad arguments, with coded errors', async () => {
    const exporter = new HeapExporter(one.heap);
    const lease = await exporter.leaseMetricsBytes();
    lease.release();
    expect(() => lease.bytes).toThrow(expect.objectContaining({ code: 'MPM_ERR_LEASE_RELEASED' }));

    await expect(exporter.leaseMetricsBytes('json' as never)).rejects.toThrow(expect.objectContaining({ name: 'RangeError', code: 'MPM_ERR_OUT_OF_RANGE' }));
    await expect(exporter.leaseMetricsBytes(1 as never)).rejects.toThrow(expect.objectContaining({ name: 'TypeError', code: 'MPM_ERR_INVALID_ARG_TYPE' }));
    await expect(exporter.leaseMetricsBytes(null as never)).rejects.toThrow(/"format" must be "prometheus" or "openmetrics", received null/);
    const type = expect.objectContaining({ name: 'TypeError', code: 'MPM_ERR_INVALID_ARG_TYPE' });
    expect(() => leaseExpositionBytes('families' as never, 'prometheus')).toThrow(type);
    expect(() => leaseExpositionBytes([], 'text' as never)).toThrow(expect.objectContaining({ code: 'MPM_ERR_OUT_OF_RANGE' }));
    expect(() => leaseExpositionBytes([], 'prometheus', ['a'] as never)).toThrow(type);
    expect(() => leaseExpositionBytes([], 'prometheus', null as never)).toThrow(type);
    expect(() => leaseExpositionBytes([], 'openmetrics', undefined, Buffer.from('x') as never)).toThrow(type);
  });
});
