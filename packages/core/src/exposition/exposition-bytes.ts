// The exposition as it is written: UTF-8 bytes in a reused off-heap buffer, turned into a string once at the end,
// copied out, or lent as it is. Pieces that repeat (sample names, label sets, `le` values) are encoded once and
// copied as bytes, and counts are written as digits, so a series costs no string building. Building one string
// instead makes a rope of some 10 pieces a line that must be flattened and encoded again to be sent; measured in
// docs/benchmarks-journal.md.
import { isAscii } from 'node:buffer';
import { MpmetricsError } from '../errors.js';

/**
 * Writers free for the next scrape, each with its output buffer, warmest last. Memory this process has not touched
 * costs a page fault per 4 KB (about 10 µs on a VM), more than writing into it, so buffers are reused rather than
 * allocated per scrape; and the writers with them, since optimized code that wrote through a writer refers to it,
 * and is thrown away (deoptimized) by the first full collection after it died (journal, 2026-12-07). A writer is
 * in this list or held by one scrape or lease, never both: two scrapes never share a buffer.
 */
const free: ExpositionBytes[] = [];
/**
 * Free writers kept: enough for two scrapers at once (an HA pair of Prometheus servers); more are left to GC. The
 * memory held is up to two buffers of `capacity`, plus those still lent.
 */
const MAX_FREE = 2;
/** The smallest buffer made, and the least `capacity` comes back down to. */
const MIN_CAPACITY = 1 << 16;
/**
 * Scrapes in a row that must each use under a quarter of `capacity` before the buffers shrink: a flood of series
 * that passed gives its memory back within minutes of scrapes, while a size that merely wavers keeps its buffers.
 */
const SHRINK_AFTER = 8;
/** The size of a new buffer: the largest a recent scrape needed, so that growing is rare. */
let capacity = MIN_CAPACITY;
/** Scrapes in a row that used under a quarter of `capacity`, and the most any of them used. */
let smallRun = 0;
let smallRunMost = 0;

/**
 * Counts a scrape that wrote `used` bytes, when it ends (a lease's buffer may never come back), and shrinks the
 * buffers once scrapes stay much smaller than they are.
 */
function scrapeEnded(used: number): void {
  if (capacity > MIN_CAPACITY && used * 4 < capacity) {
    smallRunMost = Math.max(smallRunMost, used);
    if (++smallRun >= SHRINK_AFTER) {
      capacity = Math.max(MIN_CAPACITY, smallRunMost * 2);
      free.length = 0; // their buffers are left to GC; new writers get buffers of the new capacity
      smallRun = 0;
      smallRunMost = 0;
    }
  } else {
    smallRun = 0;
    smallRunMost = 0;
  }
}

/** Takes back a writer whose scrape ended; one larger than `capacity` (lent before a shrink) is not kept. */
function giveBack(writer: ExpositionBytes): void {
  if (free.length < MAX_FREE && writer.size <= capacity) free.push(writer);
}

const NEWLINE = 0x0a;
const MINUS = 0x2d;
const ZERO = 0x30;
const SPACE = 0x20;
const CLOSE_BRACE = 0x7d;

/** `text` as UTF-8 bytes, for a piece that is written many times. */
export function encoded(text: string): Uint8Array {
  return Buffer.from(text, 'utf8');
}

/** A lent buffer holding an exposition: `bytes` are the caller's until `release()` gives the buffer back. */
export interface ExpositionLease {
  /** The exposition as UTF-8. Reading it after `release()` throws MPM_ERR_LEASE_RELEASED. */
  readonly bytes: Buffer;
  /**
   * Gives the buffer back for a later scrape to write into. Call it only when nothing can read `bytes` any more;
   * a lease never released is collected by GC, so when in doubt, don't. For an HTTP response use @mpmetrics/http's
   * releaseWhenSent(res, lease) before sending: it takes `res.socket` first (Node detaches it by 'finish') and
   * releases on 'finish' only on a net.Socket (TLSSocket included) not destroyed by then. No socket: never
   * release; a connection that is not a net.Socket (an in-memory Duplex, HTTP/2's compatibility API): never, its
   * 'finish' may come before the bytes are read; a destroyed socket: don't; anything else that kept `bytes` (a
   * cache, a hook, a log): never. Calling it again does nothing.
   */
  release(): void;
}

const RELEASED = Buffer.alloc(0);

class PooledLease implements ExpositionLease {
  #writer: ExpositionBytes | undefined;
  #bytes: Buffer;

  constructor(writer: ExpositionBytes, bytes: Buffer) {
    this.#writer = writer;
    this.#bytes = bytes;
  }

  get bytes(): Buffer {
    if (this.#writer === undefined) {
      throw new MpmetricsError('MPM_ERR_LEASE_RELEASED', 'The bytes of this exposition lease were read after release(): its buffer may hold another scrape by now');
    }
    return this.#bytes;
  }

  release(): void {
    // once only: a buffer put back twice could be taken by two scrapes at once
    if (this.#writer === undefined) return;
    giveBack(this.#writer);
    this.#writer = undefined;
    this.#bytes = RELEASED; // a released lease kept by its caller holds no buffer: a shrink can let it go
  }
}

/**
 * One exposition being written, by a writer taken from the free list. Writing is synchronous from take() to the
 * one call that ends it (copy, lease or toString), so no other scrape can run in between.
 */
export class ExpositionBytes {
  #bytes = Buffer.allocUnsafe(capacity);
  #at = 0;

  /** A writer for a new exposition: a free one, or a new one with a buffer of `capacity`. */
  static take(): ExpositionBytes {
    const writer = free.pop() ?? new ExpositionBytes();
    writer.#at = 0;
    return writer;
  }

  /** Makes room for `n` more bytes. */
  #room(n: number): void {
    if (this.#at + n <= this.#bytes.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.#bytes.length * 2, this.#at + n));
    this.#bytes.copy(bigger, 0, 0, this.#at);
    this.#bytes = bigger; // the smaller one is left to GC
    capacity = Math.max(capacity, bigger.length);
  }

  bytes(piece: Uint8Array): void {
    // set(), not a byte loop: counted with valgrind, a loop over pieces of tens of bytes cost twice as much
    this.#room(piece.length);
    this.#bytes.set(piece, this.#at);
    this.#at += piece.length;
  }

  /** The size of this writer's buffer. */
  get size(): number {
    return this.#bytes.length;
  }

  /** Where the next byte goes: a mark for `again()`. */
  get position(): number {
    return this.#at;
  }

  /**
   * Writes again the bytes written from `start` to `end`: a series' sample name and labels, which begin each of
   * its bucket or quantile lines. One copy instead of two pieces: set() costs some 270 instructions a call, far
   * more than the few tens of bytes it copies (journal, 2026-12-07).
   */
  again(start: number, end: number): void {
    this.#room(end - start);
    this.#bytes.copyWithin(this.#at, start, end);
    this.#at += end - start;
  }

  /** Any text, as UTF-8 (a lone surrogate becomes U+FFFD, as Buffer.from writes it). */
  text(piece: string): void {
    const n = piece.length;
    // room for ASCII, one byte a code unit; the rest is measured when met: reserving 3 bytes a unit up front grew
    // the buffers, for good, to 3 times the size of a large appended exposition (`rest`)
    this.#room(n);
    const bytes = this.#bytes;
    let at = this.#at;
    for (let i = 0; i < n; i++) {
      const c = piece.charCodeAt(i);
      if (c >= 0x80) {
        const rest = piece.slice(i);
        this.#at = at;
        this.#room(Buffer.byteLength(rest, 'utf8'));
        this.#at += this.#bytes.write(rest, this.#at, 'utf8');
        return;
      }
      bytes[at++] = c;
    }
    this.#at = at;
  }

  newline(): void {
    this.#room(1);
    this.#bytes[this.#at++] = NEWLINE;
  }

  space(): void {
    this.#room(1);
    this.#bytes[this.#at++] = SPACE;
  }

  /** `} `: the end of a label set and the space before the value. */
  closeLabels(): void {
    this.#room(2);
    this.#bytes[this.#at++] = CLOSE_BRACE;
    this.#bytes[this.#at++] = SPACE;
  }

  /**
   * A sample value as JavaScript spells it shortest (String(value)), with the formats' words for the
   * non-finite: integers below 2^32 in magnitude, nearly every count, are written as digits without a string.
   */
  value(value: number): void {
    if (value < 4294967296 && value > -4294967296 && value === Math.floor(value)) {
      this.#room(11);
      const bytes = this.#bytes;
      let n = value;
      if (n < 0) {
        bytes[this.#at++] = MINUS;
        n = -n;
      }
      let digits = 1;
      for (let p = 10; p <= n; p *= 10) digits++;
      let at = this.#at + digits;
      this.#at = at;
      do {
        const q = (n / 10) >>> 0;
        bytes[--at] = ZERO + n - q * 10;
        n = q;
      } while (n > 0);
    } else if (Number.isFinite(value)) this.text(String(value));
    else this.text(Number.isNaN(value) ? 'NaN' : value > 0 ? '+Inf' : '-Inf');
  }

  /** A copy of the bytes written, for the caller to keep; the buffer goes back to the free list. */
  copy(): Buffer {
    const out = Buffer.allocUnsafe(this.#at);
    this.#bytes.copy(out, 0, 0, this.#at);
    scrapeEnded(this.#at);
    giveBack(this);
    return out;
  }

  /** The bytes written, in the buffer they were written to, lent to the caller until it releases them. */
  lease(): ExpositionLease {
    scrapeEnded(this.#at);
    return new PooledLease(this, this.#bytes.subarray(0, this.#at));
  }

  /** The bytes written, decoded once: as Latin-1 when they are all ASCII (the same string, decoded faster). */
  toString(): string {
    const written = this.#bytes.subarray(0, this.#at);
    const text = written.toString(isAscii(written) ? 'latin1' : 'utf8');
    scrapeEnded(this.#at);
    giveBack(this);
    return text;
  }
}
