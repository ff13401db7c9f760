// Info and Enum (OpenMetrics StateSet) across processes and in both exposition formats.
//   - Validation: what a declaration, info() and state() refuse, with the codes they carry.
//   - Processes: forked writers (fixtures/info-enum-writer.mjs) set info labels and states; this process, which
//     reads the heap through HeapExporter, and the writers' own get() see them. Two writers replace the info labels
//     of one series (sets of different sizes, one with a 2000-character value) and flip an Enum's state as fast as
//     they can while this process scrapes: every scrape must show one whole set, exactly one state at 1.
//   - Formats: OpenMetrics writes `# TYPE x info` with `x_info{…} 1` and `# TYPE x stateset` with one sample per
//     state, the state label named after the metric; the text format 0.0.4 writes gauges (`x_info`, `x`), as
//     Python's client does. HeapExporter and prom-client registries of both content types are checked by promtool
//     and by Python's parsers (the OpenMetrics one is strict), and what they read back must be what was set.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry, type OpenMetricsContentType } from 'prom-client';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { Enum, Gauge, Heap, HeapExporter, Info, writeExposition, type FamilySnapshot } from '../src/index.js';
import { findPromtool, findPython, promtool, promtoolProblem, pythonParse, type PyFamily } from './support/validators.js';
import { FixtureError, startIpcChild, type IpcChild } from './support/ipc-child.js';
import { exportedFamily, thrownKind } from './support/heap-checks.js';

const WRITER = fileURLToPath(new URL('./fixtures/info-enum-writer.mjs', import.meta.url));

let dir = '';
let heap: Heap;
const children: IpcChild[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-info-enum-'));
  fs.chmodSync(dir, 0o700);
  heap = Heap.open({ dir });
  for (let i = 0; i < 3; i++) children.push(await startIpcChild(WRITER, dir));
});

afterAll(() => {
  for (const child of children) child.stop();
  heap.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const family = (name: string): FamilySnapshot => exportedFamily(heap, name);
const codeOf = thrownKind;

describe('validation', () => {
  const common = (): { heap: Heap; registers: [] } => ({ heap, registers: [] });

  it('Enum: states must be a non-empty array of unique non-empty strings; the name must work as a label name', () => {
    expect(codeOf(() => new Enum({ name: 'mpmi_v1', help: 'h', states: [], ...common() }))).toBe('RangeError:MPM_ERR_OUT_OF_RANGE');
    expect(codeOf(() => new Enum({ name: 'mpmi_v1', help: 'h', states: ['a', 'a'], ...common() }))).toBe('RangeError:MPM_ERR_OUT_OF_RANGE');
    expect(codeOf(() => new Enum({ name: 'mpmi_v1', help: 'h', states: ['a', ''], ...common() }))).toBe('RangeError:MPM_ERR_OUT_OF_RANGE');
    expect(codeOf(() => new Enum({ name: 'mpmi_v1', help: 'h', states: ['a', 3] as unknown as string[], ...common() }))).toBe('TypeError:MPM_ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => new Enum({ name: 'mpmi_v1', help: 'h', states: 'a' as unknown as string[], ...common() }))).toBe('TypeError:MPM_ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => new Enum({ name: 'mpmi_v1', help: 'h', ...common() } as unknown as { name: string; help: string; states: string[] }))).toBe(
      'TypeError:MPM_ERR_INVALID_ARG_TYPE',
    );
    // the state label is named after the metric
    expect(() => new Enum({ name: 'mpmi:v1', help: 'h', states: ['a'], ...common() })).toThrow(/must match \[a-zA-Z_\]\[a-zA-Z0-9_\]\*/);
    expect(() => new Enum({ name: 'mpmi_v1', help: 'h', states: ['a'], labelNames: ['mpmi_v1'], ...common() })).toThrow(/state label of enum mpmi_v1/);
    expect(codeOf(() => new Enum({ name: 'mpmi_v1', help: 'h', states: ['a'], enableExemplars: true, ...common() } as never))).toBe('RangeError:MPM_ERR_OUT_OF_RANGE');
    // nothing was declared by the failed attempts: this one is the first, with its own states
    const ok = new Enum({ name: 'mpmi_v1', help: 'h', states: ['up', 'down'], ...common() });
    expect(ok.states).toEqual(['up', 'down']);
  });

  it('Enum: state() with an unknown state throws and changes nothing', () => {
    const e = new Enum({ name: 'mpmi_v2', help: 'h', states: ['a', 'b'], labelNames: ['job'], ...common() });
    e.state({ job: 'x' }, 'b');
    expect(codeOf(() => e.state({ job: 'x' }, 'c' as 'a'))).toBe('RangeError:MPM_ERR_OUT_OF_RANGE');
    expect(() => e.labels('x').state('A' as 'a')).toThrow(/Unknown state "A" for enum mpmi_v2: its states are "a", "b"/);
    expect(codeOf(() => e.state({ nope: 'x' } as never, 'a'))).toBe('RangeError:MPM_ERR_LABELS');
    expect(family('mpmi_v2').series.map((s) => [s.labels, s.values])).toEqual([[['x'], [0, 1]]]);
  });

  it('Info: info labels must be valid label names, not the metric’s labels, with string values', () => {
    const i = new Info({ name: 'mpmi_v3', help: 'h', labelNames: ['shard'], ...common() });
    expect(codeOf(() => i.info({ shard: 'a' }, { 'bad-name': 'x' }))).toBe('RangeError:MPM_ERR_LABELS');
    expect(codeOf(() => i.info({ shard: 'a' }, { __reserved: 'x' }))).toBe('RangeError:MPM_ERR_LABELS');
    expect(codeOf(() => i.info({ shard: 'a' }, { shard: 'x' }))).toBe('RangeError:MPM_ERR_LABELS');
    expect(codeOf(() => i.info({ shard: 'a' }, { version: 2 } as never))).toBe('TypeError:MPM_ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => i.info({ shard: 'a' }, null as never))).toBe('TypeError:MPM_ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => i.info({ shard: 'a' }, ['x'] as never))).toBe('TypeError:MPM_ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => i.info({ version: '1' }))).toBe('RangeError:MPM_ERR_LABELS'); // the shard label is missing
    expect(codeOf(() => new Info({ name: 'mpmi_v3b', help: 'h', enableExemplars: true, ...common() } as never))).toBe('RangeError:MPM_ERR_OUT_OF_RANGE');
    // the failed calls created nothing
    expect(family('mpmi_v3').series).toEqual([]);
    i.info({ shard: 'a' }, { version: '1.2.3', empty: '' });
    expect(family('mpmi_v3').series.map((s) => [s.labels, s.info])).toEqual([[['a'], [['version', '1.2.3'], ['empty', '']]]]);
  });

  it('a family is one by name: another writer with the same declaration shares it, a different one throws MPM_ERR_METRIC_CONFLICT', () => {
    // a second handle on the heap is a writer of its own, as another process or thread is
    const other = Heap.open({ dir });
    const elsewhere = { heap: other, registers: [] };
    try {
      const a = new Enum({ name: 'mpmi_v4', help: 'h', states: ['a', 'b'], ...common() });
      const b = new Enum({ name: 'mpmi_v4', help: 'other help', states: ['a', 'b'], ...elsewhere });
      b.state('b');
      expect(family('mpmi_v4').series[0]!.values).toEqual([0, 1]);
      a.state('a');
      expect(family('mpmi_v4').series[0]!.values).toEqual([1, 0]);
      expect(codeOf(() => new Enum({ name: 'mpmi_v4', help: 'h', states: ['b', 'a'], ...elsewhere }))).toBe('RangeError:MPM_ERR_METRIC_CONFLICT');
      expect(codeOf(() => new Enum({ name: 'mpmi_v4', help: 'h', states: ['a', 'b'], labelNames: ['x'], ...elsewhere }))).toBe('RangeError:MPM_ERR_METRIC_CONFLICT');
      expect(codeOf(() => new Gauge({ name: 'mpmi_v4', help: 'h', ...elsewhere }))).toBe('RangeError:MPM_ERR_METRIC_CONFLICT');
      expect(codeOf(() => new Info({ name: 'mpmi_v4', help: 'h', ...elsewhere }))).toBe('RangeError:MPM_ERR_METRIC_CONFLICT');
      // an Info named with or without the _info suffix is the same family
      const c = new Info({ name: 'mpmi_v5_info', help: 'h', ...common() });
      const d = new Info({ name: 'mpmi_v5', help: 'h', ...elsewhere });
      expect(c.name).toBe('mpmi_v5');
      c.info({ v: '1' });
      expect(family('mpmi_v5').series[0]!.info).toEqual([['v', '1']]);
      d.info({ v: '2' });
      expect(family('mpmi_v5').series[0]!.info).toEqual([['v', '2']]);
      expect(codeOf(() => new Gauge({ name: 'mpmi_v5', help: 'h', ...elsewhere }))).toBe('RangeError:MPM_ERR_METRIC_CONFLICT');
    } finally {
      other.close();
    }
  });

  it('types: label names, states and info values are checked at compile time', () => {
    const e = new Enum({ name: 'mpmi_v6', help: 'h', states: ['idle', 'busy'] as const, labelNames: ['pool'] as const, ...common() });
    expectTypeOf(e.state).toBeCallableWith({ pool: 'a' }, 'busy');
    expectTypeOf(e.labels('a').state).parameter(0).toEqualTypeOf<'idle' | 'busy'>();
    const i = new Info({ name: 'mpmi_v7', help: 'h', labelNames: ['pool'] as const, ...common() });
    expectTypeOf(i.info).toBeCallableWith({ pool: 'a' }, { version: '1' });
    if (Math.random() > 2) {
      // compile-time only
      // @ts-expect-error not a state
      e.state({ pool: 'a' }, 'sleeping');
      // @ts-expect-error not a label
      e.state({ queue: 'a' }, 'idle');
      // @ts-expect-error info values are strings
      i.info({ pool: 'a' }, { version: 1 });
    }
  });
});

describe('across processes', () => {
  it('info() and state() in one process are seen by every process, remove() and reset() too', async () => {
    const [a, b] = children as [IpcChild, IpcChild];
    const infos = [{ name: 'mpmi_build_info', help: 'Build', labelNames: ['service'] }];
    const enums = [{ name: 'mpmi_phase', help: 'Phase', states: ['starting', 'running', 'stopping'], labelNames: ['service'] }];
    await a.request({ op: 'declare', infos, enums });
    await b.request({ op: 'declare', infos, enums });

    await a.request({ op: 'info', name: 'mpmi_build', labels: { service: 'api' }, info: { version: '1.2.3', commit: 'abc' } });
    await b.request({ op: 'state', name: 'mpmi_phase', labels: { service: 'api' }, state: 'running' });
    await b.request({ op: 'state', name: 'mpmi_phase', labels: { service: 'db' }, state: 'stopping' });
    // a label set nobody set a state for is in the first state
    await a.request({ op: 'info', name: 'mpmi_build', labels: { service: 'db' }, info: {} });

    expect(family('mpmi_build').series.map((s) => [s.labels, s.info]).sort()).toEqual([
      [['api'], [['version', '1.2.3'], ['commit', 'abc']]],
      [['db'], []],
    ]);
    const phases = new Map(family('mpmi_phase').series.map((s) => [s.labels[0], s.values]));
    expect(Object.fromEntries(phases)).toEqual({ api: [0, 1, 0], db: [0, 0, 1] });

    // b's get() sees a's info, a's get() sees b's state (gauge shapes: these metrics are in no registry)
    const info = await b.request<{ name: string; type: string; values: { labels: Record<string, string>; value: number; metricName: string }[] }>({ op: 'get', name: 'mpmi_build' });
    expect(info.name).toBe('mpmi_build_info');
    expect(info.type).toBe('gauge');
    expect(info.values).toContainEqual({ labels: { service: 'api', version: '1.2.3', commit: 'abc' }, value: 1, metricName: 'mpmi_build_info' });
    const phase = await a.request<{ values: { labels: Record<string, string>; value: number }[] }>({ op: 'get', name: 'mpmi_phase' });
    expect(phase.values.filter((v) => v.labels['service'] === 'db')).toEqual([
      { labels: { service: 'db', mpmi_phase: 'starting' }, value: 0 },
      { labels: { service: 'db', mpmi_phase: 'running' }, value: 0 },
      { labels: { service: 'db', mpmi_phase: 'stopping' }, value: 1 },
    ]);

    // a replaces its info: everyone sees the new set only
    await a.request({ op: 'info', name: 'mpmi_build', labels: { service: 'api' }, info: { version: '2.0.0' } });
    expect(family('mpmi_build').series.find((s) => s.labels[0] === 'api')!.info).toEqual([['version', '2.0.0']]);

    await b.request({ op: 'remove', name: 'mpmi_build', labels: { service: 'db' } });
    expect(family('mpmi_build').series.map((s) => s.labels[0])).toEqual(['api']);
    await a.request({ op: 'reset', name: 'mpmi_phase' });
    expect(family('mpmi_phase').series).toEqual([]);
    // written again after the reset: back, from its first state
    await a.request({ op: 'state', name: 'mpmi_phase', labels: { service: 'api' }, state: 'stopping' });
    await b.request({ op: 'info', name: 'mpmi_build', labels: { service: 'db' }, info: { version: '3' } });
    expect(family('mpmi_phase').series.map((s) => [s.labels, s.values])).toEqual([[['api'], [0, 0, 1]]]);
    expect(family('mpmi_build').series.find((s) => s.labels[0] === 'db')!.info).toEqual([['version', '3']]);

    await expect(a.request({ op: 'state', name: 'mpmi_phase', labels: { service: 'api' }, state: 'flying' })).rejects.toMatchObject({
      code: 'MPM_ERR_OUT_OF_RANGE',
    });
    await expect(a.request({ op: 'declare', enums: [{ ...enums[0], states: ['starting', 'running'] }] })).rejects.toBeInstanceOf(FixtureError);
  });

  it('two processes replacing info labels and flipping states: every scrape sees one whole info set and exactly one state', async () => {
    const [a, b, c] = children as [IpcChild, IpcChild, IpcChild];
    const sets = [
      { release: 'a', channel: 'a' },
      { release: 'b', channel: 'b', region: 'b', notes: 'b'.repeat(2000) },
      { release: 'c' },
      { release: 'd', channel: 'd', region: 'd' },
    ];
    const states = ['s0', 's1', 's2', 's3', 's4'];
    const infos = [{ name: 'mpmi_race', help: 'Raced info' }];
    const enums = [{ name: 'mpmi_race_state', help: 'Raced enum', states }];
    for (const child of [a, b, c]) await child.request({ op: 'declare', infos, enums });
    // a fixed state first, so the race must move it
    await c.request({ op: 'info', name: 'mpmi_race', info: sets[0] });

    const MS = 1500;
    const racing = Promise.all([
      a.request<number>({ op: 'race-info', name: 'mpmi_race', sets: [sets[1], sets[2]], ms: MS }),
      b.request<number>({ op: 'race-info', name: 'mpmi_race', sets: [sets[3], sets[0]], ms: MS }),
      c.request<number>({ op: 'race-state', name: 'mpmi_race_state', states, ms: MS }),
    ]);
    let done = false;
    void racing.finally(() => (done = true));
    const exporter = new HeapExporter(heap);
    const seenSets = new Set<string>();
    const seenStates = new Set<number>();
    const problems: string[] = [];
    let scrapes = 0;
    const wanted = new Set(sets.map((s) => JSON.stringify(Object.entries(s))));
    while (!done) {
      for (const f of await exporter.snapshot()) {
        if (f.name === 'mpmi_race') {
          const key = JSON.stringify(f.series[0]!.info);
          if (!wanted.has(key)) problems.push(`a torn or unknown info set: ${key.slice(0, 200)}`);
          seenSets.add(key);
        } else if (f.name === 'mpmi_race_state') {
          const values = f.series[0]!.values;
          if (values.length !== states.length || values.filter((v) => v === 1).length !== 1 || values.some((v) => v !== 0 && v !== 1)) {
            problems.push(`not exactly one state: ${JSON.stringify(values)}`);
          }
          seenStates.add(values.indexOf(1));
        }
      }
      scrapes++;
      await new Promise((resolve) => setImmediate(resolve));
    }
    const [updatesA, updatesB, updatesC] = await racing;
    expect(problems.slice(0, 5)).toEqual([]);
    // the scrapes really ran during the race: they saw it move
    expect(scrapes).toBeGreaterThan(10);
    expect(seenSets.size, `info sets seen in ${scrapes} scrapes`).toBeGreaterThanOrEqual(2);
    expect(seenStates.size, `states seen in ${scrapes} scrapes`).toBeGreaterThanOrEqual(2);
    expect(updatesA + updatesB + updatesC).toBeGreaterThan(1000);
    // the same text is one record for every process: the four sets were interned once each
    const interned = heap.findFamily('mpmi_race/info-labels');
    expect(interned).toBeDefined();
    expect(heap.seriesOf(interned!.ptr).length).toBe(4);
  });
});

// ---- formats

const TRICKY = ['plain', 'quote"d', 'back\\slash', 'new\nline', 'unicode ☃ 😀', '', '{braces}, = # '];

interface Declared {
  ours: (Info | Enum)[];
}

/** Declares the same Info and Enum families, fed with awkward values, into `registers` (on `heap`). */
function declare(registers: Registry[] | Registry<OpenMetricsContentType>[]): Declared {
  const common = { heap, registers: registers as Registry[] };
  const build = new Info({ name: 'mpmf_build', help: 'Build "info", back\\slash\nnewline', ...common });
  build.info({ version: '1.2.3', tricky: TRICKY.join('|') });
  const shards = new Info({ name: 'mpmf_shard_info', help: 'Per shard', labelNames: ['shard'], ...common });
  TRICKY.forEach((t, i) => shards.info({ shard: t }, i % 2 === 0 ? { owner: t, index: String(i) } : {}));
  const phase = new Enum({ name: 'mpmf_phase', help: 'Phase', states: ['starting', 'running', 'a "quoted"\\state\n'], labelNames: ['task'], ...common });
  TRICKY.forEach((t, i) => phase.state({ task: t }, phase.states[i % 3]!));
  const flag = new Enum({ name: 'mpmf_flag', help: 'No labels', states: ['off', 'on'], ...common });
  flag.state('on');
  return { ours: [build, shards, phase, flag] };
}

/** The samples expected of our families, keyed "name{sorted labels}" → value, and family name → type, per format. */
function expected(format: 'prometheus' | 'openmetrics'): { samples: Map<string, number>; types: Map<string, string> } {
  const samples = new Map<string, number>();
  const key = (name: string, labels: Record<string, string>): string =>
    `${name}${JSON.stringify(Object.fromEntries(Object.entries(labels).sort(([x], [y]) => (x < y ? -1 : 1))))}`;
  samples.set(key('mpmf_build_info', { version: '1.2.3', tricky: TRICKY.join('|') }), 1);
  TRICKY.forEach((t, i) => samples.set(key('mpmf_shard_info', i % 2 === 0 ? { shard: t, owner: t, index: String(i) } : { shard: t }), 1));
  const states = ['starting', 'running', 'a "quoted"\\state\n'];
  TRICKY.forEach((t, i) => states.forEach((s, j) => samples.set(key('mpmf_phase', { task: t, mpmf_phase: s }), j === i % 3 ? 1 : 0)));
  samples.set(key('mpmf_flag', { mpmf_flag: 'off' }), 0);
  samples.set(key('mpmf_flag', { mpmf_flag: 'on' }), 1);
  const om = format === 'openmetrics';
  const types = new Map([
    [om ? 'mpmf_build' : 'mpmf_build_info', om ? 'info' : 'gauge'],
    [om ? 'mpmf_shard' : 'mpmf_shard_info', om ? 'info' : 'gauge'],
    ['mpmf_phase', om ? 'stateset' : 'gauge'],
    ['mpmf_flag', om ? 'stateset' : 'gauge'],
  ]);
  return { samples, types };
}

/** What differs between what Python read and what was expected (our families only). */
function compare(families: PyFamily[], format: 'prometheus' | 'openmetrics'): string[] {
  const want = expected(format);
  const problems: string[] = [];
  const got = new Map<string, number>();
  for (const f of families) {
    if (!want.types.has(f.name)) continue;
    if (f.type !== want.types.get(f.name)) problems.push(`${f.name}: type ${f.type}, expected ${want.types.get(f.name)}`);
    for (const [name, labels, value] of f.samples) {
      got.set(`${name}${JSON.stringify(Object.fromEntries(Object.entries(labels).sort(([x], [y]) => (x < y ? -1 : 1))))}`, Number(value));
    }
  }
  for (const name of want.types.keys()) if (!families.some((f) => f.name === name)) problems.push(`family ${name} missing`);
  for (const [k, v] of want.samples) if (got.get(k) !== v) problems.push(`${k}: ${got.get(k)}, expected ${v}`);
  for (const k of got.keys()) if (!want.samples.has(k)) problems.push(`unexpected sample ${k}`);
  return problems;
}

function openMetricsRegistry(): Registry<OpenMetricsContentType> {
  const registry = new Registry<OpenMetricsContentType>();
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  return registry;
}

describe('exposition formats, checked by promtool and Python’s parsers', () => {
  let promtoolPath = '';
  let pythonPath = '';
  const texts: Record<string, { text: string; format: 'prometheus' | 'openmetrics' }> = {};

  beforeAll(async () => {
    promtoolPath = findPromtool();
    pythonPath = findPython();
    const textRegistry = new Registry();
    const omRegistry = openMetricsRegistry();
    const both = [new Registry(), openMetricsRegistry()] as const;
    declare([textRegistry]);
    declare([omRegistry]);
    declare(both as unknown as Registry[]);
    const exporter = new HeapExporter(heap);
    const ours = (await exporter.snapshot()).filter((f) => f.name.startsWith('mpmf_'));
    texts['HeapExporter, text'] = { text: writeExposition(ours, 'prometheus'), format: 'prometheus' };
    texts['HeapExporter, OpenMetrics'] = { text: writeExposition(ours, 'openmetrics'), format: 'openmetrics' };
    texts['text registry'] = { text: await textRegistry.metrics(), format: 'prometheus' };
    texts['OpenMetrics registry'] = { text: await omRegistry.metrics(), format: 'openmetrics' };
    texts['text registry (metric also in an OpenMetrics one)'] = { text: await both[0].metrics(), format: 'prometheus' };
    texts['OpenMetrics registry (metric also in a text one)'] = { text: await both[1].metrics(), format: 'openmetrics' };
  });

  it('OpenMetrics: info and stateset families as the spec has them', () => {
    const om = texts['HeapExporter, OpenMetrics']!.text;
    expect(om).toContain('# HELP mpmf_build Build \\"info\\", back\\\\slash\\nnewline\n# TYPE mpmf_build info\nmpmf_build_info{version="1.2.3",tricky=');
    expect(om).toContain('# TYPE mpmf_flag stateset\nmpmf_flag{mpmf_flag="off"} 0\nmpmf_flag{mpmf_flag="on"} 1\n');
    expect(om).toContain('mpmf_phase{task="plain",mpmf_phase="starting"} 1\n');
    expect(om).toContain('mpmf_phase{task="quote\\"d",mpmf_phase="a \\"quoted\\"\\\\state\\n"} 0\n');
    expect(om).not.toMatch(/_created/);
    expect(texts['OpenMetrics registry']!.text).toContain('# TYPE mpmf_build info\nmpmf_build_info{');
    expect(texts['OpenMetrics registry']!.text).toContain('# TYPE mpmf_flag stateset\n');
  });

  it('text 0.0.4: gauges, as Python’s client writes them (also from a registry when the metric is in both kinds)', () => {
    for (const what of ['HeapExporter, text', 'text registry', 'text registry (metric also in an OpenMetrics one)', 'OpenMetrics registry (metric also in a text one)']) {
      const text = texts[what]!.text;
      expect(text, what).toContain('# HELP mpmf_build_info Build "info", back\\\\slash\\nnewline\n# TYPE mpmf_build_info gauge\nmpmf_build_info{');
      expect(text, what).toContain('# TYPE mpmf_flag gauge\nmpmf_flag{mpmf_flag="off"} 0\nmpmf_flag{mpmf_flag="on"} 1');
    }
  });

  it('promtool accepts every text-format exposition', () => {
    for (const [what, { text, format }] of Object.entries(texts)) {
      if (format !== 'prometheus') continue;
      expect(promtoolProblem(promtool(promtoolPath, text)), what).toBe('');
    }
  });

  it('Python’s parsers (OpenMetrics: strict) accept every exposition and read back exactly what was set', () => {
    for (const [what, { text, format }] of Object.entries(texts)) {
      const parsed = pythonParse(pythonPath, text, format);
      expect(parsed.error, `${what}\n${text}`).toBeUndefined();
      // a metric registered in registries of both kinds is written as gauges in both (valid in both)
      const asFormat = what.includes('also in') ? 'prometheus' : format;
      expect(compare(parsed.families!, asFormat), what).toEqual([]);
    }
  });
});
