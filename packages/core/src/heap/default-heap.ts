// The heap every metric of this thread uses unless given another: opened on first use, so importing the library
// costs nothing and a process that never declares a metric never touches the file system.
import { isMainThread } from 'node:worker_threads';
import { Heap } from './heap.js';
import { reservePrivateDirectory } from './location.js';

// A cluster primary (or any parent) may fork its workers before it uses a metric itself; the workers must still
// share one heap, so the main thread settles MPMETRICS_DIR as soon as the library is loaded. That is one mkdtemp;
// the heap file itself is only made on first use.
if (isMainThread) reservePrivateDirectory();

let current: Heap | undefined;

export function defaultHeap(): Heap {
  if (current === undefined || current.file.closed) current = Heap.open();
  return current;
}

/** Uses `heap` for metrics created from now on in this thread (tests, or a heap with custom options). */
export function setDefaultHeap(heap: Heap): void {
  current = heap;
}
