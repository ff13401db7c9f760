// One budget for all the waits of a scrape on writers caught mid-update (cells and exemplar slots), so that a
// scrape of many series answers in bounded time even if several writers are stopped or descheduled mid-update.
import { monotonicMs } from './monotonic-clock.js';

/** While a read runs under withReadBudget, the monotonic time after which nothing is waited for any more; else 0. */
let budgetEnds = 0;

/**
 * Runs `read` with one budget of `ms` for all its waits on stalled writers: past it, every cell is taken as it
 * is and every held exemplar slot is left out. Budgets nest: an inner one cannot extend an outer one.
 */
export function withReadBudget<T>(ms: number, read: () => T): T {
  const outer = budgetEnds;
  const ends = monotonicMs() + ms;
  budgetEnds = outer === 0 ? ends : Math.min(outer, ends);
  try {
    return read();
  } finally {
    budgetEnds = outer;
  }
}

/** The monotonic time the current read budget ends, or 0 outside one. */
export function readBudgetEnds(): number {
  return budgetEnds;
}
