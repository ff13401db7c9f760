// Typed views over one mapped segment. Each process keeps its segments' ArrayBuffers referenced for as long as
// the heap object lives (and typed arrays handed out keep theirs): a mapping is only unmapped when collected,
// so nothing can touch memory that was unmapped under it.

export interface SegmentViews {
  /** A mapped segment's own buffer, or (in-process heaps) the heap's whole buffer, the views starting at the segment. */
  readonly buffer: ArrayBufferLike;
  readonly u8: Uint8Array;
  readonly u32: Uint32Array;
  /** For Atomics on the Atomics memory-order path: V8 stores an int32 there faster than a uint32 above 2^31. */
  readonly i32: Int32Array;
  readonly f64: Float64Array;
  readonly i64: BigInt64Array;
}

/** Views of `length` bytes of `buffer` from `offset` (by default, all of it). */
export function segmentViews(buffer: ArrayBufferLike, offset = 0, length = buffer.byteLength - offset): SegmentViews {
  return {
    buffer,
    u8: new Uint8Array(buffer, offset, length),
    u32: new Uint32Array(buffer, offset, length / 4),
    i32: new Int32Array(buffer, offset, length / 4),
    f64: new Float64Array(buffer, offset, length / 8),
    i64: new BigInt64Array(buffer, offset, length / 8),
  };
}
