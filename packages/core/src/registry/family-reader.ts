// Reads a family's series out of the heap into plain numbers, for any process, whether or not it declared the
// family: the layout of every metric type's values is decided here and only here.
import { MpmetricsError } from '../errors.js';
import type { Heap, SeriesLayout } from '../heap/heap.js';
import { decodeExemplarLabels, type Exemplar } from '../metrics/exemplar.js';
import type { FamilyMeta } from '../metrics/family-meta.js';
import { readSummaryQuantiles, summaryLayout } from '../metrics/summary-sketch.js';

export interface SeriesSnapshot {
  /** Label values, in the family's label-name order. */
  readonly labels: readonly string[];
  /**
   * counter, gauge: [value]. histogram: [cumulative count per bucket, …, +Inf count, sum].
   * summary: [value per percentile, …, sum, count]. info: [1]. stateset: [1 or 0 per state, in declaration order].
   */
  readonly values: readonly number[];
  /** info: the labels last set with `info()`, [name, value] in the order given. */
  readonly info?: readonly (readonly [string, string])[];
  /** With exemplars: the latest exemplar of the counter, or of each histogram bucket (+Inf last), if any. */
  readonly exemplars?: readonly (Exemplar | undefined)[];
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
      return { valueWords: 1, sharedWords: 0, exemplarSlots: meta.exemplars === true ? 1 : 0 };
    case 'gauge':
      return { valueWords: 0, sharedWords: 1 };
    case 'histogram':
      // one count per bucket (not cumulative) including +Inf, then the sum; an exemplar slot per bucket
      return { valueWords: (meta.buckets?.length ?? 0) + 2, sharedWords: 0, exemplarSlots: meta.exemplars === true ? (meta.buckets?.length ?? 0) + 1 : 0 };
    case 'summary':
      return summaryLayout(meta);
    case 'info':
      // a pointer to the interned JSON of the info labels (0: none set), swapped atomically by info()
      return { valueWords: 0, sharedWords: 1 };
    case 'stateset':
      // the index of the current state
      return { valueWords: 0, sharedWords: 1 };
  }
}

/** The latest exemplar of each slot of a series; a slot whose labels do not decode (damage) has none. */
function readExemplars(heap: Heap, ptr: number): (Exemplar | undefined)[] {
  const slots = heap.exemplars(ptr);
  const out: (Exemplar | undefined)[] = [];
  for (let i = 0; i < slots.length; i++) {
    const stored = slots.read(i);
    const labels = stored === undefined ? undefined : decodeExemplarLabels(stored.labels);
    out.push(labels === undefined ? undefined : { labels, value: stored!.value, timestamp: stored!.timestamp });
  }
  return out;
}

const NO_INFO: readonly (readonly [string, string])[] = Object.freeze([]);

/** The info labels of a series: `cache` keeps them by interned record (its text never changes). */
function readInfo(heap: Heap, ptr: number, cache: Map<number, readonly string[]>): readonly (readonly [string, string])[] {
  const record = Number(heap.shared(ptr).getInt(0));
  if (record === 0) return NO_INFO;
  let flat = cache.get(record);
  if (flat === undefined) {
    const text = heap.internedText(record);
    let pairs: unknown;
    try {
      pairs = JSON.parse(text);
    } catch {
      pairs = undefined;
    }
    if (!Array.isArray(pairs) || !pairs.every((p) => Array.isArray(p) && p.length === 2 && typeof p[0] === 'string' && typeof p[1] === 'string')) {
      throw new MpmetricsError('MPM_ERR_HEAP_CORRUPT', `Heap file ${heap.file.path} is corrupt: info labels ${JSON.stringify(text.slice(0, 60))} are not label pairs`);
    }
    flat = (pairs as [string, string][]).flat();
    cache.set(record, flat);
  }
  const out: (readonly [string, string])[] = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}

/**
 * Every live series of a family, summed over all writers. `labelCache` keeps decoded label values by series
 * record between scrapes (a record's key never changes).
 */
export function readFamily(heap: Heap, familyPtr: number, name: string, meta: FamilyMeta, labelCache: Map<number, readonly string[]>): FamilySnapshot {
  const series: SeriesSnapshot[] = [];
  const layout = layoutOf(meta);
  heap.forEachSeries(familyPtr, (ptr, live) => {
    if (!live) return;
    let labels = labelCache.get(ptr);
    if (labels === undefined) {
      const found = heap.seriesLayout(ptr);
      // A record that does not have this family's layout is not a series we can read (damage): skip it.
      if (found.valueWords !== layout.valueWords || found.sharedWords !== layout.sharedWords || found.exemplarSlots !== (layout.exemplarSlots ?? 0)) return;
      labels = JSON.parse(heap.seriesKey(ptr)) as string[];
      labelCache.set(ptr, labels);
    }
    const values = readValues(heap, ptr, meta, layout);
    const created = heap.seriesCreated(ptr);
    // info records and series records are distinct records, so one cache keyed by record serves both
    if (meta.type === 'info') series.push({ labels, values, created, info: readInfo(heap, ptr, labelCache) });
    else if (meta.exemplars === true) series.push({ labels, values, created, exemplars: readExemplars(heap, ptr) });
    else series.push({ labels, values, created });
  });
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
    case 'info':
      return [1];
    case 'stateset': {
      const current = Number(heap.shared(ptr).getInt(0));
      return (meta.states ?? []).map((_, i) => (i === current ? 1 : 0));
    }
  }
}
