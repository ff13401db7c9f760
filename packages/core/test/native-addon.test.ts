// The compiled addon, exercised directly in child processes (so a crash is a failed test with a signal, not a dead
// test runner): every child must exit with code 0 and no signal. Covers open/map/close cycles, mapping past the
// end of a file, argument checks done in C++, open-file-description locks across processes and across worker
// threads (released when the holder exits, is killed, or is a terminated worker), mappings under forced garbage
// collection, and the error given when the addon cannot be loaded at all.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { childEnv, fixture, killChildren, runChild, startChild, type Child } from './fixtures/lifetime-processes.js';

const nativeChild = fixture('native-child.mjs');
const loadChild = fixture('native-load-child.mjs');
const packageRoot = fileURLToPath(new URL('..', import.meta.url));
const builtAddon = path.join(packageRoot, 'build', 'Release', 'mpmetrics.node');

let base: string;
let count = 0;
/** TMPDIR of every child: importing the library may make a private heap directory there. */
let childTmp: string;
const env = (): NodeJS.ProcessEnv => childEnv({ TMPDIR: childTmp });

beforeAll(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-native-'));
  childTmp = path.join(base, 'tmp');
  fs.mkdirSync(childTmp, { mode: 0o700 });
});
afterEach(killChildren);
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

const freshPath = (name: string): string => path.join(base, `${name}-${++count}`);

interface Caught {
  name: string;
  code?: string;
  message: string;
  isTypeError: boolean;
  isRangeError: boolean;
}

/** Runs a native-child role to its end; it must exit cleanly. Returns its one report. */
async function runRole<T = Record<string, unknown>>(role: string, args: string[], execArgv: string[] = []): Promise<T> {
  const run = await runChild(nativeChild, [role, ...args], { execArgv, timeoutMs: 90_000, env: env() });
  expect({ code: run.code, signal: run.signal, stderr: run.stderr }).toEqual({ code: 0, signal: null, stderr: '' });
  expect(run.json).toHaveLength(1);
  return run.json[0] as T;
}

describe('open, map and close', () => {
  it('survives 300 open/map/close cycles: data persists, mappings outlive descriptors, no descriptor leaks', async () => {
    const file = freshPath('cycles');
    const r = await runRole<Record<string, unknown>>('cycles', [file]);
    expect(r.descriptorsAfter).toBe(r.descriptorsBefore);
    expect(r.stale).toBe(0); // every cycle saw what the previous one wrote through its mapping
    expect(r.word0).toBe(300);
    expect(r.word1).toBe(300); // written after close(fd), through the mapping, and on disk
    expect(r.lastOther).toBe(299);
    expect(r.survivorsSeeLatest).toBe(true); // old mappings of a page see the newest writes (MAP_SHARED)
    expect(r.createExisting).toMatchObject({ code: 'EEXIST', isTypeError: false });
    expect(r.openMissing).toMatchObject({ code: 'ENOENT', message: expect.stringContaining(`${file}.missing`) });
    expect(r.openDirectory).toMatchObject({ code: 'EISDIR' });
    expect(r.closeTwice).toMatchObject({ name: 'Error', message: expect.stringContaining("was not opened by this thread's mpmetrics binding") });
    expect(r.createdMode).toBe(0o600); // under umask 0
  });

  it('refuses to map past the end of the file (RangeError, code ERANGE) instead of crashing later with SIGBUS', async () => {
    const file = freshPath('map');
    const r = await runRole<Record<string, Caught & Record<string, unknown>>>('map-errors', [file]);
    const page = r.page as unknown as number;
    expect([4096, 16384, 65536]).toContain(page);
    const pastEnd = (from: number, to: number): Partial<Caught> => ({
      name: 'RangeError',
      code: 'ERANGE',
      isRangeError: true,
      message: `mpmetrics native: cannot map bytes ${from}..${to} of a file of 65536 bytes`,
    });
    expect(r.pastEnd).toEqual(expect.objectContaining(pastEnd(0, 65536 + page)));
    expect(r.oneBytePastEnd).toEqual(expect.objectContaining(pastEnd(0, 65537)));
    expect(r.atEnd).toEqual(expect.objectContaining(pastEnd(65536, 65536 + page)));
    expect(r.farPastEnd).toEqual(expect.objectContaining(pastEnd(2 ** 40, 2 ** 40 + page)));
    expect(r.hugeLength).toEqual(expect.objectContaining(pastEnd(0, 2 ** 52)));
    for (const bad of [r.unaligned, r.empty]) {
      expect(bad).toMatchObject({ name: 'RangeError', isRangeError: true, message: expect.stringContaining('page-aligned offset and a non-zero length') });
    }
    expect(r.afterwards).toEqual({ lastByte: 42, grownFirst: 7, size: 131072 });
  });
});

describe('argument checks in C++', () => {
  it('throw TypeError naming the argument, for every function; foreign descriptors are refused', async () => {
    const r = await runRole<Record<string, Caught | boolean>>('arg-types', [freshPath('args')]);
    const typeErrors: Record<string, string> = {
      'open()': "'path' must be a string",
      'open(42, false)': "'path' must be a string",
      'open(path)': "'create' must be a boolean",
      "open(path, 'yes')": "'create' must be a boolean",
      'close()': "'fd' must be a non-negative integer",
      "close('3')": "'fd' must be a non-negative integer",
      'close(-1)': "'fd' must be a non-negative integer",
      'close(1.5)': "'fd' must be a non-negative integer",
      'close(NaN)': "'fd' must be a non-negative integer",
      'close(2**53 + 2)': "'fd' must be a non-negative integer",
      "map('fd', 0, len)": "'fd' must be a non-negative integer",
      'map(fd)': "'offset' must be a non-negative integer",
      "map(fd, '0', len)": "'offset' must be a non-negative integer",
      'map(fd, 0, -4096)': "'length' must be a non-negative integer",
      'map(fd, 0n, len)': "'offset' must be a non-negative integer",
      'map(fd, 0, {})': "'length' must be a non-negative integer",
      'allocate(fd, null)': "'length' must be a non-negative integer",
      'allocate(fd)': "'length' must be a non-negative integer",
      'lock(fd, 0, 1, false)': "'exclusive' must be a boolean",
      'lock(fd, 0, true)': "'wait' must be a boolean",
      'lock(fd, -1, true, false)': "'offset' must be a non-negative integer",
      "lock(fd, 0, true, 'no')": "'wait' must be a boolean",
      "unlock(fd, 'x')": "'offset' must be a non-negative integer",
      'unlock(fd)': "'offset' must be a non-negative integer",
      "isLocked(fd, 0, 'yes')": "'exclusive' must be a boolean",
      'isLocked(fd, 0)': "'exclusive' must be a boolean",
      'isLocked(fd, Infinity, true)': "'offset' must be a non-negative integer",
    };
    for (const [call, says] of Object.entries(typeErrors)) {
      expect({ call, result: r[call] }).toEqual({
        call,
        result: { name: 'TypeError', isTypeError: true, isRangeError: false, message: `mpmetrics native: argument ${says}` },
      });
    }
    for (const call of ['close(0)', 'lock(2, 0, true, false)']) {
      expect(r[call]).toMatchObject({ name: 'Error', isTypeError: false, message: expect.stringContaining("was not opened by this thread's mpmetrics binding") });
    }
    expect(r.stillWorks).toBe(true);
    expect(r.stdinStillOpen).toBe(true);
  });
});

describe('locks', () => {
  /** A child process running binding calls for the test over IPC. */
  async function lockServer(file: string): Promise<{ child: Child; call: (op: string, ...args: unknown[]) => Promise<unknown> }> {
    const child = startChild(nativeChild, ['lock-server'], { ipc: true, env: env() });
    const call = async (op: string, ...args: unknown[]): Promise<unknown> => {
      const reply = await child.request({ op, args });
      if (reply.error) throw Object.assign(new Error(JSON.stringify(reply.error)), reply.error);
      return reply.result;
    };
    await call('open', file);
    return { child, call };
  }

  async function makeFile(): Promise<string> {
    const file = freshPath('locks');
    fs.writeFileSync(file, Buffer.alloc(65536), { mode: 0o600 });
    return file;
  }

  it('lock, isLocked and unlock work across two processes: exclusive, shared, waiting, and released on exit', async () => {
    const file = await makeFile();
    const a = await lockServer(file);
    const b = await lockServer(file);
    const X = 2 ** 40 + 1; // the heap's lock bytes lie past 2^40, far beyond any data

    // Exclusive.
    expect(await a.call('lock', X, true, false)).toBe(true);
    expect(await a.call('isLocked', X, true)).toBe(false); // its own lock does not conflict with itself
    expect(await b.call('isLocked', X, true)).toBe(true);
    expect(await b.call('isLocked', X, false)).toBe(true);
    expect(await b.call('lock', X, true, false)).toBe(false);
    expect(await b.call('lock', X, false, false)).toBe(false);
    expect(await b.call('isLocked', X + 1, true)).toBe(false); // only that byte
    await a.call('unlock', X);
    expect(await b.call('isLocked', X, true)).toBe(false);
    expect(await b.call('lock', X, true, false)).toBe(true);
    expect(await a.call('lock', X, true, false)).toBe(false);
    await b.call('unlock', X);

    // Shared: both hold it; each sees the other's as conflicting only with an exclusive lock.
    const S = 2 ** 40 + 2;
    expect(await a.call('lock', S, false, false)).toBe(true);
    expect(await b.call('lock', S, false, false)).toBe(true);
    expect(await a.call('isLocked', S, false)).toBe(false);
    expect(await a.call('isLocked', S, true)).toBe(true);
    expect(await a.call('lock', S, true, false)).toBe(false);
    await b.call('unlock', S);
    expect(await a.call('lock', S, true, false)).toBe(true); // upgraded once alone

    // Waiting: B blocks in lock(wait=true) until A unlocks.
    const W = 2 ** 40 + 3;
    expect(await a.call('lock', W, true, false)).toBe(true);
    let granted = false;
    const waiting = b.call('lock', W, true, true).then((result) => {
      granted = true;
      return result;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(granted).toBe(false);
    await a.call('unlock', W);
    expect(await waiting).toBe(true);
    expect(await a.call('isLocked', W, true)).toBe(true);
    await b.call('unlock', W);

    // Released by the kernel when the holder is killed.
    const K = 2 ** 40 + 4;
    expect(await a.call('lock', K, true, false)).toBe(true);
    expect(await b.call('isLocked', K, true)).toBe(true);
    a.child.proc.kill('SIGKILL');
    expect(await a.child.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await b.call('isLocked', K, true)).toBe(false);
    expect(await b.call('lock', K, true, false)).toBe(true);

    // ...and when the holder exits normally without unlocking.
    const c = await lockServer(file);
    expect(await c.call('isLocked', K, true)).toBe(true);
    expect(await b.call('exit')).toBe('bye');
    expect(await b.child.exited).toEqual({ code: 0, signal: null });
    expect(await c.call('lock', K, true, false)).toBe(true);
    expect(await c.call('exit')).toBe('bye');
    expect(await c.child.exited).toEqual({ code: 0, signal: null });
    expect(b.child.stderr + c.child.stderr).toBe('');
  });

  it('a lock held by a worker thread is seen by other threads, and released when the worker is terminated or ends', async () => {
    const r = await runRole<Record<string, unknown>>('workers', [freshPath('workers')]);
    expect(r.workersLocked).toEqual([true, true]);
    expect(r.workerMapped).toBe(2 * 8 * 65536); // each holder mapped 8 buffers
    expect(r.workerDescriptors).toBe(2);
    expect(r.mainSeesHeld).toEqual([true, true, true]);
    expect(r.mainCanTake).toEqual([false, false]);
    expect(r.otherWorkerSees).toEqual({ isLocked: true, lock: false });
    expect(r.otherWorkerExit).toBe(0);
    expect(r.foreignFd).toMatchObject({ name: 'Error', message: expect.stringContaining("was not opened by this thread's mpmetrics binding") });
    expect(r.afterTerminateIdle).toEqual([false, true]); // an idle worker, terminated
    expect(r.afterTerminateBusy).toEqual([false, true]); // a worker stuck in a JavaScript loop, terminated
    expect([r.returningLocked, r.returningExit, r.afterReturn]).toEqual([true, 0, [false, true]]);
    expect([r.sharedInWorker, r.sharedInMain, r.exclusiveRefused, r.exclusiveAfter]).toEqual([true, true, true, true]);
    // Terminated workers' descriptors are closed and their mappings unmapped: only the main thread's is left.
    expect(r.fileDescriptors).toEqual([1, 1]);
    expect(r.mappingsBack).toBe(true);
    expect(r.exits).toEqual([1, 1, 1]); // terminate() makes a worker exit with code 1
  });
});

describe('garbage collection', () => {
  it('under --expose-gc: transient mappings are unmapped when collected, while kept ones and a heap keep working', async () => {
    const file = freshPath('gc');
    const dir = freshPath('gc-heap');
    fs.mkdirSync(dir, { mode: 0o700 });
    const r = await runRole<Record<string, unknown>>('gc', [file, dir], ['--expose-gc']);
    expect(r.transientMaps).toBe(1000);
    expect(r.mismatches).toBe(0); // writes through transient mappings were seen by the kept ones, which kept their data
    expect(r.unmapped).toBe(true); // collected transient mappings were unmapped...
    expect(r.mappedWithKeep).toBe(r.keptBytes); // ...and only they
    expect(r.afterClose).toEqual([true, true, true, true]); // closing the descriptor left the kept ones valid
    expect(r.allUnmapped).toBe(true);
    expect(r.heapSegments).toBe(4);
    expect(r.heapSeries).toBeGreaterThan(1000);
    expect(r.heapOk).toBe(true); // every series read back what was written, across collections
    expect(r.heapMapped).toBe(4 * 65536); // every segment stays mapped while the heap lives
  });
});

describe('a missing addon', () => {
  /**
   * A copy of dist/ in a package layout of its own, without build/: the default addon paths do not exist. Its
   * dependencies (prom-client) resolve through a link to this package's node_modules.
   */
  function layoutWithoutBuild(): string {
    const pkg = freshPath('pkg');
    fs.mkdirSync(pkg);
    fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'mpmetrics-copy', type: 'module' }));
    fs.cpSync(path.join(packageRoot, 'dist'), path.join(pkg, 'dist'), { recursive: true });
    fs.symlinkSync(path.join(packageRoot, 'node_modules'), path.join(pkg, 'node_modules'));
    return pkg;
  }

  /** The prebuilt binary's place for this process (a glibc Linux here: the tests run on Debian). */
  const prebuilt = (pkg: string): string => path.join(pkg, 'prebuilds', `${process.platform}-${process.arch}`, 'mpmetrics.glibc.node');

  /** What the child reports on loading `entry`; it must exit normally and write `stderr` (none by default). */
  async function load(entry: string, nativePath: string | undefined, stderr: string | RegExp = ''): Promise<Record<string, unknown>> {
    const childEnvironment = env();
    delete childEnvironment.MPMETRICS_NATIVE_PATH;
    // the loader's own error: without "shared", a missing addon gives an in-process heap (in-process-heap.test.ts)
    childEnvironment.MPMETRICS_HEAP = 'shared';
    if (nativePath !== undefined) childEnvironment.MPMETRICS_NATIVE_PATH = nativePath;
    const run = await runChild(loadChild, [entry], { env: childEnvironment });
    expect({ code: run.code, signal: run.signal }).toEqual({ code: 0, signal: null });
    if (typeof stderr === 'string') expect(run.stderr).toBe(stderr);
    else expect(run.stderr).toMatch(stderr);
    return run.json[0] as Record<string, unknown>;
  }

  it('gives MPM_ERR_NATIVE_LOAD listing every path tried and how to build it', async () => {
    const pkg = layoutWithoutBuild();
    const missing = path.join(base, 'nowhere', 'mpmetrics.node');
    const r = await load(path.join(pkg, 'dist', 'index.js'), missing);
    expect(r).toMatchObject({ ok: false, name: 'MpmetricsError', code: 'MPM_ERR_NATIVE_LOAD' });
    const message = r.message as string;
    expect(message).toContain('cannot load its native addon');
    const tried = [missing, path.join(pkg, 'build', 'Release', 'mpmetrics.node'), prebuilt(pkg)];
    expect(message).toContain(`Tried:\n${tried.map((p) => `  ${p}: not found`).join('\n')}\n`);
    expect(message).toContain(`node ${path.join(pkg, 'scripts', 'build-native.mjs')} --force`);
    expect(message).toContain('MPMETRICS_NATIVE_PATH');
  });

  it('without MPMETRICS_NATIVE_PATH lists the two default paths: a source build, then the prebuilt binary', async () => {
    const pkg = layoutWithoutBuild();
    const r = await load(path.join(pkg, 'dist', 'index.js'), undefined);
    expect(r).toMatchObject({ ok: false, code: 'MPM_ERR_NATIVE_LOAD' });
    const lines = (r.message as string).split('\n').filter((line) => line.endsWith(': not found'));
    expect(lines).toEqual([`  ${path.join(pkg, 'build', 'Release', 'mpmetrics.node')}: not found`, `  ${prebuilt(pkg)}: not found`]);
  });

  it('says why a file that is not a loadable addon, or one of another ABI version, was refused', async () => {
    const pkg = layoutWithoutBuild();
    const garbage = path.join(pkg, 'garbage.node');
    fs.writeFileSync(garbage, 'this is not a shared object');
    const r1 = await load(path.join(pkg, 'dist', 'index.js'), garbage);
    expect(r1).toMatchObject({ ok: false, code: 'MPM_ERR_NATIVE_LOAD' });
    expect(r1.message).toMatch(new RegExp(`  ${garbage.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*(invalid ELF header|file too short)`));

    const otherAbi = path.join(pkg, 'other-abi.cjs');
    fs.writeFileSync(otherAbi, 'module.exports = { abiVersion: 99 };');
    const r2 = await load(path.join(pkg, 'dist', 'index.js'), otherAbi);
    expect(r2).toMatchObject({ ok: false, code: 'MPM_ERR_NATIVE_LOAD' });
    expect(r2.message).toContain(`${otherAbi}: built from another version of the source (abi 99, need 3)`);
  });

  it('loads from MPMETRICS_NATIVE_PATH when the default path is missing, and falls back to the default when the variable is wrong, warning that it was', async () => {
    const pkg = layoutWithoutBuild();
    const viaVariable = await load(path.join(pkg, 'dist', 'native', 'binding.js'), builtAddon);
    expect(viaVariable).toMatchObject({ ok: true, abiVersion: 3, pageSize: expect.any(Number) });
    expect(viaVariable.exports).toEqual(['binding']);

    fs.mkdirSync(path.join(pkg, 'build', 'Release'), { recursive: true });
    fs.copyFileSync(builtAddon, path.join(pkg, 'build', 'Release', 'mpmetrics.node'));
    const wrong = path.join(base, 'nowhere', 'mpmetrics.node');
    const skipped = new RegExp(`MPM_WARN_NATIVE_SKIPPED[\\s\\S]*${wrong.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not found`);
    const fallback = await load(path.join(pkg, 'dist', 'index.js'), wrong, skipped);
    expect(fallback).toMatchObject({ ok: true });
    expect(fallback.exports).toEqual(expect.arrayContaining(['Heap', 'MpmetricsError', 'isHeapInUse', 'removeStaleHeaps']));
  });
});
