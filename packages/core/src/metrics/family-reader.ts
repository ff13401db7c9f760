// Reads a family's series out of the heap into plain numbers, for any process, whether or not it declared the
// family: the layout of every metric type's values is decided here and only here.
import { heapCorrupt } from '../errors.js';
import type { Heap } from '../heap/heap.js';
import type { SeriesLayout } from '../heap/series-store.js';
import type { WriterLiveness } from '../heap/writer-liveness.js';
import { PROCESS_CELL } from '../heap/layout.js';
import { decodeExemplarLabels, type Exemplar } from './exemplar.js';
import { multiprocessModeOf, type FamilyMeta } from './family-meta.js';
import type { SeriesLabels } from './label-tree.js';
import { isPerProcess } from './multiprocess-mode.js';
import { readSummaryQuantiles, summaryLayout } from './summary-sketch.js';
import { exportedMeta, readProcessGauge } from './process-gauge-reader.js';

/**
 * What one scrape may spend, in all, waiting for writers caught mid-update (see Heap.readWithin): a live writer
 * finishes an update in nanoseconds, so this is only ever spent on one descheduled on a starved machine, stopped,
 * or dead but not yet seen so; past it, cells are taken as they are.
 */
export const SCRAPE_READ_BUDGET_MS = 250;

export interface SeriesSnapshot {
  /**
   * Label values, in the order of the snapshot meta's label names (a gauge in mode 'all' adds "pid" last); null
   * for a label the label set left out, which is then absent from the series' samples.
   */
  readonly labels: SeriesLabels;
  /**
   * counter, gauge: [value]. histogram: [cumulative count per bucket, …, +Inf count, sum].
   * summary: [value per percentile, …, sum, count]. info: [1]. stateset: [1 or 0 per state, in declaration order].
   */
  readonly values: readonly number[];
  /** info: the labels last set with `info()`, [name, value] in the order given. */
  readonly info?: readonly (readonly [string, string])[];
  /** summary: true when its window holds no observation (its quantiles are then 0). */
  readonly windowEmpty?: boolean;
  /** With exemplars: the latest exemplar of the counter, or of each histogram bucket (+Inf last), if any. */
  readonly exemplars?: readonly (Exemplar | undefined)[];
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
      return { valueWords: 1, sharedWords: 0, exemplarSlots: meta.exemplars === true ? 1 : 0 };
    case 'gauge':
      // one shared value; or per process: each writer's own cell (value, has-value mark, owner)
      return isPerProcess(multiprocessModeOf(meta)!) ? { valueWords: PROCESS_CELL.WORDS, sharedWords: 0 } : { valueWords: 0, sharedWords: 1 };
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
function readExemplars(heap: Heap, ptr: number, layout: SeriesLayout): (Exemplar | undefined)[] {
  const slots = heap.exemplars(ptr, layout);
  const out: (Exemplar | undefined)[] = [];
  for (let i = 0; i < slots.length; i++) {
    const stored = slots.read(i);
    const labels = stored === undefined ? undefined : decodeExemplarLabels(stored.labels);
    out.push(labels === undefined ? undefined : { labels, value: stored!.value, timestamp: stored!.timestamp });
  }
  return out;
}

const NO_INFO: readonly (readonly [string, string])[] = Object.freeze([]);

/**
 * Label values decoded from a series record, kept between scrapes with the record's generation: a reset, or the
 * reuse of the record for another label set after its series expired, changes it.
 */
export interface CachedLabels {
  readonly labels: SeriesLabels;
  readonly generation: number;
}

/** The info labels of a series: `cache` keeps them by interned record (its text never changes). */
function readInfo(heap: Heap, ptr: number, cache: Map<number, CachedLabels>): readonly (readonly [string, string])[] {
  const record = Number(heap.shared(ptr).getInt(0));
  if (record === 0) return NO_INFO;
  let flat = cache.get(record)?.labels;
  if (flat === undefined) {
    const text = heap.internedText(record);
    let pairs: unknown;
    try {
      pairs = JSON.parse(text);
    } catch {
      pairs = undefined;
    }
    if (!Array.isArray(pairs) || !pairs.every((p) => Array.isArray(p) && p.length === 2 && typeof p[0] === 'string' && typeof p[1] === 'string')) {
      throw heapCorrupt(heap.file.path, `info labels ${JSON.stringify(text.slice(0, 60))} are not label pairs`);
    }
    flat = (pairs as [string, string][]).flat();
    cache.set(record, { labels: flat, generation: 0 });
  }
  const out: (readonly [string, string])[] = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i] as string, flat[i + 1] as string]);
  return out;
}

/** What a reader of one family keeps between scrapes: decoded label values by record, and the last creation order. */
export class FamilyReadCache {
  readonly labels = new Map<number, CachedLabels>();
  /** The records of the last read in walk order, and the order that sorted them (undefined: they were sorted). */
  records: readonly number[] = [];
  order: readonly number[] | undefined;
}

/** Every live series of a family, summed over all writers. `cache` keeps decoded label values between scrapes. */
export function readFamily(heap: Heap, familyPtr: number, name: string, meta: FamilyMeta, cache: FamilyReadCache): FamilySnapshot {
  const labelCache = cache.labels;
  const series: SeriesSnapshot[] = [];
  const records: number[] = [];
  const layout = layoutOf(meta);
  const mode = multiprocessModeOf(meta);
  const perProcess = mode !== undefined && isPerProcess(mode);
  const liveness = perProcess ? heap.writerLiveness() : undefined;
  // series of a family with a TTL may be retired and their records reused: not before this reader is done
  if (meta.ttlSeconds !== undefined) heap.holdExpiringSeries();
  heap.forEachSeries(familyPtr, (ptr, live) => {
    if (!live) return;
    const generation = heap.seriesGeneration(ptr);
    let labels = labelCache.get(ptr)?.labels;
    if (labels === undefined || labelCache.get(ptr)!.generation !== generation) {
      labels = decodeSeries(heap, ptr, layout, meta.labelNames.length) ?? DAMAGED;
      if (labels === DAMAGED) warnDamaged(name, ptr);
      labelCache.set(ptr, { labels, generation });
    }
    if (labels === DAMAGED) return;
    const before = series.length;
    try {
      readSeries(heap, ptr, labels, meta, layout, labelCache, series, records, liveness);
    } catch (error) {
      // a series whose cells are damaged (a cell list that loops) is left out like one whose record is
      if ((error as { code?: unknown }).code !== 'MPM_ERR_HEAP_CORRUPT') throw error;
      series.length = before;
      records.length = before;
      warnDamaged(name, ptr);
      labelCache.set(ptr, { labels: DAMAGED, generation });
    }
  });
  return { name, meta: mode === undefined ? meta : exportedMeta(meta, mode), series: inCreationOrder(series, records, cache) };
}

/** Appends the snapshot(s) of one live series (and its record, once per snapshot) to `series` and `records`. */
function readSeries(
  heap: Heap,
  ptr: number,
  labels: SeriesLabels,
  meta: FamilyMeta,
  layout: SeriesLayout,
  labelCache: Map<number, CachedLabels>,
  series: SeriesSnapshot[],
  records: number[],
  liveness: WriterLiveness | undefined,
): void {
  const mode = multiprocessModeOf(meta);
  if (liveness !== undefined) {
    // one snapshot per combined value, or per process in mode 'all': each keeps this record's place
    const before = series.length;
    readProcessGauge(heap, ptr, labels, mode!, liveness, series);
    for (let i = before; i < series.length; i++) records.push(ptr);
    return;
  }
  const created = heap.seriesCreated(ptr);
  if (meta.type === 'summary') {
    const { values, windowEmpty } = readSummaryQuantiles(heap, ptr, meta);
    series.push(windowEmpty ? { labels, values, created, windowEmpty } : { labels, values, created });
    records.push(ptr);
    return;
  }
  const values = readValues(heap, ptr, meta, layout);
  // info records and series records are distinct records, so one cache keyed by record serves both
  if (meta.type === 'info') series.push({ labels, values, created, info: readInfo(heap, ptr, labelCache) });
  else if (meta.exemplars === true) series.push({ labels, values, created, exemplars: readExemplars(heap, ptr, layout) });
  else series.push({ labels, values, created });
  records.push(ptr);
}

/**
 * The series in the order they were first created, by any process, as prom-client lists them in one process: the
 * directory is walked in hash order, but records are allocated from one bump pointer, so their addresses rise.
 * The order is kept for the next read, which usually walks the same records.
 */
function inCreationOrder(series: SeriesSnapshot[], records: number[], cache: FamilyReadCache): SeriesSnapshot[] {
  let order = cache.order;
  if (!sameRecords(cache.records, records)) {
    let sorted = true;
    for (let i = 1; i < records.length && sorted; i++) sorted = records[i - 1]! < records[i]!;
    order = sorted ? undefined : records.map((_, i) => i).sort((a, b) => records[a]! - records[b]!);
    cache.records = records;
    cache.order = order;
  }
  if (order === undefined) return series;
  const out = new Array<SeriesSnapshot>(order.length);
  for (let i = 0; i < order.length; i++) out[i] = series[order[i]!]!;
  return out;
}

function sameRecords(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The label values of a series record (null for a label left out), or undefined if the record is damaged (layout
 * or key not this family's).
 */
function decodeSeries(heap: Heap, ptr: number, layout: SeriesLayout, labelCount: number): SeriesLabels | undefined {
  const found = heap.seriesLayout(ptr);
  if (found.valueWords !== layout.valueWords || found.sharedWords !== layout.sharedWords || found.exemplarSlots !== (layout.exemplarSlots ?? 0)) {
    return undefined;
  }
  let labels: unknown;
  try {
    labels = JSON.parse(heap.seriesKey(ptr));
  } catch {
    return undefined;
  }
  if (!Array.isArray(labels) || labels.length !== labelCount || !labels.every((v) => v === null || typeof v === 'string')) return undefined;
  return labels as (string | null)[];
}

/** Marks a record that cannot be read as a series of its family: it is left out of every scrape. */
const DAMAGED: SeriesLabels = Object.freeze([]);

/** A damaged series is left out, not fatal to the scrape; say so once per record, as a process warning. */
function warnDamaged(family: string, ptr: number): void {
  process.emitWarning(`mpmetrics: a series of "${family}" (record ${ptr}) is damaged in the heap file and is left out of scrapes`, {
    type: 'MpmetricsWarning',
    code: 'MPM_WARN_DAMAGED_SERIES',
  });
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
      return readSummaryQuantiles(heap, ptr, meta).values;
    case 'info':
      return [1];
    case 'stateset': {
      const current = Number(heap.shared(ptr).getInt(0));
      return (meta.states ?? []).map((_, i) => (i === current ? 1 : 0));
    }
  }
}
