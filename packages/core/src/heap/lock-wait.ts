// Another process's lock is never waited for in the kernel (F_OFD_SETLKW): a peer stopped (SIGSTOP, a debugger)
// while holding it would freeze this process's event loop for as long. A lock is tried, with a millisecond's
// sleep between tries, while its holder runs and for a bounded time; a holder seen stopped ends the wait at once.
// Then a coded error names the lock and its holder.
import fs from 'node:fs';
import { MpmetricsError } from '../errors.js';
import { lockByte } from './heap-io.js';
import { monotonicMs } from './monotonic-clock.js';

/**
 * What an update (a new label set, perhaps during a request) waits at most for another process's lock. Holders
 * keep these locks for microseconds, but on a busy machine the kernel may deschedule one for tens of milliseconds
 * while it holds one: that is waited for, a stopped holder is not (see isStopped).
 */
export const UPDATE_LOCK_WAIT_MS = 100;
/** What opening the heap (at start-up, or when a metric is constructed) waits at most. */
export const ATTACH_LOCK_WAIT_MS = 1000;

/** Something to Atomics.wait on: a sleep that gives the core to the holder instead of spinning against it. */
const sleeper = new Int32Array(new SharedArrayBuffer(4));

export interface LockHolder {
  /** The lock, as a message names it: "the growth lock". */
  readonly lock: string;
  /** What was not done: "the file was not grown". */
  readonly consequence: string;
}

/**
 * Whether process `pid` is stopped (state T, by a signal, or t, by a debugger), from /proc/<pid>/stat. False where
 * that cannot be read (another pid namespace, no /proc): the caller's time bound still holds.
 */
function isStopped(pid: number): boolean {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return false;
  }
  // "pid (comm) state …": comm may itself hold ") ", so the state follows the last one
  const state = stat.charAt(stat.lastIndexOf(') ') + 2);
  return state === 'T' || state === 't';
}

/**
 * Takes the byte lock at `offset` of `fd`, waiting at most `ms` on the monotonic clock (as every wait does), less
 * if the process `holderPid()` says last took it is stopped. Throws MPM_ERR_HEAP_BUSY then; `holder` is only asked
 * for the message.
 */
export function takeLock(path: string, fd: number, offset: number, exclusive: boolean, ms: number, holderPid: () => number, holder: () => LockHolder): void {
  if (lockByte(fd, offset, exclusive)) return;
  const deadline = monotonicMs() + ms;
  let stopped = false;
  do {
    Atomics.wait(sleeper, 0, 0, 1);
    if (lockByte(fd, offset, exclusive)) return;
    const pid = holderPid();
    stopped = pid > 0 && pid !== process.pid && isStopped(pid);
  } while (!stopped && monotonicMs() < deadline);
  const { lock, consequence } = holder();
  const pid = holderPid();
  const who = pid > 0 ? `process ${pid} (the last to take it)` : 'another process';
  const why = stopped ? `${who}, which is stopped, holds it` : `it has been held by ${who} for more than ${ms} ms, so that process is stuck`;
  throw new MpmetricsError('MPM_ERR_HEAP_BUSY', `Heap ${path}: ${lock} is taken: ${why}; ${consequence}`, { path });
}
