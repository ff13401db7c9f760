// The heap as the rest of the library sees it: families and series found by name from any process, writer cells
// for updates, shared atomic words, consistent reads, and enumeration for exporters.
import path from 'node:path';
import { heapCorrupt, MpmetricsRangeError, MpmetricsTypeError, describeValue } from '../errors.js';
import { checkMemoryOrder, MEMORY_ORDER, type MemoryOrder } from './memory-order.js';
import { claimCell, claimCellOf, closeAbandonedUpdates, readCells, readEachCell, WriterCell } from './cells.js';
import { allocateBlock, blockWords, claimBlock, copyBlock, freeBlock, ownBlock, type OwnBlock } from './cell-blocks.js';
import { reviveSeries, type ExpiringHandle } from './cell-handle.js';
import { ExemplarSlots } from './exemplar-slots.js';
import { leafKey } from './directory.js';
import { familyMeta, findFamilyRecord, findOrMakeFamily, forEachFamily, joinFamily, replaceFamily } from './families.js';
import { HeapFile } from './heap-file.js';
import type { HeapFileOptions } from './heap-header.js';
import { DEFAULT_IN_PROCESS_HEAP, isInProcess, warnInProcess } from './heap-kind.js';
import type { HeapMode } from '../native/heap-mode.js';
import { decodeKey, directoryKey } from './key-bytes.js';
import { findOrMakeSeries, findSeries, forEachSeries, isSeriesLive, resetSeries, seriesCount, seriesKeyByte, seriesOf, type SeriesLayout, type SeriesOptions, type SeriesRecord } from './series-store.js';
import { ExpiryMaintainer } from './expiry-maintainer.js';
import { Lane, NOTHING_EXPIRING } from './lanes.js';
import { H, KIND_FAMILY, KIND_SERIES, PROCESS_CELL, SERIES, WORD } from './layout.js';
import { keepPrivateDirectory, locateHeap, removeStaleHeapsBeside } from './location.js';
import { withReadBudget } from './read-budget.js';
import { claimProcessCell, claimProcessCellOf, readProcessCells, type ProcessCell, type ProcessValue } from './process-cells.js';
import { processIdentity } from './process-identity.js';
import { SharedWords } from './shared-words.js';
import { WriterLiveness } from './writer-liveness.js';

export interface HeapOptions extends HeapFileOptions {
  /**
   * Directory of the heap. Default: process.env.MPMETRICS_DIR, else a new private directory whose path is put in
   * MPMETRICS_DIR for child processes and removed when this process exits.
   */
  dir?: string;
  /**
   * "shared": the heap every process shares (the native addon), or MPM_ERR_NATIVE_LOAD; "process": one in this
   * process's memory, shared by its threads only, `dir` being only its name; "auto": shared if the addon loads.
   * Default: process.env.MPMETRICS_HEAP, else "auto".
   */
  heap?: HeapMode;
}

export interface FamilyRecord {
  readonly ptr: number;
  readonly name: string;
  /** The metadata stored by whoever created the family (JSON text). */
  readonly meta: string;
  readonly created: boolean;
}

const MAX_META_BYTES = 256 * 1024;
/** How often a declaration looks a family up again after its maker replaced it meanwhile, before calling it damage. */
const MAX_DECLARATION_RACES = 1000;

function checkWords(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new MpmetricsTypeError(`"${name}" must be an integer, received ${describeValue(value)}`);
  }
  if (value < 0 || value > 65536) throw new MpmetricsRangeError(`"${name}" must be from 0 to 65536, received ${value}`);
  return value;
}

export class Heap {
  /** The heap's directory; for an in-process heap, the `dir` it was opened with, or "" (the default one). */
  readonly dir: string;
  readonly file: HeapFile;
  #lane: Lane | undefined;
  readonly #isLaneHeld = (lane: number): boolean => Lane.isHeld(this.file, lane);
  readonly #expiry: ExpiryMaintainer;
  /** The family record of each name this handle declared (see declareFamily). */
  readonly #declared = new Map<string, number>();

  private constructor(dir: string, file: HeapFile) {
    this.dir = dir;
    this.file = file;
    this.#expiry = new ExpiryMaintainer(file, () => this.lane, () => this.#lane);
  }

  /** Opens the heap for this process (creating it if it is the first), as HeapOptions say. */
  static open(options: HeapOptions = {}): Heap {
    if (options.dir !== undefined && typeof options.dir !== 'string') {
      throw new MpmetricsTypeError(`"dir" must be a string, received ${describeValue(options.dir)}`);
    }
    checkMemoryOrder();
    if (isInProcess(options.heap)) {
      warnInProcess(options.heap);
      const name = options.dir === undefined ? DEFAULT_IN_PROCESS_HEAP : path.resolve(options.dir);
      return new Heap(name, HeapFile.openInProcess(name, options));
    }
    const dir = locateHeap(options.dir);
    const file = HeapFile.openOrCreate(dir, options);
    if (file.createdHere) removeStaleHeapsBeside(dir); // on first use, never at import: see location.ts
    return new Heap(dir, file);
  }

  /**
   * How this process orders its accesses to shared values: 'plain' (x86-64) or 'atomics' (every other CPU, or
   * MPMETRICS_MEMORY_ORDER=atomics). The heap's layout is the same either way. See ARCHITECTURE.md, "Memory ordering".
   */
  get memoryOrder(): MemoryOrder {
    return MEMORY_ORDER;
  }

  /** This thread's writer lane, claimed on first write. */
  get lane(): Lane {
    if (this.#lane === undefined) {
      this.#lane = Lane.claim(this.file);
      if (this.#lane.adopted) {
        // the walk reaches series of families with a TTL: while it runs, hold them as a reader does (see expiry.ts),
        // so no sweeper reuses a node or record under it
        this.#lane.acknowledgeSweep(this.#expiry.acked === NOTHING_EXPIRING ? Atomics.load(this.file.header, H.SWEEP_EPOCH) : this.#expiry.acked);
        closeAbandonedUpdates(this.file, this.#lane.id);
        this.#lane.acknowledgeSweep(this.#expiry.acked);
      }
    }
    return this.#lane;
  }

  /**
   * Finds a family by name, or creates it with `meta`, and counts this writer among those that declared it. The
   * caller compares `meta` to detect conflicts.
   */
  family(name: string, meta: string): FamilyRecord {
    return this.#declare(name, meta, false);
  }

  /**
   * Declares a metric: the first declaration of a name by this heap handle joins the family any process made (or
   * makes it). Declaring the name again makes a new, empty family in its place, as prom-client makes a new metric
   * after `register.clear()`, unless another writer has declared the family too: then this joins it, since
   * replacing it would drop that writer's counts (see families.ts).
   */
  declareFamily(name: string, meta: string): FamilyRecord {
    return this.#declare(name, meta, true);
  }

  #declare(name: string, meta: string, anew: boolean): FamilyRecord {
    const file = this.file;
    const key = directoryKey(name, 'A metric name');
    const metaBytes = Buffer.from(meta, 'utf8');
    if (metaBytes.length > MAX_META_BYTES) {
      throw new MpmetricsRangeError(`metric metadata must be at most ${MAX_META_BYTES} bytes, received ${metaBytes.length}`);
    }
    const declared = this.#declared.get(name);
    for (let races = 0; races < MAX_DECLARATION_RACES; races++) {
      let found = findOrMakeFamily(file, file.header[H.FAMILY_ROOT]!, key, metaBytes);
      if (anew && !found.created && found.ptr === declared) found = replaceFamily(file, found.head, found.ptr, key, metaBytes) ?? found;
      // a family being replaced by its maker right now is not joined: the lookup is made again (one this handle
      // declared already needs no joining: it is not another writer)
      if (!found.created && found.ptr !== declared && !joinFamily(file, found.ptr)) continue;
      this.#declared.set(name, found.ptr);
      return { ptr: found.ptr, name, meta: found.created ? meta : familyMeta(this.file, found.ptr), created: found.created };
    }
    throw heapCorrupt(file.path, `the family ${JSON.stringify(name)} keeps being replaced`);
  }

  /** The family named `name`, if any process created it. */
  findFamily(name: string): FamilyRecord | undefined {
    const ptr = findFamilyRecord(this.file, this.file.header[H.FAMILY_ROOT]!, directoryKey(name, 'A metric name'));
    if (ptr === 0) return undefined;
    return { ptr, name, meta: familyMeta(this.file, ptr), created: false };
  }

  /** Every family in the heap, whoever created it. */
  families(): FamilyRecord[] {
    const out: FamilyRecord[] = [];
    forEachFamily(this.file, (ptr) => {
      out.push({ ptr, name: decodeKey(leafKey(this.file, ptr)), meta: familyMeta(this.file, ptr), created: false });
    });
    return out;
  }

  /**
   * How many series records a family has, made by any process (removed ones included: their records stay; expired
   * ones not: theirs are freed).
   */
  seriesCount(family: number): number {
    return seriesCount(this.file, family);
  }

  /**
   * Finds the series `key` of a family, or creates it with `layout` (zeroed); see findOrMakeSeries for `hidden`,
   * `maxSeries` and `expiring`. A removed series found again comes back with a new generation, from zero.
   */
  series(family: number, key: string, layout: SeriesLayout, options: SeriesOptions = {}): { ptr: number; created: boolean } {
    if (options.expiring === true) this.holdExpiringSeries();
    const checked = {
      valueWords: checkWords(layout.valueWords, 'valueWords'),
      sharedWords: checkWords(layout.sharedWords, 'sharedWords'),
      exemplarSlots: checkWords(layout.exemplarSlots ?? 0, 'exemplarSlots'),
    };
    return findOrMakeSeries(this.file, family, key, checked, options);
  }

  /**
   * This thread is about to hold pointers to series that can expire (to write or read a family with a TTL): from
   * now on it acknowledges retirements (expiry.ts) from a timer, and their memory is not reused before it has.
   */
  holdExpiringSeries(): void {
    this.#expiry.holdExpiringSeries();
  }

  /**
   * Makes the series of `family` expire once idle for `ttlSeconds` (the family's metadata says so too, for
   * every process), and calls `onRetired` in this thread with series retired since its last look, before their
   * memory can be reused: drop everything kept of them.
   */
  expireIdle(family: number, ttlSeconds: number, onRetired: (series: readonly number[]) => void): void {
    this.file.expectKind(family, KIND_FAMILY, 'family');
    this.#expiry.expireIdle(family, ttlSeconds, onRetired);
  }

  /**
   * Idle-series housekeeping, run from a timer: acknowledges retirements (detaching this thread's handles on
   * retired series), and, when a sweep is due and no other process is sweeping, sweeps the families with a TTL
   * and frees what every process has moved past. Call it to run it now.
   */
  maintain(): void {
    this.#expiry.maintain();
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
    return findSeries(this.file, family, key);
  }

  /**
   * Resets a series to zero for every process (bumps its generation: older cells count as nothing), and with
   * `remove`, hides it from enumeration until it is created again.
   */
  resetSeries(ptr: number, remove = false): void {
    resetSeries(this.file, ptr, remove);
  }

  /**
   * Calls `visit` with every series record of a family and whether it is live (not removed), allocating
   * nothing per series: the exporter's path. `seriesKey` and `seriesCreated` read the rest on demand.
   */
  forEachSeries(family: number, visit: (ptr: number, live: boolean) => void): void {
    forEachSeries(this.file, family, visit);
  }

  /** Whether a series is live now: one seen live by forEachSeries may have been removed since. */
  isSeriesLive(ptr: number): boolean {
    return isSeriesLive(this.file, ptr);
  }

  /** The key (encoded label values) of a series record. */
  seriesKey(ptr: number): string {
    return decodeKey(leafKey(this.file, ptr));
  }

  /** A series' generation: it changes when the series is reset, removed, expires or its record is reused. */
  seriesGeneration(ptr: number): number {
    return Atomics.load(this.file.segmentOf(ptr).u32, this.file.offsetOf(ptr) * 2 + SERIES.GENERATION);
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
    return seriesOf(this.file, family);
  }

  /**
   * This thread's writer cell of a series (claims a lane on first use), of `valueWords` values as its family
   * declares. Cache it: claiming walks a list. For a family with a TTL, pass `resolve` instead of a pointer: it
   * finds (or makes) the series, now and again whenever the series has expired; the cell follows it.
   */
  cell(series: number | (() => number), valueWords: number): WriterCell {
    checkWords(valueWords, 'valueWords');
    if (typeof series === 'number') {
      this.file.expectKind(series, KIND_SERIES, 'series');
      return claimCell(this.file, this.lane, series, valueWords);
    }
    const resolve = series;
    return this.#followExpiring<WriterCell>(
      () => this.#resolve(resolve),
      (ptr, reattach) => claimCell(this.file, this.lane, ptr, valueWords, reattach),
      (cell, ptr) => cell.point(this.file, claimCellOf(this.file, this.lane, ptr, valueWords), ptr),
    );
  }

  /**
   * A handle on a series of a family with a TTL: `make` makes it for the series `find` finds now; whenever that
   * series has expired, the handle's next update calls `find` again and `point` aims the handle at what it found.
   * The maintainer tracks the handle under its current series, to detach it when that series is retired.
   */
  #followExpiring<T extends ExpiringHandle>(
    find: () => number,
    make: (ptr: number, reattach: (handle: T) => void) => T,
    point: (handle: T, ptr: number) => void,
  ): T {
    this.holdExpiringSeries();
    let ptr = find();
    const handle = make(ptr, (reattached) => {
      this.#expiry.untrack(ptr, reattached);
      ptr = find();
      point(reattached, ptr);
      this.#expiry.track(ptr, reattached);
    });
    this.#expiry.track(ptr, handle);
    return handle;
  }

  #resolve(resolve: () => number): number {
    const ptr = resolve();
    this.file.expectKind(ptr, KIND_SERIES, 'series');
    return ptr;
  }

  /**
   * This thread's own per-process cell of a series (claims a lane on first use): a value that belongs to this
   * writer and is reported as its own, never as a later owner's of the lane (see process-cells.ts). The series
   * must have PROCESS_CELL.WORDS values per cell. With `reuseDead`, an earlier owner's cell of the lane is taken
   * over (its value dropped) instead of kept. Cache it: claiming walks a list. For a family with a TTL, pass
   * `resolve` instead of a pointer (see cell()).
   */
  processCell(series: number | (() => number), reuseDead: boolean): ProcessCell {
    if (typeof series === 'number') {
      this.#checkProcessLayout(series);
      return claimProcessCell(this.file, this.lane, series, processIdentity(), reuseDead);
    }
    const resolve = series;
    return this.#followExpiring<ProcessCell>(
      () => this.#checkProcessLayout(this.#resolve(resolve)),
      (ptr, reattach) => claimProcessCell(this.file, this.lane, ptr, processIdentity(), reuseDead, reattach),
      (cell, ptr) => cell.point(this.file, claimProcessCellOf(this.file, this.lane, ptr, processIdentity(), reuseDead), ptr),
    );
  }

  #checkProcessLayout(series: number): number {
    this.file.expectKind(series, KIND_SERIES, 'series');
    const { valueWords } = this.seriesLayout(series);
    if (valueWords !== PROCESS_CELL.WORDS) {
      throw new MpmetricsRangeError(`A per-process cell needs a series with ${PROCESS_CELL.WORDS} values per cell, this one has ${valueWords}`);
    }
    return series;
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

  /** Brings a removed series back before a write to its shared words (a cell's `followSeries()` does this for cells). */
  revive(series: number): void {
    reviveSeries(this.file.segmentOf(series).u32, this.file.offsetOf(series) * 2);
  }

  /**
   * The series' shared words, updated with atomics by all processes. For writing a family with a TTL, pass
   * `resolve` instead of a pointer (see cell()).
   */
  shared(series: number | (() => number)): SharedWords {
    if (typeof series === 'number') {
      this.file.expectKind(series, KIND_SERIES, 'series');
      return new SharedWords(this.file, series);
    }
    const resolve = series;
    return this.#followExpiring<SharedWords>(
      () => this.#resolve(resolve),
      (ptr, reattach) => new SharedWords(this.file, ptr, reattach),
      (words, ptr) => words.point(this.file, ptr),
    );
  }

  /**
   * The series' exemplar slots, written and read by all processes (see exemplar-slots.ts). `layout` is what its
   * family declares: a record that says otherwise is damage (MPM_ERR_HEAP_CORRUPT), never a count to trust, since
   * slots taken from a damaged count would be read or written past the record.
   */
  exemplars(series: number, layout: Pick<SeriesLayout, 'sharedWords' | 'exemplarSlots'>): ExemplarSlots {
    this.file.expectKind(series, KIND_SERIES, 'series');
    const slots = layout.exemplarSlots ?? 0;
    const seg = this.file.segmentOf(series);
    const at = this.file.offsetOf(series) * 2;
    if (seg.u32[at + SERIES.SHARED_WORDS] !== layout.sharedWords || seg.u32[at + SERIES.EXEMPLAR_SLOTS] !== slots) {
      throw heapCorrupt(this.file.path, `series record ${series} says it has ${seg.u32[at + SERIES.SHARED_WORDS]} shared words and ${seg.u32[at + SERIES.EXEMPLAR_SLOTS]} exemplar slots, its family declares ${layout.sharedWords} and ${slots}`);
    }
    const end = this.file.offsetOf(series) + seriesKeyByte(layout.sharedWords, slots) / WORD;
    if (end > this.file.segmentSize / WORD) throw heapCorrupt(this.file.path, `the exemplar slots of series record ${series} run past its segment`);
    return new ExemplarSlots(this.file, series, layout.sharedWords, slots, () => this.lane);
  }

  /** Sums every writer's cell of a series into `out` (of the length its family declares), each as of a whole update. */
  read<T extends Float64Array | number[]>(series: number, out: T): T {
    this.file.expectKind(series, KIND_SERIES, 'series');
    readCells(this.file, series, out, this.#isLaneHeld);
    return out;
  }

  /**
   * Calls `visit` with each writer's cell of a series (a consistent copy of the `length` values per cell its family
   * declares, valid during the call).
   */
  readEachCell(
    series: number,
    length: number,
    visit: (values: Float64Array, length: number, lane: number) => void,
    copyMore?: (values: Float64Array, drop?: boolean) => boolean,
  ): void {
    this.file.expectKind(series, KIND_SERIES, 'series');
    readEachCell(this.file, series, checkWords(length, 'length'), this.#isLaneHeld, visit, copyMore);
  }

  /** A zeroed block of `words` data words for this thread's cells, marked `state` (see cell-blocks.ts). */
  allocateBlock(words: number, state: number): number {
    return allocateBlock(this.file, this.lane, words, state);
  }

  /** Names `cell` (a pointer) and its value `slot` as the owner of a block of this thread's, before that value points at it. */
  claimBlock(ptr: number, cell: number, slot: number): void {
    claimBlock(this.file, ptr, cell, slot);
  }

  /** Gives back a block of this thread's (inside the cell update that stopped pointing at it). */
  freeBlock(ptr: number, words: number): void {
    freeBlock(this.file, ptr, words);
  }

  /** A block of this thread's, as its writer reads it. */
  ownBlock(ptr: number): OwnBlock {
    return ownBlock(this.file, ptr);
  }

  /** For readers: a block's data words if `ptr` (read from a cell) leads to one marked `state` of at most `maxWords`, else -1. */
  blockWords(ptr: number, state: number, maxWords: number): number {
    return blockWords(this.file, ptr, state, maxWords);
  }

  /** For readers, inside readEachCell's copyMore: a block's first `words` data words as 32-bit halves. */
  copyBlock(ptr: number, words: number, into: Uint32Array): void {
    copyBlock(this.file, ptr, words, into);
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
    this.#expiry.stop();
    this.#lane?.release();
    this.#lane = undefined;
    this.file.close();
  }

  /** Stops this process from removing the private heap directory it made, at exit. */
  keepAfterExit(): void {
    if (this.file.inProcess) return; // nothing on disk to keep
    keepPrivateDirectory(this.dir);
  }
}

