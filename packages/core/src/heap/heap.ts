// The heap as the rest of the library sees it: families and series found by name from any process, writer cells
// for updates, shared atomic words, consistent reads, and enumeration for exporters.
import { MpmetricsError, MpmetricsRangeError, MpmetricsTypeError, describeValue } from '../errors.js';
import { claimCell, closeAbandonedUpdates, readCells, readEachCell, reviveSeries, withReadBudget, WriterCell } from './cells.js';
import { ExemplarSlots } from './exemplar-slots.js';
import { allocateNode, find, findOrInsert, forEachLeaf, leafKey, type DirectoryKey } from './directory.js';
import { HeapFile, type HeapFileOptions } from './heap-file.js';
import { decodeKey, encodeKey, hashKey } from './key-bytes.js';
import { Lane } from './lanes.js';
import { EXEMPLAR, FAMILY, H, KIND_FAMILY, KIND_NODE, KIND_SERIES, LEAF, PROCESS_CELL, SERIES, STATE_LIVE, STATE_REMOVED, STATE_SHIFT, TAG, WORD } from './layout.js';
import { keepPrivateDirectory, locateHeap } from './location.js';
import { claimProcessCell, readProcessCells, type ProcessCell, type ProcessValue } from './process-cells.js';
import { processIdentity } from './process-identity.js';
import { SharedWords } from './shared-words.js';
import { WriterLiveness } from './writer-liveness.js';

export interface HeapOptions extends HeapFileOptions {
  /**
   * Directory of the heap. Default: process.env.MPMETRICS_DIR, else a new private directory whose path is put in
   * MPMETRICS_DIR for child processes and removed when this process exits.
   */
  dir?: string;
}

export interface FamilyRecord {
  readonly ptr: number;
  readonly name: string;
  /** The metadata stored by whoever created the family (JSON text). */
  readonly meta: string;
  readonly created: boolean;
}

export interface SeriesLayout {
  /** Values in each writer's cell (plain stores, summed by readers). */
  readonly valueWords: number;
  /** Words shared by all writers (atomics). */
  readonly sharedWords: number;
  /** Exemplar slots (see exemplar-slots.ts). Default 0. */
  readonly exemplarSlots?: number;
}

export interface SeriesRecord {
  readonly ptr: number;
  readonly key: string;
  readonly live: boolean;
  readonly valueWords: number;
  readonly sharedWords: number;
  readonly exemplarSlots: number;
  /** Unix seconds. */
  readonly createdAt: number;
}

const MAX_KEY_BYTES = 64 * 1024;
const MAX_META_BYTES = 256 * 1024;

function directoryKey(text: string, what: string): DirectoryKey {
  const bytes = encodeKey(text);
  if (bytes.length > MAX_KEY_BYTES) {
    throw new MpmetricsRangeError(`${what} must encode to at most ${MAX_KEY_BYTES} bytes of UTF-8, received ${bytes.length} bytes`);
  }
  return { bytes, hash: hashKey(bytes) };
}

function checkWords(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new MpmetricsTypeError(`"${name}" must be an integer, received ${describeValue(value)}`);
  }
  if (value < 0 || value > 65536) throw new MpmetricsRangeError(`"${name}" must be from 0 to 65536, received ${value}`);
  return value;
}

export class Heap {
  readonly dir: string;
  readonly file: HeapFile;
  #lane: Lane | undefined;
  readonly #isLaneHeld = (lane: number): boolean => Lane.isHeld(this.file, lane);

  private constructor(dir: string, file: HeapFile) {
    this.dir = dir;
    this.file = file;
  }

  /** Opens the heap for this process (creating it if it is the first), as HeapOptions say. */
  static open(options: HeapOptions = {}): Heap {
    if (options.dir !== undefined && typeof options.dir !== 'string') {
      throw new MpmetricsTypeError(`"dir" must be a string, received ${describeValue(options.dir)}`);
    }
    const dir = locateHeap(options.dir);
    return new Heap(dir, HeapFile.openOrCreate(dir, options));
  }

  /** This thread's writer lane, claimed on first write. */
  get lane(): Lane {
    if (this.#lane === undefined) {
      this.#lane = Lane.claim(this.file);
      if (this.#lane.adopted) closeAbandonedUpdates(this.file, this.#lane.id);
    }
    return this.#lane;
  }

  /** Finds a family by name, or creates it with `meta`. The caller compares `meta` to detect conflicts. */
  family(name: string, meta: string): FamilyRecord {
    const file = this.file;
    const key = directoryKey(name, 'A metric name');
    const { ptr, created } = findOrInsert(file, file.header[H.FAMILY_ROOT]!, key, () => {
      const metaBytes = Buffer.from(meta, 'utf8');
      if (metaBytes.length > MAX_META_BYTES) {
        throw new MpmetricsRangeError(`metric metadata must be at most ${MAX_META_BYTES} bytes, received ${metaBytes.length}`);
      }
      const root = allocateNode(file, 0);
      const leaf = file.allocate(FAMILY.KEY_BYTE + key.bytes.length + metaBytes.length);
      const seg = file.segmentOf(leaf);
      const at = file.offsetOf(leaf) * 2;
      seg.u32[at + LEAF.HASH] = key.hash;
      seg.u32[at + LEAF.KEY_LENGTH] = key.bytes.length;
      seg.u32[at + LEAF.KEY_OFFSET] = FAMILY.KEY_BYTE;
      seg.u32[at + FAMILY.SERIES_ROOT] = root;
      seg.u32[at + FAMILY.META_LENGTH] = metaBytes.length;
      const byte = at * 4 + FAMILY.KEY_BYTE;
      seg.u8.set(key.bytes, byte);
      seg.u8.set(metaBytes, byte + key.bytes.length);
      Atomics.store(seg.u32, at, TAG | KIND_FAMILY);
      return leaf;
    });
    this.file.expectKind(ptr, KIND_FAMILY, 'family');
    return { ptr, name, meta: created ? meta : this.#familyMeta(ptr), created };
  }

  /** The family named `name`, if any process created it. */
  findFamily(name: string): FamilyRecord | undefined {
    const ptr = find(this.file, this.file.header[H.FAMILY_ROOT]!, directoryKey(name, 'A metric name'));
    if (ptr === 0) return undefined;
    this.file.expectKind(ptr, KIND_FAMILY, 'family');
    return { ptr, name, meta: this.#familyMeta(ptr), created: false };
  }

  #familyMeta(ptr: number): string {
    const seg = this.file.segmentOf(ptr);
    const at = this.file.offsetOf(ptr) * 2;
    const keyLength = seg.u32[at + LEAF.KEY_LENGTH]!;
    const start = at * 4 + FAMILY.KEY_BYTE + keyLength;
    const length = seg.u32[at + FAMILY.META_LENGTH]!;
    if (start + length > seg.u8.length) throw new MpmetricsError('MPM_ERR_HEAP_CORRUPT', `Heap file ${this.file.path} is corrupt: family metadata runs past its segment`);
    return decodeKey(seg.u8.subarray(start, start + length));
  }

  /** Every family in the heap, whoever created it. */
  families(): FamilyRecord[] {
    const out: FamilyRecord[] = [];
    forEachLeaf(this.file, this.file.header[H.FAMILY_ROOT]!, (ptr) => {
      this.file.expectKind(ptr, KIND_FAMILY, 'family');
      out.push({ ptr, name: decodeKey(leafKey(this.file, ptr)), meta: this.#familyMeta(ptr), created: false });
    });
    return out;
  }

  /** Where a family's series count is (see FAMILY.SERIES_COUNT). */
  #seriesCount(family: number): { u32: Uint32Array; at: number } {
    this.file.expectKind(family, KIND_FAMILY, 'family');
    return { u32: this.file.segmentOf(family).u32, at: this.file.offsetOf(family) * 2 + FAMILY.SERIES_COUNT };
  }

  /** How many series records a family has, made by any process (removed ones included: records are not freed). */
  seriesCount(family: number): number {
    const { u32, at } = this.#seriesCount(family);
    return Atomics.load(u32, at);
  }

  #seriesRoot(family: number): number {
    const root = this.file.segmentOf(family).u32[this.file.offsetOf(family) * 2 + FAMILY.SERIES_ROOT]!;
    this.file.expectKind(root, KIND_NODE, 'series directory');
    return root;
  }

  /**
   * Finds the series `key` of a family, or creates it with `layout` (zeroed). A removed series found again is
   * brought back to life with a new generation, so it starts from zero.
   *
   * With `hidden`, the series is only wanted for writing later (prom-client's `labels()`): a new one is created
   * removed, and a removed one is left so; either comes into scrapes with its first write, as after `remove()`.
   *
   * With `maxSeries`, a new series is made only while the family has fewer records than that, counted across
   * all processes; otherwise MPM_ERR_TOO_MANY_SERIES is thrown and nothing is allocated. Records are never freed,
   * so a removed series still counts (finding it again needs no new record).
   */
  series(
    family: number,
    key: string,
    layout: SeriesLayout,
    options: { readonly hidden?: boolean; readonly maxSeries?: number } = {},
  ): { ptr: number; created: boolean } {
    const hidden = options.hidden === true;
    const valueWords = checkWords(layout.valueWords, 'valueWords');
    const sharedWords = checkWords(layout.sharedWords, 'sharedWords');
    const exemplarSlots = checkWords(layout.exemplarSlots ?? 0, 'exemplarSlots');
    const file = this.file;
    const dirKey = directoryKey(key, 'Label values');
    const count = this.#seriesCount(family);
    let counted = false;
    const result = findOrInsert(file, this.#seriesRoot(family), dirKey, () => {
      // Count the record before making it: two processes racing for the last place cannot both take it.
      const before = Atomics.add(count.u32, count.at, 1);
      counted = true;
      if (options.maxSeries !== undefined && before >= options.maxSeries) {
        Atomics.sub(count.u32, count.at, 1);
        counted = false;
        throw new MpmetricsRangeError(`Family ${JSON.stringify(decodeKey(leafKey(file, family)))} has ${before} series, its limit ("maxSeries") is ${options.maxSeries}`, {
          code: 'MPM_ERR_TOO_MANY_SERIES',
        });
      }
      const keyByte = SERIES.SHARED_BYTE + (sharedWords + exemplarSlots * EXEMPLAR.WORDS) * WORD;
      let leaf: number;
      try {
        leaf = file.allocate(keyByte + dirKey.bytes.length, sharedWords > 0 || exemplarSlots > 0);
      } catch (error) {
        Atomics.sub(count.u32, count.at, 1); // the heap is full: no record made
        counted = false;
        throw error;
      }
      const seg = file.segmentOf(leaf);
      const at = file.offsetOf(leaf) * 2;
      seg.u32[at + LEAF.HASH] = dirKey.hash;
      seg.u32[at + LEAF.KEY_LENGTH] = dirKey.bytes.length;
      seg.u32[at + LEAF.KEY_OFFSET] = keyByte;
      seg.u32[at + SERIES.VALUE_WORDS] = valueWords;
      seg.u32[at + SERIES.SHARED_WORDS] = sharedWords;
      seg.u32[at + SERIES.EXEMPLAR_SLOTS] = exemplarSlots;
      seg.f64[at / 2 + SERIES.CREATED_BYTE / WORD] = Date.now() / 1000;
      seg.u8.set(dirKey.bytes, at * 4 + keyByte);
      Atomics.store(seg.u32, at, TAG | ((hidden ? STATE_REMOVED : STATE_LIVE) << STATE_SHIFT) | KIND_SERIES);
      return leaf;
    });
    // Another process inserted the same key first: our record was made but not published.
    if (counted && !result.created) Atomics.sub(count.u32, count.at, 1);
    file.expectKind(result.ptr, KIND_SERIES, 'series');
    const seg = file.segmentOf(result.ptr);
    const at = file.offsetOf(result.ptr) * 2;
    if (
      seg.u32[at + SERIES.VALUE_WORDS] !== valueWords ||
      seg.u32[at + SERIES.SHARED_WORDS] !== sharedWords ||
      seg.u32[at + SERIES.EXEMPLAR_SLOTS] !== exemplarSlots
    ) {
      throw new MpmetricsError(
        'MPM_ERR_HEAP_CORRUPT',
        `Series ${JSON.stringify(key)} exists with ${seg.u32[at + SERIES.VALUE_WORDS]} values, ${seg.u32[at + SERIES.SHARED_WORDS]} shared words ` +
          `and ${seg.u32[at + SERIES.EXEMPLAR_SLOTS]} exemplar slots, not the ${valueWords}, ${sharedWords} and ${exemplarSlots} asked for: ` +
          'its family was declared differently elsewhere',
      );
    }
    if (!result.created && !hidden) this.#revive(result.ptr);
    return result;
  }

  #revive(ptr: number): void {
    const u32 = this.file.segmentOf(ptr).u32;
    const at = this.file.offsetOf(ptr) * 2;
    for (;;) {
      const word = Atomics.load(u32, at);
      if (((word >>> STATE_SHIFT) & 0xff) === STATE_REMOVED) {
        if (Atomics.compareExchange(u32, at, word, TAG | KIND_SERIES) !== word) continue;
        this.#zeroShared(ptr);
        this.file.segmentOf(ptr).f64[at / 2 + SERIES.CREATED_BYTE / WORD] = Date.now() / 1000;
      }
      return;
    }
  }

  #zeroShared(ptr: number): void {
    const seg = this.file.segmentOf(ptr);
    const at = this.file.offsetOf(ptr);
    const words = seg.u32[at * 2 + SERIES.SHARED_WORDS]!;
    const base = at + SERIES.SHARED_BYTE / WORD;
    for (let i = 0; i < words; i++) Atomics.store(seg.i64, base + i, 0n);
  }

  /**
   * A record that holds `text` for good, found by its text in `family`'s directory: every process gets the same
   * pointer for the same text, and the text never changes once published. A pointer to it can be stored in a
   * shared word and swapped atomically: readers see the old text or the new one, never a mix (an Info's labels).
   */
  intern(family: number, text: string): number {
    return this.series(family, text, { valueWords: 0, sharedWords: 0 }).ptr;
  }

  /** The text of a record made by `intern`, after checking that `ptr` leads to one. */
  internedText(ptr: number): string {
    this.file.expectKind(ptr, KIND_SERIES, 'interned text');
    return decodeKey(leafKey(this.file, ptr));
  }

  /** The series `key` of a family, if any process created it (removed or not). */
  findSeries(family: number, key: string): number | undefined {
    const ptr = find(this.file, this.#seriesRoot(family), directoryKey(key, 'Label values'));
    if (ptr === 0) return undefined;
    this.file.expectKind(ptr, KIND_SERIES, 'series');
    return ptr;
  }

  /**
   * Resets a series to zero for every process (bumps its generation: older cells count as nothing), and with
   * `remove`, hides it from enumeration until it is created again.
   */
  resetSeries(ptr: number, remove = false): void {
    this.file.expectKind(ptr, KIND_SERIES, 'series');
    const seg = this.file.segmentOf(ptr);
    const at = this.file.offsetOf(ptr) * 2;
    // Mark removed before bumping the generation: a writer that sees the new generation then always finds the
    // mark, and brings the series back if it writes to it again.
    if (remove) Atomics.store(seg.u32, at, TAG | (STATE_REMOVED << STATE_SHIFT) | KIND_SERIES);
    Atomics.add(seg.u32, at + SERIES.GENERATION, 1);
    this.#zeroShared(ptr);
    seg.f64[at / 2 + SERIES.CREATED_BYTE / WORD] = Date.now() / 1000;
  }

  /**
   * Calls `visit` with every series record of a family and whether it is live (not removed), allocating
   * nothing per series: the exporter's path. `seriesKey` and `seriesCreated` read the rest on demand.
   */
  forEachSeries(family: number, visit: (ptr: number, live: boolean) => void): void {
    const file = this.file;
    forEachLeaf(file, this.#seriesRoot(family), (ptr) => {
      file.expectKind(ptr, KIND_SERIES, 'series');
      const word = Atomics.load(file.segmentOf(ptr).u32, file.offsetOf(ptr) * 2);
      visit(ptr, ((word >>> STATE_SHIFT) & 0xff) === STATE_LIVE);
    });
  }

  /** The key (encoded label values) of a series record. */
  seriesKey(ptr: number): string {
    return decodeKey(leafKey(this.file, ptr));
  }

  /** When a series was created or last reset, in Unix seconds. */
  seriesCreated(ptr: number): number {
    return this.file.segmentOf(ptr).f64[this.file.offsetOf(ptr) + SERIES.CREATED_BYTE / WORD]!;
  }

  /** Values per writer cell, shared words and exemplar slots of a series record. */
  seriesLayout(ptr: number): Required<SeriesLayout> {
    const u32 = this.file.segmentOf(ptr).u32;
    const at = this.file.offsetOf(ptr) * 2;
    return { valueWords: u32[at + SERIES.VALUE_WORDS]!, sharedWords: u32[at + SERIES.SHARED_WORDS]!, exemplarSlots: u32[at + SERIES.EXEMPLAR_SLOTS]! };
  }

  /** Every series of a family (removed ones included, marked as such). */
  seriesOf(family: number): SeriesRecord[] {
    const out: SeriesRecord[] = [];
    forEachLeaf(this.file, this.#seriesRoot(family), (ptr) => {
      this.file.expectKind(ptr, KIND_SERIES, 'series');
      const seg = this.file.segmentOf(ptr);
      const at = this.file.offsetOf(ptr) * 2;
      out.push({
        ptr,
        key: decodeKey(leafKey(this.file, ptr)),
        live: ((Atomics.load(seg.u32, at) >>> STATE_SHIFT) & 0xff) === STATE_LIVE,
        valueWords: seg.u32[at + SERIES.VALUE_WORDS]!,
        sharedWords: seg.u32[at + SERIES.SHARED_WORDS]!,
        exemplarSlots: seg.u32[at + SERIES.EXEMPLAR_SLOTS]!,
        createdAt: seg.f64[at / 2 + SERIES.CREATED_BYTE / WORD]!,
      });
    });
    return out;
  }

  /** This thread's writer cell of a series (claims a lane on first use). Cache it: claiming walks a list. */
  cell(series: number): WriterCell {
    this.file.expectKind(series, KIND_SERIES, 'series');
    return claimCell(this.file, this.lane, series);
  }

  /**
   * This thread's own per-process cell of a series (claims a lane on first use): a value that belongs to this
   * writer and is reported as its own, never as a later owner's of the lane (see process-cells.ts). The series
   * must have PROCESS_CELL.WORDS values per cell. With `reuseDead`, an earlier owner's cell of the lane is taken
   * over (its value dropped) instead of kept. Cache it: claiming walks a list.
   */
  processCell(series: number, reuseDead: boolean): ProcessCell {
    this.file.expectKind(series, KIND_SERIES, 'series');
    const { valueWords } = this.seriesLayout(series);
    if (valueWords !== PROCESS_CELL.WORDS) {
      throw new MpmetricsRangeError(`A per-process cell needs a series with ${PROCESS_CELL.WORDS} values per cell, this one has ${valueWords}`);
    }
    return claimProcessCell(this.file, this.lane, series, processIdentity(), reuseDead);
  }

  /** Which writers are alive now; it asks the kernel once per lane, so make one per scrape. */
  writerLiveness(): WriterLiveness {
    return new WriterLiveness(this.file, this.#lane);
  }

  /**
   * Calls `visit` with every writer's per-process value of a series (writers that never set one are left out),
   * with its pid and whether that writer is alive, as `liveness` says. `entry` is reused: copy what you keep.
   */
  readProcessCells(series: number, liveness: WriterLiveness, visit: (entry: ProcessValue) => void): void {
    this.file.expectKind(series, KIND_SERIES, 'series');
    readProcessCells(this.file, series, this.#isLaneHeld, liveness, visit);
  }

  /** Brings a removed series back before a write to its shared words (a cell's `sync()` does this for cells). */
  touch(series: number): void {
    reviveSeries(this.file.segmentOf(series).u32, this.file.offsetOf(series) * 2);
  }

  /** touch() for one series, resolved once: for writers of shared words to call before every write. */
  reviver(series: number): () => void {
    this.file.expectKind(series, KIND_SERIES, 'series');
    const u32 = this.file.segmentOf(series).u32;
    const at = this.file.offsetOf(series) * 2;
    return () => reviveSeries(u32, at);
  }

  /** The series' shared words, updated with atomics by all processes. */
  shared(series: number): SharedWords {
    this.file.expectKind(series, KIND_SERIES, 'series');
    const seg = this.file.segmentOf(series);
    const at = this.file.offsetOf(series);
    return new SharedWords(seg.i64, seg.f64, at + SERIES.SHARED_BYTE / WORD, seg.u32[at * 2 + SERIES.SHARED_WORDS]!);
  }

  /** The series' exemplar slots, written and read by all processes (see exemplar-slots.ts). */
  exemplars(series: number): ExemplarSlots {
    this.file.expectKind(series, KIND_SERIES, 'series');
    return new ExemplarSlots(this.file, series, () => this.lane);
  }

  /** Sums every writer's cell of a series into `out`, each as of a whole update. */
  read<T extends Float64Array | number[]>(series: number, out: T): T {
    this.file.expectKind(series, KIND_SERIES, 'series');
    readCells(this.file, series, out, this.#isLaneHeld);
    return out;
  }

  /** Calls `visit` with each writer's cell of a series (a consistent copy, valid during the call). */
  readEachCell(series: number, visit: (values: Float64Array, length: number, lane: number) => void): void {
    this.file.expectKind(series, KIND_SERIES, 'series');
    readEachCell(this.file, series, this.#isLaneHeld, visit);
  }

  /**
   * Runs `read` (reads of many series: a scrape) with one budget of `ms` for all its waits on writers caught
   * mid-update, so it answers in bounded time whatever they do.
   */
  readWithin<T>(ms: number, read: () => T): T {
    return withReadBudget(ms, read);
  }

  /** Number of segments the heap has now. */
  get segmentCount(): number {
    return Atomics.load(this.file.header, H.SEGMENT_COUNT);
  }

  /**
   * Closes this thread's handle: releases its lane (its cells stay, counted, for the next owner) and its locks.
   * Values stay readable by other processes; this object must not be used again.
   */
  close(): void {
    this.#lane?.release();
    this.#lane = undefined;
    this.file.close();
  }

  /** Stops this process from removing the private heap directory it made, at exit. */
  keepAfterExit(): void {
    keepPrivateDirectory();
  }
}

