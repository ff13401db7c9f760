// An exporter kept across scrapes reads a family's directory again only when its record count says a record may
// have been added (family-reader.ts, readOrder; the argument: docs/ARCHITECTURE.md, "Read order"). Whatever
// another process does meanwhile (new label sets, removals, revivals, children made for later, a stream of new
// series during the scrapes), the kept exporter must show what a fresh one shows, which walks every time. Real
// processes, real heap.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Counter, HeapExporter } from '../src/index.js';
import { H } from '../src/heap/layout.js';
import { FamilyReadCache, readFamily } from '../src/metrics/family-reader.js';
import { parseMeta } from '../src/metrics/family-meta.js';
import { startIpcChild, type IpcChild } from './support/ipc-child.js';
import { usePrivateHeap } from './support/private-heap.js';

const shared = usePrivateHeap('mpm-read-order');
const CHURN = new URL('./fixtures/series-churn.mjs', import.meta.url).pathname;

let child: IpcChild;
beforeAll(async () => {
  child = await startIpcChild(CHURN, shared.dir);
});
afterAll(() => child?.stop());

async function expectAsFresh(kept: HeapExporter): Promise<string> {
  const fresh = await new HeapExporter(shared.heap).metrics();
  expect(await kept.metrics()).toBe(fresh);
  const lease = await kept.leaseMetricsBytes();
  expect(lease.bytes.toString()).toBe(fresh);
  lease.release();
  return fresh;
}

describe('a kept exporter and the read order it caches', () => {
  it('shows what a fresh exporter shows as another process adds, removes and revives series', async () => {
    // declared here too, so that this process writes into the same family
    const counter = new Counter({ name: 'mpmro_churn_total', help: 'h', labelNames: ['key'], maxSeries: 3000, heap: shared.heap, registers: [] });
    const kept = new HeapExporter(shared.heap);
    await child.request({ op: 'inc', keys: ['a', 'b'] });
    expect(await expectAsFresh(kept)).toContain('mpmro_churn_total{key="b"} 1\n');
    await child.request({ op: 'inc', keys: ['c'] });
    expect(await expectAsFresh(kept)).toContain('mpmro_churn_total{key="c"} 1\n');
    await child.request({ op: 'remove', keys: ['a'] });
    expect(await expectAsFresh(kept)).not.toContain('key="a"');
    // revived by another process: its record is found again, no record is added, and the count does not move
    await child.request({ op: 'inc', keys: ['a'], by: 5 });
    expect(await expectAsFresh(kept)).toContain('mpmro_churn_total{key="a"} 5\n');
    await child.request({ op: 'labels', keys: ['later'] });
    expect(await expectAsFresh(kept)).not.toContain('key="later"');
    counter.inc({ key: 'later' }, 2);
    expect(await expectAsFresh(kept)).toContain('mpmro_churn_total{key="later"} 2\n');
    counter.remove({ key: 'b' });
    counter.inc({ key: 'd' });
    const text = await expectAsFresh(kept);
    expect(text).not.toContain('key="b"');
    expect(text.indexOf('key="a"')).toBeLessThan(text.indexOf('key="d"')); // creation order kept
  });

  it('catches up with series added while it scrapes, once they stop coming', async () => {
    const kept = new HeapExporter(shared.heap);
    await child.request({ op: 'flood', prefix: 'f' });
    let scrapes = 0;
    const until = Date.now() + 1500;
    while (Date.now() < until) {
      await kept.metrics();
      scrapes++;
    }
    await child.request({ op: 'stop' });
    const text = await expectAsFresh(kept);
    expect(scrapes).toBeGreaterThan(10);
    expect(text).toMatch(/key="f\d+"/);
  });

  it('walks a family with a TTL every time: a record that left it and a new one leave its count as it was', async () => {
    const kept = new HeapExporter(shared.heap);
    const expiring = new Counter({ name: 'mpmro_ttl_total', help: 'h', labelNames: ['id'], ttlSeconds: 0.2, heap: shared.heap, registers: [] });
    const sweep = (): void => {
      vi.setSystemTime(Date.now() + 300);
      new Float64Array(shared.heap.file.header.buffer, 0, H.NEXT_SWEEP_F64 + 1)[H.NEXT_SWEEP_F64] = 0; // a sweep is due now
      shared.heap.maintain();
    };
    const family = shared.heap.findFamily('mpmro_ttl_total')!.ptr;
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      expiring.inc({ id: 'short' });
      expect(await expectAsFresh(kept)).toContain('mpmro_ttl_total{id="short"} 1\n');
      sweep(); // retires it: the family counts one record less
      sweep();
      // a key too long to take the freed record: a new one, and the count is back where the last walk saw it
      expiring.inc({ id: 'long'.repeat(40) });
      expect(shared.heap.seriesCount(family)).toBe(1);
      const text = await expectAsFresh(kept);
      expect(text).toContain(`mpmro_ttl_total{id="${'long'.repeat(40)}"} 1\n`);
      expect(text).not.toContain('id="short"');
    } finally {
      vi.useRealTimers();
    }
  });

  it('drops the labels it kept for a series once the series is removed', () => {
    const counter = new Counter({ name: 'mpmro_pruned_total', help: 'h', labelNames: ['user'], heap: shared.heap, registers: [] });
    for (let i = 0; i < 100; i++) counter.inc({ user: `u${i}` });
    const family = shared.heap.findFamily('mpmro_pruned_total')!;
    const meta = parseMeta(family.meta)!;
    const cache = new FamilyReadCache();
    expect(readFamily(shared.heap, family.ptr, family.name, meta, cache).series).toHaveLength(100);
    expect(cache.labels.size).toBe(100);
    for (let i = 0; i < 90; i++) counter.remove({ user: `u${i}` });
    expect(readFamily(shared.heap, family.ptr, family.name, meta, cache).series).toHaveLength(10);
    expect(cache.labels.size).toBe(10);
  });
});
