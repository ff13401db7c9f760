// How a gauge combines the values of many processes: its `multiprocessMode` (Python's `multiprocess_mode`).
//
// 'shared' (the default) keeps one value for all processes: the last `set` wins and `inc`/`dec` add atomically.
// Every other mode keeps one value per writer (process or worker thread, see heap/process-cells.ts), and a scrape
// combines them: 'sum', 'min', 'max' into one sample per label set, 'all' into one sample per process with a
// `pid` label. The 'live' variants leave out writers that have exited; the others keep the last value of every
// writer that ever set one.
import { MpmetricsRangeError, describeValue } from '../errors.js';

export const MULTIPROCESS_MODES = ['shared', 'sum', 'min', 'max', 'all', 'livesum', 'livemin', 'livemax', 'liveall'] as const;
export type MultiprocessMode = (typeof MULTIPROCESS_MODES)[number];

/** The label a gauge in mode 'all' or 'liveall' adds, naming the process of each sample. */
export const PID_LABEL = 'pid';

export function isMultiprocessMode(value: unknown): value is MultiprocessMode {
  return typeof value === 'string' && (MULTIPROCESS_MODES as readonly string[]).includes(value);
}

export function checkMultiprocessMode(value: unknown): MultiprocessMode {
  if (value === undefined) return 'shared';
  if (!isMultiprocessMode(value)) {
    throw new MpmetricsRangeError(`"multiprocessMode" must be one of ${MULTIPROCESS_MODES.map((m) => `'${m}'`).join(', ')}, received ${describeValue(value)}`);
  }
  return value;
}

/** Whether each writer keeps its own value (every mode but 'shared'). */
export function isPerProcess(mode: MultiprocessMode): boolean {
  return mode !== 'shared';
}

/** Whether values of writers that have exited are left out. */
export function isLive(mode: MultiprocessMode): boolean {
  return mode.startsWith('live');
}

/** Whether each process's value is a sample of its own, with a `pid` label. */
export function labelsByPid(mode: MultiprocessMode): boolean {
  return mode === 'all' || mode === 'liveall';
}

/** One writer's value, as a scrape found it. */
export interface WriterValue {
  value: number;
  pid: number;
  /** The process's start time (clock ticks since boot): with the pid, which process it was. */
  start: number;
  alive: boolean;
}

/** 'sum', 'min', 'max' and their live variants: the value of a label set, or undefined when no writer counts. */
export function combineWriterValues(mode: MultiprocessMode, values: readonly WriterValue[], count = values.length): number | undefined {
  const live = isLive(mode);
  const kind = live ? mode.slice(4) : mode;
  let result: number | undefined;
  for (let i = 0; i < count; i++) {
    const v = values[i]!;
    if (live && !v.alive) continue;
    if (result === undefined) result = v.value;
    else if (kind === 'sum') result += v.value;
    else if (kind === 'min') result = Math.min(result, v.value);
    else if (kind === 'max') result = Math.max(result, v.value);
  }
  return result;
}

export interface PidValue {
  readonly pid: number;
  readonly value: number;
}

interface ProcessGroup {
  pid: number;
  start: number;
  alive: boolean;
  value: number;
}

/**
 * 'all' and 'liveall': one value per pid, in pid order. Writers of one process (its worker threads) add up. Two
 * processes with one pid (a pid reused after its first owner exited, in a non-live mode) cannot share a sample:
 * the live one wins, else the one started last; the other's value is dropped.
 */
export function valuesByPid(mode: MultiprocessMode, values: readonly WriterValue[], count = values.length): PidValue[] {
  const live = isLive(mode);
  const processes = new Map<string, ProcessGroup>();
  for (let i = 0; i < count; i++) {
    const v = values[i]!;
    if (live && !v.alive) continue;
    const key = `${v.pid}:${v.start}`;
    const group = processes.get(key);
    if (group === undefined) processes.set(key, { pid: v.pid, start: v.start, alive: v.alive, value: v.value });
    else {
      group.value += v.value;
      group.alive ||= v.alive;
    }
  }
  const byPid = new Map<number, ProcessGroup>();
  for (const group of processes.values()) {
    const other = byPid.get(group.pid);
    if (other === undefined || (group.alive !== other.alive ? group.alive : group.start > other.start)) byPid.set(group.pid, group);
  }
  return [...byPid.values()].sort((a, b) => a.pid - b.pid).map(({ pid, value }) => ({ pid, value }));
}
