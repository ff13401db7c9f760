// One budget for all the waits of a scrape on writers caught mid-update (cells and exemplar slots), so that a
// scrape of many series answers in bounded time even if several writers are stopped or descheduled mid-update.
// It counts time spent waiting, not reading or writing: a scrape slow to write its text (100,000 series take some
// 250 ms) still waits for a writer caught mid-update after that, instead of taking its update half done.
import { monotonicMs } from './monotonic-clock.js';

/** While a read runs under withReadBudget, the milliseconds of waiting it has left; else -1. */
let left = -1;
/** Milliseconds spent waiting under any budget since the process started: what a caller's share of waits comes to. */
let waited = 0;

/**
 * Runs `read` with one budget of `ms` for all its waits on stalled writers: once they add up to it, every cell is
 * taken as it is and every held exemplar slot is left out. Budgets nest: an inner one cannot extend an outer one,
 * and what it spends is the outer one's too.
 */
export function withReadBudget<T>(ms: number, read: () => T): T {
  const outer = left;
  const granted = outer < 0 ? ms : Math.min(outer, ms);
  left = granted;
  try {
    return read();
  } finally {
    left = outer < 0 ? -1 : outer - (granted - left);
  }
}

/** When a wait starting `now` must end: within the current budget, and within `patience` (a wait of its own). */
export function waitDeadline(now: number, patience: number): number {
  return now + (left < 0 ? patience : Math.min(left, patience));
}

/** Counts a wait that began at `since` against the current budget, if there is one. */
export function spendWaiting(since: number): void {
  const ms = monotonicMs() - since;
  waited += ms;
  if (left >= 0) left = Math.max(0, left - ms);
}

/** Milliseconds spent waiting since the process started (see `waited`). */
export function msWaited(): number {
  return waited;
}
