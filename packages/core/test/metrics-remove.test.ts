// remove() hides a label set from every process until it is written again, by anyone: also by a child that was
// looked up (and cached) before the remove, and whose process had never written the series.
import { beforeAll, describe, expect, it } from 'vitest';
import { Counter, Gauge, Heap, HeapExporter, Histogram } from '../src/index.js';
import { usePrivateHeap } from './support/private-heap.js';

const privateHeap = usePrivateHeap('mpm-remove');
let heap: Heap;
beforeAll(() => {
  heap = privateHeap.heap;
});

describe('a child cached before remove()', () => {
  it('writes its label set back, from zero, on its first update', async () => {
    const common = { labelNames: ['a'], heap, registers: [] };
    const counter = new Counter({ name: 'remove_total', help: 'h', ...common });
    const histogram = new Histogram({ name: 'remove_seconds', help: 'h', buckets: [1], ...common });
    const gauge = new Gauge({ name: 'remove_gauge', help: 'h', ...common });
    const [c, h, g] = [counter.labels('x'), histogram.labels('x'), gauge.labels('x')];
    counter.remove('x');
    histogram.remove('x');
    gauge.remove('x');
    c.inc(5);
    h.observe(0.5);
    g.set(7);
    const text = await new HeapExporter(heap).metrics();
    expect(text).toContain('remove_total{a="x"} 5');
    expect(text).toContain('remove_seconds_count{a="x"} 1');
    expect(text).toContain('remove_gauge{a="x"} 7');
    expect((await counter.get()).values).toEqual([{ value: 5, labels: { a: 'x' } }]);
  });

  it('and one that had written before the remove starts again from zero', async () => {
    const counter = new Counter({ name: 'remove_again_total', help: 'h', labelNames: ['a'], heap, registers: [] });
    const c = counter.labels('y');
    c.inc(3);
    counter.remove('y');
    expect(await new HeapExporter(heap).metrics()).not.toContain('remove_again_total{a="y"}');
    c.inc(2);
    expect(await new HeapExporter(heap).metrics()).toContain('remove_again_total{a="y"} 2');
  });
});
