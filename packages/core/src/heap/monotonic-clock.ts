// The clock of every bounded wait on another process's writer. Date.now() follows the wall clock, which NTP or an
// operator may step backwards, stretching a wait by as much as the step. process.hrtime reads CLOCK_MONOTONIC,
// which never steps and is the same clock in every process of the host, so a deadline taken from it would mean
// the same to any of them; performance.now() counts from each process's start, so it could not.

/** Milliseconds on the host's monotonic clock (an arbitrary origin shared by every process of the host). */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
