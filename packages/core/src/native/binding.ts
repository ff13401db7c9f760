// The one module that loads the compiled addon (native/mpmetrics.cc). Everything else imports `binding` from here.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { MpmetricsError } from '../errors.js';
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

function load(): NativeBinding {
  const root = packageRoot();
  const require = createRequire(path.join(root, 'package.json'));
  const override = process.env.MPMETRICS_NATIVE_PATH;
  const candidates = [
    ...(override ? [path.resolve(override)] : []),
    path.join(root, 'build', 'Release', 'mpmetrics.node'),
    path.join(root, 'build', 'Debug', 'mpmetrics.node'),
  ];
  const failures: string[] = [];
  for (const candidate of candidates) {
    try {
      const binding = require(candidate) as NativeBinding;
      if (binding.abiVersion !== ABI_VERSION) {
        failures.push(`${candidate}: built from another version of the source (abi ${binding.abiVersion}, need ${ABI_VERSION})`);
        continue;
      }
      return binding;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_DLOPEN_FAILED') throw error;
      failures.push(`${candidate}: ${code === 'MODULE_NOT_FOUND' ? 'not found' : (error as Error).message}`);
    }
  }
  throw new MpmetricsError(
    'MPM_ERR_NATIVE_LOAD',
    `@mpmetrics/core: cannot load its native addon. Tried:\n  ${failures.join('\n  ')}\n` +
      `Build it with \`node ${path.join(root, 'scripts', 'build-native.mjs')} --force\` (needs python3, make and a C++17 compiler), ` +
      'or set MPMETRICS_NATIVE_PATH to a built mpmetrics.node.',
  );
}

export const binding: NativeBinding = load();
