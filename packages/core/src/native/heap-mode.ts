// Which kind of heap a process asks for: MPMETRICS_HEAP for the whole process, or the `heap` option of Heap.open.
// Production sets `shared` so that a missing addon is an error, not a quiet fall back to values no other process
// sees; tests set `process` to run the in-process heap on Linux.
import { describeValue, MpmetricsError } from '../errors.js';

export const HEAP_ENV = 'MPMETRICS_HEAP';

/** auto: the shared heap if the addon loads, else the in-process one; shared: the addon or an error; process: in-process. */
export type HeapMode = 'auto' | 'shared' | 'process';

const MODES: readonly HeapMode[] = ['auto', 'shared', 'process'];

/** `value` as a HeapMode, or MPM_ERR_HEAP_MODE naming `source` and what came. */
export function checkHeapMode(value: unknown, source: string): HeapMode {
  if (typeof value === 'string' && (MODES as readonly string[]).includes(value)) return value as HeapMode;
  throw new MpmetricsError('MPM_ERR_HEAP_MODE', `${source} must be one of ${MODES.map((m) => `"${m}"`).join(', ')}, received ${describeValue(value)}`);
}

/** The mode MPMETRICS_HEAP asks for; unset or empty is "auto". */
export function heapModeFromEnv(): HeapMode {
  const value = process.env[HEAP_ENV];
  return value === undefined || value === '' ? 'auto' : checkHeapMode(value, HEAP_ENV);
}
