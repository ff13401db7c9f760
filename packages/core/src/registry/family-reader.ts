// Reads a family's series out of the heap into plain numbers, for any process, whether or not it declared the
// family: the layout of every metric type's values is decided here and only here.
import type { Heap, SeriesLayout } from '../heap/heap.js';
import { PROCESS_CELL } from '../heap/layout.js';
import { multiprocessModeOf, type FamilyMeta } from '../metrics/family-meta.js';
import { isPerProcess } from '../metrics/multiprocess-mode.js';
import { readSummaryQuantiles, summaryLayout } from '../metrics/summary-sketch.js';
import { exportedMeta, readProcessGauge } from './process-gauge-reader.js';

export interface SeriesSnapshot {
  /** Label values, in the order of the snapshot meta's label names (a gauge in mode 'all' adds "pid" last). */
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
  /** The family's declaration, as exported: a gauge in mode 'all' or 'liveall' has "pid" last in labelNames. */
  readonly meta: FamilyMeta;
  readonly series: SeriesSnapshot[];
}

/** Where a series of this family keeps its values. */
export function layoutOf(meta: FamilyMeta): SeriesLayout {
  switch (meta.type) {
    case 'counter':
      return { valueWords: 1, sharedWords: 0 };
    case 'gauge':
      // one shared value; or per process: each writer's own cell (value, has-value mark, owner)
      return isPerProcess(multiprocessModeOf(meta)!) ? { valueWords: PROCESS_CELL.WORDS, sharedWords: 0 } : { valueWords: 0, sharedWords: 1 };
    case 'histogram':
      // one count per bucket (not cumulative) including +Inf, then the sum
      return { valueWords: (meta.buckets?.length ?? 0) + 2, sharedWords: 0 };
    case 'summary':
      return summaryLayout(meta);
  }
}

/**
 * Every live series of a family, summed over all writers. `labelCache` keeps decoded label values by series
 * record between scrapes (a record's key never changes).
 */
export function readFamily(heap: Heap, familyPtr: number, name: string, meta: FamilyMeta, labelCache: Map<number, readonly string[]>): FamilySnapshot {
  const series: SeriesSnapshot[] = [];
  const layout = layoutOf(meta);
  const mode = multiprocessModeOf(meta);
  const perProcess = mode !== undefined && isPerProcess(mode);
  const liveness = perProcess ? heap.writerLiveness() : undefined;
  heap.forEachSeries(familyPtr, (ptr, live) => {
    if (!live) return;
    let labels = labelCache.get(ptr);
    if (labels === undefined) {
      const found = heap.seriesLayout(ptr);
      // A record that does not have this family's layout is not a series we can read (damage): skip it.
      if (found.valueWords !== layout.valueWords || found.sharedWords !== layout.sharedWords) return;
      labels = JSON.parse(heap.seriesKey(ptr)) as string[];
      labelCache.set(ptr, labels);
    }
    if (perProcess) readProcessGauge(heap, ptr, labels, mode, liveness!, series);
    else series.push({ labels, values: readValues(heap, ptr, meta, layout), created: heap.seriesCreated(ptr) });
  });
  return { name, meta: mode === undefined ? meta : exportedMeta(meta, mode), series };
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
