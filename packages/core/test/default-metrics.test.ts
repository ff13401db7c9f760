// collectDefaultMetrics(): prom-client's default metrics for every process, with a pid label, in the shared heap.
// A cluster primary and 3 workers (fixtures/runtime-cluster.mjs) all call it; one scrape of the primary shows
// each of the 4 processes exactly once; a worker that exits leaves the gauges (liveall) but its CPU counter
// stays, so the cumulative total never drops. The families are prom-client's own (names, help, types), options are
// checked, and the output passes promtool and the Python parsers.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry, collectDefaultMetrics as promCollectDefaultMetrics } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Heap, HeapExporter, collectDefaultMetrics } from '../src/index.js';

const CLUSTER = fileURLToPath(new URL('./fixtures/runtime-cluster.mjs', import.meta.url));

// ---- samples of a text exposition

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function samplesOf(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null) throw new Error(`unparsable line ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: m[3] === 'NaN' || m[3] === 'Nan' ? NaN : Number(m[3]) });
  }
  return out;
}

/** pid → value of one metric (without further labels); throws on a pid seen twice. */
function byPid(samples: Sample[], name: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const s of samples.filter((x) => x.name === name)) {
    const pid = Number(s.labels['pid']);
    expect(out.has(pid), `${name}: pid ${pid} twice`).toBe(false);
    out.set(pid, s.value);
  }
  return out;
}

// ---- the reference tools (as exposition-validators.test.ts runs them)

function promtoolAccepts(text: string): void {
  const run = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 60_000 });
  if (run.error) throw new Error(`promtool: ${run.error.message} (install the Debian package "prometheus")`);
  const problems = run.stderr.split('\n').filter((l) => l !== '' && !/^[a-zA-Z_:][a-zA-Z0-9_:]* \S/.test(l));
  expect({ status: run.status === 3 ? 0 : run.status, problems }, run.stderr).toEqual({ status: 0, problems: [] });
}

const PYTHON_PARSE = `
import sys, json
if sys.argv[1] == 'openmetrics':
    from prometheus_client.openmetrics.parser import text_string_to_metric_families
else:
    from prometheus_client.parser import text_string_to_metric_families
try:
    print(json.dumps({'families': [f.name for f in text_string_to_metric_families(sys.stdin.read())]}))
except Exception as e:
    print(json.dumps({'error': '%s: %s' % (type(e).__name__, e)}))
`;

function pythonFamilies(text: string, format: 'prometheus' | 'openmetrics'): string[] {
  const run = spawnSync('/usr/bin/python3', ['-c', PYTHON_PARSE, format], { input: text, encoding: 'utf8', timeout: 60_000 });
  const parsed = JSON.parse(run.stdout || JSON.stringify({ error: run.stderr })) as { families?: string[]; error?: string };
  expect(parsed.error).toBeUndefined();
  return parsed.families!;
}

// ---- across processes

interface ClusterRun {
  primary: number;
  workers: number[];
  exited: number;
  before: { registry: string; exporter: string; openmetrics: string };
  after: { registry: string; exporter: string; openmetrics: string };
}

describe('collectDefaultMetrics across a cluster', () => {
  let run: ClusterRun;
  beforeAll(() => {
    const env = { ...process.env };
    delete env['MPMETRICS_DIR']; // the primary makes its own private heap, inherited by its workers
    const child = spawnSync(process.execPath, [CLUSTER], { env, encoding: 'utf8', timeout: 90_000, maxBuffer: 64 * 1024 * 1024 });
    if (child.status !== 0) throw new Error(`runtime-cluster exited ${child.status ?? child.signal}\n${child.stderr}`);
    run = JSON.parse(child.stdout) as ClusterRun;
  }, 120_000);

  it('one scrape of the primary shows the runtime metrics of all 4 processes, each pid once', () => {
    const pids = [run.primary, ...run.workers].sort();
    for (const text of [run.before.registry, run.before.exporter, run.before.openmetrics]) {
      const samples = samplesOf(text);
      for (const name of [
        'process_cpu_user_seconds_total',
        'process_cpu_seconds_total',
        'process_start_time_seconds',
        'process_resident_memory_bytes',
        'process_open_fds',
        'nodejs_heap_size_used_bytes',
        'nodejs_external_memory_bytes',
        'nodejs_eventloop_lag_p99_seconds',
        'nodejs_active_handles_total',
      ]) {
        const values = byPid(samples, name);
        expect([...values.keys()].sort(), name).toEqual(pids);
      }
      for (const [pid, cpu] of byPid(samples, 'process_cpu_seconds_total')) expect(cpu, `cpu of ${pid}`).toBeGreaterThan(0);
      for (const [pid, used] of byPid(samples, 'nodejs_heap_size_used_bytes')) expect(used, `heap of ${pid}`).toBeGreaterThan(1e5);
      const versions = samples.filter((s) => s.name === 'nodejs_version_info');
      expect(versions.map((s) => Number(s.labels['pid'])).sort()).toEqual(pids);
      for (const s of versions) expect(s.labels).toMatchObject({ version: process.version, major: process.version.slice(1).split('.')[0] });
      // heap spaces: one sample per (space, pid)
      const spaces = samples.filter((s) => s.name === 'nodejs_heap_space_size_used_bytes');
      expect(new Set(spaces.map((s) => `${s.labels['space']}/${s.labels['pid']}`)).size).toBe(spaces.length);
      expect(new Set(spaces.map((s) => Number(s.labels['pid'])))).toEqual(new Set(pids));
    }
  });

  it('a worker that exits leaves the gauges, but its CPU counter stays: the total never drops', () => {
    const before = samplesOf(run.before.exporter);
    const after = samplesOf(run.after.exporter);
    const living = [run.primary, ...run.workers.filter((pid) => pid !== run.exited)].sort();
    expect(run.workers).toContain(run.exited);
    for (const name of ['nodejs_heap_size_used_bytes', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_p99_seconds']) {
      expect([...byPid(after, name).keys()].sort(), name).toEqual(living);
    }
    expect(after.filter((s) => s.name === 'nodejs_version_info').map((s) => Number(s.labels['pid'])).sort()).toEqual(living);
    for (const name of ['process_cpu_user_seconds_total', 'process_cpu_system_seconds_total', 'process_cpu_seconds_total']) {
      const was = byPid(before, name);
      const is = byPid(after, name);
      expect(is.has(run.exited), `${name} of the exited worker`).toBe(true);
      expect(is.get(run.exited)!, name).toBeGreaterThanOrEqual(was.get(run.exited)!);
      const total = (m: Map<number, number>): number => [...m.values()].reduce((a, b) => a + b, 0);
      expect(total(is), name).toBeGreaterThanOrEqual(total(was));
    }
    // the registry of the primary agrees
    expect(byPid(samplesOf(run.after.registry), 'process_cpu_seconds_total').has(run.exited)).toBe(true);
    expect(byPid(samplesOf(run.after.registry), 'nodejs_heap_size_used_bytes').has(run.exited)).toBe(false);
  });

  it('the output passes promtool and the Python parsers', () => {
    promtoolAccepts(run.before.registry);
    promtoolAccepts(run.before.exporter);
    promtoolAccepts(run.after.exporter);
    expect(pythonFamilies(run.before.registry, 'prometheus')).toContain('process_cpu_seconds');
    expect(pythonFamilies(run.before.exporter, 'prometheus')).toContain('nodejs_heap_size_used_bytes');
    expect(pythonFamilies(run.before.openmetrics, 'openmetrics')).toContain('process_cpu_seconds');
    expect(pythonFamilies(run.after.openmetrics, 'openmetrics')).toContain('nodejs_version_info');
  });
});

// ---- in this process

describe('collectDefaultMetrics in one process', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-default-metrics-'));
  fs.chmodSync(dir, 0o700);
  let heap: Heap;
  beforeAll(() => {
    heap = Heap.open({ dir });
  });
  afterAll(() => {
    heap.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** `# HELP` and `# TYPE` lines: the families as a scraper sees them. */
  const declarations = (text: string): string[] => text.split('\n').filter((l) => l.startsWith('# HELP') || l.startsWith('# TYPE')).sort();

  it('declares exactly prom-client’s default families: names, help texts and types', async () => {
    const theirs = new Registry();
    promCollectDefaultMetrics({ register: theirs });
    const ours = new Registry();
    const collector = collectDefaultMetrics({ register: ours, heap });
    try {
      expect(declarations(await ours.metrics())).toEqual(declarations(await theirs.metrics()));
      // prom-client's label names, then pid
      const versions = samplesOf(await ours.metrics()).filter((s) => s.name === 'nodejs_version_info');
      expect(versions.map((s) => Object.keys(s.labels))).toEqual([['version', 'major', 'minor', 'patch', 'pid']]);
    } finally {
      collector.stop();
    }
  });

  it('adds `prefix` and `labels` like prom-client, and `pid` last; GC durations land in the histogram', async () => {
    const registry = new Registry();
    const collector = collectDefaultMetrics({ register: registry, heap, prefix: 'app_', labels: { region: 'eu', shard: 3 }, gcDurationBuckets: [0.5, 1] });
    try {
      const gc = (globalThis as { gc?: () => void }).gc;
      if (gc !== undefined) gc();
      else for (let i = 0, junk: unknown[] = []; i < 2e6; i++) junk[i % 1000] = { i };
      await new Promise((resolve) => setTimeout(resolve, 50)); // the GC observer reports asynchronously
      const samples = samplesOf(await registry.metrics());
      expect(samples.every((s) => s.name.startsWith('app_'))).toBe(true);
      const cpu = samples.find((s) => s.name === 'app_process_cpu_seconds_total')!;
      expect(Object.entries(cpu.labels)).toEqual([
        ['region', 'eu'],
        ['shard', '3'],
        ['pid', String(process.pid)],
      ]);
      const space = samples.find((s) => s.name === 'app_nodejs_heap_space_size_used_bytes')!;
      expect(Object.keys(space.labels)).toEqual(['space', 'region', 'shard', 'pid']);
      const buckets = samples.filter((s) => s.name === 'app_nodejs_gc_duration_seconds_bucket');
      expect(buckets.length).toBeGreaterThan(0);
      expect(new Set(buckets.map((s) => s.labels['le']))).toEqual(new Set(['0.5', '1', '+Inf']));
      expect(buckets[0]!.labels).toMatchObject({ region: 'eu', shard: '3', pid: String(process.pid) });
      expect(['major', 'minor', 'incremental', 'weakcb']).toContain(buckets[0]!.labels['kind']);
    } finally {
      collector.stop();
    }
  });

  it('samples right before HeapExporter exports, and stop() unregisters the families', async () => {
    const registry = new Registry();
    const collector = collectDefaultMetrics({ register: registry, heap, sampleIntervalMs: 3_600_000 });
    const cpu = async (): Promise<number> => byPid(samplesOf(await new HeapExporter(heap).metrics()), 'process_cpu_seconds_total').get(process.pid)!;
    const first = await cpu();
    for (let until = Date.now() + 30; Date.now() < until; ); // burn some CPU
    await new Promise((resolve) => setImmediate(resolve)); // next turn: a new export samples again
    expect(await cpu()).toBeGreaterThan(first);
    collector.stop();
    expect(registry.getMetricsAsArray()).toEqual([]);
  });

  it('a handle type this process no longer has leaves the scrape (prom-client resets the gauge), not a 0', async () => {
    const registry = new Registry();
    const collector = collectDefaultMetrics({ register: registry, heap, sampleIntervalMs: 3_600_000 });
    const servers = async (): Promise<number | undefined> =>
      samplesOf(await registry.metrics()).find((s) => s.name === 'nodejs_active_resources' && s.labels['type'] === 'TCPServerWrap')?.value;
    try {
      expect(await servers()).toBeUndefined();
      const server = net.createServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      collector.sample();
      expect(await servers()).toBe(1);
      await new Promise((resolve) => server.close(resolve));
      await new Promise((resolve) => setImmediate(resolve)); // next turn: the scrape samples again
      expect(await servers()).toBeUndefined();
    } finally {
      collector.stop();
    }
  });

  it('runs once per thread: a second call throws until the first is stopped', () => {
    const first = collectDefaultMetrics({ register: new Registry(), heap });
    expect(() => collectDefaultMetrics({ register: new Registry(), heap })).toThrow(expect.objectContaining({ code: 'MPM_ERR_ALREADY_COLLECTING' }));
    first.stop();
    collectDefaultMetrics({ register: new Registry(), heap }).stop();
  });

  it('checks its options when called, naming the option', () => {
    const bad: [unknown, RegExp, string][] = [
      ['yes', /options object/, 'MPM_ERR_INVALID_ARG_TYPE'],
      [{ timeout: 10 }, /Unknown option "timeout"/, 'MPM_ERR_OUT_OF_RANGE'],
      [{ register: {} }, /"register" must be a prom-client registry/, 'MPM_ERR_INVALID_ARG_TYPE'],
      [{ prefix: 'my-app_' }, /Invalid "prefix" "my-app_"/, 'MPM_ERR_OUT_OF_RANGE'],
      [{ prefix: 3 }, /"prefix" must be a string/, 'MPM_ERR_INVALID_ARG_TYPE'],
      [{ labels: { pid: '1' } }, /Invalid label name "pid" in "labels"/, 'MPM_ERR_LABELS'],
      [{ labels: { type: 'x' } }, /Invalid label name "type" in "labels"/, 'MPM_ERR_LABELS'],
      [{ labels: { 'a-b': 'x' } }, /Invalid label name "a-b"/, 'MPM_ERR_OUT_OF_RANGE'],
      [{ labels: { a: true } }, /Label "a" must be a string or a number/, 'MPM_ERR_LABELS'],
      [{ gcDurationBuckets: [2, 1] }, /"buckets" must be strictly increasing/, 'MPM_ERR_OUT_OF_RANGE'],
      [{ eventLoopMonitoringPrecision: 0 }, /"eventLoopMonitoringPrecision" must be an integer from 1/, 'MPM_ERR_OUT_OF_RANGE'],
      [{ sampleIntervalMs: 1.5 }, /"sampleIntervalMs" must be an integer/, 'MPM_ERR_OUT_OF_RANGE'],
      [{ enableExemplars: true }, /"enableExemplars" is not supported/, 'MPM_ERR_OUT_OF_RANGE'],
    ];
    for (const [options, message, code] of bad) {
      const call = (): unknown => collectDefaultMetrics({ heap, register: new Registry(), ...(options as object) });
      const plain = (): unknown => collectDefaultMetrics(options as never);
      const make = typeof options === 'object' ? call : plain;
      expect(make, JSON.stringify(options)).toThrow(message);
      expect(make, JSON.stringify(options)).toThrow(expect.objectContaining({ code }));
    }
  });
});
