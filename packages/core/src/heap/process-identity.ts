// Who this process is, beyond its pid: pids are reused, and two processes with one pid must not be taken for one.
// Linux gives every process a start time (field 22 of /proc/<pid>/stat, in clock ticks since boot) that, with
// the pid, names it for as long as the machine runs. Every thread of a process reads the same pair.
import fs from 'node:fs';

export interface ProcessIdentity {
  readonly pid: number;
  /** Start time in clock ticks since boot; 0 when /proc cannot tell. */
  readonly start: number;
}

let cached: ProcessIdentity | undefined;

/** Parses the start time out of a /proc/<pid>/stat line (the command name may hold spaces and parentheses). */
export function startTimeFromStat(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): field 22 is fields[19]
  const start = Number(fields[19]);
  return Number.isSafeInteger(start) && start >= 0 ? start : 0;
}

export function processIdentity(): ProcessIdentity {
  if (cached === undefined || cached.pid !== process.pid) {
    let start = 0;
    try {
      start = startTimeFromStat(fs.readFileSync('/proc/self/stat', 'latin1'));
    } catch {
      // no procfs: the pid alone identifies the process
    }
    cached = { pid: process.pid, start };
  }
  return cached;
}
