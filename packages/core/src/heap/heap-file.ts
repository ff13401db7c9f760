// One heap file: create or open it safely, check it (its header: heap-header.ts), map its segments, grow it, and
// allocate from it.
// Allocation is a lock-free bump of a shared top; growth takes a short file lock that the kernel releases if the
// grower dies, and is finished by the next opener if it died half-way. Nothing here runs on the update path.
import fs from 'node:fs';
import path from 'node:path';
import { heapCorrupt, MpmetricsError, MpmetricsRangeError } from '../errors.js';
import { binding } from '../native/binding.js';
import { allocateBytes, closeFile, mapSegment, unlockByte } from './heap-io.js';
import { ATTACH_LOCK_WAIT_MS, takeLock, UPDATE_LOCK_WAIT_MS } from './lock-wait.js';
import { H, HEADER_BYTES, KIND_MASK, KIND_NODE, LANE, LOCK, TAG, TAG_MASK, WORD } from './layout.js';
import { makeMemoryFileOnce, memoryLimit, openMemoryFile } from './memory-file.js';
import { segmentViews, type SegmentViews } from './segments.js';
import { checkCreateOptions, checkHeader, writeHeader, type HeapFileOptions } from './heap-header.js';

export const HEAP_FILE_NAME = 'heap';

/** How often an opener looks at the file's size again before calling a mismatch with its header damage. */
const SIZE_LOOKS = 5;
const sizeSleeper = new Int32Array(new SharedArrayBuffer(4));

/** Raises the header word at `index` to `value` if it is lower: growth words only ever go up. */
function raiseTo(h: Uint32Array, index: number, value: number): void {
  for (let seen = Atomics.load(h, index); seen < value; seen = Atomics.load(h, index)) {
    if (Atomics.compareExchange(h, index, seen, value) === seen) return;
  }
}

export class HeapFile {
  readonly path: string;
  readonly segmentSize: number;
  readonly maxSegments: number;
  readonly maxLanes: number;
  /** log2(segmentSize / WORD): a pointer's segment is `ptr >>> segmentShift`. */
  readonly segmentShift: number;
  /** `ptr & offsetMask` is the word offset inside its segment. */
  readonly offsetMask: number;
  /** The header, as u32 fields, in segment 0. */
  readonly header: Uint32Array;
  readonly segments: SegmentViews[] = [];
  #fd: number;
  #closed = false;
  #createdHere = false;

  private constructor(file: string, fd: number, first: SegmentViews) {
    const header = first.u32.subarray(0, HEADER_BYTES / 4);
    this.path = file;
    this.#fd = fd;
    this.segments.push(first);
    this.segmentSize = header[H.SEGMENT_SIZE]!;
    this.maxSegments = header[H.MAX_SEGMENTS]!;
    this.maxLanes = header[H.MAX_LANES]!;
    this.segmentShift = Math.log2(this.segmentSize / WORD);
    this.offsetMask = this.segmentSize / WORD - 1;
    this.header = header;
  }

  get fd(): number {
    if (this.#closed) throw new MpmetricsError('MPM_ERR_HEAP_CLOSED', `Heap ${this.path} is closed`, { path: this.path });
    return this.#fd;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** True when this handle's openOrCreate made the file: exactly one opener of a heap ever sees it. */
  get createdHere(): boolean {
    return this.#createdHere;
  }

  /** True for a heap in this process's memory (memory-file.ts), shared by its threads only. */
  get inProcess(): boolean {
    return this.#fd < 0;
  }

  /**
   * Opens the in-process heap `name` (making it on first use, in this process's memory: see memory-file.ts). The
   * header is written and checked as a file's would be, so everything above runs the same.
   */
  static openInProcess(name: string, options: HeapFileOptions = {}): HeapFile {
    const settings = checkCreateOptions(options);
    const label = name === '' ? 'in-process heap' : `in-process heap ${name}`;
    const fd = openMemoryFile(name);
    try {
      // the heap cannot grow past the address space reserved for it (4 GiB on Node 20)
      const maxSize = Math.min(settings.maxSize, memoryLimit(fd));
      const locks = LOCK.LANES - LOCK.ATTACH + settings.maxLanes;
      makeMemoryFileOnce(fd, settings.segmentSize, locks, (memory) => {
        writeHeader(segmentViews(memory, 0, settings.segmentSize), { ...settings, maxSize }, false);
      });
      const header = mapSegment(fd, 0, HEADER_BYTES).u32;
      checkHeader(label, header);
      const heap = new HeapFile(label, fd, mapSegment(fd, 0, header[H.SEGMENT_SIZE]!));
      heap.#mapThrough(Atomics.load(header, H.SEGMENT_COUNT) - 1);
      heap.#checkAllocation();
      takeLock(label, fd, LOCK.ATTACH, false, ATTACH_LOCK_WAIT_MS, () => 0, () => ({ lock: 'the attach lock', consequence: 'the heap was not opened' }));
      return heap;
    } catch (error) {
      closeFile(fd);
      throw error;
    }
  }

  /** Opens `dir/heap`, creating it (atomically: written aside, then linked into place) if it does not exist. */
  static openOrCreate(dir: string, options: HeapFileOptions = {}): HeapFile {
    const file = path.join(dir, HEAP_FILE_NAME);
    const settings = checkCreateOptions(options);
    for (;;) {
      try {
        return HeapFile.open(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
      const created = HeapFile.#createAside(dir, file, settings);
      if (created) return created;
      // Another process linked its heap first: open theirs.
    }
  }

  /** Opens an existing heap file and checks everything its header claims before trusting it. */
  static open(file: string): HeapFile {
    let fd: number;
    try {
      fd = binding.open(file, false);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ELOOP') {
        throw new MpmetricsError('MPM_ERR_DIR_UNSAFE', `Heap file ${file} is a symbolic link; mpmetrics never follows links`, {
          path: file,
          cause: error,
        });
      }
      if (code === 'EISDIR' || code === 'ENXIO') {
        throw new MpmetricsError('MPM_ERR_DIR_UNSAFE', `Heap file ${file} is not a regular file`, { path: file, cause: error });
      }
      if (code === 'EACCES' || code === 'EPERM') {
        throw new MpmetricsError('MPM_ERR_DIR_NOT_WRITABLE', `Heap file ${file} cannot be opened for writing by this user`, {
          path: file,
          cause: error,
        });
      }
      throw error;
    }
    try {
      return HeapFile.#attach(file, fd);
    } catch (error) {
      closeFile(fd);
      throw error;
    }
  }

  static #attach(file: string, fd: number): HeapFile {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new MpmetricsError('MPM_ERR_DIR_UNSAFE', `Heap file ${file} is not a regular file`, { path: file });
    if (process.geteuid && stat.uid !== process.geteuid()) {
      throw new MpmetricsError('MPM_ERR_DIR_UNSAFE', `Heap file ${file} is owned by uid ${stat.uid}, not by this user (uid ${process.geteuid()})`, {
        path: file,
      });
    }
    if ((stat.mode & 0o077) !== 0) {
      throw new MpmetricsError(
        'MPM_ERR_DIR_UNSAFE',
        `Heap file ${file} has mode ${(stat.mode & 0o777).toString(8)}; it must be 600 (no access for group or others)`,
        { path: file },
      );
    }
    if (stat.size < HEADER_BYTES) {
      throw new MpmetricsError(
        'MPM_ERR_HEAP_TRUNCATED',
        `Heap file ${file} is truncated: ${stat.size} bytes, smaller than its ${HEADER_BYTES}-byte header`,
        { path: file },
      );
    }
    const raw = Buffer.alloc(HEADER_BYTES);
    fs.readSync(fd, raw, 0, HEADER_BYTES, 0);
    const fields = new Uint32Array(raw.buffer, raw.byteOffset, HEADER_BYTES / 4);
    checkHeader(file, fields);
    const segmentSize = fields[H.SEGMENT_SIZE]!;
    if (stat.size < segmentSize) {
      // Segment 0 is written whole before the file is linked into place: shorter is damage.
      throw new MpmetricsError(
        'MPM_ERR_HEAP_TRUNCATED',
        `Heap file ${file} is truncated: ${stat.size} bytes, smaller than its first segment of ${segmentSize} bytes`,
        { path: file },
      );
    }

    const first = mapSegment(fd, 0, segmentSize);
    HeapFile.#checkSize(file, fd, first.u32);
    const heap = new HeapFile(file, fd, first);
    heap.#mapThrough(Atomics.load(heap.header, H.SEGMENT_COUNT) - 1);
    heap.#checkAllocation();
    // nobody takes it exclusively: this only waits if something else on the machine locks that byte
    takeLock(file, fd, LOCK.ATTACH, false, ATTACH_LOCK_WAIT_MS, () => 0, () => ({ lock: 'the attach lock', consequence: 'the heap was not opened' }));
    return heap;
  }

  /**
   * Compares the file's size with its header, without a lock: growers raise PENDING_SEGMENTS before they extend
   * the file and SEGMENT_COUNT only after (see grow), so a size read between a count read before it and a
   * pending count read after it is never below the first nor above the larger of the second and a count read
   * last. A mismatch is looked at again a few times, each a millisecond apart, before it is called damage: that
   * needs no argument about how the kernel's size and our loads are ordered on each CPU.
   */
  static #checkSize(file: string, fd: number, h: Uint32Array): void {
    const segmentSize = h[H.SEGMENT_SIZE]!;
    for (let look = 1; ; look++) {
      const count = Atomics.load(h, H.SEGMENT_COUNT);
      const size = fs.fstatSync(fd).size;
      const pending = Atomics.load(h, H.PENDING_SEGMENTS);
      const allowed = Math.max(Atomics.load(h, H.SEGMENT_COUNT), pending) * segmentSize;
      const declared = count * segmentSize;
      if (size >= declared && size <= allowed) break;
      if (look < SIZE_LOOKS) {
        Atomics.wait(sizeSleeper, 0, 0, 1);
        continue;
      }
      if (size < declared) {
        throw new MpmetricsError(
          'MPM_ERR_HEAP_TRUNCATED',
          `Heap file ${file} is truncated: ${size} bytes, but its header declares ${count} segments of ${segmentSize} bytes (${declared} bytes)`,
          { path: file },
        );
      }
      throw new MpmetricsError(
        'MPM_ERR_HEAP_SIZE',
        `Heap file ${file} is ${size} bytes, larger than the ${allowed} bytes its header declares; it was changed by something other than mpmetrics`,
        { path: file },
      );
    }
    HeapFile.#finishGrowth(file, fd, h);
  }

  /**
   * A growth marked pending above the segment count is either in flight, or its grower died or failed; finishing it
   * is the same work as doing it (extending a file never undoes another's extension), so it is simply done again,
   * if it can be: if not, the heap is used at the size it has.
   */
  static #finishGrowth(file: string, fd: number, h: Uint32Array): void {
    const pending = Atomics.load(h, H.PENDING_SEGMENTS);
    if (pending === 0) return;
    if (pending > Atomics.load(h, H.SEGMENT_COUNT)) {
      try {
        HeapFile.#extend(file, fd, h, pending, UPDATE_LOCK_WAIT_MS);
      } catch {
        return; // a full disk, or a stopped grower on the ftruncate path: the heap works at its current size
      }
    }
    raiseTo(h, H.SEGMENT_COUNT, pending);
    Atomics.compareExchange(h, H.PENDING_SEGMENTS, pending, 0);
  }

  /**
   * Makes the file `segments` segments long: with fallocate, lock-free; where the filesystem lacks it, with
   * ftruncate under the growth lock, waited for at most `waitMs`. Whether it lacks it is recorded in the header
   * once found, so that no process extends lock-free while another truncates (ftruncate could cut back what the
   * other added; the filesystem is the same for every process, so they all find the same).
   */
  static #extend(file: string, fd: number, h: Uint32Array, segments: number, waitMs = ATTACH_LOCK_WAIT_MS): void {
    const bytes = segments * h[H.SEGMENT_SIZE]!;
    if (Atomics.load(h, H.GROW_BY_TRUNCATE) === 0) {
      try {
        allocateBytes(fd, bytes);
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EOPNOTSUPP') throw error;
        Atomics.store(h, H.GROW_BY_TRUNCATE, 1);
      }
    }
    takeLock(file, fd, LOCK.GROW, true, waitMs, () => Atomics.load(h, H.GROWER_PID), () => ({
      lock: 'the growth lock',
      consequence: 'the heap file was not grown',
    }));
    try {
      Atomics.store(h, H.GROWER_PID, process.pid);
      binding.extend(fd, bytes);
    } finally {
      unlockByte(fd, LOCK.GROW);
    }
  }

  #checkAllocation(): void {
    const h = this.header;
    const top = h[H.ALLOC_TOP]!;
    const limit = h[H.SEGMENT_COUNT]! * (this.segmentSize / WORD);
    const laneTableEnd = h[H.LANE_TABLE]! + (this.maxLanes * LANE.BYTES) / WORD;
    if (h[H.LANE_TABLE] !== HEADER_BYTES / WORD || laneTableEnd > this.segmentSize / WORD) {
      throw heapCorrupt(this.path, `lane table pointer ${h[H.LANE_TABLE]} is not where the format puts it`);
    }
    if (top < laneTableEnd || top > limit) throw heapCorrupt(this.path, `allocation top ${top} is outside ${laneTableEnd}..${limit}`);
    const root = h[H.FAMILY_ROOT]!;
    if (root < laneTableEnd || root >= top || !this.hasKind(root, KIND_NODE)) {
      throw heapCorrupt(this.path, `family directory root ${root} is not a directory node`);
    }
  }

  /** Writes a new heap beside its final name, then links it into place: nobody ever sees half a header. */
  static #createAside(dir: string, file: string, settings: Required<HeapFileOptions>): HeapFile | undefined {
    const aside = path.join(dir, `.heap-${process.pid}-${Math.random().toString(36).slice(2)}`);
    const fd = binding.open(aside, true);
    try {
      let truncated = false;
      try {
        binding.allocate(fd, settings.segmentSize);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EOPNOTSUPP') throw error;
        binding.extend(fd, settings.segmentSize); // nobody else sees this file yet: no lock needed
        truncated = true;
      }
      writeHeader(mapSegment(fd, 0, settings.segmentSize), settings, truncated);
      try {
        fs.linkSync(aside, file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
        throw error;
      }
      const made = HeapFile.open(file);
      made.#createdHere = true;
      return made;
    } finally {
      closeFile(fd);
      fs.rmSync(aside, { force: true });
    }
  }

  /** Maps segments up to and including `last`, which must already exist. */
  #mapThrough(last: number): void {
    for (let k = this.segments.length; k <= last; k++) this.segments.push(mapSegment(this.fd, k * this.segmentSize, this.segmentSize));
  }

  /** The views of the segment holding `ptr`, mapping newly grown segments on first use. */
  segmentOf(ptr: number): SegmentViews {
    const k = ptr >>> this.segmentShift;
    const views = this.segments[k];
    if (views !== undefined) return views;
    if (k < Atomics.load(this.header, H.SEGMENT_COUNT)) {
      try {
        this.#mapThrough(k);
      } catch (error) {
        // growers extend the file before they count a segment: a count past the file's end is damage
        if (this.fd >= 0 && fs.fstatSync(this.fd).size < (k + 1) * this.segmentSize) {
          throw heapCorrupt(this.path, `the header counts segment ${k}, which lies past the end of the file (${fs.fstatSync(this.fd).size} bytes)`);
        }
        throw error;
      }
      return this.segments[k]!;
    }
    throw heapCorrupt(this.path, `pointer ${ptr} lies beyond its ${Atomics.load(this.header, H.SEGMENT_COUNT)} segments`);
  }

  /** Word offset of `ptr` inside its segment. */
  offsetOf(ptr: number): number {
    return ptr & this.offsetMask;
  }

  /** True when `ptr` is inside the allocated heap and points at a record of that kind. */
  hasKind(ptr: number, kind: number): boolean {
    if (ptr === 0 || ptr >= Atomics.load(this.header, H.ALLOC_TOP)) return false;
    const word = this.segmentOf(ptr).u32[this.offsetOf(ptr) * 2]!;
    return (word & TAG_MASK) === TAG && (word & KIND_MASK) === kind;
  }

  /** Follows a pointer read from the heap, refusing one that does not lead to a record of the expected kind. */
  expectKind(ptr: number, kind: number, what: string): void {
    if (!this.hasKind(ptr, kind)) throw heapCorrupt(this.path, `${what} pointer ${ptr} does not lead to a valid record`);
  }

  /**
   * Allocates `bytes` of zeroed memory inside one segment, aligned to 64 bytes when `align64` (so records
   * written by different processes never share a cache line). Lock-free; grows the file when needed.
   */
  allocate(bytes: number, align64 = false): number {
    const words = Math.ceil(bytes / WORD);
    const segmentWords = this.segmentSize / WORD;
    if (words > segmentWords) {
      throw new MpmetricsRangeError(`cannot allocate ${bytes} bytes: larger than a heap segment (${this.segmentSize} bytes)`);
    }
    const h = this.header;
    for (;;) {
      const top = Atomics.load(h, H.ALLOC_TOP);
      let start = align64 ? Math.ceil(top / 8) * 8 : top;
      if (Math.floor(start / segmentWords) !== Math.floor((start + words - 1) / segmentWords)) {
        start = Math.ceil(start / segmentWords) * segmentWords;
      }
      const end = start + words;
      if (end >= 2 ** 32) this.#full(bytes);
      const needed = Math.ceil(end / segmentWords);
      if (needed > Atomics.load(h, H.SEGMENT_COUNT)) {
        this.grow(needed);
        continue;
      }
      if (Atomics.compareExchange(h, H.ALLOC_TOP, top, end) === top) return start;
    }
  }

  #full(bytes: number): never {
    throw new MpmetricsError(
      'MPM_ERR_HEAP_FULL',
      `Heap ${this.path} is full: allocating ${bytes} bytes would pass its maximum of ${this.maxSegments} segments ` +
        `of ${this.segmentSize} bytes; raise "maxSize" when the heap is created, or create fewer series`,
      { path: this.path },
    );
  }

  /**
   * Grows the file to at least `target` segments, with no lock (where fallocate exists): PENDING_SEGMENTS is raised
   * to the target before the file is extended and SEGMENT_COUNT after, both only ever upwards, so whatever size
   * an opener sees, the header allows it (see #checkSize); and growers racing each other only extend the file.
   * A grower that dies half-way leaves PENDING_SEGMENTS raised: the next opener finishes its growth.
   */
  grow(target: number): void {
    const h = this.header;
    if (target <= Atomics.load(h, H.SEGMENT_COUNT)) return;
    if (target > this.maxSegments) this.#full(this.segmentSize);
    raiseTo(h, H.PENDING_SEGMENTS, target);
    try {
      HeapFile.#extend(this.path, this.fd, h, target, UPDATE_LOCK_WAIT_MS);
    } catch (error) {
      // The mark stays: a failed fallocate may have extended the file part of the way, and another grower may be
      // under the same mark. Openers finish the growth when they can (see #finishGrowth).
      if ((error as NodeJS.ErrnoException).code === 'ENOSPC') {
        throw new MpmetricsError('MPM_ERR_HEAP_FULL', `Heap ${this.path} cannot grow: no space left on its device`, {
          path: this.path,
          cause: error,
        });
      }
      throw error;
    }
    raiseTo(h, H.SEGMENT_COUNT, target);
    Atomics.compareExchange(h, H.PENDING_SEGMENTS, target, 0);
  }

  /** Releases this thread's locks and descriptor. Mapped memory stays valid until nothing references it. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeFile(this.#fd);
  }
}
