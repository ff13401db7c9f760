// A heap of its own for one test file, in a fresh 0700 directory that is removed afterwards: registers vitest's
// beforeAll/afterAll, so call it at the top level of the file.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { Heap, type HeapOptions } from '../../src/index.js';

export interface PrivateHeap {
  /** The heap directory (valid from beforeAll on). */
  readonly dir: string;
  /** The heap, opened in beforeAll, closed in afterAll. */
  readonly heap: Heap;
}

export function usePrivateHeap(prefix: string, options: Omit<HeapOptions, 'dir'> = {}): PrivateHeap {
  let dir: string | undefined;
  let heap: Heap | undefined;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
    fs.chmodSync(dir, 0o700);
    heap = Heap.open({ ...options, dir });
  });
  afterAll(() => {
    heap?.close();
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });
  return {
    get dir(): string {
      if (dir === undefined) throw new Error('usePrivateHeap: the heap is opened in beforeAll');
      return dir;
    },
    get heap(): Heap {
      if (heap === undefined) throw new Error('usePrivateHeap: the heap is opened in beforeAll');
      return heap;
    },
  };
}
