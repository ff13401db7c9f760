// The shared directory: a lock-free, insert-only hash trie inside the heap that maps a key (a family name, or a
// series' encoded label values) to its record. Every process finds the same record for the same key.
//
// A node has 16 slots, chosen by 4 bits of the key's 32-bit hash per level. A slot holds 0, a node, or a leaf.
// Inserting is one compare-and-swap on a slot: either the new leaf lands, or the slot changed and we look again,
// so a process that dies mid-insert leaves at worst an unreachable record, and never blocks anybody. A slot whose
// leaf has another key is split by swapping in a new node that already holds that leaf. On the last level, where
// the whole hash is used up, leaves with equal hashes form a chain, pushed the same way.
import { popNode, pushNode, reusableSize } from './free-lists.js';
import { heapCorrupt } from '../errors.js';
import type { HeapFile } from './heap-file.js';
import { H, KIND_MASK, KIND_NODE, LEAF, NODE, TAG, TAG_MASK, WORD } from './layout.js';
import { ListWalk, maxRecords } from './walk-guard.js';

/** A key ready for the directory: its UTF-8 bytes and their hash. */
export interface DirectoryKey {
  readonly bytes: Uint8Array;
  readonly hash: number;
}

export interface Lookup {
  readonly ptr: number;
  readonly created: boolean;
}


/** Directory nodes of families with a TTL are made this large: room past the slots for their retirement. */
const REUSABLE_NODE_BYTES = reusableSize(NODE.RETIRED_EPOCH_BYTE + WORD);

/** A new node; `reusable` for the series directory of a family with a TTL (its nodes are freed when empty). */
export function allocateNode(file: HeapFile, depth: number, reusable = false): number {
  let ptr = reusable ? popNode(file) : 0;
  if (ptr !== 0) file.segmentOf(ptr).u32.fill(0, file.offsetOf(ptr) * 2, file.offsetOf(ptr) * 2 + REUSABLE_NODE_BYTES / 4);
  else ptr = file.allocate(reusable ? REUSABLE_NODE_BYTES : NODE.BYTES);
  const u32 = file.segmentOf(ptr).u32;
  const at = file.offsetOf(ptr) * 2;
  u32[at + NODE.DEPTH] = depth;
  Atomics.store(u32, at, TAG | KIND_NODE);
  return ptr;
}

function kindAt(file: HeapFile, ptr: number): number {
  return headerWordBelow(file, ptr, Atomics.load(file.header, H.ALLOC_TOP)) & KIND_MASK;
}

/** The first word (tag, kind, state) of the record a directory pointer leads to, below the allocation top `top`. */
function headerWordBelow(file: HeapFile, ptr: number, top: number): number {
  if (ptr >= top) throw heapCorrupt(file.path, `directory pointer ${ptr} is past the allocated heap`);
  const word = file.segmentOf(ptr).u32[file.offsetOf(ptr) * 2]!;
  if ((word & TAG_MASK) !== TAG) throw heapCorrupt(file.path, `directory pointer ${ptr} does not lead to a record`);
  return word;
}

function leafField(file: HeapFile, ptr: number, field: number): number {
  return file.segmentOf(ptr).u32[file.offsetOf(ptr) * 2 + field]!;
}

/** Whether the leaf at `ptr` has exactly this key. */
export function leafHasKey(file: HeapFile, ptr: number, key: DirectoryKey): boolean {
  const seg = file.segmentOf(ptr);
  const at = file.offsetOf(ptr) * 2;
  if (seg.u32[at + LEAF.HASH] !== key.hash || seg.u32[at + LEAF.KEY_LENGTH] !== key.bytes.length) return false;
  const start = file.offsetOf(ptr) * WORD + seg.u32[at + LEAF.KEY_OFFSET]!;
  if (start + key.bytes.length > seg.u8.length) throw heapCorrupt(file.path, `key of record ${ptr} runs past its segment`);
  const bytes = key.bytes;
  for (let i = 0; i < bytes.length; i++) if (seg.u8[start + i] !== bytes[i]) return false;
  return true;
}

/** The key bytes of the leaf at `ptr` (a view into the heap). */
export function leafKey(file: HeapFile, ptr: number): Uint8Array {
  const seg = file.segmentOf(ptr);
  const at = file.offsetOf(ptr) * 2;
  const start = file.offsetOf(ptr) * WORD + seg.u32[at + LEAF.KEY_OFFSET]!;
  const length = seg.u32[at + LEAF.KEY_LENGTH]!;
  if (start + length > seg.u8.length) throw heapCorrupt(file.path, `key of record ${ptr} runs past its segment`);
  return seg.u8.subarray(start, start + length);
}

function slotOf(file: HeapFile, node: number, depth: number, hash: number): { u32: Uint32Array; index: number } {
  return {
    u32: file.segmentOf(node).u32,
    index: file.offsetOf(node) * 2 + NODE.SLOTS + ((hash >>> (depth * NODE.BITS)) & (NODE.FANOUT - 1)),
  };
}

/** A node found in a slot, after checking it is one level down (a node anywhere else could lead back up). */
function childNode(file: HeapFile, ptr: number, depth: number): number {
  if (!isNodeAt(file, ptr, depth)) throw heapCorrupt(file.path, `directory node ${ptr} is not at depth ${depth}`);
  return ptr;
}

/** Finds the leaf for `key` under `root`, or 0. */
export function find(file: HeapFile, root: number, key: DirectoryKey): number {
  let node = root;
  for (let depth = 0; depth < NODE.MAX_DEPTH; depth++) {
    const { u32, index } = slotOf(file, node, depth, key.hash);
    const p = Atomics.load(u32, index);
    if (p === 0) return 0;
    if (kindAt(file, p) === KIND_NODE) {
      node = childNode(file, p, depth + 1);
      continue;
    }
    return findInChain(file, p, key);
  }
  throw heapCorrupt(file.path, 'directory deeper than its hash allows');
}


function findInChain(file: HeapFile, head: number, key: DirectoryKey): number {
  const walk = new ListWalk().start(head, maxRecords(Atomics.load(file.header, H.ALLOC_TOP)));
  for (let q = head; q !== 0; ) {
    kindAt(file, q);
    if (leafHasKey(file, q, key)) return q;
    q = Atomics.load(file.segmentOf(q).u32, file.offsetOf(q) * 2 + LEAF.NEXT);
    if (walk.stops(q)) throw heapCorrupt(file.path, 'a directory chain loops');
  }
  return 0;
}

/**
 * Finds the leaf for `key`, or inserts the one `makeLeaf` writes (its tag, hash, key and fields all set, its
 * `next` left 0). `makeLeaf` runs at most once, and only when the key was not found.
 */
export function findOrInsert(file: HeapFile, root: number, key: DirectoryKey, makeLeaf: () => number, reusableNodes = false): Lookup {
  let node = root;
  let depth = 0;
  let leaf = 0;
  for (;;) {
    if (depth >= NODE.MAX_DEPTH) throw heapCorrupt(file.path, 'directory deeper than its hash allows');
    const { u32, index } = slotOf(file, node, depth, key.hash);
    const p = Atomics.load(u32, index);
    if (p === 0) {
      if (leaf === 0) leaf = makeLeaf();
      setNext(file, leaf, 0);
      if (Atomics.compareExchange(u32, index, 0, leaf) === 0) return { ptr: leaf, created: true };
      continue;
    }
    if (kindAt(file, p) === KIND_NODE) {
      node = childNode(file, p, ++depth);
      continue;
    }
    const found = findInChain(file, p, key);
    if (found !== 0) return { ptr: found, created: false };
    if (depth === NODE.MAX_DEPTH - 1) {
      // Every hash bit is used: keys with the same hash share this slot as a chain.
      if (leaf === 0) leaf = makeLeaf();
      setNext(file, leaf, p);
      if (Atomics.compareExchange(u32, index, p, leaf) === p) return { ptr: leaf, created: true };
      continue;
    }
    // Split: a new node one level down, already holding the leaf that is here, replaces it in one swap.
    const child = allocateNode(file, depth + 1, reusableNodes);
    const moved = slotOf(file, child, depth + 1, leafField(file, p, LEAF.HASH));
    moved.u32[moved.index] = p;
    if (Atomics.compareExchange(u32, index, p, child) === p) {
      node = child;
      depth++;
    } else if (reusableNodes) {
      pushNode(file, child); // nobody saw it
    }
  }
}

function setNext(file: HeapFile, leaf: number, next: number): void {
  Atomics.store(file.segmentOf(leaf).u32, file.offsetOf(leaf) * 2 + LEAF.NEXT, next);
}

/**
 * Whether `ptr` leads to a directory node that says it is at `depth`, as every node reached from a root at depth 0
 * must. A root read from a damaged family record can point anywhere: a node past the allocated heap, or one whose
 * slots would run past its segment's end (no record crosses one), is not a node.
 */
export function isNodeAt(file: HeapFile, ptr: number, depth: number): boolean {
  if (depth >= NODE.MAX_DEPTH || !file.hasKind(ptr, KIND_NODE)) return false;
  if (file.offsetOf(ptr) + NODE.BYTES / WORD > file.segmentSize / WORD) return false;
  return file.segmentOf(ptr).u32[file.offsetOf(ptr) * 2 + NODE.DEPTH] === depth;
}


/**
 * Calls `visit` with every leaf under `root`. Leaves inserted meanwhile may or may not be visited.
 *
 * Damage ends the walk with MPM_ERR_HEAP_CORRUPT, quickly: a node not at its depth (so no loop of nodes, and at
 * most MAX_DEPTH levels) or linked twice, a leaf in a slot its hash does not lead to (a record linked twice), a
 * chain that loops or sits above the last level, or more records than the heap could hold.
 */
export function forEachLeaf(file: HeapFile, root: number, visit: (ptr: number, word: number) => void): void {
  if (!isNodeAt(file, root, 0)) throw heapCorrupt(file.path, `directory root ${root} is not a node at depth 0`);
  // the stack holds (node, depth, the hash bits that lead to it) triples: at most 15 per level are pending
  const stack = [root, 0, 0];
  let top = Atomics.load(file.header, H.ALLOC_TOP);
  const limit = maxRecords(top);
  /** The first word of the record at `ptr`, checked as kindAt() does, against the top read again only when past it. */
  const headerWord = (ptr: number): number => {
    if (ptr >= top) top = Atomics.load(file.header, H.ALLOC_TOP);
    return headerWordBelow(file, ptr, top);
  };
  // a node linked from two slots would make the walk visit its subtree once per path: exponentially often
  const seen = new Set<number>();
  let visited = 0;
  // one walk, restarted per chain: a visit that walks lists makes its own
  const walk = new ListWalk();
  while (stack.length > 0) {
    const prefix = stack.pop()!;
    const depth = stack.pop()!;
    const node = stack.pop()!;
    if (++visited > limit) throw heapCorrupt(file.path, 'the directory has more records than the heap could hold');
    if (seen.has(node)) throw heapCorrupt(file.path, `directory node ${node} is linked from two slots`);
    seen.add(node);
    const base = file.offsetOf(node) * 2 + NODE.SLOTS;
    const u32 = file.segmentOf(node).u32;
    const shift = depth * NODE.BITS;
    for (let i = 0; i < NODE.FANOUT; i++) {
      const p = Atomics.load(u32, base + i);
      if (p === 0) continue;
      // the low hash bits of everything below this slot: the path to it (>>> 0 keeps 32-bit values unsigned)
      const path = (prefix | (i << shift)) >>> 0;
      if ((headerWord(p) & KIND_MASK) === KIND_NODE) {
        if (!isNodeAt(file, p, depth + 1)) throw heapCorrupt(file.path, `directory node ${p} is not at depth ${depth + 1}`);
        stack.push(p, depth + 1, path);
        continue;
      }
      const mask = shift + NODE.BITS >= 32 ? 0xffffffff : (1 << (shift + NODE.BITS)) - 1;
      walk.start(p, depth === NODE.MAX_DEPTH - 1 ? limit : 0);
      for (let q = p; q !== 0; ) {
        const word = headerWord(q);
        if ((leafField(file, q, LEAF.HASH) & mask) >>> 0 !== path) throw heapCorrupt(file.path, `directory leaf ${q} is in a slot its hash does not lead to`);
        visit(q, word);
        if (++visited > limit) throw heapCorrupt(file.path, 'the directory has more records than the heap could hold');
        q = Atomics.load(file.segmentOf(q).u32, file.offsetOf(q) * 2 + LEAF.NEXT);
        if (walk.stops(q)) throw heapCorrupt(file.path, 'a directory chain loops, or is where no chain can be');
      }
    }
  }
}
