// In-process heap "files", for where the addon does not load (or MPMETRICS_HEAP=process): the heap's bytes are a
// growable SharedArrayBuffer instead of a mapped file, and its byte locks are words of a second one. Growing one
// reserves address space up front and commits it as it grows, as mmap does, and every thread holding it sees the
// growth: so the heap code runs unchanged, and threads share values. Nothing here touches the file system.
//
// Threads find the buffers in worker_threads' environment data, which each new Worker gets a copy of (a
// SharedArrayBuffer's copy shares its memory): threads started after a heap was made share it; one started before
// makes its own. The lock words stand in for open-file-description locks between the descriptors of one process;
// what a thread holds is dropped by close(), not by the thread's end: a worker that ends without closing its heap
// keeps its lane, whose values stay counted.
import { getEnvironmentData, setEnvironmentData } from 'node:worker_threads';
import { MpmetricsError } from '../errors.js';
import { LOCK } from './layout.js';
import { segmentViews, type SegmentViews } from './segments.js';

/** ES2024's growable SharedArrayBuffer (in Node 20 and later), which the ES2023 lib we compile with does not declare. */
interface GrowableBuffer extends SharedArrayBuffer {
  readonly maxByteLength: number;
  grow(bytes: number): void;
}
const GrowableBuffer = SharedArrayBuffer as unknown as new (bytes: number, options: { maxByteLength: number }) => GrowableBuffer;

interface SharedFile {
  /** The heap's bytes: length is the file's size; the maximum is what could be reserved. */
  readonly memory: GrowableBuffer;
  /** Int32 words: C.STATE, C.NEXT_OWNER, then one per lock byte (see lockIndex). */
  readonly control: GrowableBuffer;
}

interface Descriptor {
  readonly file: SharedFile;
  readonly control: Int32Array;
  /** Negative, unique among the file's descriptors in every thread: the value of a lock word it holds exclusively. */
  readonly owner: number;
  /** Lock bytes this descriptor holds: true if exclusively. */
  readonly held: Map<number, boolean>;
}

const C = { STATE: 0, NEXT_OWNER: 1, LOCKS: 2 } as const;
const EMPTY = 0;
const MAKING = 1;
const READY = 2;
/** Locks are bytes LOCK.ATTACH + n (layout.ts), n below LANES' offset plus the most lanes a heap can have. */
const MAX_LOCKS = LOCK.LANES - LOCK.ATTACH + 65536;
/** How long a thread waits for another thread of the process to finish making a heap (microseconds' work). */
const MAKING_WAIT_MS = 1000;
/** What a heap may grow to, largest first: Node 20 allows 4 GiB, Node 22+ the format's 32 GiB. */
const RESERVATIONS = [2 ** 35, 2 ** 32, 2 ** 31, 2 ** 30, 2 ** 28];

const REGISTRY_KEY = 'mpmetrics.inProcessHeaps';
const kThread = Symbol.for('mpmetrics.inProcessDescriptors');

/** This thread's open descriptors, kept on globalThis so that every copy of this module (ESM, CommonJS) shares them. */
function descriptors(): Map<number, Descriptor> {
  const scope = globalThis as { [kThread]?: Map<number, Descriptor> };
  return (scope[kThread] ??= new Map());
}

/** The in-process heaps this thread can reach, by name: environment data, so Workers started from now on get them. */
function registry(): Map<string, SharedFile> {
  let heaps = getEnvironmentData(REGISTRY_KEY) as Map<string, SharedFile> | undefined;
  if (heaps === undefined) {
    heaps = new Map();
    setEnvironmentData(REGISTRY_KEY, heaps);
  }
  return heaps;
}

let reservation: number | undefined;

function newSharedFile(): SharedFile {
  for (const bytes of reservation === undefined ? RESERVATIONS : [reservation]) {
    try {
      const memory = new GrowableBuffer(0, { maxByteLength: bytes });
      reservation = bytes;
      return { memory, control: new GrowableBuffer(C.LOCKS * 4, { maxByteLength: (C.LOCKS + MAX_LOCKS) * 4 }) };
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
    }
  }
  throw new MpmetricsError('MPM_ERR_HEAP_FULL', `cannot reserve ${RESERVATIONS.at(-1)} bytes of address space for an in-process heap`);
}

/** Makes the in-process heap `name` reachable now, so that Workers started before its first use share it too. */
export function reserveMemoryFile(name: string): void {
  const heaps = registry();
  if (!heaps.has(name)) heaps.set(name, newSharedFile());
}

/** The most bytes the in-process heap behind `fd` can grow to. */
export function memoryLimit(fd: number): number {
  return descriptor(fd).file.memory.maxByteLength;
}

/** Opens the in-process heap `name` (making it, empty, if this thread cannot reach one); returns a negative fd. */
export function openMemoryFile(name: string): number {
  const heaps = registry();
  let file = heaps.get(name);
  if (file === undefined) heaps.set(name, (file = newSharedFile()));
  const control = new Int32Array(file.control);
  const owner = -1 - Atomics.add(control, C.NEXT_OWNER, 1);
  const open = descriptors();
  let fd = -1;
  while (open.has(fd)) fd--;
  open.set(fd, { file, control, owner, held: new Map() });
  return fd;
}

function descriptor(fd: number): Descriptor {
  const found = descriptors().get(fd);
  if (found === undefined) throw Object.assign(new Error(`in-process heap descriptor ${fd} is not open`), { code: 'EBADF' });
  return found;
}

/**
 * Runs `make` on the heap's memory, grown to `bytes`, if nobody made the heap yet; threads racing to make it wait
 * for the one that does. `locks` is how many lock bytes the heap uses. True if this call made it.
 */
export function makeMemoryFileOnce(fd: number, bytes: number, locks: number, make: (memory: SharedArrayBuffer) => void): boolean {
  const { file, control } = descriptor(fd);
  const deadline = Date.now() + MAKING_WAIT_MS;
  for (;;) {
    const state = Atomics.load(control, C.STATE);
    if (state === READY) return false;
    if (state === EMPTY && Atomics.compareExchange(control, C.STATE, EMPTY, MAKING) === EMPTY) {
      try {
        file.control.grow((C.LOCKS + Math.min(locks, MAX_LOCKS)) * 4);
        growMemory(fd, bytes);
        make(file.memory);
      } catch (error) {
        Atomics.store(control, C.STATE, EMPTY);
        Atomics.notify(control, C.STATE);
        throw error;
      }
      Atomics.store(control, C.STATE, READY);
      Atomics.notify(control, C.STATE);
      return true;
    }
    // a thread ended half-way through making it (terminated): nothing else will finish it
    if (Date.now() > deadline) throw new MpmetricsError('MPM_ERR_HEAP_BUSY', 'An in-process heap was left half-made by a thread that ended');
    Atomics.wait(control, C.STATE, MAKING, 10);
  }
}

/** Makes the heap at least `bytes` long. Threads may race: growing only ever goes up. */
export function growMemory(fd: number, bytes: number): void {
  const memory = descriptor(fd).file.memory;
  while (memory.byteLength < bytes) {
    try {
      memory.grow(bytes);
    } catch (error) {
      if (memory.byteLength >= bytes) return; // another thread grew it further meanwhile
      // heap-file.ts reports ENOSPC as a full heap
      throw Object.assign(new Error(`cannot grow an in-process heap to ${bytes} bytes: ${(error as Error).message}`), { code: 'ENOSPC', cause: error });
    }
  }
}

/** Views of `length` bytes at `offset`, which must be inside the heap's size (as mmap past the end would fail). */
export function mapMemory(fd: number, offset: number, length: number): SegmentViews {
  const memory = descriptor(fd).file.memory;
  if (offset + length > memory.byteLength) {
    throw Object.assign(new Error(`in-process heap: ${offset + length} bytes asked, ${memory.byteLength} there`), { code: 'ERANGE' });
  }
  return segmentViews(memory, offset, length);
}

function lockIndex(d: Descriptor, offset: number): number {
  const index = C.LOCKS + offset - LOCK.ATTACH;
  if (!Number.isInteger(index) || index < C.LOCKS || index >= d.control.length) throw new RangeError(`in-process heap: no lock byte ${offset}`);
  return index;
}

/**
 * Takes lock byte `offset` for descriptor `fd`, shared or exclusive, as an open-file-description lock would: a
 * word holds 0 (free), the count of shared holders, or the exclusive holder's (negative) owner. Never waits.
 */
export function lockMemory(fd: number, offset: number, exclusive: boolean): boolean {
  const d = descriptor(fd);
  const at = lockIndex(d, offset);
  const mine = d.held.get(offset);
  if (mine === exclusive) return true;
  if (mine === true) {
    Atomics.store(d.control, at, 1); // exclusive to shared: nobody else can hold it
  } else if (exclusive) {
    // free, or shared by this descriptor alone: either way it becomes ours
    if (Atomics.compareExchange(d.control, at, mine === false ? 1 : 0, d.owner) !== (mine === false ? 1 : 0)) return false;
  } else {
    for (;;) {
      const word = Atomics.load(d.control, at);
      if (word < 0) return false;
      if (Atomics.compareExchange(d.control, at, word, word + 1) === word) break;
    }
  }
  d.held.set(offset, exclusive);
  return true;
}

export function unlockMemory(fd: number, offset: number): void {
  const d = descriptor(fd);
  const mine = d.held.get(offset);
  if (mine === undefined) return;
  const at = lockIndex(d, offset);
  if (mine) Atomics.store(d.control, at, 0);
  else Atomics.sub(d.control, at, 1);
  d.held.delete(offset);
}

/** True when another descriptor holds lock byte `offset` in a way that conflicts with the kind asked. */
export function isMemoryLocked(fd: number, offset: number, exclusive: boolean): boolean {
  const d = descriptor(fd);
  const word = Atomics.load(d.control, lockIndex(d, offset));
  if (word < 0) return word !== d.owner;
  const others = word - (d.held.get(offset) === false ? 1 : 0);
  return exclusive && others > 0;
}

/** Drops the descriptor's locks, as closing a file does. Its memory lives on while the heap's name is reachable. */
export function closeMemoryFile(fd: number): void {
  const d = descriptor(fd);
  for (const offset of [...d.held.keys()]) unlockMemory(fd, offset);
  descriptors().delete(fd);
}
