// The file format of a heap, version 5 (4 kept a summary's bins inside its cells; 3 grew the file under a lock,
// see HeapFile.grow). Every process maps the
// same bytes, so this file is the contract between all of them; change it only together with FORMAT_VERSION.
//
// The file is a sequence of equal segments of `segmentSize` bytes (a power of two, a multiple of the page size).
// Segment 0 starts with the header and the writer-lane table. A pointer is a u32 counting 8-byte words from the
// start of the file (0 is null: the header lives there), so a heap spans at most 32 GiB. No record crosses a
// segment boundary, so a record is always inside one mapping.

export const MAGIC = 0x484d504d; // "MPMH" read as a little-endian u32
export const FORMAT_VERSION = 5;
export const HEADER_BYTES = 4096;
export const WORD = 8;
export const MAX_HEAP_BYTES = 2 ** 32 * WORD;

/** Header fields, as indexes into a Uint32Array over segment 0. */
export const H = {
  MAGIC: 0,
  VERSION: 1,
  HEADER_BYTES: 2,
  PAGE_SIZE: 3,
  SEGMENT_SIZE: 4,
  MAX_SEGMENTS: 5,
  /** Segments that exist and may be mapped. Published after the file has grown. */
  SEGMENT_COUNT: 6,
  /** Segment count a growth in progress is reaching for; 0 when none is. Lets a crashed growth be finished. */
  PENDING_SEGMENTS: 7,
  /** The bump allocator's top, in words. */
  ALLOC_TOP: 8,
  /** Root node of the family directory. */
  FAMILY_ROOT: 9,
  MAX_LANES: 10,
  LANE_TABLE: 11,
  /** One past the highest lane ever claimed: readers need look no further. */
  LANE_HIGH: 12,
  CREATOR_PID: 13,
  /** Idle-series expiry: how many sweeps have retired series (see expiry.ts); lanes acknowledge it. */
  SWEEP_EPOCH: 14,
  /** Head of the list of retired series records waiting for every lane to acknowledge their retirement. */
  RETIRED_HEAD: 15,
  /** f64 at u32 index 16 (byte 64): creation time, Unix milliseconds. */
  CREATED_F64: 8,
  /** f64 at u32 index 18 (byte 72): when the next sweep for idle series is due, Unix milliseconds. */
  NEXT_SWEEP_F64: 9,
  /** The series a sweep is taking out of the directory (0: none), and its family: see expiry.ts. */
  RETIRING: 20,
  RETIRING_FAMILY: 21,
  /** Who last took the growth lock (only taken where the filesystem has no fallocate): named when it is held too long. */
  GROWER_PID: 22,
  /** Who last took the sweep lock (and with it, briefly, the directory lock of families with a TTL). */
  SWEEPER_PID: 23,
  /**
   * 1 once a process found the file's filesystem without fallocate: from then on every grower extends the file
   * with ftruncate under the growth lock (see HeapFile.grow), never lock-free.
   */
  GROW_BY_TRUNCATE: 24,
  /** i64 at byte 256: heads of the free lists of series records by size class (see free-lists.ts). */
  FREE_RECORDS_I64: 32,
  /** i64 at byte 768: head of the free list of directory nodes. */
  FREE_NODES_I64: 96,
} as const;

/** Every record starts with a u32 of TAG | kind | state << 8. The tag catches pointers into garbage. */
export const TAG = 0x4d500000;
export const TAG_MASK = 0xffff0000;
export const KIND_MASK = 0xff;
export const KIND_NODE = 1;
export const KIND_FAMILY = 2;
export const KIND_SERIES = 3;
export const STATE_SHIFT = 8;
export const STATE_LIVE = 0;
export const STATE_REMOVED = 1;
/** Expired (see expiry.ts): out of the directory, its memory reused once every lane has moved past it. */
export const STATE_RETIRED = 2;
/** A record on a free list, waiting to be reused. */
export const KIND_FREE = 4;
/** A block of a writer's cell (see BLOCK). */
export const KIND_BLOCK = 5;

/**
 * Directory node of the hash trie: 16 child slots, 4 hash bits a level, 8 levels for a 32-bit hash.
 * u32: [0] tag|KIND_NODE, [1] depth, [2..17] slots (pointer to a node or to a chain of leaves, or 0).
 * The nodes of a family with a TTL are 128 bytes, and one taken out of the directory keeps, past its slots, [18]
 * the next record on the retired list and an f64 at byte 80, the sweep epoch of its retirement: a reader still
 * walking it meanwhile finds its slots as they were (empty).
 */
export const NODE = { DEPTH: 1, SLOTS: 2, FANOUT: 16, BITS: 4, MAX_DEPTH: 8, BYTES: 72, RETIRED_NEXT: 18, RETIRED_EPOCH_BYTE: 80 } as const;

/**
 * Leaf shared by families and series, u32 fields: [0] tag|kind|state, [1] key hash, [2] next leaf with the same
 * full hash (chains exist only on the deepest level), [3] key length in bytes, [4] byte offset of the key from
 * the start of the record.
 */
export const LEAF = { HASH: 1, NEXT: 2, KEY_LENGTH: 3, KEY_OFFSET: 4 } as const;

/**
 * Family: a leaf, then [5] root node of its series trie, [6] metadata length, [7] how many series records it has
 * (added to atomically before a record is made, so a cardinality limit holds across processes), [8] in the record
 * the directory holds for the name: the family record now current for that name (0: this one; see families.ts),
 * [9] who declared it (DECLARED_*); the key (the family name) at byte 40, then the metadata bytes (JSON), which
 * never change after the family is published.
 */
export const FAMILY = { SERIES_ROOT: 5, META_LENGTH: 6, SERIES_COUNT: 7, CURRENT: 8, DECLARED: 9, KEY_BYTE: 40 } as const;

/** FAMILY.DECLARED: only the writer that made the family has declared it, so that writer may replace it. */
export const DECLARED_BY_CREATOR = 0;
/** FAMILY.DECLARED: another writer declared it too; it is never replaced (that would drop the other's counts). */
export const DECLARED_SHARED = 1;
/** FAMILY.DECLARED: its creator declared the name again, and a new record took (or is taking) its place. */
export const DECLARED_REPLACED = 2;

/**
 * Series: a leaf, then [5] head of its cell list, [6] generation (bumped by reset, remove and expiry: cells of an
 * older generation count as zero; it keeps counting when the record is reused), [7] values per cell, [8] shared
 * words, [9] exemplar slots, [10] touched (families with a TTL: set to 1 by writers, taken back to 0 by the
 * sweeper), [11] next record on the retired list; f64 creation time (Unix seconds) at byte 48; f64 at byte 56:
 * when the sweeper last saw it touched (Unix seconds), and once retired, the sweep epoch of its retirement;
 * shared words (updated with atomics, one copy for all processes) from byte 64; then the exemplar slots
 * (EXEMPLAR.WORDS each); then the key bytes.
 */
export const SERIES = {
  CELLS: 5,
  GENERATION: 6,
  VALUE_WORDS: 7,
  SHARED_WORDS: 8,
  EXEMPLAR_SLOTS: 9,
  TOUCHED: 10,
  RETIRED_NEXT: 11,
  CREATED_BYTE: 48,
  SEEN_BYTE: 56,
  SHARED_BYTE: 64,
} as const;

/**
 * An exemplar slot, in words from its start: [0] the lock word (i64: low 32 bits a sequence, odd while a writer
 * fills the slot; high 32 bits who took it: lane id + 1, and the lane's claim count modulo 2^15 from bit 17),
 * [1] value (f64), [2] timestamp (f64, Unix seconds; 0: never written), [3] length of the labels in bytes (u32),
 * then the labels (LABEL_BYTES at most): each name, 0xFF, its value in UTF-8, 0xFF (0xFF is never in UTF-8).
 */
export const EXEMPLAR = { LOCK: 0, VALUE: 1, TIMESTAMP: 2, LENGTH: 3, LABELS: 4, LABEL_BYTES: 512, WORDS: 4 + 512 / 8 } as const;

/**
 * Cell: one writer lane's private copy of a series' values, written with plain stores by that lane only.
 * u32: [0] next cell, [1] lane, [2] sequence (odd while an update is being applied), [3] generation (on its
 * lane's free list: its size in words); f64 values from byte 16.
 */
export const CELL = { NEXT: 0, LANE: 1, SEQ: 2, GENERATION: 3, FREE_WORDS: 3, VALUES_BYTE: 16 } as const;

/**
 * Block: more values of one writer's cell, kept out of the cell so that what the cell holds can grow with its data
 * (a summary's bins, see cell-blocks.ts). Allocated from its writer's lane as a cell is, with a cell's header so it
 * can go back on the lane's free cells: u32 [0] next (on that list), [1] lane, [2] data words, [3] TAG | KIND_BLOCK |
 * state << 8 (what the data holds, for the block's user), [4] the cell that points at it and [6] which of that
 * cell's values does (0 until one does: a block is one value's), [5] ~[2] (its size is trusted only if damage
 * changed neither), [7] 0; data from byte 32. Only its lane's owner writes it, inside updates of the cell that
 * points at it, so the cell's seqlock covers it.
 */
export const BLOCK = { LANE: 1, WORDS: 2, KIND: 3, OWNER: 4, WORDS_CHECK: 5, SLOT: 6, DATA_BYTE: 32 } as const;

/**
 * The values of a per-process cell (a gauge with a per-process `multiprocessMode`), f64: [0] the value, [1] 1 once
 * the owner has given it a value (0: none yet, and readers skip it), [2] the owner's pid, [3] the owner's start
 * time (clock ticks since boot, with the pid it names the process), [4] the owner's lane claim count (Lane.claimCount). [2..4]
 * are written when an owner takes the cell; a reset clears only [0] and [1].
 */
export const PROCESS_CELL = { VALUE: 0, HAS_VALUE: 1, PID: 2, START: 3, CLAIM_COUNT: 4, WORDS: 5 } as const;

/**
 * A lane record in the lane table, u32: [0] arena top (words), [1] arena end (words), [2] pid of the latest
 * owner, [3] claims: how many owners the lane has had (the current one's claim count), [4] the sweep epoch its
 * owner has acknowledged (it holds no pointer to a series retired up to then), [5] head of its free cells.
 */
export const LANE = { ARENA_TOP: 0, ARENA_END: 1, PID: 2, CLAIMS: 3, ACKED: 4, FREE_CELLS: 5, BYTES: 32 } as const;

/** Per-lane arenas for cells are carved in chunks of this many bytes (or a segment, if smaller). */
export const ARENA_CHUNK_BYTES = 16 * 1024;

/**
 * Byte offsets of the advisory locks (open-file-description locks on the heap file). They lie far beyond any
 * data, so they never meet a real byte; they only name things.
 */
export const LOCK = {
  /** Held shared by every open heap (process or thread) for its whole life: nobody holding it means stale. */
  ATTACH: 2 ** 40,
  /**
   * Held exclusively while the file is extended where the filesystem has no fallocate (ftruncate could shrink a
   * file grown meanwhile). With fallocate, growth takes no lock (see HeapFile.grow).
   */
  GROW: 2 ** 40 + 1,
  /** Held exclusively by the one process sweeping idle series at a time (see expiry.ts). */
  SWEEP: 2 ** 40 + 2,
  /**
   * Held shared by whoever inserts into the directory of a family with a TTL, exclusively by the sweeper while it
   * takes empty directory nodes out (so no insert is half-way through one).
   */
  DIRECTORY: 2 ** 40 + 3,
  /** Lane n is owned by whoever holds byte LANES + n exclusively. */
  LANES: 2 ** 40 + 4096,
} as const;

export const DEFAULT_SEGMENT_SIZE = 1024 * 1024;
export const DEFAULT_MAX_LANES = 4096;
