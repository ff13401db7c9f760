// Reads a family's series out of the heap into plain numbers, for any process, whether or not it declared the
// family: the layout of every metric type's values is decided here and only here.
import { heapCorrupt } from '../errors.js';
import type { Heap } from '../heap/heap.js';
import type { SeriesLayout } from '../heap/series-store.js';
import { PROCESS_CELL } from '../heap/layout.js';
import { decodeExemplarLabels, type Exemplar } from './exemplar.js';
import { frozenMeta, multiprocessModeOf, type FamilyMeta } from './family-meta.js';
import type { SeriesLabels } from './label-tree.js';
import { isPerProcess } from './multiprocess-mode.js';
import { nativeWords, readNativeHistogram, type NativeHistogramSnapshot } from './native-histogram.js';
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
  /** A histogram with native buckets: them, at one schema for all processes. */
  readonly native?: NativeHistogramSnapshot;
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
      // one count per bucket (not cumulative) including +Inf, then the sum; an exemplar slot per bucket; native
      // buckets after them, and their schema in a shared word (native-histogram.ts)
      return {
        valueWords: (meta.buckets?.length ?? 0) + 2 + (meta.native === undefined ? 0 : nativeWords(meta.native)),
        sharedWords: meta.native === undefined ? 0 : 1,
        exemplarSlots: meta.exemplars === true ? (meta.buckets?.length ?? 0) + 1 : 0,
      };
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
export interface CachedLabels extends LabelTextSlot {
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
    cache.set(record, { labels: flat, generation: 0, text: undefined });
  }
  const out: (readonly [string, string])[] = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i] as string, flat[i + 1] as string]);
  return out;
}

/**
 * A series as a visit gives it: a SeriesSnapshot, or a reader's view that is valid during the call only (its
 * object and values are reused for the next series).
 */
interface SeriesView {
  readonly labels: SeriesLabels;
  readonly values: readonly number[];
  readonly info?: readonly (readonly [string, string])[] | undefined;
  readonly windowEmpty?: boolean | undefined;
  readonly exemplars?: readonly (Exemplar | undefined)[] | undefined;
  readonly native?: NativeHistogramSnapshot | undefined;
  readonly created: number;
}

/** Kept with a series record's labels between scrapes: their text as the exposition writer encoded it. */
export interface LabelTextSlot {
  text: Uint8Array | undefined;
}

/** Called with each series of a family; `keep` is where its label text may be kept, if its labels are a record's. */
export type SeriesVisitor = (series: SeriesView, keep: LabelTextSlot | undefined) => void;

/**
 * Kept with a family record between scrapes: what the exposition writer encoded once for the family (sample names,
 * bound labels, its HELP and TYPE lines), by format. Opaque here: the writer fills and reads it.
 */
export interface FamilyTextSlot {
  prometheus: object | undefined;
  openmetrics: object | undefined;
}

/** A family whose series are given one at a time, in creation order: from a snapshot, or straight from the heap. */
export interface FamilySource {
  readonly name: string;
  /** As exported (see FamilySnapshot.meta). */
  readonly meta: FamilyMeta;
  /** Where the writer may keep the family's text, when the source is a family record (its metadata never changes). */
  readonly keep?: FamilyTextSlot;
  eachSeries(visit: SeriesVisitor): void;
}

/** A snapshot as a source. */
export function snapshotSource(family: FamilySnapshot): FamilySource {
  return {
    name: family.name,
    meta: family.meta,
    eachSeries(visit) {
      for (const s of family.series) visit(s, undefined);
    },
  };
}

/** What a reader of one family keeps between scrapes: decoded label values by record, and the read order. */
export class FamilyReadCache {
  readonly labels = new Map<number, CachedLabels>();
  /** The records of the last directory walk, live or not, in walk (hash) order. */
  walked: readonly number[] = [];
  /** The family's record count when the last walk found as many records; -1: walk at the next read. */
  walkedCount = -1;
  /**
   * The same records by address: the order they were created in, and the order that reads them fastest. Pointers
   * are word indices below 2 ** 32: a Uint32Array hands them out as small integers, as the walk does.
   */
  ordered: Uint32Array = new Uint32Array(0);
  /** The cached labels of each record of `ordered`, by index: saves a lookup in `labels` per series. */
  orderedLabels: (CachedLabels | undefined)[] = [];
  /**
   * The view a read fills for each series, kept with the family: optimized code that read through a view refers
   * to it, and is thrown away by the first full collection after it died (journal, 2026-12-07).
   */
  view: SeriesRead | undefined;
  /** The family's layout, kept for the same reason. */
  layout: SeriesLayout | undefined;
  /** The family's metadata as exported, made once. */
  exported: FamilyMeta | undefined;
  /** The family's text as the writer encoded it. */
  readonly text: FamilyTextSlot = { prometheus: undefined, openmetrics: undefined };
}

/** The family's declaration as exported: a gauge in a per-pid mode gains the "pid" label. */
function exportedMetaOf(meta: FamilyMeta): FamilyMeta {
  const mode = multiprocessModeOf(meta);
  return mode === undefined ? meta : frozenMeta(exportedMeta(meta, mode));
}

/**
 * Every live series of a family, summed over all writers. `cache` keeps decoded label values between scrapes.
 * `native`: read native histogram buckets too (only the protobuf exposition shows them; the text formats do not).
 */
export function readFamily(heap: Heap, familyPtr: number, name: string, meta: FamilyMeta, cache: FamilyReadCache, native = true): FamilySnapshot {
  const series: SeriesSnapshot[] = [];
  visitFamily(heap, familyPtr, name, meta, cache, native, (s) => series.push(snapshotOf(s)));
  return { name, meta: (cache.exported ??= exportedMetaOf(meta)), series };
}

/**
 * The same family as a source read from the heap while it is written, with no snapshot made per series: the
 * exporter's path. Each eachSeries() reads the family anew.
 */
export function heapFamilySource(heap: Heap, familyPtr: number, name: string, meta: FamilyMeta, cache: FamilyReadCache, native: boolean): FamilySource {
  return {
    name,
    meta: (cache.exported ??= exportedMetaOf(meta)),
    keep: cache.text,
    eachSeries(visit) {
      visitFamily(heap, familyPtr, name, meta, cache, native, visit);
    },
  };
}

/** A snapshot of a visited series, with the fields its type has and no other. */
function snapshotOf(s: SeriesView): SeriesSnapshot {
  const { labels, created } = s;
  const values = s.values.slice();
  if (s.windowEmpty === true) return { labels, values, created, windowEmpty: true };
  if (s.info !== undefined) return { labels, values, created, info: s.info };
  if (s.native !== undefined) return s.exemplars === undefined ? { labels, values, created, native: s.native } : { labels, values, created, exemplars: s.exemplars, native: s.native };
  if (s.exemplars !== undefined) return { labels, values, created, exemplars: s.exemplars };
  return { labels, values, created };
}

/**
 * The records of a family (removed ones included: a visit checks each) in creation order, walking its directory
 * only when a record may have been added, and sorting only when the walk found a change.
 */
function readOrder(heap: Heap, familyPtr: number, cache: FamilyReadCache, expiring: boolean): Uint32Array {
  // Without a TTL a record never leaves its family's directory, and is counted before it is published there (a
  // count taken back only for one never published): a count equal to that of the last walk, which found as many
  // records as it had read, means no record was added since (the argument: docs/ARCHITECTURE.md, "Read order").
  // With a TTL records leave and are reused, and every scrape walks.
  const count = expiring ? -1 : heap.seriesCount(familyPtr);
  if (count >= 0 && count === cache.walkedCount) return cache.ordered;
  // compared with the last walk as it goes, so that an unchanged family allocates nothing (at 100,000 series a
  // fresh list was some 2 MB of garbage a scrape)
  const last = cache.walked;
  let found = 0;
  let walked: number[] | undefined;
  heap.forEachSeries(familyPtr, (ptr) => {
    if (walked === undefined) {
      if (found < last.length && last[found] === ptr) {
        found++;
        return;
      }
      walked = last.slice(0, found);
    }
    walked.push(ptr);
  });
  if (walked === undefined && found < last.length) walked = last.slice(0, found);
  if (walked !== undefined) {
    // records come from one bump pointer, so addresses rise with creation, as prom-client lists series; and a
    // writer's cells were allocated in the order it first wrote them, so this order reads memory nearly in a line
    // where the walk's hash order jumps (measured in the journal, 2026-12-07)
    cache.walked = walked;
    cache.ordered = Uint32Array.from(walked).sort();
    cache.orderedLabels = new Array<CachedLabels | undefined>(walked.length);
    // what was kept for records gone from the directory (expired) goes with them
    if (cache.labels.size > walked.length) {
      const present = new Set(walked);
      for (const ptr of cache.labels.keys()) if (!present.has(ptr)) cache.labels.delete(ptr);
    }
  }
  // a walk that found fewer records than were counted ran beside an insert (or one a killed process left half-done):
  // the next scrape walks again
  cache.walkedCount = count >= 0 && cache.walked.length === count ? count : -1;
  return cache.ordered;
}

/**
 * Calls `visit` with every live series of a family, summed over all writers, in creation order. A series whose
 * record or cells are damaged is left out with a warning.
 */
function visitFamily(heap: Heap, familyPtr: number, name: string, meta: FamilyMeta, cache: FamilyReadCache, native: boolean, visit: SeriesVisitor): void {
  const layout = (cache.layout ??= layoutOf(meta));
  const mode = multiprocessModeOf(meta);
  const liveness = mode !== undefined && isPerProcess(mode) ? heap.writerLiveness() : undefined;
  // series of a family with a TTL may be retired and their records reused: not before this reader is done
  if (meta.ttlSeconds !== undefined) heap.holdExpiringSeries();
  const order = readOrder(heap, familyPtr, cache, meta.ttlSeconds !== undefined);
  const known = cache.orderedLabels;
  const view = (cache.view ??= new SeriesRead(valueCount(meta)));
  const perProcess: SeriesSnapshot[] = [];
  for (let i = 0; i < order.length; i++) {
    const ptr = order[i]!;
    let record = known[i];
    if (!heap.isSeriesLive(ptr)) {
      // removed: what was kept of its labels goes, so that a flood of label sets that passed leaves no text behind
      known[i] = undefined;
      cache.labels.delete(ptr);
      continue;
    }
    if (record === undefined || record.generation !== heap.seriesGeneration(ptr)) known[i] = record = labelsOf(heap, ptr, name, meta, layout, cache.labels);
    if (record.labels === DAMAGED) continue;
    try {
      // one value per combined value, or per process in mode 'all': each keeps this record's place
      if (liveness !== undefined) {
        perProcess.length = 0;
        readProcessGauge(heap, ptr, record.labels, mode!, liveness, perProcess);
      } else view.read(heap, ptr, record.labels, meta, layout, cache.labels, native);
    } catch (error) {
      // a series whose cells are damaged (a cell list that loops) is left out like one whose record is
      if ((error as { code?: unknown }).code !== 'MPM_ERR_HEAP_CORRUPT') throw error;
      warnDamaged(name, ptr);
      cache.labels.set(ptr, (known[i] = { labels: DAMAGED, generation: record.generation, text: undefined }));
      continue;
    }
    if (liveness === undefined) visit(view, record);
    else for (const s of perProcess) visit(s, s.labels === record.labels ? record : undefined);
  }
}

/** The cached labels of a live series record, decoded again if its generation changed (DAMAGED if it is damaged). */
function labelsOf(heap: Heap, ptr: number, name: string, meta: FamilyMeta, layout: SeriesLayout, labelCache: Map<number, CachedLabels>): CachedLabels {
  const generation = heap.seriesGeneration(ptr);
  let record = labelCache.get(ptr);
  if (record === undefined || record.generation !== generation) {
    const labels = decodeSeries(heap, ptr, layout, meta.labelNames.length) ?? DAMAGED;
    if (labels === DAMAGED) warnDamaged(name, ptr);
    labelCache.set(ptr, (record = { labels, generation, text: undefined }));
  }
  return record;
}

/** How many values a series of this family exports (a summary makes its own array). */
function valueCount(meta: FamilyMeta): number {
  switch (meta.type) {
    case 'histogram':
      return (meta.buckets?.length ?? 0) + 2;
    case 'stateset':
      return meta.states?.length ?? 0;
    default:
      return 1;
  }
}

/** The series being visited: one object per family read, filled anew for each series. */
class SeriesRead implements SeriesView {
  labels: SeriesLabels = DAMAGED;
  values: number[];
  info: readonly (readonly [string, string])[] | undefined = undefined;
  windowEmpty: boolean | undefined = undefined;
  exemplars: (Exemplar | undefined)[] | undefined = undefined;
  native: NativeHistogramSnapshot | undefined = undefined;
  created = 0;

  constructor(values: number) {
    // packed, not holey (new Array(n)): each read and sum of a value then skips the check for a hole
    this.values = Array.from({ length: values }, () => 0);
  }

  read(heap: Heap, ptr: number, labels: SeriesLabels, meta: FamilyMeta, layout: SeriesLayout, labelCache: Map<number, CachedLabels>, native: boolean): void {
    this.labels = labels;
    this.created = heap.seriesCreated(ptr);
    const values = this.values;
    switch (meta.type) {
      case 'counter':
        heap.read(ptr, values);
        break;
      case 'gauge':
        values[0] = heap.shared(ptr).getFloat(0);
        break;
      case 'histogram': {
        // cells hold one count per bucket; exported buckets are cumulative, then the sum
        // the classic words lead each cell: without the native buckets, a read of as many words as `values` holds
        if (meta.native === undefined || !native) {
          heap.read(ptr, values);
          this.native = undefined;
        } else this.native = readNativeHistogram(heap, ptr, meta.native, values, (what) => warnDamagedCell(heap, ptr, what));
        const buckets = values.length - 1;
        for (let i = 1; i < buckets; i++) values[i]! += values[i - 1]!;
        break;
      }
      case 'summary': {
        const quantiles = readSummaryQuantiles(heap, ptr, meta);
        this.values = quantiles.values;
        this.windowEmpty = quantiles.windowEmpty;
        break;
      }
      case 'info':
        // info records and series records are distinct records, so one cache keyed by record serves both
        values[0] = 1;
        this.info = readInfo(heap, ptr, labelCache);
        break;
      case 'stateset': {
        const current = Number(heap.shared(ptr).getInt(0));
        for (let i = 0; i < values.length; i++) values[i] = i === current ? 1 : 0;
        break;
      }
    }
    if (meta.exemplars === true) this.exemplars = readExemplars(heap, ptr, layout);
  }
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

/** Cells already warned about, by heap file, series record and generation: each is said once. */
const warnedCells = new Set<string>();

/** A damaged cell of a series is left out of scrapes, with a process warning, once per series generation. */
function warnDamagedCell(heap: Heap, ptr: number, what: string): void {
  const key = `${heap.file.path}:${ptr}:${heap.seriesGeneration(ptr)}`;
  if (warnedCells.has(key)) return;
  warnedCells.add(key);
  process.emitWarning(`mpmetrics: a cell of series record ${ptr} is damaged in the heap file and is left out of scrapes: ${what}`, {
    type: 'MpmetricsWarning',
    code: 'MPM_WARN_DAMAGED_SERIES',
  });
}

/** A damaged series is left out, not fatal to the scrape; say so once per record, as a process warning. */
function warnDamaged(family: string, ptr: number): void {
  process.emitWarning(`mpmetrics: a series of "${family}" (record ${ptr}) is damaged in the heap file and is left out of scrapes`, {
    type: 'MpmetricsWarning',
    code: 'MPM_WARN_DAMAGED_SERIES',
  });
}
