// The rules of a gauge's multiprocessMode, as pure functions (how writers' values combine), and what a Gauge
// accepts and refuses at construction. The same rules across real processes: gauge-modes-multiprocess.test.ts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { combineWriterValues, valuesByPid, type WriterValue } from '../src/metrics/multiprocess-mode.js';
import { startTimeFromStat } from '../src/heap/process-identity.js';
import { Counter, Gauge, Heap, Histogram, MULTIPROCESS_MODES, type MultiprocessMode } from '../src/index.js';

const w = (pid: number, value: number, alive = true, start = 1000 + pid): WriterValue => ({ pid, value, alive, start });

describe('combining writers’ values', () => {
  const values = [w(10, 5), w(11, -2.5), w(12, 11, false), w(13, 0.25)];

  it('sum, min and max take every writer; live variants only the living', () => {
    const expected: [MultiprocessMode, number][] = [
      ['sum', 13.75],
      ['min', -2.5],
      ['max', 11],
      ['livesum', 2.75],
      ['livemin', -2.5],
      ['livemax', 5],
    ];
    for (const [mode, value] of expected) expect(combineWriterValues(mode, values), mode).toBe(value);
  });

  it('no writer with a value means no value (not 0): min of one writer at 7 is 7', () => {
    for (const mode of ['sum', 'min', 'max', 'livesum', 'livemin', 'livemax'] as const) expect(combineWriterValues(mode, [])).toBeUndefined();
    expect(combineWriterValues('min', [w(1, 7)])).toBe(7);
    expect(combineWriterValues('livemax', [w(1, 7, false)])).toBeUndefined();
  });

  it('only the first `count` entries count (the reader reuses a longer pool)', () => {
    expect(combineWriterValues('sum', values, 2)).toBe(2.5);
    expect(valuesByPid('all', values, 1)).toEqual([{ pid: 10, value: 5 }]);
  });

  it('all: one value per pid, in pid order; liveall leaves out dead writers', () => {
    expect(valuesByPid('all', values)).toEqual([
      { pid: 10, value: 5 },
      { pid: 11, value: -2.5 },
      { pid: 12, value: 11 },
      { pid: 13, value: 0.25 },
    ]);
    expect(valuesByPid('liveall', values)).toEqual([
      { pid: 10, value: 5 },
      { pid: 11, value: -2.5 },
      { pid: 13, value: 0.25 },
    ]);
  });

  it('all: writers of one process (same pid and start: its worker threads) add up, dead threads only in all', () => {
    const threads = [w(20, 2, true, 500), w(20, 3, true, 500), w(20, 4, false, 500)];
    expect(valuesByPid('all', threads)).toEqual([{ pid: 20, value: 9 }]);
    expect(valuesByPid('liveall', threads)).toEqual([{ pid: 20, value: 5 }]);
  });

  it('all: a reused pid shows one process — the live one, else the one started last — never their sum', () => {
    const dead = w(30, 7, false, 100);
    const reborn = w(30, 3, true, 900);
    expect(valuesByPid('all', [dead, reborn])).toEqual([{ pid: 30, value: 3 }]);
    expect(valuesByPid('all', [reborn, dead])).toEqual([{ pid: 30, value: 3 }]);
    const older = w(31, 1, false, 100);
    const newer = w(31, 2, false, 200);
    expect(valuesByPid('all', [newer, older])).toEqual([{ pid: 31, value: 2 }]);
    expect(valuesByPid('all', [older, newer])).toEqual([{ pid: 31, value: 2 }]);
    expect(valuesByPid('liveall', [dead])).toEqual([]);
  });
});

describe('process identity', () => {
  it('reads the start time from /proc/<pid>/stat even when the command name holds spaces and parentheses', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3)); // field n holds "n"
    expect(startTimeFromStat(`1234 (node) ${fields.join(' ')}`)).toBe(22);
    expect(startTimeFromStat(`1234 (a (b) c) ${fields.join(' ')}`)).toBe(22);
    expect(startTimeFromStat('garbage')).toBe(0);
  });
});

describe('Gauge options', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-mode-options-'));
  fs.chmodSync(dir, 0o700);
  const heap = Heap.open({ dir });
  const common = { heap, registers: [] };
  afterAll(() => {
    heap.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('accepts every mode, and "shared" is the default', () => {
    expect([...MULTIPROCESS_MODES]).toEqual(['shared', 'sum', 'min', 'max', 'all', 'livesum', 'livemin', 'livemax', 'liveall']);
    for (const mode of MULTIPROCESS_MODES) {
      expect(new Gauge({ name: `mpmo_${mode}`, help: 'h', multiprocessMode: mode, ...common }).multiprocessMode).toBe(mode);
    }
    expect(new Gauge({ name: 'mpmo_default', help: 'h', ...common }).multiprocessMode).toBe('shared');
  });

  it('refuses an unknown mode with a RangeError naming the option and the accepted values', () => {
    for (const bad of ['average', 'SUM', '', 1, null]) {
      const make = (): unknown => new Gauge({ name: 'mpmo_bad', help: 'h', multiprocessMode: bad as MultiprocessMode, ...common });
      expect(make).toThrow(RangeError);
      expect(make).toThrow(/^"multiprocessMode" must be one of 'shared', 'sum', 'min', 'max', 'all', 'livesum', 'livemin', 'livemax', 'liveall', received /);
      expect(make).toThrow(expect.objectContaining({ code: 'MPM_ERR_OUT_OF_RANGE' }));
    }
  });

  it('refuses a "pid" label of the user’s own in the modes that add one, and allows it in the others', () => {
    for (const mode of ['all', 'liveall'] as const) {
      const make = (): unknown => new Gauge({ name: `mpmo_pid_${mode}`, help: 'h', labelNames: ['route', 'pid'], multiprocessMode: mode, ...common });
      expect(make).toThrow(RangeError);
      expect(make).toThrow(`Invalid label name "pid": a gauge with multiprocessMode '${mode}' adds a "pid" label to every sample itself`);
      expect(make).toThrow(expect.objectContaining({ code: 'MPM_ERR_LABELS' }));
    }
    const sum = new Gauge({ name: 'mpmo_pid_sum', help: 'h', labelNames: ['pid'], multiprocessMode: 'sum', ...common });
    sum.set({ pid: 'mine' }, 1);
  });

  it('is an option of gauges only', () => {
    const options = { help: 'h', multiprocessMode: 'sum', ...common } as unknown as { name: string; help: string };
    expect(() => new Counter({ ...options, name: 'mpmo_counter_total' })).toThrow('"multiprocessMode" applies to gauges only');
    expect(() => new Histogram({ ...options, name: 'mpmo_histogram' })).toThrow(RangeError);
  });

  it('is part of the declaration: the same gauge in another mode from another writer conflicts, also with the default', async () => {
    // a second handle on the heap is a writer of its own, as another process or thread is
    const other = Heap.open({ dir });
    const elsewhere = { heap: other, registers: [] };
    new Gauge({ name: 'mpmo_declared', help: 'h', multiprocessMode: 'max', ...common });
    expect(() => new Gauge({ name: 'mpmo_declared', help: 'h', multiprocessMode: 'livemax', ...elsewhere })).toThrow(
      expect.objectContaining({ code: 'MPM_ERR_METRIC_CONFLICT' }),
    );
    expect(() => new Gauge({ name: 'mpmo_declared', help: 'h', ...elsewhere })).toThrow(
      'Metric "mpmo_declared" is already declared in the shared heap with multiprocessMode "max"; this declaration has multiprocessMode "shared"',
    );
    const again = new Gauge({ name: 'mpmo_declared', help: 'Another help text is fine', multiprocessMode: 'max', ...elsewhere });
    again.set(3);
    expect((await again.get()).values).toEqual([{ value: 3, labels: {} }]);
    other.close();
  });

  it('in one process, each mode reports that process’s value; a label set nobody set has no sample', async () => {
    for (const mode of MULTIPROCESS_MODES) {
      const gauge = new Gauge({ name: `mpmo_one_${mode}`, help: 'h', labelNames: ['job'], multiprocessMode: mode, ...common });
      gauge.set({ job: 'a' }, 4);
      gauge.inc({ job: 'a' }, 0.5);
      gauge.dec({ job: 'a' }, 2);
      gauge.labels('untouched');
      gauge.inc({ job: 'inc only' });
      const byJob = (a: { labels: { job?: string | number } }, b: { labels: { job?: string | number } }): number => String(a.labels.job).localeCompare(String(b.labels.job));
      const values = (await gauge.get()).values.sort(byJob);
      const pid = mode === 'all' || mode === 'liveall' ? { pid: String(process.pid) } : {};
      const expected = [
        { value: 2.5, labels: { job: 'a', ...pid } },
        { value: 1, labels: { job: 'inc only', ...pid } },
        // labels() alone records nothing in any mode, as in prom-client
      ].sort(byJob);
      expect(values, mode).toEqual(expected);
      // zero() makes a label set exist with 0 in every mode
      gauge.zero({ job: 'zeroed' });
      expect((await gauge.get()).values.find((v) => v.labels.job === 'zeroed')?.value, mode).toBe(0);
    }
  });

  it('remove() and reset() clear every writer’s value; writing again brings the label set back', async () => {
    const gauge = new Gauge({ name: 'mpmo_removed', help: 'h', labelNames: ['job'], multiprocessMode: 'liveall', ...common });
    gauge.set({ job: 'a' }, 1);
    gauge.set({ job: 'b' }, 2);
    gauge.remove({ job: 'a' });
    expect((await gauge.get()).values.map((v) => v.labels.job)).toEqual(['b']);
    gauge.reset();
    expect((await gauge.get()).values).toEqual([]);
    gauge.inc({ job: 'a' }, 5);
    expect((await gauge.get()).values).toEqual([{ value: 5, labels: { job: 'a', pid: String(process.pid) } }]);
  });
});
