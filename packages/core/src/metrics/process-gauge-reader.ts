// Reads a gauge whose processes each keep their own value (a per-process multiprocessMode) into samples: one per
// label set for sum, min and max, one per process (with a `pid` label) for all; live modes leave out writers that
// have exited. The combining rules are in metrics/multiprocess-mode.ts; this file walks the heap.
import type { Heap } from '../heap/heap.js';
import type { WriterLiveness } from '../heap/writer-liveness.js';
import type { FamilyMeta } from './family-meta.js';
import type { SeriesLabels } from './label-tree.js';
import { combineWriterValues, labelsByPid, PID_LABEL, valuesByPid, type MultiprocessMode, type WriterValue } from './multiprocess-mode.js';
import type { SeriesSnapshot } from './family-reader.js';

/** The meta a snapshot of this family is written with: with "pid" last among the label names in mode all. */
const exportedMetas = new WeakMap<FamilyMeta, FamilyMeta>();

export function exportedMeta(meta: FamilyMeta, mode: MultiprocessMode): FamilyMeta {
  if (!labelsByPid(mode)) return meta;
  let exported = exportedMetas.get(meta);
  if (exported === undefined) exportedMetas.set(meta, (exported = { ...meta, labelNames: Object.freeze([...meta.labelNames, PID_LABEL]) }));
  return exported;
}

/**
 * Label values with the pid appended, kept per (series labels, pid) across scrapes: the exposition writer caches
 * its text by the array, so a steady scrape makes no new label text.
 */
const pidLabels = new WeakMap<SeriesLabels, Map<number, SeriesLabels>>();

function withPid(labels: SeriesLabels, pid: number): SeriesLabels {
  let byPid = pidLabels.get(labels);
  if (byPid === undefined) pidLabels.set(labels, (byPid = new Map()));
  let out = byPid.get(pid);
  if (out === undefined) byPid.set(pid, (out = Object.freeze([...labels, String(pid)])));
  return out;
}

/** Drops cached label arrays of pids a series no longer shows (exited processes of a live mode). */
function prune(labels: SeriesLabels, shown: readonly { pid: number }[]): void {
  const byPid = pidLabels.get(labels);
  if (byPid === undefined || byPid.size <= shown.length * 2 + 8) return;
  const keep = new Set(shown.map((s) => s.pid));
  for (const pid of byPid.keys()) if (!keep.has(pid)) byPid.delete(pid);
}

/** Reused between series: one entry per writer cell. */
const pool: WriterValue[] = [];

/** Appends the samples of one series (`ptr`, with label values `labels`) to `out`. */
export function readProcessGauge(
  heap: Heap,
  ptr: number,
  labels: SeriesLabels,
  mode: MultiprocessMode,
  liveness: WriterLiveness,
  out: SeriesSnapshot[],
): void {
  let count = 0;
  heap.readProcessCells(ptr, liveness, (entry) => {
    const slot = pool[count] ?? (pool[count] = { value: 0, pid: 0, start: 0, alive: false });
    slot.value = entry.value;
    slot.pid = entry.pid;
    slot.start = entry.start;
    slot.alive = entry.alive;
    count++;
  });
  const created = heap.seriesCreated(ptr);
  if (labelsByPid(mode)) {
    const byPid = valuesByPid(mode, pool, count);
    for (const { pid, value } of byPid) out.push({ labels: withPid(labels, pid), values: [value], created });
    prune(labels, byPid);
    return;
  }
  const value = combineWriterValues(mode, pool, count);
  if (value !== undefined) out.push({ labels, values: [value], created });
}
