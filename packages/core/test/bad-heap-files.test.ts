// A heap file that is damaged, foreign, or unsafe must be refused with a clear MpmetricsError carrying a stable
// code, naming the file and what was expected, and must never crash the process (a bad size check would map
// past the end of the file and die of SIGBUS). Refusing a file must change nothing: not the file, not any other
// heap, and not this process's ability to open a good heap afterwards.
//
// Each case starts from the bytes of a real heap (made by Heap.open, grown to two segments, then closed) and
// changes one thing. It is opened first in a child process (which must exit normally and print the error code:
// a crash is a signal) and then in this process.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FAMILY, H, HEADER_BYTES, LANE, WORD } from '../src/heap/layout.js';
import { Heap, MpmetricsError, type ErrorCode } from '../src/index.js';
import { childEnv, fixture, killChildren, openDescriptors, runChild } from './fixtures/lifetime-processes.js';

const SEGMENT = 65536;
const LANES = 16;
const MAX_SEGMENTS = 4;
const child = fixture('lifetime-child.mjs');
const isRoot = process.geteuid?.() === 0;

let base: string;
/** TMPDIR of the children: importing the library makes a private heap directory there (removed at exit). */
let childTmp: string;
let validDir: string;
let validFile: string;
/** The bytes of the valid heap every bad file is made from. */
let source: Buffer;
/** Where the format puts the end of the lane table and the family root of a new heap, in words. */
const laneTableEnd = HEADER_BYTES / WORD + (LANES * LANE.BYTES) / WORD;
const familyRoot = laneTableEnd;
let cases = 0;

beforeAll(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-badheap-'));
  childTmp = path.join(base, 'tmp');
  fs.mkdirSync(childTmp, { mode: 0o700 });
  validDir = path.join(base, 'valid');
  fs.mkdirSync(validDir, { mode: 0o700 });
  const heap = Heap.open({ dir: validDir, segmentSize: SEGMENT, maxLanes: LANES, maxSize: MAX_SEGMENTS * SEGMENT });
  heap.family('bad_heap_probe', 'probe-meta');
  heap.file.grow(2);
  heap.close();
  validFile = path.join(validDir, 'heap');
  source = fs.readFileSync(validFile);
});

afterEach(killChildren);
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

function header(bytes: Buffer): Uint32Array {
  return new Uint32Array(bytes.buffer, bytes.byteOffset, HEADER_BYTES / 4);
}

/** A copy of the valid heap with `edit` applied to its header fields. */
function withHeader(edit: (h: Uint32Array) => void): Buffer {
  const bytes = Buffer.alloc(source.length); // never pooled: 4-byte aligned
  source.copy(bytes);
  edit(header(bytes));
  return bytes;
}

/** Writes `bytes` as the heap file of a new directory (0700) with the given file mode. */
function badHeap(bytes: Buffer, mode = 0o600): { dir: string; file: string } {
  const dir = path.join(base, `case-${++cases}`);
  fs.mkdirSync(dir, { mode: 0o700 });
  const file = path.join(dir, 'heap');
  fs.writeFileSync(file, bytes, { mode });
  fs.chmodSync(file, mode);
  return { dir, file };
}

function openError(dir: string): MpmetricsError {
  let heap: Heap;
  try {
    heap = Heap.open({ dir });
  } catch (error) {
    return error as MpmetricsError;
  }
  heap.close();
  throw new Error(`Heap.open({dir: ${dir}}) opened a heap it should have refused`);
}

interface ChildReport {
  ok: boolean;
  error?: { name: string; code: string; message: string; path?: string; isMpmetricsError: boolean };
}

/** Opens `dir` in a child process, which must end normally (no signal, exit code 0) and report. */
async function openInChild(dir: string): Promise<ChildReport> {
  const run = await runChild(child, ['open', dir], { env: childEnv({ TMPDIR: childTmp }) });
  expect({ code: run.code, signal: run.signal, stderr: run.stderr }).toEqual({ code: 0, signal: null, stderr: '' });
  expect(run.json).toHaveLength(1);
  return run.json[0] as ChildReport;
}

interface BadFile {
  name: string;
  bytes: () => Buffer;
  mode?: number;
  code: ErrorCode;
  /** What the message must say besides the file's path. */
  says: string[];
}

const cat = (...parts: Buffer[]): Buffer => Buffer.concat(parts);

const badFiles: BadFile[] = [
  // Truncated: shorter than the header, or than the segments the header declares.
  { name: 'an empty file', bytes: () => Buffer.alloc(0), code: 'MPM_ERR_HEAP_TRUNCATED', says: ['0 bytes', `${HEADER_BYTES}-byte header`] },
  { name: 'a file cut inside its header', bytes: () => source.subarray(0, 100), code: 'MPM_ERR_HEAP_TRUNCATED', says: ['100 bytes', `${HEADER_BYTES}-byte header`] },
  {
    name: 'a file holding one of the two segments its header declares',
    bytes: () => source.subarray(0, SEGMENT),
    code: 'MPM_ERR_HEAP_TRUNCATED',
    says: [`${SEGMENT} bytes`, `declares 2 segments of ${SEGMENT} bytes (${2 * SEGMENT} bytes)`],
  },
  {
    name: 'a file cut inside its last segment',
    bytes: () => source.subarray(0, SEGMENT + 4104),
    code: 'MPM_ERR_HEAP_TRUNCATED',
    says: [`${SEGMENT + 4104} bytes`, `declares 2 segments`],
  },
  {
    name: 'a file cut inside its first segment (just the header)',
    bytes: () => source.subarray(0, HEADER_BYTES),
    code: 'MPM_ERR_HEAP_TRUNCATED',
    says: [`${HEADER_BYTES} bytes`],
  },
  {
    name: 'a file cut inside its first segment (two pages)',
    bytes: () => source.subarray(0, 8192),
    code: 'MPM_ERR_HEAP_TRUNCATED',
    says: ['8192 bytes'],
  },
  // Larger than its header says.
  {
    name: 'a file a whole segment longer than declared',
    bytes: () => cat(source, Buffer.alloc(SEGMENT)),
    code: 'MPM_ERR_HEAP_SIZE',
    says: [`${3 * SEGMENT} bytes`, `larger than the ${2 * SEGMENT} bytes its header declares`],
  },
  {
    name: 'a file one byte longer than declared',
    bytes: () => cat(source, Buffer.alloc(1)),
    code: 'MPM_ERR_HEAP_SIZE',
    says: [`${2 * SEGMENT + 1} bytes`, `${2 * SEGMENT} bytes its header declares`],
  },
  {
    name: 'a file longer than declared, with a growth pending',
    bytes: () => cat(withHeader((h) => (h[H.PENDING_SEGMENTS] = 3)), Buffer.alloc(2 * SEGMENT)),
    code: 'MPM_ERR_HEAP_SIZE',
    says: [`${4 * SEGMENT} bytes`, `larger than the ${3 * SEGMENT} bytes`],
  },
  // Not a heap, or another format version.
  { name: 'a heap with the wrong magic', bytes: () => withHeader((h) => (h[H.MAGIC] = 0xdeadbeef)), code: 'MPM_ERR_HEAP_MAGIC', says: ['not an mpmetrics heap', '"MPMH"'] },
  { name: 'a text file', bytes: () => Buffer.from('# HELP x\n'.repeat(1000)), code: 'MPM_ERR_HEAP_MAGIC', says: ['not an mpmetrics heap'] },
  { name: 'a file of zeros', bytes: () => Buffer.alloc(2 * SEGMENT), code: 'MPM_ERR_HEAP_MAGIC', says: ['not an mpmetrics heap'] },
  { name: 'format version 6 (a later release)', bytes: () => withHeader((h) => (h[H.VERSION] = 6)), code: 'MPM_ERR_HEAP_VERSION', says: ['format version 6', 'reads version 5'] },
  { name: "format version 4 (a summary's bins inside its cells)", bytes: () => withHeader((h) => (h[H.VERSION] = 4)), code: 'MPM_ERR_HEAP_VERSION', says: ['format version 4', 'reads version 5'] },
  { name: 'format version 3 (growth under a lock)', bytes: () => withHeader((h) => (h[H.VERSION] = 3)), code: 'MPM_ERR_HEAP_VERSION', says: ['format version 3', 'reads version 5'] },
  { name: 'format version 2 (before families could be declared anew)', bytes: () => withHeader((h) => (h[H.VERSION] = 2)), code: 'MPM_ERR_HEAP_VERSION', says: ['format version 2', 'reads version 5'] },
  { name: 'format version 1 (before idle-series expiry)', bytes: () => withHeader((h) => (h[H.VERSION] = 1)), code: 'MPM_ERR_HEAP_VERSION', says: ['format version 1', 'reads version 5'] },
  { name: 'format version 0', bytes: () => withHeader((h) => (h[H.VERSION] = 0)), code: 'MPM_ERR_HEAP_VERSION', says: ['format version 0', 'reads version 5'] },
  // Header fields out of range.
  {
    name: 'a segment size that is not a power of two',
    bytes: () => withHeader((h) => (h[H.SEGMENT_SIZE] = SEGMENT + 4096)),
    code: 'MPM_ERR_HEAP_CORRUPT',
    says: ['is corrupt', `segment size ${SEGMENT + 4096} is not a power of two`],
  },
  { name: 'a segment size of 0', bytes: () => withHeader((h) => (h[H.SEGMENT_SIZE] = 0)), code: 'MPM_ERR_HEAP_CORRUPT', says: ['segment size 0 is not a power of two'] },
  {
    name: 'a segment size of 2 GiB',
    bytes: () => withHeader((h) => (h[H.SEGMENT_SIZE] = 2 ** 31)),
    code: 'MPM_ERR_HEAP_CORRUPT',
    says: [`segment size ${2 ** 31} is not a power of two between the page size and 1 GiB`],
  },
  { name: 'a segment count of 0', bytes: () => withHeader((h) => (h[H.SEGMENT_COUNT] = 0)), code: 'MPM_ERR_HEAP_CORRUPT', says: [`segment count 0 is outside 1..${MAX_SEGMENTS}`] },
  {
    name: 'a segment count above the maximum',
    bytes: () => withHeader((h) => (h[H.SEGMENT_COUNT] = MAX_SEGMENTS + 1)),
    code: 'MPM_ERR_HEAP_CORRUPT',
    says: [`segment count ${MAX_SEGMENTS + 1} is outside 1..${MAX_SEGMENTS}`],
  },
  { name: 'a maximum segment count of 0', bytes: () => withHeader((h) => (h[H.MAX_SEGMENTS] = 0)), code: 'MPM_ERR_HEAP_CORRUPT', says: ['maximum segment count 0 is out of range'] },
  {
    name: 'an allocation top past the end of the segments',
    bytes: () => withHeader((h) => (h[H.ALLOC_TOP] = (2 * SEGMENT) / WORD + 1)),
    code: 'MPM_ERR_HEAP_CORRUPT',
    says: [`allocation top ${(2 * SEGMENT) / WORD + 1} is outside ${laneTableEnd}..${(2 * SEGMENT) / WORD}`],
  },
  { name: 'an allocation top of 0', bytes: () => withHeader((h) => (h[H.ALLOC_TOP] = 0)), code: 'MPM_ERR_HEAP_CORRUPT', says: ['allocation top 0 is outside'] },
  {
    name: 'a garbage family root pointer',
    bytes: () => withHeader((h) => (h[H.FAMILY_ROOT] = 0xdeadbeef)),
    code: 'MPM_ERR_HEAP_CORRUPT',
    says: [`family directory root ${0xdeadbeef} is not a directory node`],
  },
  { name: 'a null family root pointer', bytes: () => withHeader((h) => (h[H.FAMILY_ROOT] = 0)), code: 'MPM_ERR_HEAP_CORRUPT', says: ['family directory root 0 is not a directory node'] },
  {
    name: 'a family root pointing into the middle of a record',
    bytes: () => withHeader((h) => (h[H.FAMILY_ROOT] = familyRoot + 1)),
    code: 'MPM_ERR_HEAP_CORRUPT',
    says: [`family directory root ${familyRoot + 1} is not a directory node`],
  },
  {
    name: 'a family root pointing into the lane table',
    bytes: () => withHeader((h) => (h[H.FAMILY_ROOT] = laneTableEnd - 2)),
    code: 'MPM_ERR_HEAP_CORRUPT',
    says: [`family directory root ${laneTableEnd - 2} is not a directory node`],
  },
  { name: 'a wrong header size', bytes: () => withHeader((h) => (h[H.HEADER_BYTES] = 8192)), code: 'MPM_ERR_HEAP_CORRUPT', says: [`header size 8192 is not ${HEADER_BYTES}`] },
  { name: "another machine's page size", bytes: () => withHeader((h) => (h[H.PAGE_SIZE] = 16384)), code: 'MPM_ERR_HEAP_CORRUPT', says: ['page size of 16384 bytes'] },
  { name: 'a lane count of 0', bytes: () => withHeader((h) => (h[H.MAX_LANES] = 0)), code: 'MPM_ERR_HEAP_CORRUPT', says: ['lane count 0 does not fit'] },
  {
    name: 'a lane table too large for its segment',
    bytes: () => withHeader((h) => (h[H.MAX_LANES] = 65536)),
    code: 'MPM_ERR_HEAP_CORRUPT',
    says: ['lane count 65536 does not fit its first segment'],
  },
  {
    name: 'a lane high-water mark above the lane count',
    bytes: () => withHeader((h) => (h[H.LANE_HIGH] = LANES + 1)),
    code: 'MPM_ERR_HEAP_CORRUPT',
    says: [`lane high-water mark ${LANES + 1} exceeds ${LANES} lanes`],
  },
  { name: 'a moved lane table', bytes: () => withHeader((h) => (h[H.LANE_TABLE] = 600)), code: 'MPM_ERR_HEAP_CORRUPT', says: ['lane table pointer 600'] },
  {
    name: 'a pending segment count above the maximum',
    bytes: () => withHeader((h) => (h[H.PENDING_SEGMENTS] = MAX_SEGMENTS + 1)),
    code: 'MPM_ERR_HEAP_CORRUPT',
    says: [`pending segment count ${MAX_SEGMENTS + 1} is out of range`],
  },
  // Unsafe permissions.
  { name: 'a heap file of mode 0644', bytes: () => source, mode: 0o644, code: 'MPM_ERR_DIR_UNSAFE', says: ['mode 644', 'must be 600'] },
  { name: 'a heap file of mode 0640', bytes: () => source, mode: 0o640, code: 'MPM_ERR_DIR_UNSAFE', says: ['mode 640', 'must be 600'] },
  { name: 'a heap file of mode 0606', bytes: () => source, mode: 0o606, code: 'MPM_ERR_DIR_UNSAFE', says: ['mode 606', 'must be 600'] },
];

describe('the valid heap the bad files are made from', () => {
  it('has the header the cases assume', () => {
    const h = header(source);
    expect(source.length).toBe(2 * SEGMENT);
    expect(fs.statSync(validFile).mode & 0o777).toBe(0o600);
    expect([h[H.SEGMENT_SIZE], h[H.SEGMENT_COUNT], h[H.MAX_SEGMENTS], h[H.MAX_LANES], h[H.PENDING_SEGMENTS]]).toEqual([SEGMENT, 2, MAX_SEGMENTS, LANES, 0]);
    expect(h[H.LANE_TABLE]! + (LANES * LANE.BYTES) / WORD).toBe(laneTableEnd);
    expect(h[H.FAMILY_ROOT]).toBe(familyRoot);
  });
});

describe('a bad heap file is refused with a stable code, in a child and in this process', () => {
  for (const bad of badFiles) {
    it(`${bad.name} → ${bad.code}`, async () => {
      const { dir, file } = badHeap(bad.bytes(), bad.mode);
      const before = fs.readFileSync(file);

      // First in a child: it must not crash, and must report the error with its code.
      const report = await openInChild(dir);
      expect(report).toMatchObject({ ok: false, error: { code: bad.code, name: 'MpmetricsError', isMpmetricsError: true, path: file } });

      // Then here.
      const descriptors = openDescriptors();
      const error = openError(dir);
      expect(openDescriptors()).toBe(descriptors); // the refused file's descriptor was closed
      expect(error).toBeInstanceOf(MpmetricsError);
      expect(error.name).toBe('MpmetricsError');
      expect(error.code).toBe(bad.code);
      expect(error.path).toBe(file);
      expect(error.message).toContain(file);
      for (const words of bad.says) expect(error.message).toContain(words);
      expect(report.error!.message).toBe(error.message);

      // Refusing a file changes nothing: not its bytes, and no file is left beside it.
      expect(fs.readFileSync(file).equals(before)).toBe(true);
      expect(fs.readdirSync(dir)).toEqual(['heap']);
    });
  }
});

describe('a heap file that is not a plain file of this user', () => {
  it('a symbolic link to a valid heap → MPM_ERR_DIR_UNSAFE, and the heap it points to is untouched', async () => {
    const dir = path.join(base, 'symlink');
    fs.mkdirSync(dir, { mode: 0o700 });
    const file = path.join(dir, 'heap');
    fs.symlinkSync(validFile, file);
    const before = fs.readFileSync(validFile);
    const mtime = fs.statSync(validFile).mtimeMs;

    const report = await openInChild(dir);
    expect(report.error).toMatchObject({ code: 'MPM_ERR_DIR_UNSAFE', isMpmetricsError: true, path: file });
    const error = openError(dir);
    expect(error.code).toBe('MPM_ERR_DIR_UNSAFE');
    expect(error.path).toBe(file);
    expect(error.message).toContain(file);
    expect(error.message).toContain('symbolic link');
    expect(fs.readFileSync(validFile).equals(before)).toBe(true);
    expect(fs.statSync(validFile).mtimeMs).toBe(mtime);
    expect(fs.lstatSync(file).isSymbolicLink()).toBe(true);
  });

  it('a dangling symbolic link → MPM_ERR_DIR_UNSAFE, and no heap is created where it points', async () => {
    const dir = path.join(base, 'dangling');
    fs.mkdirSync(dir, { mode: 0o700 });
    const target = path.join(base, 'dangling-target');
    const file = path.join(dir, 'heap');
    fs.symlinkSync(target, file);

    const report = await openInChild(dir);
    expect(report.error).toMatchObject({ code: 'MPM_ERR_DIR_UNSAFE', path: file });
    const error = openError(dir);
    expect(error.code).toBe('MPM_ERR_DIR_UNSAFE');
    expect(error.message).toContain('symbolic link');
    expect(fs.existsSync(target)).toBe(false);
    expect(fs.readdirSync(dir)).toEqual(['heap']);
  });

  it('a FIFO named heap → MPM_ERR_DIR_UNSAFE (not a regular file), without blocking', async () => {
    const dir = path.join(base, 'fifo');
    fs.mkdirSync(dir, { mode: 0o700 });
    const file = path.join(dir, 'heap');
    execFileSync('mkfifo', ['-m', '600', file]);

    const report = await openInChild(dir);
    expect(report.error).toMatchObject({ code: 'MPM_ERR_DIR_UNSAFE', path: file });
    const error = openError(dir);
    expect(error.code).toBe('MPM_ERR_DIR_UNSAFE');
    expect(error.message).toContain(file);
    expect(error.message).toContain('not a regular file');
  });

  it('a directory named heap → MPM_ERR_DIR_UNSAFE', async () => {
    const dir = path.join(base, 'heap-is-dir');
    fs.mkdirSync(path.join(dir, 'heap'), { recursive: true, mode: 0o700 });
    const report = await openInChild(dir);
    expect(report.error).toMatchObject({ code: 'MPM_ERR_DIR_UNSAFE' });
  });

  it('a directory named heap: a child opening it still exits normally with an error', async () => {
    const dir = path.join(base, 'heap-is-dir-2');
    fs.mkdirSync(path.join(dir, 'heap'), { recursive: true, mode: 0o700 });
    const report = await openInChild(dir);
    expect(report.ok).toBe(false);
    expect(report.error!.message).toContain(path.join(dir, 'heap'));
  });

  it.skipIf(!isRoot)('a heap file owned by another user (uid 65534) → MPM_ERR_DIR_UNSAFE [needs root to chown]', async () => {
    const { dir, file } = badHeap(source);
    fs.chownSync(file, 65534, 65534);
    const report = await openInChild(dir);
    expect(report.error).toMatchObject({ code: 'MPM_ERR_DIR_UNSAFE', path: file });
    const error = openError(dir);
    expect(error.code).toBe('MPM_ERR_DIR_UNSAFE');
    expect(error.message).toContain(file);
    expect(error.message).toContain('owned by uid 65534');
    expect(error.message).toContain(`this user (uid ${process.geteuid!()})`);
  });
});

describe('refusing bad files leaves good heaps alone', () => {
  it('never modifies a valid heap elsewhere, and a valid heap still opens (and works) after every error', async () => {
    const before = fs.readFileSync(validFile);
    expect(before.equals(source)).toBe(true);
    for (const bad of badFiles) {
      const { dir } = badHeap(bad.bytes(), bad.mode);
      expect(() => Heap.open({ dir })).toThrow();
      expect(fs.readFileSync(validFile).equals(source)).toBe(true);
    }

    // The valid heap opens, in this process and in a child, and has what was put in it.
    const heap = Heap.open({ dir: validDir });
    expect(heap.segmentCount).toBe(2);
    expect(heap.findFamily('bad_heap_probe')?.meta).toBe('probe-meta');
    const run = await openInChild(validDir);
    expect(run).toMatchObject({ ok: true, created: true });

    // With a good heap open and in use, refusing a bad one does not disturb it.
    const family = heap.family('bad_heap_after', 'after');
    const series = heap.series(family.ptr, 'k', { valueWords: 1, sharedWords: 0 });
    heap.cell(series.ptr, 1).add(0, 3);
    const { dir } = badHeap(withHeader((h) => (h[H.FAMILY_ROOT] = 0xdeadbeef)));
    expect(openError(dir).code).toBe('MPM_ERR_HEAP_CORRUPT');
    heap.cell(series.ptr, 1).add(0, 4);
    expect(heap.read(series.ptr, new Float64Array(1))[0]).toBe(7);
    expect(heap.findFamily('lifetime_opened')?.meta).toBe('opened');
    heap.close();
  });

  it('finishes a growth whose grower died (pending segments, file not yet grown) instead of calling it damage', () => {
    const { dir, file } = badHeap(withHeader((h) => (h[H.PENDING_SEGMENTS] = 3)));
    const heap = Heap.open({ dir });
    expect(heap.segmentCount).toBe(3);
    expect(fs.statSync(file).size).toBe(3 * SEGMENT);
    expect(header(fs.readFileSync(file))[H.PENDING_SEGMENTS]).toBe(0);
    expect(heap.findFamily('bad_heap_probe')?.meta).toBe('probe-meta');
    heap.close();
  });

  it('clears the mark of a grower that died after another grew the file further (pending below the count)', () => {
    // growers take no lock: one that read an old count can raise pending to a target others already passed, and
    // die before it takes its mark back
    const { dir, file } = badHeap(withHeader((h) => (h[H.PENDING_SEGMENTS] = 1)));
    const heap = Heap.open({ dir });
    expect(heap.segmentCount).toBe(2);
    expect(fs.statSync(file).size).toBe(2 * SEGMENT);
    expect(header(fs.readFileSync(file))[H.PENDING_SEGMENTS]).toBe(0);
    expect(heap.findFamily('bad_heap_probe')?.meta).toBe('probe-meta');
    heap.close();
  });

  it('clears the mark of a grower that died after publishing its growth (pending = count)', () => {
    // the grower stores SEGMENT_COUNT, then clears PENDING_SEGMENTS: a SIGKILL between the two leaves this
    const { dir, file } = badHeap(withHeader((h) => (h[H.PENDING_SEGMENTS] = 2)));
    const heap = Heap.open({ dir });
    expect(heap.segmentCount).toBe(2);
    expect(fs.statSync(file).size).toBe(2 * SEGMENT);
    expect(header(fs.readFileSync(file))[H.PENDING_SEGMENTS]).toBe(0);
    expect(heap.findFamily('bad_heap_probe')?.meta).toBe('probe-meta');
    heap.close();
  });
});

describe('damage found in a heap that opened', () => {
  it('family metadata running past its segment → MPM_ERR_HEAP_CORRUPT naming the file; the other families still read', () => {
    const { dir, file } = badHeap(Buffer.from(source));
    const heap = Heap.open({ dir });
    const other = heap.family('bad_heap_other', 'other-meta');
    const probe = heap.findFamily('bad_heap_probe')!;
    // what a torn or foreign write could leave: a metadata length past the end of the segment
    heap.file.segmentOf(probe.ptr).u32[heap.file.offsetOf(probe.ptr) * 2 + FAMILY.META_LENGTH] = SEGMENT;
    let error: unknown;
    try {
      heap.findFamily('bad_heap_probe');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(MpmetricsError);
    expect(error).toMatchObject({ code: 'MPM_ERR_HEAP_CORRUPT', path: file, message: `Heap file ${file} is corrupt: family metadata runs past its segment` });
    expect(heap.findFamily('bad_heap_other')).toMatchObject({ ptr: other.ptr, meta: 'other-meta' });
    heap.close();
  });
});
