// A cardinality attack: a flood of unique label values stops at the metric's `maxSeries`, counted over every
// process, with a clear error; nothing is allocated for a refused label set (the heap file stops growing), and
// every existing label set and every other metric keeps working.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import readline from 'node:readline';
import { describe, expect, it } from 'vitest';
import { Counter, DEFAULT_MAX_SERIES, Gauge, HeapExporter, Histogram } from '../src/index.js';
import { usePrivateHeap } from './support/private-heap.js';

const FLOODER = new URL('./fixtures/cardinality-flooder.mjs', import.meta.url).pathname;
const shared = usePrivateHeap('mpm-cardinality');

const common = (): { heap: (typeof shared)['heap']; registers: [] } => ({ heap: shared.heap, registers: [] });

/** What a call threw, as `name:code`, and its message. */
function refusal(fn: () => unknown): { kind: string; message: string } | undefined {
  try {
    fn();
  } catch (error) {
    return { kind: `${(error as Error).name}:${(error as { code?: string }).code}`, message: (error as Error).message };
  }
  return undefined;
}

const seriesIn = (text: string, name: string): number => text.split('\n').filter((line) => line.startsWith(`${name}{`)).length;

describe('maxSeries in one process', () => {
  it('refuses the label set past the limit, by every call that would make one, and records nothing for it', async () => {
    const counter = new Counter({ name: 'mpmc_flood_total', help: 'h', labelNames: ['user'], maxSeries: 100, ...common() });
    const other = new Gauge({ name: 'mpmc_other', help: 'h', labelNames: ['user'], ...common() });
    for (let i = 0; i < 100; i++) counter.inc({ user: `u${i}` });
    const sizeAtLimit = fs.statSync(shared.heap.file.path).size;
    const family = shared.heap.findFamily('mpmc_flood_total')!;
    expect(shared.heap.seriesCount(family.ptr)).toBe(100);

    for (let i = 100; i < 20_000; i++) {
      const refused = refusal(() => counter.inc({ user: `u${i}` }));
      if (refused === undefined) throw new Error(`label set ${i} was recorded past the limit`);
      if (i === 100) {
        expect(refused.kind).toBe('RangeError:MPM_ERR_TOO_MANY_SERIES');
        expect(refused.message).toContain('"mpmc_flood_total" has reached its limit of 100 label sets ("maxSeries")');
        expect(refused.message).toContain('{user="u100"} was not recorded');
      }
    }
    expect(refusal(() => counter.labels('late'))?.kind).toBe('RangeError:MPM_ERR_TOO_MANY_SERIES');
    expect(refusal(() => counter.zero({ user: 'late' }))?.kind).toBe('RangeError:MPM_ERR_TOO_MANY_SERIES');

    // bounded: nothing was allocated for 19,900 refusals
    expect(shared.heap.seriesCount(family.ptr)).toBe(100);
    expect(fs.statSync(shared.heap.file.path).size).toBe(sizeAtLimit);
    // existing label sets, and other metrics, keep working
    counter.inc({ user: 'u7' }, 2);
    other.set({ user: 'u100000' }, 5);
    const text = await new HeapExporter(shared.heap).metrics();
    expect(seriesIn(text, 'mpmc_flood_total')).toBe(100);
    expect(text).toContain('mpmc_flood_total{user="u7"} 3\n');
    expect(text).toContain('mpmc_other{user="u100000"} 5\n');
  });

  it('counts removed label sets (their records stay), and lets them come back without a new place', async () => {
    const counter = new Counter({ name: 'mpmc_removed_total', help: 'h', labelNames: ['user'], maxSeries: 3, ...common() });
    for (const user of ['a', 'b', 'c']) counter.inc({ user });
    counter.remove('a');
    expect(refusal(() => counter.inc({ user: 'd' }))?.kind).toBe('RangeError:MPM_ERR_TOO_MANY_SERIES');
    counter.inc({ user: 'a' }); // back, from zero
    expect(await new HeapExporter(shared.heap).metrics()).toContain('mpmc_removed_total{user="a"} 1\n');
  });

  it(`has a default of ${DEFAULT_MAX_SERIES} per metric, and none with Infinity`, () => {
    const limited = new Histogram({ name: 'mpmc_default_seconds', help: 'h', labelNames: ['id'], buckets: [1], ...common() });
    const unlimited = new Counter({ name: 'mpmc_unlimited_total', help: 'h', labelNames: ['id'], maxSeries: Infinity, ...common() });
    for (let i = 0; i < DEFAULT_MAX_SERIES; i++) limited.observe({ id: i }, 0.5);
    expect(refusal(() => limited.observe({ id: DEFAULT_MAX_SERIES }, 0.5))?.kind).toBe('RangeError:MPM_ERR_TOO_MANY_SERIES');
    for (let i = 0; i <= DEFAULT_MAX_SERIES; i++) unlimited.inc({ id: i });
    expect(shared.heap.seriesCount(shared.heap.findFamily('mpmc_unlimited_total')!.ptr)).toBe(DEFAULT_MAX_SERIES + 1);
  });

  it('checks the option at construction', () => {
    const make = (maxSeries: unknown) => () => new Counter({ name: 'mpmc_opt_total', help: 'h', maxSeries: maxSeries as number, ...common() });
    for (const [value, kind, says] of [
      [0, 'RangeError:MPM_ERR_OUT_OF_RANGE', 'received number 0'],
      [-5, 'RangeError:MPM_ERR_OUT_OF_RANGE', 'received number -5'],
      [1.5, 'RangeError:MPM_ERR_OUT_OF_RANGE', 'received number 1.5'],
      [NaN, 'RangeError:MPM_ERR_OUT_OF_RANGE', 'NaN'],
      [2 ** 32, 'RangeError:MPM_ERR_OUT_OF_RANGE', 'at most 2^32 - 1'],
      ['100', 'TypeError:MPM_ERR_INVALID_ARG_TYPE', 'the string "100"'],
      [null, 'TypeError:MPM_ERR_INVALID_ARG_TYPE', 'received null'],
    ] as const) {
      const refused = refusal(make(value));
      expect(refused?.kind, String(value)).toBe(kind);
      expect(refused?.message, String(value)).toContain('"maxSeries" must be a positive integer');
      expect(refused?.message, String(value)).toContain(says);
    }
    expect(shared.heap.findFamily('mpmc_opt_total')).toBeUndefined(); // a refused declaration leaves nothing
  });
});

describe('maxSeries across processes', () => {
  it('4 processes flooding one family together make exactly maxSeries label sets, and keep working', async () => {
    const name = 'mpmc_mp_flood_total';
    const limit = 500;
    const children = ['a', 'b', 'c', 'd'].map((tag) => {
      const child = spawn(process.execPath, [FLOODER, name, String(limit), tag, '2000'], {
        env: { ...process.env, MPMETRICS_DIR: shared.dir },
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      const lines = readline.createInterface({ input: child.stdout });
      const next = (): Promise<string> => new Promise((resolve, reject) => {
        lines.once('line', resolve);
        // 'close', not 'exit': it comes after the output has all been read, so the last line is always seen first
        child.once('close', (code) => reject(new Error(`flooder ${tag} exited with ${code}`)));
      });
      return { child, next };
    });
    try {
      await Promise.all(children.map(async (c) => expect(await c.next()).toBe('ready')));
      const results = children.map((c) => c.next());
      for (const c of children) c.child.stdin.write('go\n');
      const reports = (await Promise.all(results)).map((line) => JSON.parse(line) as { recorded: number; refused: number; codes: string[]; sharedOk: boolean });
      // the "shared" label set (one place) plus exactly limit - 1 new ones, whoever won them
      expect(reports.reduce((sum, r) => sum + r.recorded, 0)).toBe(limit - 1);
      expect(reports.reduce((sum, r) => sum + r.refused, 0)).toBe(4 * 2000 - (limit - 1));
      for (const r of reports) {
        expect(r.codes).toEqual(['RangeError:MPM_ERR_TOO_MANY_SERIES']);
        expect(r.sharedOk).toBe(true);
      }
      const family = shared.heap.findFamily(name)!;
      expect(shared.heap.seriesCount(family.ptr)).toBe(limit);
      const text = await new HeapExporter(shared.heap).metrics();
      expect(seriesIn(text, name)).toBe(limit);
      expect(text).toContain(`${name}{user="shared"} 8\n`);
    } finally {
      for (const c of children) c.child.kill('SIGKILL');
    }
  }, 60_000);
});
