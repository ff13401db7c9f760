// How long some code took on this thread, leaving out the time the thread was ready to run but waiting for a CPU
// (Linux's /proc/thread-self/schedstat, its second field). On a machine busy with other work that wait stretches
// every wall-clock duration, while what a test bounds (a read that waits on nobody, a scrape that no dead writer
// blocks) shows in the time left: running, or sleeping of its own accord.
import fs from 'node:fs';

/** Nanoseconds this thread has spent runnable but not running; 0 where the kernel does not say (not Linux). */
function runQueueWaitNs(): number {
  try {
    return Number(fs.readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[1]);
  } catch {
    return 0;
  }
}

/**
 * Runs `work`, and gives its result with the milliseconds it took, time spent waiting for a CPU left out (`ms`, for
 * upper bounds), and the wall-clock milliseconds (`wallMs`, for lower bounds: a wait for a deadline lasts at least
 * that long on the clock, but part of it may be spent runnable and waiting for a CPU, which `ms` leaves out).
 */
export function ownTime<T>(work: () => T): { result: T; ms: number; wallMs: number } {
  const waited = runQueueWaitNs();
  const started = performance.now();
  const result = work();
  const wall = performance.now() - started;
  return { result, ms: Math.max(0, wall - (runQueueWaitNs() - waited) / 1e6), wallMs: wall };
}

/**
 * ownTime() of asynchronous work. Only meaningful for work that waits on no I/O or timer (a HeapExporter with no
 * collect to run settles in microtasks): nothing else runs on this thread meanwhile, so the time is its own.
 */
export async function ownTimeAsync<T>(work: () => Promise<T>): Promise<{ result: T; ms: number; wallMs: number }> {
  const waited = runQueueWaitNs();
  const started = performance.now();
  const result = await work();
  const wall = performance.now() - started;
  return { result, ms: Math.max(0, wall - (runQueueWaitNs() - waited) / 1e6), wallMs: wall };
}
