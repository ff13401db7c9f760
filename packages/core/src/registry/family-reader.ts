// Reads a family's series out of the heap into plain numbers, for any process, whether or not it declared the
// family: the layout of every metric type's values is decided here and only here.
import type { Heap, SeriesLayout } from '../heap/heap.js';
import type { FamilyMeta } from '../metrics/family-meta.js';
import { readSummaryQuantiles, summaryLayout } from '../metrics/summary-sketch.js';

export interface SeriesSnapshot {
  /** Label values, in the family's label-name order. */
  readonly labels: readonly string[];
  /**
   * counter, gauge: [value]. histogram: [cumulative count per bucket, …, +Inf count, sum].
   * summary: [value per percentile, …, sum, count].
   */
  readonly values: Float64Array;
  /** Unix seconds when the series was created or last reset. */
  readonly created: number;
}

export interface FamilySnapshot {
  readonly name: string;
  readonly meta: FamilyMeta;
  readonly series: SeriesSnapshot[];
}

/** Where a series of this family keeps its values. */
export function layoutOf(meta: FamilyMeta): SeriesLayout {
  switch (meta.type) {
    case 'counter':
      return { valueWords: 1, sharedWords: 0 };
    case 'gauge':
      return { valueWords: 0, sharedWords: 1 };
    case 'histogram':
      // one count per bucket (not cumulative) including +Inf, then the sum
      return { valueWords: (meta.buckets?.length ?? 0) + 2, sharedWords: 0 };
    case 'summary':
      return summaryLayout(meta);
  }
}

const scratch = new Map<number, Float64Array>();
function scratchOf(length: number): Float64Array {
  let buffer = scratch.get(length);
  if (buffer === undefined) scratch.set(length, (buffer = new Float64Array(length)));
  return buffer;
}

/**
 * Every live series of a family, summed over all writers. `labelCache` keeps decoded label values by series
 * record between scrapes (a record's key never changes).
 */
export function readFamily(heap: Heap, familyPtr: number, name: string, meta: FamilyMeta, labelCache: Map<number, readonly string[]>): FamilySnapshot {
  const series: SeriesSnapshot[] = [];
  const layout = layoutOf(meta);
  for (const record of heap.seriesOf(familyPtr)) {
    if (!record.live || record.valueWords !== layout.valueWords || record.sharedWords !== layout.sharedWords) continue;
    let labels = labelCache.get(record.ptr);
    if (labels === undefined) {
      labels = JSON.parse(record.key) as string[];
      labelCache.set(record.ptr, labels);
    }
    series.push({ labels, values: readValues(heap, record.ptr, meta, layout), created: record.createdAt });
  }
  return { name, meta, series };
}

function readValues(heap: Heap, ptr: number, meta: FamilyMeta, layout: SeriesLayout): Float64Array {
  switch (meta.type) {
    case 'counter':
      return heap.read(ptr, new Float64Array(1));
    case 'gauge':
      return Float64Array.of(heap.shared(ptr).getFloat(0));
    case 'histogram': {
      const raw = heap.read(ptr, scratchOf(layout.valueWords));
      const buckets = layout.valueWords - 1;
      const out = new Float64Array(buckets + 1);
      let cumulative = 0;
      for (let i = 0; i < buckets; i++) out[i] = cumulative += raw[i]!;
      out[buckets] = raw[buckets]!;
      return out;
    }
    case 'summary':
      return readSummaryQuantiles(heap, ptr, meta, layout);
  }
}
