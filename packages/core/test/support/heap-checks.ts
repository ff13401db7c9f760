// Small checks several core tests make of a heap and of refused calls.
import { writeExposition, type ExpositionFormat, type FamilySnapshot, type Heap } from '../../src/index.js';
import { H, WORD } from '../../src/heap/layout.js';
import { parseMeta } from '../../src/metrics/family-meta.js';
import { FamilyReadCache, readFamily } from '../../src/metrics/family-reader.js';

/**
 * A family as an exporter reads it (every process's values, with the reader HeapExporter uses), or an error if it
 * is not in the heap. No collect() runs: this reads what is there now.
 */
export function exportedFamily(heap: Heap, name: string): FamilySnapshot {
  const found = heapSnapshot(heap).find((f) => f.name === name);
  if (found === undefined) throw new Error(`family ${name} is not in the heap`);
  return found;
}

/**
 * Every metric family in the heap, sorted by name, read as HeapExporter reads them but at once, without running any
 * collect(): for tests that check what the heap holds right now, from synchronous code.
 */
export function heapSnapshot(heap: Heap): FamilySnapshot[] {
  const out: FamilySnapshot[] = [];
  for (const family of heap.families()) {
    const meta = parseMeta(family.meta);
    if (meta !== undefined) out.push(readFamily(heap, family.ptr, family.name, meta, new FamilyReadCache()));
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** heapSnapshot() written in `format`. */
export function heapText(heap: Heap, format: ExpositionFormat = 'prometheus'): string {
  return writeExposition(heapSnapshot(heap), format);
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
