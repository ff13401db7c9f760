// Writer lanes. Every process or thread that writes owns one lane, and owns it by holding an exclusive
// open-file-description lock on the lane's byte: the kernel drops the lock when the owner exits, is killed, or
// (for a worker thread) when its environment is torn down and the addon closes its descriptor. A new writer takes
// the first free lane and with it everything the lane's earlier owner wrote: its cells keep counting from where
// they were, so totals never go down when a worker dies and another takes its place, and memory is reused.
//
// A lane also has a private arena, so the cells it creates lie in cache lines no other writer touches.
import { MpmetricsError } from '../errors.js';
import { isByteLocked, lockByte, unlockByte } from './heap-io.js';
import type { HeapFile } from './heap-file.js';
import { popCell } from './free-lists.js';
import { ARENA_CHUNK_BYTES, CELL, H, LANE, LOCK, WORD } from './layout.js';
import { ATOMIC_ORDER } from './memory-order.js';
import { storeDouble } from './atomic-doubles.js';

/** A lane's acknowledged sweep epoch while its owner holds no pointer to a series of a family with a TTL. */
export const NOTHING_EXPIRING = 0xffffffff;

export class Lane {
  readonly id: number;
  /** True when an earlier owner held this lane: its cells are ours now, and may need closing (see cells.ts). */
  readonly adopted: boolean;
  /**
   * Which claim of the lane this is (1 for its first owner, 2 for the next…). Values that belong to one owner
   * rather than to the lane (per-process gauge values) carry it, so a later owner never passes them off as its own.
   */
  readonly claimCount: number;
  readonly #file: HeapFile;
  readonly #record: Uint32Array;
  readonly #at: number;

  private constructor(file: HeapFile, id: number, claimCount: number) {
    this.#file = file;
    this.id = id;
    this.claimCount = claimCount;
    this.adopted = claimCount > 1;
    this.#record = file.segments[0]!.u32;
    this.#at = (file.header[H.LANE_TABLE]! * WORD + id * LANE.BYTES) / 4;
  }

  /** Claims the lowest free lane. */
  static claim(file: HeapFile): Lane {
    for (let id = 0; id < file.maxLanes; id++) {
      if (!lockByte(file.fd, LOCK.LANES + id, true)) continue;
      const record = file.segments[0]!.u32;
      const at = (file.header[H.LANE_TABLE]! * WORD + id * LANE.BYTES) / 4;
      // The claim count first, right after the lock: until it moves, readers take the previous owner's per-process
      // values for live ones (the lane is held, with their claim count).
      const claimCount = Atomics.add(record, at + LANE.CLAIMS, 1) + 1;
      for (;;) {
        const high = Atomics.load(file.header, H.LANE_HIGH);
        if (high > id || Atomics.compareExchange(file.header, H.LANE_HIGH, high, id + 1) === high) break;
      }
      Atomics.store(record, at + LANE.PID, process.pid);
      // A new owner holds no pointer to a series that can expire until it says so (see expiry.ts).
      Atomics.store(record, at + LANE.ACKED, NOTHING_EXPIRING);
      return new Lane(file, id, claimCount);
    }
    throw new MpmetricsError(
      'MPM_ERR_TOO_MANY_WRITERS',
      `Heap ${file.path} has no free writer lane: all ${file.maxLanes} are held by live processes or threads; ` +
        'create the heap with a larger "maxLanes"',
      { path: file.path },
    );
  }

  /** Whether lane `id` is held by a live writer other than this thread's own lane holders. */
  static isHeld(file: HeapFile, id: number): boolean {
    return isByteLocked(file.fd, LOCK.LANES + id, true);
  }

  /** The claim count of lane `id`'s current owner: how many times the lane was ever claimed. */
  static claimCountOf(file: HeapFile, id: number): number {
    return Atomics.load(file.segments[0]!.u32, (file.header[H.LANE_TABLE]! * WORD + id * LANE.BYTES) / 4 + LANE.CLAIMS);
  }

  /** The sweep epoch lane `id`'s owner last acknowledged (see expiry.ts). */
  static ackedOf(file: HeapFile, id: number): number {
    return Atomics.load(file.segments[0]!.u32, (file.header[H.LANE_TABLE]! * WORD + id * LANE.BYTES) / 4 + LANE.ACKED);
  }

  /**
   * Says that this lane's owner holds no pointer to a series retired in sweep `sweepEpoch` or before (NOTHING_EXPIRING:
   * to no series that can expire).
   */
  acknowledgeSweep(sweepEpoch: number): void {
    Atomics.store(this.#record, this.#at + LANE.ACKED, sweepEpoch);
  }

  /**
   * Allocates `bytes` for a cell (zeroed, apart from its sequence word) from this lane's free cells (those of
   * expired series) or its arena (only this lane writes its arena pointers).
   */
  allocate(bytes: number): number {
    const words = Math.ceil(bytes / WORD);
    const reused = popCell(this.#file, this.id, words);
    if (reused !== 0) {
      const seg = this.#file.segmentOf(reused);
      const at = this.#file.offsetOf(reused);
      // Cleared as one update (an update its writer's death cut short left the sequence odd: it ends here too). The
      // grace period before reuse keeps scrapes of the expired series away by now; a reader that still came would
      // read the generation inside its seqlock window and see the update.
      // On the Atomics path the values go through Atomics too, as a writer's do (cells.ts).
      const seqAt = at * 2 + CELL.SEQ;
      const closed = ((seg.u32[seqAt]! + 1) & ~1) >>> 0;
      Atomics.store(seg.u32, seqAt, closed + 1);
      Atomics.store(seg.u32, at * 2 + CELL.NEXT, 0);
      Atomics.store(seg.u32, at * 2 + CELL.GENERATION, 0);
      if (ATOMIC_ORDER) for (let i = at + CELL.VALUES_BYTE / WORD; i < at + words; i++) storeDouble(seg.i32, i, 0);
      else seg.f64.fill(0, at + CELL.VALUES_BYTE / WORD, at + words);
      Atomics.store(seg.u32, seqAt, closed + 2);
      return reused;
    }
    const chunkBytes = Math.min(ARENA_CHUNK_BYTES, this.#file.segmentSize);
    if (bytes > chunkBytes / 2) return this.#file.allocate(bytes, true);
    const record = this.#record;
    let top = record[this.#at + LANE.ARENA_TOP]!;
    if (top === 0 || top + words > record[this.#at + LANE.ARENA_END]!) {
      top = this.#file.allocate(chunkBytes, true);
      // Top before end: killed between the two stores, the lane's next owner sees a top past the old end and
      // starts a fresh chunk, instead of handing out memory between the old top and the new end twice.
      record[this.#at + LANE.ARENA_TOP] = top + words;
      record[this.#at + LANE.ARENA_END] = top + chunkBytes / WORD;
      return top;
    }
    record[this.#at + LANE.ARENA_TOP] = top + words;
    return top;
  }

  release(): void {
    unlockByte(this.#file.fd, LOCK.LANES + this.id);
  }
}
