// The heap every metric of this thread uses unless given another: opened on first use, so importing the library
// costs nothing and a process that never declares a metric never touches the file system.
import { Heap } from './heap.js';

let current: Heap | undefined;

export function defaultHeap(): Heap {
  if (current === undefined || current.file.closed) current = Heap.open();
  return current;
}

/** Uses `heap` for metrics created from now on in this thread (tests, or a heap with custom options). */
export function setDefaultHeap(heap: Heap): void {
  current = heap;
}
