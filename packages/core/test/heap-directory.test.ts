// Where a heap may live: Heap.open refuses a directory (from the `dir` option or MPMETRICS_DIR) that is missing,
// a symlink, not a directory, writable by group or others, owned by another user, or not writable by this
// user, each with a stable code and a message naming the directory; and it validates its options.
//
// Ownership and writability need a second user. As root (these machines), a directory is chowned to uid 65534
// (`nobody`) and, for "not writable", Heap.open runs in a child process started with uid/gid 65534, on a directory
// that user owns with mode 0500 (root itself can write anywhere, so that case cannot be shown as root). Run as
// an ordinary user, the same cases use a directory owned by root and a 0500 directory of our own instead.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DIR_ENV, Heap, MpmetricsError, MpmetricsRangeError, MpmetricsTypeError } from '../src/index.js';
import { childEnv, fixture, killChildren, runChild } from './fixtures/lifetime-processes.js';

const child = fixture('lifetime-child.mjs');
const euid = process.geteuid!();
const isRoot = euid === 0;
const NOBODY = 65534;

let base: string;
let count = 0;
/** TMPDIRs of the children (importing the library makes a private heap directory there): ours, and nobody's. */
let childTmp: string;
let nobodyTmp: string;
const savedEnv = process.env[DIR_ENV];

beforeAll(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-heapdir-'));
  // Traversable by the uid-65534 child; nothing in here is writable by it except what it owns.
  fs.chmodSync(base, 0o755);
  childTmp = path.join(base, 'tmp');
  fs.mkdirSync(childTmp, { mode: 0o700 });
  nobodyTmp = path.join(base, 'tmp-nobody');
  fs.mkdirSync(nobodyTmp, { mode: 0o700 });
  if (isRoot) fs.chownSync(nobodyTmp, NOBODY, NOBODY);
});
afterEach(async () => {
  if (savedEnv === undefined) delete process.env[DIR_ENV];
  else process.env[DIR_ENV] = savedEnv;
  await killChildren();
});
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

function freshDir(mode = 0o700): string {
  const dir = path.join(base, `d${++count}`);
  fs.mkdirSync(dir);
  fs.chmodSync(dir, mode); // not subject to the umask
  return dir;
}

type OpenOptions = Parameters<typeof Heap.open>[0];

function openError(options: OpenOptions): MpmetricsError {
  let heap: Heap;
  try {
    heap = Heap.open(options);
  } catch (error) {
    return error as MpmetricsError;
  }
  heap.close();
  throw new Error(`Heap.open(${JSON.stringify(options)}) opened a heap it should have refused`);
}

/** Heap.open with MPMETRICS_DIR set to `dir` (and no dir option). */
function envOpenError(dir: string): MpmetricsError {
  process.env[DIR_ENV] = dir;
  return openError({});
}

interface OpenReport {
  ok: boolean;
  dir?: string;
  fileMode?: number;
  env?: string | null;
  error?: { name: string; code: string; message: string; path?: string; isMpmetricsError: boolean };
}

async function openInChild(dir: string, options: { uid?: number; env?: NodeJS.ProcessEnv } = {}): Promise<OpenReport> {
  const run = await runChild(child, ['open', dir], {
    env: options.env ?? childEnv({ TMPDIR: options.uid === undefined ? childTmp : nobodyTmp }),
    ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.uid }),
  });
  expect({ code: run.code, signal: run.signal, stderr: run.stderr }).toEqual({ code: 0, signal: null, stderr: '' });
  return run.json[0] as OpenReport;
}

describe('a directory that does not exist → MPM_ERR_DIR_NOT_FOUND', () => {
  it('from the dir option: names the option and the path, and creates nothing', () => {
    const dir = path.join(base, 'missing-option');
    const error = openError({ dir });
    expect(error).toBeInstanceOf(MpmetricsError);
    expect(error.code).toBe('MPM_ERR_DIR_NOT_FOUND');
    expect(error.path).toBe(dir);
    expect(error.message).toContain('The "dir" option');
    expect(error.message).toContain(dir);
    expect(error.message).toContain('does not exist');
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('from MPMETRICS_DIR: names the variable, creates no private directory instead, leaves the variable alone', () => {
    const dir = path.join(base, 'missing-env');
    const error = envOpenError(dir);
    expect(error.code).toBe('MPM_ERR_DIR_NOT_FOUND');
    expect(error.message).toContain(DIR_ENV);
    expect(error.message).toContain(dir);
    expect(process.env[DIR_ENV]).toBe(dir);
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('from MPMETRICS_DIR inherited by a child process', async () => {
    const dir = path.join(base, 'missing-child');
    const tmp = freshDir();
    const report = await openInChild('-', { env: childEnv({ [DIR_ENV]: dir, TMPDIR: tmp }) });
    expect(report).toMatchObject({ ok: false, error: { code: 'MPM_ERR_DIR_NOT_FOUND', path: dir, isMpmetricsError: true } });
    expect(fs.readdirSync(tmp)).toEqual([]); // no private heap made in its place
  });
});

describe('an unsafe directory → MPM_ERR_DIR_UNSAFE', () => {
  it('a symlink to a good directory (option and MPMETRICS_DIR); nothing is created in its target', () => {
    const target = freshDir();
    const link = path.join(base, `link-${count}`);
    fs.symlinkSync(target, link);
    for (const error of [openError({ dir: link }), envOpenError(link)]) {
      expect(error.code).toBe('MPM_ERR_DIR_UNSAFE');
      expect(error.path).toBe(link);
      expect(error.message).toContain(link);
      expect(error.message).toContain('symbolic link');
    }
    expect(fs.readdirSync(target)).toEqual([]);
  });

  it('a regular file', () => {
    const file = path.join(base, 'a-file');
    fs.writeFileSync(file, 'not a directory', { mode: 0o600 });
    for (const error of [openError({ dir: file }), envOpenError(file)]) {
      expect(error.code).toBe('MPM_ERR_DIR_UNSAFE');
      expect(error.message).toContain(file);
      expect(error.message).toContain('not a directory');
    }
    expect(fs.readFileSync(file, 'utf8')).toBe('not a directory');
  });

  it.each([0o777, 0o1777, 0o770, 0o720, 0o702, 0o722])('mode %o (writable by group or others); nothing is created', (mode) => {
    const dir = freshDir(mode);
    for (const error of [openError({ dir }), envOpenError(dir)]) {
      expect(error.code).toBe('MPM_ERR_DIR_UNSAFE');
      expect(error.path).toBe(dir);
      expect(error.message).toContain(dir);
      expect(error.message).toContain(`mode ${(mode & 0o777).toString(8)}`);
      expect(error.message).toContain('writable by others');
      expect(error.message).toContain(`chmod 700 ${dir}`);
    }
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it.each([0o700, 0o750, 0o755])('mode %o is accepted, and the heap file is made 0600', (mode) => {
    const dir = freshDir(mode);
    const heap = Heap.open({ dir });
    expect(fs.statSync(heap.file.path).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(dir)).toEqual(['heap']);
    heap.close();
  });

  it(`owned by another user${isRoot ? ' (a directory chowned to uid 65534)' : ' (a directory owned by root)'}`, () => {
    let dir: string;
    let owner: number;
    if (isRoot) {
      dir = freshDir();
      fs.chownSync(dir, NOBODY, NOBODY);
      owner = NOBODY;
    } else {
      dir = '/usr';
      owner = fs.statSync(dir).uid;
      expect(owner).not.toBe(euid);
    }
    for (const error of [openError({ dir }), envOpenError(dir)]) {
      expect(error.code).toBe('MPM_ERR_DIR_UNSAFE');
      expect(error.path).toBe(dir);
      expect(error.message).toContain(dir);
      expect(error.message).toContain(`owned by uid ${owner}`);
      expect(error.message).toContain(`this user (uid ${euid})`);
    }
    if (isRoot) expect(fs.readdirSync(dir)).toEqual([]);
  });
});

describe('a directory this user cannot write → MPM_ERR_DIR_NOT_WRITABLE', () => {
  if (isRoot) {
    it('as uid 65534: its own 0700 directory works (the control), its own 0500 directory is refused', async () => {
      const good = freshDir(0o700);
      fs.chownSync(good, NOBODY, NOBODY);
      const ok = await openInChild(good, { uid: NOBODY });
      expect(ok).toMatchObject({ ok: true, fileMode: 0o600 });
      const heapFile = fs.statSync(path.join(good, 'heap'));
      expect([heapFile.uid, heapFile.mode & 0o777]).toEqual([NOBODY, 0o600]);

      const readOnly = freshDir(0o500);
      fs.chownSync(readOnly, NOBODY, NOBODY);
      const refused = await openInChild(readOnly, { uid: NOBODY });
      expect(refused).toMatchObject({
        ok: false,
        error: { code: 'MPM_ERR_DIR_NOT_WRITABLE', name: 'MpmetricsError', isMpmetricsError: true, path: readOnly },
      });
      expect(refused.error!.message).toContain(readOnly);
      expect(refused.error!.message).toContain('cannot write to');
      expect(fs.readdirSync(readOnly)).toEqual([]);
    });

    it('as uid 65534: a heap file it owns but may not write (mode 0400) is refused', async () => {
      const dir = freshDir(0o700);
      Heap.open({ dir }).close();
      const file = path.join(dir, 'heap');
      fs.chmodSync(file, 0o400);
      fs.chownSync(file, NOBODY, NOBODY);
      fs.chownSync(dir, NOBODY, NOBODY);
      const refused = await openInChild(dir, { uid: NOBODY });
      expect(refused).toMatchObject({ ok: false, error: { code: 'MPM_ERR_DIR_NOT_WRITABLE', path: file } });
      expect(refused.error!.message).toContain(file);
      expect(refused.error!.message).toContain('cannot be opened for writing');
    });

    it("as uid 65534: root's heap in a directory it owns is refused, never used", async () => {
      const dir = freshDir(0o700);
      Heap.open({ dir }).close(); // made by root, mode 0600
      fs.chownSync(dir, NOBODY, NOBODY);
      const file = path.join(dir, 'heap');
      const notWritable = await openInChild(dir, { uid: NOBODY });
      expect(notWritable).toMatchObject({ ok: false, error: { code: 'MPM_ERR_DIR_NOT_WRITABLE', path: file } });
      // Even when the user could write it, a heap owned by someone else is not trusted.
      fs.chmodSync(file, 0o666);
      const before = fs.readFileSync(file);
      const unsafe = await openInChild(dir, { uid: NOBODY });
      expect(unsafe).toMatchObject({ ok: false, error: { code: 'MPM_ERR_DIR_UNSAFE', path: file } });
      expect(unsafe.error!.message).toContain('owned by uid 0');
      expect(unsafe.error!.message).toContain(`this user (uid ${NOBODY})`);
      expect(fs.readFileSync(file).equals(before)).toBe(true);
    });
  } else {
    it('its own 0500 directory is refused', () => {
      const dir = freshDir(0o500);
      const error = openError({ dir });
      expect(error.code).toBe('MPM_ERR_DIR_NOT_WRITABLE');
      expect(error.message).toContain(dir);
      expect(error.message).toContain('cannot write to');
    });
  }
});

describe('options are validated', () => {
  const rangeCases: [string, Record<string, unknown>, string][] = [
    ['segmentSize', { segmentSize: 100_000 }, '100000'],
    ['segmentSize', { segmentSize: 3 * 65536 }, String(3 * 65536)],
    ['segmentSize', { segmentSize: 2048 }, '2048'],
    ['segmentSize', { segmentSize: 2 ** 31 }, String(2 ** 31)],
    ['segmentSize', { segmentSize: 0 }, '0'],
    ['segmentSize', { segmentSize: -65536 }, '-65536'],
    ['segmentSize', { segmentSize: 65536.5 }, '65536.5'],
    ['segmentSize', { segmentSize: Number.NaN }, 'NaN'],
    ['segmentSize', { segmentSize: '65536' }, '65536'],
    ['segmentSize', { segmentSize: 65536 }, 'cannot hold the header and a lane table of 4096 lanes'],
    ['maxLanes', { maxLanes: 0 }, '0'],
    ['maxLanes', { maxLanes: -1 }, '-1'],
    ['maxLanes', { maxLanes: 1.5 }, '1.5'],
    ['maxLanes', { maxLanes: 65537 }, '65537'],
    ['maxLanes', { maxLanes: Number.POSITIVE_INFINITY }, 'Infinity'],
    ['maxSize', { maxSize: 1024 * 1024 - 1 }, String(1024 * 1024 - 1)],
    ['maxSize', { maxSize: 0 }, '0'],
    ['maxSize', { maxSize: 2 ** 35 + 1 }, String(2 ** 35 + 1)],
    ['maxSize', { maxSize: 2 ** 21 + 0.5 }, String(2 ** 21 + 0.5)],
    ['maxSize', { segmentSize: 65536, maxLanes: 16, maxSize: 65535 }, '65535'],
  ];

  it.each(rangeCases)('bad %s %j → MpmetricsRangeError naming the option; no heap file is made', (name, options, received) => {
    const dir = freshDir();
    const error = openError({ dir, ...options } as OpenOptions);
    expect(error).toBeInstanceOf(MpmetricsRangeError);
    expect(error).toBeInstanceOf(RangeError);
    expect(error).toBeInstanceOf(MpmetricsError);
    expect(error.code).toBe('MPM_ERR_OUT_OF_RANGE');
    expect(error.message).toContain(`"${name}"`);
    expect(error.message).toContain(received);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('the smallest settings that fit are accepted', () => {
    const dir = freshDir();
    const heap = Heap.open({ dir, segmentSize: 8192, maxLanes: 16, maxSize: 8192 });
    expect(heap.file.segmentSize).toBe(8192);
    expect(heap.file.maxSegments).toBe(1);
    expect(heap.file.maxLanes).toBe(16);
    expect(fs.statSync(heap.file.path).size).toBe(8192);
    heap.close();
  });

  it.each([
    ['a number', 42, 'number 42'],
    ['null', null, 'null'],
    ['an object', {}, 'an object'],
    ['an array', ['/tmp'], 'an array'],
    ['a boolean', true, 'boolean true'],
    ['a Buffer', Buffer.from('/tmp'), 'an object'],
    ['a URL', new URL('file:///tmp'), 'an object'],
  ])('dir as %s → TypeError (MPM_ERR_INVALID_ARG_TYPE), before any directory is looked at or made', (_what, dir, described) => {
    const tmp = freshDir();
    const savedTmp = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    try {
      delete process.env[DIR_ENV];
      const error = openError({ dir } as unknown as OpenOptions);
      expect(error).toBeInstanceOf(MpmetricsTypeError);
      expect(error).toBeInstanceOf(TypeError);
      expect(error).toBeInstanceOf(MpmetricsError);
      expect(error.name).toBe('TypeError');
      expect(error.code).toBe('MPM_ERR_INVALID_ARG_TYPE');
      expect(error.message).toBe(`"dir" must be a string, received ${described}`);
      expect(process.env[DIR_ENV]).toBeUndefined();
      expect(fs.readdirSync(tmp)).toEqual([]);
    } finally {
      if (savedTmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = savedTmp;
    }
  });

  it('bad options without a dir: a child exits normally with the RangeError, leaving no private directory behind', async () => {
    const tmp = freshDir();
    const run = await runChild(child, ['open', '-', JSON.stringify({ segmentSize: 1000 })], { env: childEnv({ TMPDIR: tmp }) });
    expect([run.code, run.signal]).toEqual([0, null]);
    expect(run.json[0]).toMatchObject({ ok: false, inherited: null, error: { code: 'MPM_ERR_OUT_OF_RANGE', isRangeError: true } });
    expect(fs.readdirSync(tmp)).toEqual([]);
  });
});

describe('after all that', () => {
  it('every child (which all exited normally) removed the private directory it made on loading the library', () => {
    expect(fs.readdirSync(childTmp)).toEqual([]);
    expect(fs.readdirSync(nobodyTmp)).toEqual([]);
  });
});
