// Which C library this Linux process runs on, to pick the prebuilt addon built for it. The prebuilds are named by
// libc (mpmetrics.glibc.node), as prebuildify tags them, because a glibc binary does not load on musl (Alpine).
import fs from 'node:fs';

export type Libc = 'glibc' | 'musl';

/**
 * The libc whose loader mapped this process, read from /proc/self/maps (under a millisecond, where
 * `process.report.getReport()` takes several). Where /proc cannot be read we guess glibc: a wrong guess costs
 * nothing, because a binary that fails to load is skipped with the loader's reason.
 */
export function detectLibc(): Libc {
  try {
    const maps = fs.readFileSync('/proc/self/maps', 'latin1');
    return /\/ld-musl-|\/libc\.musl-/.test(maps) ? 'musl' : 'glibc';
  } catch {
    return 'glibc';
  }
}
