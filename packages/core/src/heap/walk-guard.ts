// Every list in the heap can be damaged by another process. A walk bounded only by the heap's size would spin for
// minutes on a loop in a 32 GiB heap, so each list walk also detects loops (Brent's algorithm: a loop is seen
// within about two laps of it) and stops at the longest list the layout allows.

/**
 * One walk of a linked list: `start` it, then ask `stops(next)` at every link followed. Make one per walk: walks
 * nest (a visit may walk another list), so a shared one would be restarted under its caller.
 */
export class ListWalk {
  #mark = 0;
  #lap = 1;
  #steps = 0;
  #taken = 0;
  #limit = 0;

  /** Starts a walk at `head`, allowing at most `limit` links. */
  start(head: number, limit: number): this {
    this.#mark = head;
    this.#lap = 1;
    this.#steps = 0;
    this.#taken = 0;
    this.#limit = limit;
    return this;
  }

  /** True when following a link to `next` closes a loop, or makes the list longer than the layout allows. */
  stops(next: number): boolean {
    if (next === 0) return false;
    if (next === this.#mark || ++this.#taken > this.#limit) return true;
    if (++this.#steps === this.#lap) {
      this.#mark = next;
      this.#lap *= 2;
      this.#steps = 0;
    }
    return false;
  }
}

/**
 * The most records a heap whose allocation top is `top` (in words) can hold, so the most steps any walk of its
 * records can take: no record is smaller than a leaf header (5 words).
 */
export function maxRecords(top: number): number {
  return Math.ceil(top / 5);
}
