// Where a heap lives, and how long. The first process that needs a heap makes a private directory for it and puts
// its path in process.env.MPMETRICS_DIR, so children started afterwards (cluster, child_process, worker_threads)
// find the same heap. Unrelated processes share one by being started with the same MPMETRICS_DIR. A directory we
// made is removed when our process exits; one left by a process that was killed is removed by the next process
// that creates a heap file in a private directory (removeStaleHeapsBeside). A directory the user named is never
// removed. While its creator lives, a private directory is never stale, even when no process has its heap open (a
// cluster primary that only forks, between two workers): the creator holds a lock on the directory's marker file
// for its whole life. What importing does is listed at reservePrivateDirectory; the rest waits for first use.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { MpmetricsError } from '../errors.js';
import { native } from '../native/addon.js';
import { binding } from '../native/binding.js';
import { HEAP_FILE_NAME } from './heap-file.js';
import { LOCK } from './layout.js';

export const DIR_ENV = 'MPMETRICS_DIR';
const PRIVATE_PREFIX = 'mpmetrics-';
/** Present only in private directories we made and may remove: never in a directory a user names. */
const PRIVATE_MARKER = '.mpmetrics-private';
/** A private directory with no heap in it is left alone this long: its creator may be about to write one. */
const UNBORN_GRACE_MS = 60_000;
/** The byte of the marker file its creator keeps locked while it lives. */
const CREATOR_LOCK_OFFSET = 0;

/** Checks that a directory is safe to keep a heap in, with an error naming what is wrong. */
function checkDirectory(dir: string, source: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new MpmetricsError('MPM_ERR_DIR_NOT_FOUND', `${source} names ${dir}, which does not exist; create it (mode 700) first`, {
        path: dir,
        cause: error,
      });
    }
    throw error;
  }
  if (stat.isSymbolicLink()) {
    throw new MpmetricsError('MPM_ERR_DIR_UNSAFE', `${source} names ${dir}, which is a symbolic link; name the real directory`, { path: dir });
  }
  if (!stat.isDirectory()) {
    throw new MpmetricsError('MPM_ERR_DIR_UNSAFE', `${source} names ${dir}, which is not a directory`, { path: dir });
  }
  const euid = process.geteuid?.();
  if (euid !== undefined && stat.uid !== euid) {
    throw new MpmetricsError(
      'MPM_ERR_DIR_UNSAFE',
      `${source} names ${dir}, owned by uid ${stat.uid}; it must be owned by this user (uid ${euid}), or others could read and forge metrics`,
      { path: dir },
    );
  }
  if ((stat.mode & 0o022) !== 0) {
    throw new MpmetricsError(
      'MPM_ERR_DIR_UNSAFE',
      `${source} names ${dir}, with mode ${(stat.mode & 0o777).toString(8)}: writable by others; use mode 700 (chmod 700 ${dir})`,
      { path: dir },
    );
  }
  try {
    fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
  } catch (error) {
    throw new MpmetricsError('MPM_ERR_DIR_NOT_WRITABLE', `${source} names ${dir}, which this process cannot write to`, {
      path: dir,
      cause: error,
    });
  }
}

/** Signals that end a process by default, on which the addon removes the private directory first. */
const ENDING_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

/** The directory to use: the option, else MPMETRICS_DIR, else a new private directory. */
export function locateHeap(dir: string | undefined): string {
  if (dir !== undefined) {
    checkDirectory(dir, 'The "dir" option');
    return path.resolve(dir);
  }
  const inherited = process.env[DIR_ENV];
  if (inherited !== undefined && inherited !== '') {
    checkDirectory(inherited, DIR_ENV);
    return path.resolve(inherited);
  }
  if (isTestRunnerThread()) return makeThreadDirectory();
  // Another thread of this process may have made one already (before anyone set MPMETRICS_DIR).
  const recorded = binding.processDirectory();
  if (recorded !== undefined && fs.existsSync(recorded)) {
    process.env[DIR_ENV] = recorded;
    return recorded;
  }
  const candidate = makePrivateDirectory();
  const chosen = binding.processDirectory(candidate)!;
  if (chosen !== candidate) {
    fs.rmSync(candidate, { recursive: true, force: true }); // another thread won the race: use its directory
  } else {
    // Removed when the process ends, by the addon (a test runner's sandboxed `process` may never emit 'exit'), and
    // on an ending signal nobody else listens for: a signal the application handles is left to it.
    const signals = ENDING_SIGNALS.filter((name) => process.listenerCount(name) === 0).map((name) => os.constants.signals[name]);
    binding.removeAtExit(candidate, signals);
  }
  process.env[DIR_ENV] = chosen;
  return chosen;
}

/** A new private directory in the temp directory, with its marker held. */
function makePrivateDirectory(): string {
  const made = fs.mkdtempSync(path.join(os.tmpdir(), PRIVATE_PREFIX));
  try {
    fs.chmodSync(made, 0o700);
    fs.writeFileSync(path.join(made, PRIVATE_MARKER), `${process.pid}\n`, { mode: 0o600, flag: 'wx' });
    holdCreatorLock(made);
  } catch (error) {
    // No marker or no lock (ENOSPC, EMFILE): no stale sweep would ever recognise it, so it must not stay behind.
    fs.rmSync(made, { recursive: true, force: true });
    throw error;
  }
  return made;
}

/**
 * True in a worker thread that a test runner started to run test files in: vitest's `threads` pool, jest's
 * `workerThreads`. Each runs its files apart from the others, as a forked worker does, so each gets a heap of its
 * own; the threads of an application share their process's heap.
 */
function isTestRunnerThread(): boolean {
  return !isMainThread && (process.env.VITEST_POOL_ID !== undefined || process.env.JEST_WORKER_ID !== undefined);
}

/** This thread's own private directory, removed when the thread ends; children it starts inherit it. */
function makeThreadDirectory(): string {
  const made = makePrivateDirectory();
  binding.removeWithThread(made);
  process.env[DIR_ENV] = made;
  return made;
}

/**
 * Takes a shared lock on the marker of a private directory we made, and keeps it for the life of this process
 * (the descriptor is never closed): removeStaleHeaps leaves a directory alone while its marker is locked. The
 * kernel drops the lock when the process dies, however it dies, so a killed creator's directory becomes stale.
 */
function holdCreatorLock(dir: string): void {
  const fd = binding.open(path.join(dir, PRIVATE_MARKER), false);
  try {
    binding.lock(fd, CREATOR_LOCK_OFFSET, false, false);
  } catch (error) {
    binding.close(fd);
    throw error;
  }
}

/** True when the creator of a private directory is still alive (it holds its marker's lock). */
function isCreatorAlive(dir: string): boolean {
  let fd: number;
  try {
    fd = binding.open(path.join(dir, PRIVATE_MARKER), false);
  } catch {
    return false;
  }
  try {
    return binding.isLocked(fd, CREATOR_LOCK_OFFSET, true);
  } finally {
    binding.close(fd);
  }
}

/**
 * What importing the library does, in the main thread, unless MPMETRICS_DIR is set (then nothing): makes the
 * private directory that children started from here on inherit, even if this process never uses a metric.
 * 1. mkdtemp `mpmetrics-XXXXXX` in os.tmpdir(), then chmod 0700;
 * 2. writes the marker `.mpmetrics-private` (this pid, mode 0600);
 * 3. opens the marker and takes a shared lock on it, kept for the life of the process (one open descriptor);
 * 4. has the addon remove the directory at exit, and on SIGTERM, SIGINT and SIGHUP while nobody listens for them;
 * 5. sets process.env.MPMETRICS_DIR.
 * None can wait for first use: a child may make the heap here before this process uses a metric, or without it
 * ever doing so (docs/ARCHITECTURE.md, "Discovery and lifetime", says what each step guards). Failure is left for
 * the first real use to report.
 */
export function reservePrivateDirectory(): void {
  const inherited = process.env[DIR_ENV];
  if (inherited !== undefined && inherited !== '') return;
  try {
    locateHeap(undefined);
  } catch {
    // reported, with its cause, when a heap is first opened
  }
}

/** Keeps the private directory this process made after it exits (for a heap that must outlive its creator). */
export function keepPrivateDirectory(dir: string): void {
  // the addon records the process's directory, whichever copy of this module (ESM, CommonJS, a test file's) or
  // thread made it
  if (dir !== binding.processDirectory()) return;
  binding.removeAtExit();
  fs.rmSync(path.join(dir, PRIVATE_MARKER), { force: true });
}

/** True when some process or thread still has the heap in `dir` open. */
export function isHeapInUse(dir: string): boolean {
  let fd: number;
  try {
    fd = binding.open(path.join(dir, HEAP_FILE_NAME), false);
  } catch {
    return false;
  }
  try {
    return binding.isLocked(fd, LOCK.ATTACH, true);
  } finally {
    binding.close(fd);
  }
}

/**
 * Removes the stale private heaps beside `dir`, where this process has just created the heap file: one sweep per
 * private directory, on its first use (in its creator, or in the first child to use it). Not at import, which must
 * not read the temp directory nor remove others' files; nor on a timer after import, which would do that unasked
 * on the event loop: first use already does synchronous file work the caller asked for. A directory without our
 * marker (named by a user, or kept) is not ours to sweep beside.
 */
export function removeStaleHeapsBeside(dir: string): void {
  if (fs.existsSync(path.join(dir, PRIVATE_MARKER))) removeStaleHeaps(path.dirname(dir));
}

/**
 * Removes private heap directories of ours whose creator is gone and whose heap nobody has open: left by processes
 * that were killed before they could clean up. Only directories made by locateHeap are
 * considered: by name, owner, mode and the marker file it writes (which keepAfterExit removes).
 */
export function removeStaleHeaps(parent: string): string[] {
  const removed: string[] = [];
  // without the addon, no lock can say a heap is in use: remove nothing rather than a live process's heap
  if (native === undefined) return removed;
  const euid = process.geteuid?.();
  let names: string[];
  try {
    names = fs.readdirSync(parent);
  } catch {
    return removed;
  }
  for (const name of names) {
    if (!name.startsWith(PRIVATE_PREFIX) || name.length !== PRIVATE_PREFIX.length + 6) continue;
    const dir = path.join(parent, name);
    try {
      const stat = fs.lstatSync(dir);
      if (!stat.isDirectory() || stat.uid !== euid || (stat.mode & 0o777) !== 0o700) continue;
      if (!fs.existsSync(path.join(dir, PRIVATE_MARKER))) continue; // a user's directory, or one kept on purpose
      if (dir === process.env[DIR_ENV]) continue;
      if (isCreatorAlive(dir)) continue;
      const hasHeap = fs.existsSync(path.join(dir, HEAP_FILE_NAME));
      if (!hasHeap && Date.now() - stat.mtimeMs < UNBORN_GRACE_MS) continue;
      if (hasHeap && isHeapInUse(dir)) continue;
      fs.rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch {
      // Raced with its owner or another cleaner: leave it.
    }
  }
  return removed;
}
