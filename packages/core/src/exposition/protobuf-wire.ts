// The protocol buffers wire format, as much of it as the Prometheus exposition needs: varints (zigzag for sint
// fields), little-endian doubles, and length-delimited strings and messages. A message's length is written in
// front of it once it is complete (its bytes move up by the length's size): no size pass, no nested buffers.
const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH = 2;

const encoder = new TextEncoder();

export class ProtoWriter {
  #bytes = new Uint8Array(64 * 1024);
  #view = new DataView(this.#bytes.buffer);
  #at = 0;

  /** Starts over, keeping the buffer: a scrape writes into the memory the last one used, not fresh pages. */
  reset(): void {
    this.#at = 0;
  }

  /** The bytes written so far (a view: valid until the next write). */
  get bytes(): Uint8Array {
    return this.#bytes.subarray(0, this.#at);
  }

  #room(n: number): void {
    if (this.#at + n <= this.#bytes.length) return;
    const grown = new Uint8Array(Math.max(this.#bytes.length * 2, this.#at + n));
    grown.set(this.#bytes.subarray(0, this.#at));
    this.#bytes = grown;
    this.#view = new DataView(grown.buffer);
  }

  /**
   * A varint of a whole number from 0 to 2^53 (counts, lengths, zigzagged keys). Anything else, which only a
   * damaged heap gives, is clamped into that range: one bad count must not make the whole scrape unreadable.
   */
  varint(n: number): void {
    if (!(n >= 0)) n = 0;
    else if (n > Number.MAX_SAFE_INTEGER) n = Number.MAX_SAFE_INTEGER;
    else n = Math.floor(n);
    this.#room(10);
    const bytes = this.#bytes;
    while (n >= 0x80) {
      bytes[this.#at++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    bytes[this.#at++] = n;
  }

  #tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  /** A uint64/uint32/int64 field holding a whole number ≥ 0. */
  uintField(field: number, n: number): void {
    this.#tag(field, WIRE_VARINT);
    this.varint(n);
  }

  /** An sint32/sint64 field (zigzag: 0, −1, 1, −2 … as 0, 1, 2, 3 …). */
  sintField(field: number, n: number): void {
    this.#tag(field, WIRE_VARINT);
    this.varint(n >= 0 ? n * 2 : -n * 2 - 1);
  }

  doubleField(field: number, value: number): void {
    this.#tag(field, WIRE_FIXED64);
    this.#room(8);
    this.#view.setFloat64(this.#at, value, true);
    this.#at += 8;
  }

  stringField(field: number, text: string): void {
    this.#tag(field, WIRE_LENGTH);
    // at most 3 bytes per UTF-16 unit: encoded in place after a length that is moved if its guess was wrong
    this.#room(5 + text.length * 3);
    const start = this.#at;
    this.#at += 1; // a one-byte length, the usual case
    const { written } = encoder.encodeInto(text, this.#bytes.subarray(this.#at));
    this.#at += written;
    this.#closeLength(start, written);
  }

  /** Starts a message field: returns the mark end() takes. */
  begin(field: number): number {
    this.#tag(field, WIRE_LENGTH);
    this.#room(1);
    return this.#at++; // room for a one-byte length
  }

  /** Closes the message begun at `mark`, writing its length in front of it. */
  end(mark: number): void {
    this.#closeLength(mark, this.#at - mark - 1);
  }

  /** Starts a length-delimited top-level message (the stream's own framing, without a tag). */
  beginDelimited(): number {
    this.#room(1);
    return this.#at++;
  }

  /** Drops everything from the message begun at `mark` on. */
  rewind(mark: number): void {
    this.#at = mark;
  }

  /** Writes `length` at `mark`, where one byte was kept for it, moving the bytes after it up when it needs more. */
  #closeLength(mark: number, length: number): void {
    let size = 1;
    for (let n = length; n >= 0x80; n = Math.floor(n / 0x80)) size++;
    if (size > 1) {
      this.#room(size - 1);
      this.#bytes.copyWithin(mark + size, mark + 1, this.#at);
      this.#at += size - 1;
    }
    const end = this.#at;
    this.#at = mark;
    this.varint(length);
    this.#at = end;
  }
}
