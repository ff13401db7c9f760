// The exposition as it is written: UTF-8 bytes in one reused off-heap buffer, turned into a string once, at the
// end. Pieces that repeat (sample names, label sets, `le` values) are encoded once and copied as bytes, and counts
// are written as digits, so a series costs no string building. Building one string instead makes a rope of some
// 10 pieces a line that must be flattened and encoded again to be sent; measured in docs/benchmarks-journal.md.
import { isAscii } from 'node:buffer';

/** The output buffer, reused by the next scrape: it keeps the size the last one needed. */
let scratch = Buffer.allocUnsafe(1 << 16);

const NEWLINE = 0x0a;
const MINUS = 0x2d;
const ZERO = 0x30;
const SPACE = 0x20;

/** `text` as UTF-8 bytes, for a piece that is written many times. */
export function encoded(text: string): Uint8Array {
  return Buffer.from(text, 'utf8');
}

export class ExpositionBytes {
  #bytes = scratch;
  #at = 0;

  /** Makes room for `n` more bytes. */
  #room(n: number): void {
    if (this.#at + n <= this.#bytes.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.#bytes.length * 2, this.#at + n));
    this.#bytes.copy(bigger, 0, 0, this.#at);
    this.#bytes = scratch = bigger;
  }

  bytes(piece: Uint8Array): void {
    // set(), not a byte loop: counted with valgrind, a loop over pieces of tens of bytes cost twice as much
    this.#room(piece.length);
    this.#bytes.set(piece, this.#at);
    this.#at += piece.length;
  }

  /** Any text, as UTF-8 (a lone surrogate becomes U+FFFD, as Buffer.from writes it). */
  text(piece: string): void {
    const n = piece.length;
    this.#room(n * 3);
    const bytes = this.#bytes;
    let at = this.#at;
    for (let i = 0; i < n; i++) {
      const c = piece.charCodeAt(i);
      if (c >= 0x80) {
        this.#at += bytes.write(piece, this.#at, 'utf8');
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

  /** A copy of the bytes written, for the caller to keep (the buffer is the next scrape's). */
  copy(): Buffer {
    const out = Buffer.allocUnsafe(this.#at);
    this.#bytes.copy(out, 0, 0, this.#at);
    return out;
  }

  /** The bytes written, decoded once: as Latin-1 when they are all ASCII (the same string, decoded faster). */
  toString(): string {
    const written = this.#bytes.subarray(0, this.#at);
    return written.toString(isAscii(written) ? 'latin1' : 'utf8');
  }
}
