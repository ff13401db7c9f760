// @mpmetrics/core: multiprocess-safe Prometheus metrics on one shared memory heap.
export { Heap } from './heap/heap.js';
export type { FamilyRecord, HeapOptions, SeriesLayout, SeriesRecord } from './heap/heap.js';
export type { WriterCell } from './heap/cells.js';
export type { SharedWords } from './heap/shared-words.js';
export { DIR_ENV, isHeapInUse, removeStaleHeaps } from './heap/location.js';
export { ErrorCodes, MpmetricsError, MpmetricsRangeError, MpmetricsTypeError } from './errors.js';
export type { ErrorCode } from './errors.js';
