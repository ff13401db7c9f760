// Every error mpmetrics throws has a stable `code` from this one table, so callers can branch on codes and
// messages can be improved freely. The classes are branded with Symbol.for, so `instanceof` works even when two
// copies of @mpmetrics/core are loaded (the same trick undici uses).

export const ErrorCodes = {
  /** The compiled addon could not be loaded. */
  MPM_ERR_NATIVE_LOAD: 'MPM_ERR_NATIVE_LOAD',
  /** MPMETRICS_HEAP or the `heap` option names no heap kind (auto, shared or process). */
  MPM_ERR_HEAP_MODE: 'MPM_ERR_HEAP_MODE',
  /** The heap file does not start with the mpmetrics magic: not a heap file. */
  MPM_ERR_HEAP_MAGIC: 'MPM_ERR_HEAP_MAGIC',
  /** The heap file was written by an incompatible version of the format. */
  MPM_ERR_HEAP_VERSION: 'MPM_ERR_HEAP_VERSION',
  /** The heap file is shorter than its header says (truncated). */
  MPM_ERR_HEAP_TRUNCATED: 'MPM_ERR_HEAP_TRUNCATED',
  /** The heap file is longer than its header says. */
  MPM_ERR_HEAP_SIZE: 'MPM_ERR_HEAP_SIZE',
  /** A header field or a pointer inside the heap is out of its valid range. */
  MPM_ERR_HEAP_CORRUPT: 'MPM_ERR_HEAP_CORRUPT',
  /** The heap cannot grow: its configured maximum or the disk is full. */
  MPM_ERR_HEAP_FULL: 'MPM_ERR_HEAP_FULL',
  /**
   * Another process has held a lock of the heap for longer than this process waits (it is stopped, or stuck): the
   * message names the lock and the process. Nothing was changed.
   */
  MPM_ERR_HEAP_BUSY: 'MPM_ERR_HEAP_BUSY',
  /** The heap was closed and cannot be used any more. */
  MPM_ERR_HEAP_CLOSED: 'MPM_ERR_HEAP_CLOSED',
  /** Every writer lane is taken by a live process or thread. */
  MPM_ERR_TOO_MANY_WRITERS: 'MPM_ERR_TOO_MANY_WRITERS',
  /** The heap directory is unsafe: a symlink, not a directory, writable by others, or owned by another user. */
  MPM_ERR_DIR_UNSAFE: 'MPM_ERR_DIR_UNSAFE',
  /** The heap directory (MPMETRICS_DIR or the `dir` option) does not exist. */
  MPM_ERR_DIR_NOT_FOUND: 'MPM_ERR_DIR_NOT_FOUND',
  /** The heap directory exists but this process cannot write to it. */
  MPM_ERR_DIR_NOT_WRITABLE: 'MPM_ERR_DIR_NOT_WRITABLE',
  /** A metric is declared differently from how the shared heap already has it (type, labels, buckets…). */
  MPM_ERR_METRIC_CONFLICT: 'MPM_ERR_METRIC_CONFLICT',
  /** A label set names a label the metric does not have, or (with `strictLabels`) leaves one out. */
  MPM_ERR_LABELS: 'MPM_ERR_LABELS',
  /** collectDefaultMetrics() was called again in a thread where it is running. */
  MPM_ERR_ALREADY_COLLECTING: 'MPM_ERR_ALREADY_COLLECTING',
  /** An argument or option has the wrong type. */
  MPM_ERR_INVALID_ARG_TYPE: 'MPM_ERR_INVALID_ARG_TYPE',
  /** An argument or option has the right type but a value outside what is accepted. */
  MPM_ERR_OUT_OF_RANGE: 'MPM_ERR_OUT_OF_RANGE',
  /** An exemplar's label set is longer than OpenMetrics allows (128 UTF-8 characters of names and values). */
  MPM_ERR_EXEMPLAR_TOO_LONG: 'MPM_ERR_EXEMPLAR_TOO_LONG',
  /** A new label set would take a metric past its `maxSeries` (its cardinality limit); nothing was recorded. */
  MPM_ERR_TOO_MANY_SERIES: 'MPM_ERR_TOO_MANY_SERIES',
  /** MPMETRICS_MEMORY_ORDER is set to something other than `auto` or `atomics`. */
  MPM_ERR_MEMORY_ORDER: 'MPM_ERR_MEMORY_ORDER',
  /** The bytes of an exposition lease were read after its release(): the buffer may hold another scrape. */
  MPM_ERR_LEASE_RELEASED: 'MPM_ERR_LEASE_RELEASED',
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

// The brand's value is the kind of error, so each subclass can check its own kind across copies too.
const kMpmetricsError = Symbol.for('mpmetrics.error');
type ErrorKind = 'Error' | 'TypeError' | 'RangeError';

function isBranded(value: unknown, kind?: ErrorKind): boolean {
  if (typeof value !== 'object' || value === null || !(kMpmetricsError in value)) return false;
  return kind === undefined || (value as { [kMpmetricsError]: unknown })[kMpmetricsError] === kind;
}

export interface MpmetricsErrorOptions {
  cause?: unknown;
  /** A more specific code than the class's default. */
  code?: ErrorCode;
  /** The file or directory the error is about. */
  path?: string;
}

function brand(error: Error, kind: ErrorKind, code: ErrorCode, options: MpmetricsErrorOptions): void {
  Object.defineProperty(error, kMpmetricsError, { value: kind });
  Object.defineProperty(error, 'code', { value: code, enumerable: true });
  if (options.path !== undefined) Object.defineProperty(error, 'path', { value: options.path, enumerable: true });
}

/** Errors about the heap, its files and its environment. */
export class MpmetricsError extends Error {
  declare readonly code: ErrorCode;
  declare readonly path?: string;

  constructor(code: ErrorCode, message: string, options: MpmetricsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MpmetricsError';
    brand(this, 'Error', code, options);
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return isBranded(value);
  }
}

/** A wrong type of argument or option. `instanceof TypeError` and `instanceof MpmetricsError` both hold. */
export class MpmetricsTypeError extends TypeError {
  declare readonly code: ErrorCode;

  constructor(message: string, options: MpmetricsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TypeError';
    brand(this, 'TypeError', options.code ?? 'MPM_ERR_INVALID_ARG_TYPE', options);
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return isBranded(value, 'TypeError');
  }
}

/** A value outside what is accepted. `instanceof RangeError` and `instanceof MpmetricsError` both hold. */
export class MpmetricsRangeError extends RangeError {
  declare readonly code: ErrorCode;

  constructor(message: string, options: MpmetricsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RangeError';
    brand(this, 'RangeError', options.code ?? 'MPM_ERR_OUT_OF_RANGE', options);
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return isBranded(value, 'RangeError');
  }
}

/** The error for a heap file at `file` whose contents make no sense (`what` says which). */
export function heapCorrupt(file: string, what: string): MpmetricsError {
  return new MpmetricsError('MPM_ERR_HEAP_CORRUPT', `Heap file ${file} is corrupt: ${what}`, { path: file });
}

/** `"name" must be <expected>, received <what came>`: the shape of every option error. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value)}`;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return `${typeof value} ${String(value)}`;
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : String(value);
}
