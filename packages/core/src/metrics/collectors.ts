// The `collect()` of every metric declared through this copy of the module, per heap, by name: the process that
// scrapes runs them before it reads the heap, whichever way it reads it. prom-client's registries call each
// metric's get(), which runs its own; HeapExporter (and the integrations' /metrics) run these. A name declared
// again (after register.clear()) keeps only the latest declaration's. Per module instance, not process-global:
// a collect belongs to the user code that declared it.
import type { Heap } from '../heap/heap.js';

/** A metric whose collect runs with the metric as `this`. */
interface Collecting {
  readonly collect: (() => void | Promise<void>) | undefined;
}

const byHeap = new WeakMap<Heap, Map<string, Collecting>>();

/** Records the latest declaration of `name` in `heap`: its collect runs at export, another's no longer does. */
export function declareCollect(heap: Heap, name: string, metric: Collecting): void {
  let metrics = byHeap.get(heap);
  if (metric.collect === undefined) {
    metrics?.delete(name);
    return;
  }
  if (metrics === undefined) byHeap.set(heap, (metrics = new Map()));
  metrics.set(name, metric);
}

/**
 * Runs the collect of every metric declared in `heap`, all started at once and awaited together, as prom-client's
 * `register.metrics()` runs its metrics' get(): one that throws (or rejects) rejects the whole.
 */
export async function runCollects(heap: Heap): Promise<void> {
  const metrics = byHeap.get(heap);
  if (metrics === undefined || metrics.size === 0) return;
  await Promise.all([...metrics.values()].map(async (metric) => metric.collect?.call(metric)));
}
