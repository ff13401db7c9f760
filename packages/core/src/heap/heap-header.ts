// A heap's header: the options a new heap is made with, checked before anything is made; the header and empty
// family directory written into a new heap's first segment; and the checks an opener makes of a header before it
// trusts a single field (segment sizes, counts and lanes bound every later access, so damage there must be caught
// here, as MPM_ERR_HEAP_CORRUPT, not as a bare RangeError or a mapping past the file's end).
import { heapCorrupt, MpmetricsError, MpmetricsRangeError } from '../errors.js';
import { native } from '../native/addon.js';
import { DEFAULT_MAX_LANES, DEFAULT_SEGMENT_SIZE, FORMAT_VERSION, H, HEADER_BYTES, KIND_NODE, LANE, MAGIC, MAX_HEAP_BYTES, NODE, TAG, WORD } from './layout.js';
import type { SegmentViews } from './segments.js';

export interface HeapFileOptions {
  /** Bytes per segment: a power of two, a multiple of the page size. Fixed when the heap is created. */
  segmentSize?: number;
  /** Upper bound on the heap's size, in bytes. Fixed when the heap is created. */
  maxSize?: number;
  /** How many writers (processes and threads) may write at once. Fixed when the heap is created. */
  maxLanes?: number;
}

/** The machine's, from the addon; an in-process heap, which maps nothing, takes the usual 4 KiB. */
const pageSize = native?.pageSize() ?? 4096;

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

export function checkCreateOptions(options: HeapFileOptions): Required<HeapFileOptions> {
  const segmentSize = options.segmentSize ?? DEFAULT_SEGMENT_SIZE;
  const maxLanes = options.maxLanes ?? DEFAULT_MAX_LANES;
  const maxSize = options.maxSize ?? MAX_HEAP_BYTES;
  if (!isPowerOfTwo(segmentSize) || segmentSize < pageSize || segmentSize > 2 ** 30) {
    throw new MpmetricsRangeError(
      `"segmentSize" must be a power of two from the page size (${pageSize}) to 1 GiB, received ${String(segmentSize)}`,
    );
  }
  if (!Number.isInteger(maxLanes) || maxLanes < 1 || maxLanes > 65536) {
    throw new MpmetricsRangeError(`"maxLanes" must be an integer from 1 to 65536, received ${String(maxLanes)}`);
  }
  if (HEADER_BYTES + maxLanes * LANE.BYTES + NODE.BYTES > segmentSize) {
    throw new MpmetricsRangeError(
      `"segmentSize" of ${segmentSize} bytes cannot hold the header and a lane table of ${maxLanes} lanes; ` +
        `use a larger segmentSize or fewer maxLanes`,
    );
  }
  if (!Number.isInteger(maxSize) || maxSize < segmentSize || maxSize > MAX_HEAP_BYTES) {
    throw new MpmetricsRangeError(
      `"maxSize" must be an integer from segmentSize (${segmentSize}) to ${MAX_HEAP_BYTES} bytes, received ${String(maxSize)}`,
    );
  }
  return { segmentSize, maxLanes, maxSize };
}

/** Throws MPM_ERR_HEAP_MAGIC, MPM_ERR_HEAP_VERSION or MPM_ERR_HEAP_CORRUPT unless header `h` of `file` holds together. */
export function checkHeader(file: string, h: Uint32Array): void {
  if (h[H.MAGIC] !== MAGIC) {
    throw new MpmetricsError('MPM_ERR_HEAP_MAGIC', `${file} is not an mpmetrics heap (its first bytes are not the heap magic "MPMH")`, {
      path: file,
    });
  }
  if (h[H.VERSION] !== FORMAT_VERSION) {
    throw new MpmetricsError(
      'MPM_ERR_HEAP_VERSION',
      `Heap file ${file} has format version ${h[H.VERSION]}, this @mpmetrics/core reads version ${FORMAT_VERSION}; ` +
        'processes sharing a heap must run compatible versions of @mpmetrics/core',
      { path: file },
    );
  }
  const segmentSize = h[H.SEGMENT_SIZE]!;
  const maxSegments = h[H.MAX_SEGMENTS]!;
  const count = h[H.SEGMENT_COUNT]!;
  if (h[H.HEADER_BYTES] !== HEADER_BYTES) throw heapCorrupt(file, `header size ${h[H.HEADER_BYTES]} is not ${HEADER_BYTES}`);
  if (h[H.PAGE_SIZE] !== pageSize) {
    throw heapCorrupt(file, `it was made for a page size of ${h[H.PAGE_SIZE]} bytes, this machine's is ${pageSize}`);
  }
  if (!isPowerOfTwo(segmentSize) || segmentSize < pageSize || segmentSize > 2 ** 30) {
    throw heapCorrupt(file, `segment size ${segmentSize} is not a power of two between the page size and 1 GiB`);
  }
  if (maxSegments < 1 || maxSegments * segmentSize > MAX_HEAP_BYTES) throw heapCorrupt(file, `maximum segment count ${maxSegments} is out of range`);
  if (count < 1 || count > maxSegments) throw heapCorrupt(file, `segment count ${count} is outside 1..${maxSegments}`);
  const pending = h[H.PENDING_SEGMENTS]!;
  // at or below the count it is a growth finished by others, whose grower died before it took its mark back
  if (pending > maxSegments) throw heapCorrupt(file, `pending segment count ${pending} is out of range`);
  const maxLanes = h[H.MAX_LANES]!;
  if (maxLanes < 1 || maxLanes > 65536 || HEADER_BYTES + maxLanes * LANE.BYTES > segmentSize) {
    throw heapCorrupt(file, `lane count ${maxLanes} does not fit its first segment`);
  }
  if (h[H.LANE_HIGH]! > maxLanes) throw heapCorrupt(file, `lane high-water mark ${h[H.LANE_HIGH]} exceeds ${maxLanes} lanes`);
}

/** Writes the header and the empty family directory of a new heap into its first segment. */
export function writeHeader(first: SegmentViews, settings: Required<HeapFileOptions>, truncated: boolean): void {
  const h = first.u32;
  const laneTable = HEADER_BYTES / WORD;
  const root = laneTable + (settings.maxLanes * LANE.BYTES) / WORD;
  h[H.MAGIC] = MAGIC;
  h[H.VERSION] = FORMAT_VERSION;
  h[H.HEADER_BYTES] = HEADER_BYTES;
  h[H.PAGE_SIZE] = pageSize;
  h[H.SEGMENT_SIZE] = settings.segmentSize;
  h[H.MAX_SEGMENTS] = Math.floor(settings.maxSize / settings.segmentSize);
  h[H.SEGMENT_COUNT] = 1;
  h[H.MAX_LANES] = settings.maxLanes;
  h[H.LANE_TABLE] = laneTable;
  h[H.FAMILY_ROOT] = root;
  h[H.ALLOC_TOP] = root + NODE.BYTES / WORD;
  h[H.CREATOR_PID] = process.pid;
  h[H.GROW_BY_TRUNCATE] = truncated ? 1 : 0;
  first.f64[H.CREATED_F64] = Date.now();
  h[root * 2] = TAG | KIND_NODE;
}
