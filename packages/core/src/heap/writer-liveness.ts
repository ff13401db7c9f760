// Whether the writer that owns a value is still alive, for values that belong to one writer rather than to its
// lane (per-process gauge values). A writer is alive while it holds its lane's lock, and the lane has not been
// claimed again since it wrote (the value's claim count is the lane's current one). The lock is the kernel's word on
// it: it is released when the owner exits, is killed, or closes the heap, whatever its pid was and whoever has
// that pid now, so neither a pid that was reused nor a process that closed its heap but lives on can fool it.
import type { HeapFile } from './heap-file.js';
import { Lane } from './lanes.js';

const UNKNOWN = -2;
const FREE = -1;

export class WriterLiveness {
  readonly #file: HeapFile;
  readonly #own: Lane | undefined;
  /** Per lane: UNKNOWN, FREE, or the claim count of its live owner. Asked once per lane (one fcntl) per instance. */
  #held = new Float64Array(0);

  /** `own` is this thread's lane: the lock test cannot see our own lock (it asks whether someone else holds it). */
  constructor(file: HeapFile, own: Lane | undefined) {
    this.#file = file;
    this.#own = own;
  }

  /** Whether the owner of lane `lane` by claim `claimCount` is alive now. */
  isAlive(lane: number, claimCount: number): boolean {
    const own = this.#own;
    if (own !== undefined && own.id === lane) return own.claimCount === claimCount;
    if (lane >= this.#file.maxLanes) return false;
    if (this.#held.length <= lane) {
      const grown = new Float64Array(Math.min(this.#file.maxLanes, Math.max(lane + 1, this.#held.length * 2, 16))).fill(UNKNOWN);
      grown.set(this.#held);
      this.#held = grown;
    }
    let held = this.#held[lane]!;
    if (held === UNKNOWN) {
      // The lock, then the claim count: a new owner bumps it right after it takes the lock (lanes.ts), so the
      // only moment an earlier owner's value can pass for live is that gap of a few instructions.
      held = Lane.isHeld(this.#file, lane) ? Lane.claimCountOf(this.#file, lane) : FREE;
      this.#held[lane] = held;
    }
    return held === claimCount;
  }
}
