// The heap every metric of this thread uses unless given another: opened on first use.
//
// It is kept on the native addon's exports object, which Node loads once per thread and caches by file name, so
// every copy of this module in the thread finds the same heap: the ESM and the CommonJS build loaded side by side,
// and the fresh module registry jest and vitest give each test file. A second heap handle in one thread would be a
// second writer, and a metric declared again by a later test file would join its earlier family instead of
// starting anew (see Heap.declareFamily).
import { isMainThread } from 'node:worker_threads';
import { binding } from '../native/binding.js';
import { Heap } from './heap.js';
import { reserveInProcessHeap } from './heap-kind.js';
import { reservePrivateDirectory } from './location.js';

// A cluster primary (or any parent) may fork its workers before it uses a metric itself; the workers must still
// share one heap, so the main thread settles MPMETRICS_DIR as soon as the library is loaded: a private directory
// with its marker, lock and exit hooks (each step is listed at reservePrivateDirectory). The heap file and the sweep
// of stale heaps wait for first use. An in-process heap (no addon, or MPMETRICS_HEAP=process) touches no file.
if (isMainThread && !reserveInProcessHeap()) reservePrivateDirectory();

const kDefaultHeap = Symbol.for('mpmetrics.defaultHeap');

/** Where the thread's default heap is kept: the addon's exports, one object per thread. */
const holder = binding as unknown as { [kDefaultHeap]?: Heap };

export function defaultHeap(): Heap {
  let current = holder[kDefaultHeap];
  if (current === undefined || current.file.closed) holder[kDefaultHeap] = current = Heap.open();
  return current;
}

/** Uses `heap` for metrics created from now on in this thread (tests, or a heap with custom options). */
export function setDefaultHeap(heap: Heap): void {
  holder[kDefaultHeap] = heap;
}
