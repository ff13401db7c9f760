// Keys (family names, encoded label values) are compared as UTF-8 bytes inside the heap. Encoding happens once per
// new key in a process (then the metric caches its series), so a reused scratch buffer is enough.

import { MpmetricsRangeError } from '../errors.js';
import type { DirectoryKey } from './directory.js';

/** The longest key the heap takes: a name or a label set is never anywhere near it. */
const MAX_KEY_BYTES = 64 * 1024;
const encoder = new TextEncoder();
const decoder = new TextDecoder();
let scratch = new Uint8Array(256);

/** UTF-8 bytes of `text` in a shared scratch buffer: valid until the next call. */
export function encodeKey(text: string): Uint8Array {
  if (text.length * 3 > scratch.length) scratch = new Uint8Array(text.length * 3);
  const { written } = encoder.encodeInto(text, scratch);
  return scratch.subarray(0, written);
}

export function decodeKey(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/** FNV-1a, 32 bits: spreads keys over the trie's 16-way levels. */
export function hashKey(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** `text` as a directory key, or a RangeError naming `what` when it is too long. */
export function directoryKey(text: string, what: string): DirectoryKey {
  const bytes = encodeKey(text);
  if (bytes.length > MAX_KEY_BYTES) {
    throw new MpmetricsRangeError(`${what} must encode to at most ${MAX_KEY_BYTES} bytes of UTF-8, received ${bytes.length} bytes`);
  }
  return { bytes, hash: hashKey(bytes) };
}
