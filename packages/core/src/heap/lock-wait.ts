// Another process's lock is never waited for in the kernel (F_OFD_SETLKW): a peer stopped (SIGSTOP, a debugger,
// swapped out) while holding it would freeze this process's event loop for as long. A lock is tried, with a
// millisecond's sleep between tries, for a bounded time; past it, a coded error names the lock and its holder.
import { performance } from 'node:perf_hooks';
import { MpmetricsError } from '../errors.js';
import { binding } from '../native/binding.js';

/** What an update (a new label set, perhaps during a request) waits at most for another process's lock. */
export const UPDATE_LOCK_WAIT_MS = 5;
/** What opening the heap (at start-up, or when a metric is constructed) waits at most. */
export const ATTACH_LOCK_WAIT_MS = 1000;

/** Something to Atomics.wait on: a sleep that gives the core to the holder instead of spinning against it. */
const sleeper = new Int32Array(new SharedArrayBuffer(4));

export interface LockHolder {
  /** The lock, as a message names it: "the growth lock". */
  readonly lock: string;
  /** The pid that last took it (0: unknown). */
  readonly pid: number;
  /** What was not done: "the file was not grown". */
  readonly consequence: string;
}

/**
 * Takes the byte lock at `offset` of `fd`, waiting at most `ms` (a per-process monotonic clock is right here: the
 * deadline is this process's own). Throws MPM_ERR_HEAP_BUSY past it; `holder` is only asked then.
 */
export function takeLock(path: string, fd: number, offset: number, exclusive: boolean, ms: number, holder: () => LockHolder): void {
  if (binding.lock(fd, offset, exclusive, false)) return;
  const deadline = performance.now() + ms;
  do {
    Atomics.wait(sleeper, 0, 0, 1);
    if (binding.lock(fd, offset, exclusive, false)) return;
  } while (performance.now() < deadline);
  const { lock, pid, consequence } = holder();
  const who = pid > 0 ? `process ${pid} (the last to take it)` : 'another process';
  throw new MpmetricsError(
    'MPM_ERR_HEAP_BUSY',
    `Heap ${path}: ${lock} has been held by ${who} for more than ${ms} ms, so it is stopped or stuck; ${consequence}`,
    { path },
  );
}
