// Small checks several core tests make of a heap and of refused calls.
import { HeapExporter, type FamilySnapshot, type Heap } from '../../src/index.js';
import { H, WORD } from '../../src/heap/layout.js';

/** A family as an exporter reads it (every process's values), or an error if it is not in the heap. */
export function exportedFamily(heap: Heap, name: string): FamilySnapshot {
  const found = new HeapExporter(heap).snapshot().find((f) => f.name === name);
  if (found === undefined) throw new Error(`family ${name} is not in the heap`);
  return found;
}

/** What `fn` threw, as `name:code` (`RangeError:MPM_ERR_OUT_OF_RANGE`), or undefined if it returned. */
export function thrownKind(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return `${(error as Error).name}:${(error as { code?: string }).code}`;
  }
  return undefined;
}

/** The bytes the heap has handed out so far (its allocation top), in every process. */
export function allocatedBytes(heap: Heap): number {
  return Atomics.load(heap.file.header, H.ALLOC_TOP) * WORD;
}

/** The sample lines of family `name` (`name{...} value`) in a text exposition. */
export function sampleLines(text: string, name: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(`${name}{`));
}
