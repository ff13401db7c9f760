// Series records: what a family's label values lead to in the heap, for every process. A series is found or made
// by its key (the encoded label values) in its family's directory, counted against the family's limit, reset or
// removed for everyone by a new generation, and brought back when written again. Its values live in cells
// (cells.ts, process-cells.ts) and shared words (shared-words.ts), which follow its generation.
import { heapCorrupt, MpmetricsError, MpmetricsRangeError } from '../errors.js';
import { find, findOrInsert, forEachLeaf, leafKey } from './directory.js';
import { pushRecord, popRecord, reusableSize } from './free-lists.js';
import type { HeapFile } from './heap-file.js';
import { unlockByte } from './heap-io.js';
import { decodeKey, directoryKey } from './key-bytes.js';
import { EXEMPLAR, FAMILY, H, KIND_FAMILY, KIND_MASK, KIND_NODE, KIND_SERIES, LEAF, LOCK, SERIES, STATE_LIVE, STATE_REMOVED, STATE_RETIRED, STATE_SHIFT, TAG, WORD } from './layout.js';
import { takeLock, UPDATE_LOCK_WAIT_MS } from './lock-wait.js';

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

export interface SeriesOptions {
  /** Only wanted for writing later: made removed, left removed (see findOrMakeSeries). */
  readonly hidden?: boolean;
  /** The most series records the family may have, across all processes. */
  readonly maxSeries?: number;
  /** The family has a TTL (see expiry.ts): the caller holds expiring series already. */
  readonly expiring?: boolean;
}

/** Where a series record's key starts: after its shared words and exemplar slots. */
export function seriesKeyByte(sharedWords: number, exemplarSlots: number): number {
  return SERIES.SHARED_BYTE + (sharedWords + exemplarSlots * EXEMPLAR.WORDS) * WORD;
}

/** Where a family's series count is (see FAMILY.SERIES_COUNT). */
function seriesCountWord(file: HeapFile, family: number): { u32: Uint32Array; at: number } {
  file.expectKind(family, KIND_FAMILY, 'family');
  return { u32: file.segmentOf(family).u32, at: file.offsetOf(family) * 2 + FAMILY.SERIES_COUNT };
}

/**
 * How many series records a family has, made by any process (removed ones included: their records stay; expired
 * ones not: theirs are freed).
 */
export function seriesCount(file: HeapFile, family: number): number {
  const { u32, at } = seriesCountWord(file, family);
  return Atomics.load(u32, at);
}

function seriesRoot(file: HeapFile, family: number): number {
  const root = file.segmentOf(family).u32[file.offsetOf(family) * 2 + FAMILY.SERIES_ROOT]!;
  file.expectKind(root, KIND_NODE, 'series directory');
  return root;
}

/**
 * Finds the series `key` of a family, or creates it with `layout` (zeroed, already checked by the caller). A
 * removed series found again is brought back to life with a new generation, so it starts from zero.
 *
 * With `hidden`, the series is only wanted for writing later (prom-client's `labels()`): a new one is created
 * removed, and a removed one is left so; either comes into scrapes with its first write, as after `remove()`.
 *
 * With `maxSeries`, a new series is made only while the family has fewer records than that, counted across
 * all processes; otherwise MPM_ERR_TOO_MANY_SERIES is thrown and nothing is allocated. A removed series still
 * counts (finding it again needs no new record); an expired one does not.
 *
 * With `expiring` (a family with a TTL, see expiry.ts), the record is allocated at its size class, from the
 * records of expired series when one is free.
 */
export function findOrMakeSeries(
  file: HeapFile,
  family: number,
  key: string,
  layout: Required<SeriesLayout>,
  options: SeriesOptions,
): { ptr: number; created: boolean } {
  const { valueWords, sharedWords, exemplarSlots } = layout;
  const expiring = options.expiring === true;
  const hidden = options.hidden === true;
  const dirKey = directoryKey(key, 'Label values');
  const count = seriesCountWord(file, family);
  let counted = false;
  let made = 0;
  let madeBytes = 0;
  // In a family with a TTL the sweeper takes emptied directory nodes out: never while an insert is half-way. It
  // holds the lock for microseconds; a sweeper stopped while holding it costs this update, not the event loop.
  if (expiring) {
    takeLock(file.path, file.fd, LOCK.DIRECTORY, false, UPDATE_LOCK_WAIT_MS, () => Atomics.load(file.header, H.SWEEPER_PID), () => ({
      lock: 'the directory lock of families with a TTL',
      consequence: `the new label set of ${JSON.stringify(decodeKey(leafKey(file, family)))} was not recorded`,
    }));
  }
  let result: { ptr: number; created: boolean };
  try {
    result = findOrInsert(file, seriesRoot(file, family), dirKey, () => {
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
      const keyByte = seriesKeyByte(sharedWords, exemplarSlots);
      let leaf: number;
      const bytes = expiring ? reusableSize(keyByte + dirKey.bytes.length) : keyByte + dirKey.bytes.length;
      try {
        leaf = (expiring ? reuseRecord(file, bytes) : 0) || file.allocate(bytes, sharedWords > 0 || exemplarSlots > 0);
      } catch (error) {
        Atomics.sub(count.u32, count.at, 1); // the heap is full: no record made
        counted = false;
        throw error;
      }
      made = leaf;
      madeBytes = bytes;
      const seg = file.segmentOf(leaf);
      const at = file.offsetOf(leaf) * 2;
      seg.u32[at + LEAF.HASH] = dirKey.hash;
      seg.u32[at + LEAF.KEY_LENGTH] = dirKey.bytes.length;
      seg.u32[at + LEAF.KEY_OFFSET] = keyByte;
      seg.u32[at + SERIES.VALUE_WORDS] = valueWords;
      seg.u32[at + SERIES.SHARED_WORDS] = sharedWords;
      seg.u32[at + SERIES.EXEMPLAR_SLOTS] = exemplarSlots;
      seg.f64[at / 2 + SERIES.CREATED_BYTE / WORD] = Date.now() / 1000;
      seg.f64[at / 2 + SERIES.SEEN_BYTE / WORD] = Date.now() / 1000;
      seg.u8.set(dirKey.bytes, at * 4 + keyByte);
      Atomics.store(seg.u32, at, TAG | ((hidden ? STATE_REMOVED : STATE_LIVE) << STATE_SHIFT) | KIND_SERIES);
      return leaf;
    }, expiring);
  } finally {
    if (expiring) unlockByte(file.fd, LOCK.DIRECTORY);
  }
  // Another process inserted the same key first: our record was made but not published (nobody saw it).
  if (counted && !result.created) {
    Atomics.sub(count.u32, count.at, 1);
    if (expiring) pushRecord(file, made, madeBytes);
  }
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
  if (!result.created && !hidden) reviveRemovedAsNew(file, result.ptr);
  return result;
}

/** A free record of `bytes` (its class size), cleared, its generation carried on; or 0 if none is free. */
function reuseRecord(file: HeapFile, bytes: number): number {
  const ptr = popRecord(file, bytes);
  if (ptr === 0) return 0;
  const seg = file.segmentOf(ptr);
  const at = file.offsetOf(ptr);
  // The generation goes on counting: whoever cached something of the record's last life can tell it is gone.
  const generation = seg.u32[at * 2 + SERIES.GENERATION]!;
  seg.f64.fill(0, at, at + bytes / WORD);
  seg.u32[at * 2 + SERIES.GENERATION] = generation + 1;
  return ptr;
}

/** A removed series looked up to be written: live again, its shared words zeroed and its creation time now. */
function reviveRemovedAsNew(file: HeapFile, ptr: number): void {
  const u32 = file.segmentOf(ptr).u32;
  const at = file.offsetOf(ptr) * 2;
  for (;;) {
    const word = Atomics.load(u32, at);
    if (((word >>> STATE_SHIFT) & 0xff) === STATE_REMOVED) {
      const words = sharedWordsOf(file, ptr); // before the state changes: a damaged record is left as it is
      if (Atomics.compareExchange(u32, at, word, TAG | KIND_SERIES) !== word) continue;
      zeroShared(file, ptr, words);
      file.segmentOf(ptr).f64[at / 2 + SERIES.CREATED_BYTE / WORD] = Date.now() / 1000;
    }
    return;
  }
}

/**
 * The shared words of a series record, checked against where its key starts (they, then its exemplar slots, lie
 * just before it): a damaged count would have a reset zero other records, or throw a bare RangeError past the
 * segment's end.
 */
function sharedWordsOf(file: HeapFile, ptr: number): number {
  const seg = file.segmentOf(ptr);
  const at = file.offsetOf(ptr) * 2;
  const words = seg.u32[at + SERIES.SHARED_WORDS]!;
  if (seriesKeyByte(words, seg.u32[at + SERIES.EXEMPLAR_SLOTS]!) !== seg.u32[at + LEAF.KEY_OFFSET]) {
    throw heapCorrupt(file.path, `series record ${ptr} says it has ${words} shared words, which its key's place denies`);
  }
  leafKey(file, ptr); // throws if the key, so the words before it, run past the segment
  return words;
}

function zeroShared(file: HeapFile, ptr: number, words: number): void {
  const seg = file.segmentOf(ptr);
  const base = file.offsetOf(ptr) + SERIES.SHARED_BYTE / WORD;
  for (let i = 0; i < words; i++) Atomics.store(seg.i64, base + i, 0n);
}

/** The series `key` of a family, if any process created it (removed or not). */
export function findSeries(file: HeapFile, family: number, key: string): number | undefined {
  const ptr = find(file, seriesRoot(file, family), directoryKey(key, 'Label values'));
  if (ptr === 0) return undefined;
  file.expectKind(ptr, KIND_SERIES, 'series');
  return ptr;
}

/**
 * Resets a series to zero for every process (bumps its generation: older cells count as nothing), and with
 * `remove`, hides it from enumeration until it is created again.
 */
export function resetSeries(file: HeapFile, ptr: number, remove: boolean): void {
  file.expectKind(ptr, KIND_SERIES, 'series');
  const words = sharedWordsOf(file, ptr);
  const seg = file.segmentOf(ptr);
  const at = file.offsetOf(ptr) * 2;
  // Mark removed before bumping the generation: a writer that sees the new generation then always finds the
  // mark, and brings the series back if it writes to it again. A retired (expired) series is left alone.
  for (;;) {
    const word = Atomics.load(seg.u32, at);
    if (((word >>> STATE_SHIFT) & 0xff) === STATE_RETIRED) return;
    if (!remove || Atomics.compareExchange(seg.u32, at, word, TAG | (STATE_REMOVED << STATE_SHIFT) | KIND_SERIES) === word) break;
  }
  Atomics.add(seg.u32, at + SERIES.GENERATION, 1);
  zeroShared(file, ptr, words);
  seg.f64[at / 2 + SERIES.CREATED_BYTE / WORD] = Date.now() / 1000;
}

/**
 * Calls `visit` with every series record of a family and whether it is live (not removed), allocating
 * nothing per series: the exporter's path.
 */
export function forEachSeries(file: HeapFile, family: number, visit: (ptr: number, live: boolean) => void): void {
  forEachLeaf(file, seriesRoot(file, family), (ptr, word) => {
    // the walk checked the tag and that it lies below the allocation top: the kind is left to check
    if ((word & KIND_MASK) !== KIND_SERIES) throw heapCorrupt(file.path, `series pointer ${ptr} does not lead to a valid record`);
    visit(ptr, isSeriesLive(file, ptr));
  });
}

/** Whether a series record is live (not removed, retired or reused) now. */
export function isSeriesLive(file: HeapFile, ptr: number): boolean {
  return ((Atomics.load(file.segmentOf(ptr).u32, file.offsetOf(ptr) * 2) >>> STATE_SHIFT) & 0xff) === STATE_LIVE;
}

/** Every series of a family (removed ones included, marked as such). */
export function seriesOf(file: HeapFile, family: number): SeriesRecord[] {
  const out: SeriesRecord[] = [];
  forEachLeaf(file, seriesRoot(file, family), (ptr) => {
    file.expectKind(ptr, KIND_SERIES, 'series');
    const seg = file.segmentOf(ptr);
    const at = file.offsetOf(ptr) * 2;
    out.push({
      ptr,
      key: decodeKey(leafKey(file, ptr)),
      live: ((Atomics.load(seg.u32, at) >>> STATE_SHIFT) & 0xff) === STATE_LIVE,
      valueWords: seg.u32[at + SERIES.VALUE_WORDS]!,
      sharedWords: seg.u32[at + SERIES.SHARED_WORDS]!,
      exemplarSlots: seg.u32[at + SERIES.EXEMPLAR_SLOTS]!,
      createdAt: seg.f64[at / 2 + SERIES.CREATED_BYTE / WORD]!,
    });
  });
  return out;
}
