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
  readonly values: readonly number[];
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

/**
 * Every live series of a family, oldest first, summed over all writers. `labelCache` keeps decoded label values by series
 * record between scrapes (a record's key never changes).
 */
export function readFamily(heap: Heap, familyPtr: number, name: string, meta: FamilyMeta, labelCache: Map<number, readonly string[]>): FamilySnapshot {
  const series: SeriesSnapshot[] = [];
  const layout = layoutOf(meta);
  const live: number[] = [];
  heap.forEachSeries(familyPtr, (ptr, isLive) => {
    if (isLive) live.push(ptr);
  });
  // In creation order, as prom-client lists label sets (the directory's own order is by hash): series records are
  // allocated by bumping one shared top, so a lower pointer is an older series, whichever process made it.
  live.sort((a, b) => a - b);
  for (const ptr of live) {
    let labels = labelCache.get(ptr);
    if (labels === undefined) {
      const found = heap.seriesLayout(ptr);
      // A record that does not have this family's layout is not a series we can read (damage): skip it.
      if (found.valueWords !== layout.valueWords || found.sharedWords !== layout.sharedWords) continue;
      labels = JSON.parse(heap.seriesKey(ptr)) as string[];
      labelCache.set(ptr, labels);
    }
    series.push({ labels, values: readValues(heap, ptr, meta, layout), created: heap.seriesCreated(ptr) });
  }
  return { name, meta, series };
}

function readValues(heap: Heap, ptr: number, meta: FamilyMeta, layout: SeriesLayout): number[] {
  switch (meta.type) {
    case 'counter':
      return heap.read(ptr, [0]);
    case 'gauge':
      return [heap.shared(ptr).getFloat(0)];
    case 'histogram': {
      // cells hold one count per bucket; exported buckets are cumulative, then the sum
      const values = heap.read(ptr, new Array<number>(layout.valueWords).fill(0));
      const buckets = layout.valueWords - 1;
      const sum = values[buckets]!;
      for (let i = 1; i < buckets; i++) values[i]! += values[i - 1]!;
      values[buckets] = sum;
      return values;
    }
    case 'summary':
      return readSummaryQuantiles(heap, ptr, meta);
  }
}
