// Typed views over one mapped segment. Each process keeps its segments' ArrayBuffers referenced for as long as
// the heap object lives (and typed arrays handed out keep theirs): a mapping is only unmapped when collected,
// so nothing can touch memory that was unmapped under it.

export interface SegmentViews {
  readonly buffer: ArrayBuffer;
  readonly u8: Uint8Array;
  readonly u32: Uint32Array;
  /** For Atomics on the Atomics memory-order path: V8 stores an int32 there faster than a uint32 above 2^31. */
  readonly i32: Int32Array;
  readonly f64: Float64Array;
  readonly i64: BigInt64Array;
}

export function segmentViews(buffer: ArrayBuffer): SegmentViews {
  return {
    buffer,
    u8: new Uint8Array(buffer),
    u32: new Uint32Array(buffer),
    i32: new Int32Array(buffer),
    f64: new Float64Array(buffer),
    i64: new BigInt64Array(buffer),
  };
}
