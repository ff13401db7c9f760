// The one module that loads the compiled addon (native/mpmetrics.cc), unless MPMETRICS_HEAP=process. Code that
// needs the addon imports `binding` (binding.ts); code that chooses a heap asks here whether it loaded.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { MpmetricsError } from '../errors.js';
import { machineMismatch } from './elf-machine.js';
import { HEAP_ENV, heapModeFromEnv, type HeapMode } from './heap-mode.js';
import { detectLibc } from './libc.js';
import moduleDirectory from './module-directory.cjs';

/** The addon's functions. All are synchronous and none is used on the update path. */
export interface NativeBinding {
  /** Opens (or with `create`, creates with O_EXCL and mode 0600) a file without following symlinks. */
  open(path: string, create: boolean): number;
  close(fd: number): void;
  /** Maps `length` bytes at a page-aligned `offset`; throws (code ERANGE) past the end of the file. */
  map(fd: number, offset: number, length: number): ArrayBuffer;
  /**
   * Makes the file at least `length` bytes long, with its disk blocks reserved (fallocate(2) of the new range: it
   * never shrinks the file nor writes a byte, so it needs no lock). Throws code EOPNOTSUPP where unsupported.
   */
  allocate(fd: number, length: number): void;
  /** Makes the file at least `length` bytes long, sparse (ftruncate): only under the growth lock. */
  extend(fd: number, length: number): void;
  /** Takes an open-file-description byte lock; false when `wait` is false and another holder conflicts. */
  lock(fd: number, offset: number, exclusive: boolean, wait: boolean): boolean;
  unlock(fd: number, offset: number): void;
  /** True when another open file holds a lock on that byte that conflicts with the kind asked. */
  isLocked(fd: number, offset: number, exclusive: boolean): boolean;
  pageSize(): number;
  /** The private heap directory recorded for this process (by any thread), recording `candidate` if none is. */
  processDirectory(candidate?: string): string | undefined;
  /**
   * Removes `dir` (its files, then itself) when this process calls exit(), and on each of `signals` (numbers) that
   * is neither ignored nor handled already, before passing the signal on. With no argument, keeps it after all.
   */
  removeAtExit(dir?: string, signals?: readonly number[]): void;
  /** Removes `dir` when this thread ends (or the process first): a heap only this thread uses. */
  removeWithThread(dir: string): void;
  readonly abiVersion: number;
}

const ABI_VERSION = 3;

/** The nearest folder above this one whose package.json has a name: dist/cjs holds one that only sets the type. */
function packageRoot(): string {
  for (let dir = path.dirname(moduleDirectory); path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: unknown }).name !== undefined) return dir;
  }
  throw new MpmetricsError('MPM_ERR_NATIVE_LOAD', `@mpmetrics/core: no package.json with a name above ${moduleDirectory}`);
}

/** Where this platform's prebuilt addon would be: prebuildify's layout, tagged by libc on Linux. */
function prebuiltPath(root: string): string {
  const tag = process.platform === 'linux' ? `.${detectLibc()}` : '';
  return path.join(root, 'prebuilds', `${process.platform}-${process.arch}`, `mpmetrics${tag}.node`);
}

/** Why a candidate was not used, or the binding when it loads and is of our ABI version. */
function tryLoad(require: NodeJS.Require, candidate: string): NativeBinding | { missing: boolean; reason: string } {
  try {
    const binding = require(candidate) as NativeBinding;
    if (binding.abiVersion === ABI_VERSION) return binding;
    return { missing: false, reason: `built from another version of the source (abi ${binding.abiVersion}, need ${ABI_VERSION})` };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'MODULE_NOT_FOUND') return { missing: true, reason: 'not found' };
    // dlopen's own message names the cause: a missing GLIBC_2.xx version, another architecture, another libc
    if (code === 'ERR_DLOPEN_FAILED') return { missing: false, reason: (error as Error).message + machineMismatch(candidate) };
    throw error;
  }
}

/**
 * Tries, in order: MPMETRICS_NATIVE_PATH, a source build (build/Release), then the prebuilt binary. A file that is
 * there but does not load is passed over like a missing one; when a later one loads, a warning says what was passed
 * over and why, since a stale build or a wrong MPMETRICS_NATIVE_PATH is worth knowing about. When none loads, the
 * error that lists them all is returned, not thrown: the heap layer decides whether that is fatal (see heap-kind.ts).
 */
function load(): NativeBinding | MpmetricsError {
  let root: string;
  try {
    root = packageRoot();
  } catch (error) {
    if (error instanceof MpmetricsError) return error;
    throw error;
  }
  const require = createRequire(path.join(root, 'package.json'));
  const override = process.env.MPMETRICS_NATIVE_PATH;
  const candidates = [
    ...(override ? [path.resolve(override)] : []),
    path.join(root, 'build', 'Release', 'mpmetrics.node'),
    prebuiltPath(root),
  ];
  const failures: string[] = [];
  const refused: string[] = [];
  for (const candidate of candidates) {
    const result = tryLoad(require, candidate);
    if ('abiVersion' in result) {
      if (refused.length > 0) {
        process.emitWarning(`@mpmetrics/core: loaded its native addon from ${candidate}, passing over:\n  ${refused.join('\n  ')}`, {
          type: 'MpmetricsWarning',
          code: 'MPM_WARN_NATIVE_SKIPPED',
        });
      }
      return result;
    }
    failures.push(`${candidate}: ${result.reason}`);
    // a file asked for by name is worth a warning even when it is not there: a mistyped MPMETRICS_NATIVE_PATH
    if (!result.missing || (override && candidate === path.resolve(override))) refused.push(`${candidate}: ${result.reason}`);
  }
  return new MpmetricsError(
    'MPM_ERR_NATIVE_LOAD',
    `@mpmetrics/core: cannot load its native addon. Tried:\n  ${failures.join('\n  ')}\n` +
      `No prebuilt binary fits ${process.platform}-${process.arch} here (prebuilt: linux-x64 and linux-arm64 with glibc 2.28 or newer). ` +
      `Build it from source with \`node ${path.join(root, 'scripts', 'build-native.mjs')} --force\` ` +
      '(or `npx mpmetrics-build-native --force`; needs python3, make and a C++17 compiler), ' +
      'or set MPMETRICS_NATIVE_PATH to a built mpmetrics.node.',
  );
}

/** What MPMETRICS_HEAP asks of this process; a value that names no mode throws here, at import. */
export const processHeapMode: HeapMode = heapModeFromEnv();

const loaded: NativeBinding | MpmetricsError =
  processHeapMode === 'process'
    ? new MpmetricsError('MPM_ERR_NATIVE_LOAD', `@mpmetrics/core: the native addon was not loaded: ${HEAP_ENV}=process asks for the in-process heap`)
    : load();

/** The addon, when it loaded (never under MPMETRICS_HEAP=process). */
export const native: NativeBinding | undefined = loaded instanceof MpmetricsError ? undefined : loaded;

/** Why there is no addon: the candidates tried and how to build one (MPM_ERR_NATIVE_LOAD). */
export const nativeFailure: MpmetricsError | undefined = loaded instanceof MpmetricsError ? loaded : undefined;

// MPMETRICS_HEAP=shared: a missing addon is an error at import, as it always was, rather than an in-process heap.
if (processHeapMode === 'shared' && nativeFailure !== undefined) throw nativeFailure;
