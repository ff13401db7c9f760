// A gauge's multiprocessMode across real processes (fixtures/gauge-mode-child.mjs, forked with the test's heap):
// every mode with several processes setting different values; a live mode drops a SIGKILLed process in the very
// next scrape while the others keep its last value; liveness is the writer's lane lock, which a pid that is still
// (or again) running cannot fake; a lane taken over by a new process does not make it report the dead one's value;
// worker threads are writers of their own; another mode for the same gauge in another process conflicts; and the
// output, pid labels included, passes promtool and the Python parsers.
//
// The test process reads (HeapExporter, and prom-client's registry with its own declarations of the gauges) but
// never writes, so it holds no writer lane: the lanes are the children's.
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { Gauge, Heap, HeapExporter, MULTIPROCESS_MODES, type MultiprocessMode } from '../src/index.js';
import { PROCESS_CELL } from '../src/heap/layout.js';
import { heapSnapshot } from './support/heap-checks.js';

const CHILD = fileURLToPath(new URL('./fixtures/gauge-mode-child.mjs', import.meta.url));
const REPLY_MS = 20_000;

// ---- children

interface Reply {
  error?: { code: string; message: string };
  [key: string]: unknown;
}

interface GaugeProcess {
  readonly pid: number;
  ask(op: string, args?: Record<string, unknown>): Promise<Reply>;
  /** SIGKILL, and wait until it has exited. */
  kill(): Promise<void>;
}

const running = new Set<ChildProcess>();
afterEach(() => {
  for (const proc of running) proc.kill('SIGKILL');
  running.clear();
});

async function start(env: NodeJS.ProcessEnv): Promise<GaugeProcess> {
  const proc = fork(CHILD, [], { env: { ...env, MPM_GAUGE_LIFE_MS: '60000' }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  running.add(proc);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.once('exit', () => running.delete(proc));
  let next = 0;
  const pending = new Map<number, (reply: Reply) => void>();
  const ready = new Promise<number>((resolve, reject) => {
    proc.on('message', (message: Reply & { id?: number; ready?: boolean; pid?: number }) => {
      if (message.ready === true) resolve(message.pid!);
      else if (message.id !== undefined) pending.get(message.id)?.(message);
    });
    proc.once('exit', (code, signal) => reject(new Error(`child exited before it was ready (${code ?? signal})`)));
  });
  const pid = await withTimeout(ready, 'child start');
  return {
    pid,
    ask(op, args = {}) {
      const id = next++;
      const reply = new Promise<Reply>((resolve) => pending.set(id, resolve));
      proc.send({ id, op, ...args });
      return withTimeout(reply, `reply to ${op}`);
    },
    async kill() {
      proc.kill('SIGKILL');
      await withTimeout(exited, 'exit after SIGKILL');
    },
  };
}

async function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer in ${REPLY_MS} ms`)), REPLY_MS)))]);
  } finally {
    clearTimeout(timer);
  }
}

async function ok(reply: Promise<Reply>): Promise<Reply> {
  const r = await reply;
  if (r.error !== undefined) throw new Error(`child failed: ${r.error.code} ${r.error.message}`);
  return r;
}

function withHeap(body: (heap: Heap, env: NodeJS.ProcessEnv) => Promise<void>) {
  return async (): Promise<void> => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-gauge-modes-'));
    fs.chmodSync(dir, 0o700);
    const heap = Heap.open({ dir });
    try {
      await body(heap, { ...process.env, MPMETRICS_DIR: dir });
    } finally {
      heap.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
}

// ---- scraping

/** Samples of every mode's gauge, from one scrape: mode → "job=x" or "job=x,pid=123" → value. */
type Scrape = Record<string, Record<string, number>>;

function scrape(heap: Heap): Scrape {
  const out: Scrape = Object.fromEntries(MULTIPROCESS_MODES.map((mode) => [mode, {}]));
  for (const family of heapSnapshot(heap)) {
    const mode = family.name.replace(/^mpmg_/, '');
    if (!(mode in out)) continue;
    for (const s of family.series) {
      const key = family.meta.labelNames.map((name, i) => `${name}=${s.labels[i]}`).join(',');
      expect(out[mode]![key], `duplicate sample ${family.name}{${key}}`).toBeUndefined();
      out[mode]![key] = s.values[0]!;
    }
  }
  return out;
}

/** What prom-client's registry shows for the same gauges, declared in this process, in the same shape. */
async function scrapeRegistry(heap: Heap): Promise<Scrape> {
  const registry = new Registry();
  for (const mode of MULTIPROCESS_MODES) {
    new Gauge({ name: `mpmg_${mode}`, help: `A gauge in mode ${mode}`, labelNames: ['job'], multiprocessMode: mode, heap, registers: [registry] });
  }
  const out: Scrape = {};
  for (const metric of await registry.getMetricsAsJSON()) {
    const samples: Record<string, number> = {};
    for (const v of metric.values) {
      const labels = v.labels as Record<string, string | number>;
      samples[Object.keys(labels).map((name) => `${name}=${labels[name]}`).join(',')] = v.value;
    }
    out[metric.name.replace(/^mpmg_/, '')] = samples;
  }
  return out;
}

/** The samples every mode must show, for values by pid (of processes that set one), given which are alive. */
function expectedScrape(values: { pid: number; job: string; value: number; alive: boolean }[], shared: Record<string, number>): Scrape {
  const out: Scrape = { shared };
  for (const mode of MULTIPROCESS_MODES) {
    if (mode === 'shared') continue;
    const live = mode.startsWith('live');
    const kind = live ? mode.slice(4) : mode;
    const samples: Record<string, number> = {};
    for (const v of values) {
      if (live && !v.alive) continue;
      if (kind === 'all') samples[`job=${v.job},pid=${v.pid}`] = v.value;
      else {
        const key = `job=${v.job}`;
        const before = samples[key];
        samples[key] =
          before === undefined ? v.value : kind === 'sum' ? before + v.value : kind === 'min' ? Math.min(before, v.value) : Math.max(before, v.value);
      }
    }
    out[mode] = samples;
  }
  return out;
}

const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

// ---- the tests

describe('gauge multiprocessMode across processes', () => {
  it(
    'sum, min, max and all combine 4 processes’ values exactly; a process that never set a value counts for nothing (not 0)',
    withHeap(async (heap, env) => {
      const [a, b, c, d] = await Promise.all([start(env), start(env), start(env), start(env)]);
      await ok(a!.ask('set', { values: { x: 5 } }));
      await ok(b!.ask('set', { values: { x: -2.5, y: 1 } }));
      await ok(c!.ask('set', { values: { x: 11 } }));
      await ok(d!.ask('touch')); // d declared every gauge and holds a lane, but never sets one
      const values = [
        { pid: a!.pid, job: 'x', value: 5, alive: true },
        { pid: b!.pid, job: 'x', value: -2.5, alive: true },
        { pid: b!.pid, job: 'y', value: 1, alive: true },
        { pid: c!.pid, job: 'x', value: 11, alive: true },
      ];
      // 'shared': one value, the last set wins (c set x last, b set y)
      const expected = expectedScrape(values, { 'job=x': 11, 'job=y': 1 });
      expect(expected['min']).toEqual({ 'job=x': -2.5, 'job=y': 1 });
      expect(expected['sum']).toEqual({ 'job=x': 13.5, 'job=y': 1 });
      expect(scrape(heap)).toEqual(expected);
      expect(await scrapeRegistry(heap)).toEqual(expected);
    }),
  );

  it(
    'a live mode drops a SIGKILLed process in the very next scrape; the other modes keep its last value, under its pid for all',
    withHeap(async (heap, env) => {
      const [a, b, c] = await Promise.all([start(env), start(env), start(env)]);
      await ok(a!.ask('set', { values: { x: 5 } }));
      await ok(b!.ask('set', { values: { x: -2.5 } }));
      await ok(c!.ask('set', { values: { x: 11 } }));
      const values = [
        { pid: a!.pid, job: 'x', value: 5, alive: true },
        { pid: b!.pid, job: 'x', value: -2.5, alive: true },
        { pid: c!.pid, job: 'x', value: 11, alive: true },
      ];
      expect(scrape(heap)).toEqual(expectedScrape(values, { 'job=x': 11 }));

      await c!.kill(); // the maximum goes
      values[2]!.alive = false;
      const afterC = scrape(heap);
      expect(afterC).toEqual(expectedScrape(values, { 'job=x': 11 }));
      expect(afterC['livemax']).toEqual({ 'job=x': 5 });
      expect(afterC['max']).toEqual({ 'job=x': 11 });
      expect(afterC['all']).toEqual({ [`job=x,pid=${a!.pid}`]: 5, [`job=x,pid=${b!.pid}`]: -2.5, [`job=x,pid=${c!.pid}`]: 11 });
      expect(afterC['liveall']).toEqual({ [`job=x,pid=${a!.pid}`]: 5, [`job=x,pid=${b!.pid}`]: -2.5 });

      await b!.kill(); // then the minimum
      values[1]!.alive = false;
      expect(scrape(heap)).toEqual(expectedScrape(values, { 'job=x': 11 }));
      expect(await scrapeRegistry(heap)).toEqual(expectedScrape(values, { 'job=x': 11 }));
      expect(scrape(heap)['livemin']).toEqual({ 'job=x': 5 });

      await a!.kill(); // nobody left: live modes have no sample at all
      values[0]!.alive = false;
      const none = scrape(heap);
      for (const mode of ['livesum', 'livemin', 'livemax', 'liveall']) expect(none[mode], mode).toEqual({});
      expect(none['sum']).toEqual({ 'job=x': 13.5 });
    }),
  );

  it(
    'liveness is the lane lock, not the pid: a process that is running but closed its heap is dead to live modes',
    withHeap(async (heap, env) => {
      // A pid check (kill(pid, 0)) would call b alive here, and would call a dead writer alive whenever its pid
      // is reused by any process. The lock says whether the writer itself still holds its lane.
      const [a, b] = await Promise.all([start(env), start(env)]);
      await ok(a!.ask('set', { values: { x: 5 } }));
      await ok(b!.ask('set', { values: { x: 7 } }));
      await ok(b!.ask('close'));
      expect(isRunning(b!.pid)).toBe(true);
      const values = [
        { pid: a!.pid, job: 'x', value: 5, alive: true },
        { pid: b!.pid, job: 'x', value: 7, alive: false },
      ];
      expect(scrape(heap)).toEqual(expectedScrape(values, { 'job=x': 7 }));
      expect(scrape(heap)['liveall']).toEqual({ [`job=x,pid=${a!.pid}`]: 5 });
    }),
  );

  it(
    'a lane taken over by a new process does not make it report the dead process’s value: kept under the dead pid, or dropped by live modes',
    withHeap(async (heap, env) => {
      const first = await start(env);
      await ok(first.ask('set', { values: { x: 7 } }));
      const firstLane = await ok(first.ask('info'));
      await first.kill();

      const second = await start(env);
      await ok(second.ask('touch')); // claims a writer lane: the lowest free one, the dead process's
      const secondLane = await ok(second.ask('info'));
      expect(secondLane).toMatchObject({ lane: firstLane['lane'], adopted: true, epoch: (firstLane['epoch'] as number) + 1 });

      const dead = { pid: first.pid, job: 'x', value: 7, alive: false };
      const adopted = scrape(heap);
      expect(adopted).toEqual(expectedScrape([dead], { 'job=x': 7 }));
      expect(adopted['all']).toEqual({ [`job=x,pid=${first.pid}`]: 7 });
      expect(JSON.stringify(adopted)).not.toContain(String(second.pid));

      await ok(second.ask('set', { values: { x: 3 } }));
      const both = [dead, { pid: second.pid, job: 'x', value: 3, alive: true }];
      expect(scrape(heap)).toEqual(expectedScrape(both, { 'job=x': 3 }));
      expect(await scrapeRegistry(heap)).toEqual(expectedScrape(both, { 'job=x': 3 }));

      // Memory: live modes took the dead process's cell over; the others keep it beside the new one.
      const cells = (mode: MultiprocessMode): number => {
        const family = heap.findFamily(`mpmg_${mode}`)!;
        let n = 0;
        heap.readEachCell(heap.findSeries(family.ptr, '["x"]')!, PROCESS_CELL.WORDS, () => n++);
        return n;
      };
      expect(cells('liveall')).toBe(1);
      expect(cells('livesum')).toBe(1);
      expect(cells('all')).toBe(2);
      expect(cells('sum')).toBe(2);
    }),
  );

  it(
    'worker threads are writers of their own: min/max see each; in mode all, the threads of one process add up under its pid',
    withHeap(async (heap, env) => {
      const [a, b] = await Promise.all([start(env), start(env)]);
      await ok(a!.ask('set', { values: { x: 2 } }));
      const thread = await ok(a!.ask('thread', { values: { x: 3 } }));
      const aLane = await ok(a!.ask('info'));
      expect(thread['lane']).not.toBe(aLane['lane']);
      await ok(b!.ask('set', { values: { x: 10 } }));
      const got = scrape(heap);
      expect(got['sum']).toEqual({ 'job=x': 15 });
      expect(got['min']).toEqual({ 'job=x': 2 });
      expect(got['max']).toEqual({ 'job=x': 10 });
      expect(got['all']).toEqual({ [`job=x,pid=${a!.pid}`]: 5, [`job=x,pid=${b!.pid}`]: 10 });
      expect(got['liveall']).toEqual(got['all']);
    }),
  );

  it(
    'another process declaring the gauge in another mode gets MPM_ERR_METRIC_CONFLICT; the same mode attaches',
    withHeap(async (heap, env) => {
      new Gauge({ name: 'mpmg_declared', help: 'Declared first here', labelNames: ['job'], multiprocessMode: 'livemax', heap, registers: [] });
      const child = await start(env);
      for (const mode of ['max', 'shared', 'liveall'] as const) {
        const reply = await child.ask('declare', { name: 'mpmg_declared', mode });
        expect(reply.error?.code, mode).toBe('MPM_ERR_METRIC_CONFLICT');
        expect(reply.error?.message).toContain('already declared in the shared heap with multiprocessMode "livemax"');
      }
      expect((await child.ask('declare', { name: 'mpmg_declared', mode: 'livemax' })).error).toBeUndefined();
      // and the other way round: the child's declarations (mode per name) bind this process
      expect(() => new Gauge({ name: 'mpmg_sum', help: 'h', labelNames: ['job'], multiprocessMode: 'livesum', heap, registers: [] })).toThrow(
        expect.objectContaining({ code: 'MPM_ERR_METRIC_CONFLICT' }),
      );
    }),
  );

  it(
    'reset() in one process clears every process’s value',
    withHeap(async (heap, env) => {
      const [a, b] = await Promise.all([start(env), start(env)]);
      await ok(a!.ask('set', { values: { x: 5 } }));
      await ok(b!.ask('set', { values: { x: 6 } }));
      for (const mode of MULTIPROCESS_MODES) new Gauge({ name: `mpmg_${mode}`, help: 'h', labelNames: ['job'], multiprocessMode: mode, heap, registers: [] }).reset();
      for (const [mode, samples] of Object.entries(scrape(heap))) expect(samples, mode).toEqual({});
      await ok(a!.ask('set', { values: { x: 1 } }));
      expect(scrape(heap)).toEqual(expectedScrape([{ pid: a!.pid, job: 'x', value: 1, alive: true }], { 'job=x': 1 }));
    }),
  );
});

// ---- the reference tools (as in exposition-validators.test.ts: promtool from the Debian package "prometheus",
// the parsers of python3-prometheus-client for /usr/bin/python3)

const PYTHON_PARSE = `
import sys, json
if sys.argv[1] == 'openmetrics':
    from prometheus_client.openmetrics.parser import text_string_to_metric_families
else:
    from prometheus_client.parser import text_string_to_metric_families
try:
    out = [[s.name, s.labels, s.value] for f in text_string_to_metric_families(sys.stdin.read()) for s in f.samples]
except Exception as e:
    print(json.dumps({'error': '%s: %s' % (type(e).__name__, e)}))
    sys.exit(0)
print(json.dumps({'samples': out}))
`;

function python(): string {
  for (const candidate of ['/usr/bin/python3', 'python3']) {
    if (spawnSync(candidate, ['-c', 'import prometheus_client.openmetrics.parser'], { encoding: 'utf8' }).status === 0) return candidate;
  }
  throw new Error('no python3 with prometheus_client: install the Debian package python3-prometheus-client');
}

function pythonSamples(text: string, format: 'prometheus' | 'openmetrics'): [string, Record<string, string>, number][] {
  const run = spawnSync(python(), ['-c', PYTHON_PARSE, format], { input: text, encoding: 'utf8', timeout: 60_000 });
  const parsed = JSON.parse(run.stdout) as { samples?: [string, Record<string, string>, number][]; error?: string };
  expect(parsed.error, `${format}:\n${text}`).toBeUndefined();
  return parsed.samples!;
}

function promtool(text: string): void {
  const run = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 60_000 });
  if (run.error) throw new Error(`promtool: ${run.error.message} (install the Debian package "prometheus")`);
  // 0: clean; 3: parsed, with naming advice only (lines "<metric> <problem>"); 1: did not parse
  const problems = run.stderr.split('\n').filter((l) => l !== '' && !/^[a-zA-Z_:][a-zA-Z0-9_:]* \S/.test(l));
  expect({ status: run.status === 3 ? 0 : run.status, problems }, run.stderr).toEqual({ status: 0, problems: [] });
}

describe('exposition with pid labels', () => {
  it(
    'passes promtool and the Python parsers in both formats, from HeapExporter and from prom-client’s registry',
    withHeap(async (heap, env) => {
      const [a, b] = await Promise.all([start(env), start(env)]);
      await ok(a!.ask('set', { values: { x: 5, 'quo"te\\': 0.5 } }));
      await ok(b!.ask('set', { values: { x: -2.5 } }));
      await b!.kill();
      const registry = new Registry();
      for (const mode of MULTIPROCESS_MODES) {
        new Gauge({ name: `mpmg_${mode}`, help: `A gauge in mode ${mode}`, labelNames: ['job'], multiprocessMode: mode, heap, registers: [registry] });
      }
      const exporter = new HeapExporter(heap);
      const texts = {
        'HeapExporter text': [await exporter.metrics('prometheus'), 'prometheus'],
        'HeapExporter OpenMetrics': [await exporter.metrics('openmetrics'), 'openmetrics'],
        'registry text': [await registry.metrics(), 'prometheus'],
      } as const;
      for (const [what, [text, format]] of Object.entries(texts)) {
        if (format === 'prometheus') promtool(text);
        const samples = pythonSamples(text, format).filter(([name]) => name === 'mpmg_all' || name === 'mpmg_liveall');
        expect(samples.sort(), what).toEqual(
          [
            ['mpmg_all', { job: 'x', pid: String(a!.pid) }, 5],
            ['mpmg_all', { job: 'quo"te\\', pid: String(a!.pid) }, 0.5],
            ['mpmg_all', { job: 'x', pid: String(b!.pid) }, -2.5],
            ['mpmg_liveall', { job: 'x', pid: String(a!.pid) }, 5],
            ['mpmg_liveall', { job: 'quo"te\\', pid: String(a!.pid) }, 0.5],
          ].sort(),
        );
      }
    }),
  );
});
