// Family records: what a metric's name leads to in the heap, for every process.
//
// The directory maps a name to the first record made for it, whose CURRENT word names the record in use now. A
// name declared again as a new metric (prom-client's `register.clear()`, then `new Counter(...)` with that name)
// gets a new record in its place, with its own metadata and series, while the old record stays intact for whoever
// still holds it. Only a family that no other writer has declared is replaced: the first declaration by another
// writer marks it shared for good, so no redeclaration ever drops another process's counts (a dead one's included).
//
// Both steps are compare-and-swaps. DECLARED goes from BY_CREATOR to SHARED (a join) or to REPLACED (a
// replacement), so a join and a replacement that race cannot both win; then CURRENT goes from the old record to the
// new one. A replacer that dies between the two leaves a REPLACED record current: whoever finds it finishes the
// replacement with a record of its own, so nobody ever waits on another process.
import { find, findOrInsert, forEachLeaf, allocateNode, leafHasKey, type DirectoryKey } from './directory.js';
import { heapCorrupt } from '../errors.js';
import type { HeapFile } from './heap-file.js';
import { decodeKey } from './key-bytes.js';
import { DECLARED_BY_CREATOR, DECLARED_REPLACED, DECLARED_SHARED, FAMILY, H, KIND_FAMILY, LEAF, TAG } from './layout.js';

/** A family record and the directory's record for its name (the same record until the name is declared anew). */
export interface FamilyLookup {
  readonly head: number;
  readonly ptr: number;
  /** Whether this call made `ptr`. */
  readonly created: boolean;
}

/** How many times a declaration looks again after losing a race to a replacement before it calls the heap damaged. */
const MAX_RACES = 1000;

/** Makes an unpublished family record: a leaf holding `key`, an empty series directory and the metadata. */
function makeFamilyRecord(file: HeapFile, key: DirectoryKey, metaBytes: Uint8Array): number {
  const root = allocateNode(file, 0);
  const ptr = file.allocate(FAMILY.KEY_BYTE + key.bytes.length + metaBytes.length);
  const seg = file.segmentOf(ptr);
  const at = file.offsetOf(ptr) * 2;
  seg.u32[at + LEAF.HASH] = key.hash;
  seg.u32[at + LEAF.KEY_LENGTH] = key.bytes.length;
  seg.u32[at + LEAF.KEY_OFFSET] = FAMILY.KEY_BYTE;
  seg.u32[at + FAMILY.SERIES_ROOT] = root;
  seg.u32[at + FAMILY.META_LENGTH] = metaBytes.length;
  const byte = at * 4 + FAMILY.KEY_BYTE;
  seg.u8.set(key.bytes, byte);
  seg.u8.set(metaBytes, byte + key.bytes.length);
  Atomics.store(seg.u32, at, TAG | KIND_FAMILY);
  return ptr;
}

function field(file: HeapFile, ptr: number, index: number): { u32: Uint32Array; at: number } {
  return { u32: file.segmentOf(ptr).u32, at: file.offsetOf(ptr) * 2 + index };
}

/** The family record in use for the name whose directory record is `head`. */
function currentFamily(file: HeapFile, head: number, key?: DirectoryKey): number {
  file.expectKind(head, KIND_FAMILY, 'family');
  const { u32, at } = field(file, head, FAMILY.CURRENT);
  const current = Atomics.load(u32, at);
  if (current === 0) return head;
  file.expectKind(current, KIND_FAMILY, 'family');
  const hash = u32[file.offsetOf(head) * 2 + LEAF.HASH]!;
  if (file.segmentOf(current).u32[file.offsetOf(current) * 2 + LEAF.HASH] !== hash || (key !== undefined && !leafHasKey(file, current, key))) {
    throw heapCorrupt(file.path, `family record ${head} names as current a record of another name (${current})`);
  }
  return current;
}

/** Publishes `fresh` in place of `old` as the current record of `head`'s name; false if another record won. */
function publish(file: HeapFile, head: number, old: number, fresh: number): boolean {
  const { u32, at } = field(file, head, FAMILY.CURRENT);
  const expected = old === head ? 0 : old;
  return Atomics.compareExchange(u32, at, expected, fresh) === expected;
}

function declaredState(file: HeapFile, ptr: number): number {
  const { u32, at } = field(file, ptr, FAMILY.DECLARED);
  return Atomics.load(u32, at);
}

/**
 * The current record of `key`'s name under `root`, made with `metaBytes` if the name is new (or if a replacement
 * of it was left unfinished: see the file comment).
 */
export function findOrMakeFamily(file: HeapFile, root: number, key: DirectoryKey, metaBytes: Uint8Array): FamilyLookup {
  const { ptr: head, created } = findOrInsert(file, root, key, () => makeFamilyRecord(file, key, metaBytes));
  if (created) return { head, ptr: head, created };
  return settled(file, head, key, metaBytes);
}

/** The record now current for `head`'s name, after finishing a replacement that was left half done. */
function settled(file: HeapFile, head: number, key: DirectoryKey, metaBytes: Uint8Array): FamilyLookup {
  for (let races = 0; races < MAX_RACES; races++) {
    const current = currentFamily(file, head, key);
    if (declaredState(file, current) !== DECLARED_REPLACED) return { head, ptr: current, created: false };
    const fresh = makeFamilyRecord(file, key, metaBytes);
    if (publish(file, head, current, fresh)) return { head, ptr: fresh, created: true };
    // another process published first: the record made here was never seen by anybody
  }
  throw heapCorrupt(file.path, `the family record of ${JSON.stringify(Buffer.from(key.bytes).toString('utf8'))} keeps being replaced`);
}

/** The current record of `key`'s name under `root`, if any process made one. */
export function findFamilyRecord(file: HeapFile, root: number, key: DirectoryKey): number {
  const head = find(file, root, key);
  return head === 0 ? 0 : currentFamily(file, head, key);
}

/**
 * Marks a family found by name as declared by a writer other than its maker too, so it is never replaced. False
 * when its maker is replacing it at this moment: look it up again.
 */
export function joinFamily(file: HeapFile, ptr: number): boolean {
  const { u32, at } = field(file, ptr, FAMILY.DECLARED);
  return Atomics.compareExchange(u32, at, DECLARED_BY_CREATOR, DECLARED_SHARED) !== DECLARED_REPLACED;
}

/**
 * Puts a new, empty record with `metaBytes` in place of `ptr`, the current record of `head`'s name, unless another
 * writer has declared `ptr` too (then undefined: the caller joins it). A value in DECLARED that is none of ours
 * (damage) counts as shared: nothing is ever dropped on a guess.
 */
export function replaceFamily(file: HeapFile, head: number, ptr: number, key: DirectoryKey, metaBytes: Uint8Array): FamilyLookup | undefined {
  const { u32, at } = field(file, ptr, FAMILY.DECLARED);
  const before = Atomics.compareExchange(u32, at, DECLARED_BY_CREATOR, DECLARED_REPLACED);
  if (before !== DECLARED_BY_CREATOR && before !== DECLARED_REPLACED) return undefined;
  const fresh = makeFamilyRecord(file, key, metaBytes);
  if (publish(file, head, ptr, fresh)) return { head, ptr: fresh, created: true };
  return settled(file, head, key, metaBytes);
}

/** Calls `visit` with the current record of every name in the family directory. */
export function forEachFamily(file: HeapFile, visit: (ptr: number) => void): void {
  forEachLeaf(file, file.header[H.FAMILY_ROOT]!, (head) => visit(currentFamily(file, head)));
}

/** The metadata (JSON text) stored with a family record by whoever made it. */
export function familyMeta(file: HeapFile, ptr: number): string {
  const seg = file.segmentOf(ptr);
  const at = file.offsetOf(ptr) * 2;
  const keyLength = seg.u32[at + LEAF.KEY_LENGTH]!;
  const start = at * 4 + FAMILY.KEY_BYTE + keyLength;
  const length = seg.u32[at + FAMILY.META_LENGTH]!;
  if (start + length > seg.u8.length) throw heapCorrupt(file.path, 'family metadata runs past its segment');
  return decodeKey(seg.u8.subarray(start, start + length));
}
