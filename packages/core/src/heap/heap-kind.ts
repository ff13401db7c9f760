// Which heap a Heap.open gets: the shared one (the addon's mapped file) or an in-process one (memory-file.ts), as
// its `heap` option, else MPMETRICS_HEAP, asks; and the one warning that a process's values are not shared.
import { getEnvironmentData, setEnvironmentData } from 'node:worker_threads';
import { native, nativeFailure, processHeapMode } from '../native/addon.js';
import { checkHeapMode, HEAP_ENV, type HeapMode } from '../native/heap-mode.js';
import { reserveMemoryFile } from './memory-file.js';

/** Set in the environment data of a thread once the warning was given: Workers started later inherit it. */
const WARNED_KEY = 'mpmetrics.inProcessHeapWarned';

/** True for an in-process heap; throws MPM_ERR_NATIVE_LOAD when a shared one is asked for and the addon is missing. */
export function isInProcess(option: HeapMode | undefined): boolean {
  const mode = option === undefined ? processHeapMode : checkHeapMode(option, 'The "heap" option');
  if (mode === 'process') return true;
  if (native !== undefined) return false;
  if (mode === 'shared') throw nativeFailure!;
  return true;
}

/** The name of the in-process heap opened with no `dir`. */
export const DEFAULT_IN_PROCESS_HEAP = '';

/**
 * Where this process's heaps are in-process unless an option says otherwise (MPMETRICS_HEAP=process, or no
 * addon), the main thread calls this at import: it warns, and makes the default heap reachable, so that Workers
 * started before its first metric share it too (the shared heap's counterpart reserves a directory). False if not.
 */
export function reserveInProcessHeap(): boolean {
  if (native !== undefined) return false;
  reserveMemoryFile(DEFAULT_IN_PROCESS_HEAP);
  warnInProcess(undefined);
  return true;
}

/**
 * Says once per process (per thread tree: threads started before the warning was given may say it again) that
 * metrics stay in this process, and why.
 */
export function warnInProcess(option: HeapMode | undefined): void {
  if (getEnvironmentData(WARNED_KEY) === true) return;
  setEnvironmentData(WARNED_KEY, true);
  const why =
    option === 'process'
      ? 'the "heap" option asks for it'
      : processHeapMode === 'process'
        ? `${HEAP_ENV}=process asks for it`
        : `the native addon did not load (set ${HEAP_ENV}=shared to make this an error):\n${nativeFailure!.message}`;
  process.emitWarning(
    '@mpmetrics/core: metrics are kept in an in-process heap: values are shared by the threads of this process, ' +
      `not with other processes (cluster workers, forked children report their own). Why: ${why}`,
    { type: 'MpmetricsWarning', code: 'MPM_WARN_IN_PROCESS_HEAP' },
  );
}
