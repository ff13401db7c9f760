// The metric types across processes, as users meet them: a cluster primary (fixtures/metrics-mp-primary.mjs)
// declares labeled Counters, Gauges, a Histogram and a Summary; its 4 node:cluster workers and 2 worker_threads
// declare the same metrics and update them all at once; then prom-client's own `register.metrics()` and
// `getMetricsAsJSON()` in every process show the exact totals of all six, as does a process that declares nothing
// (HeapExporter). remove() and reset() done in one process are seen by all; a conflicting declaration throws
// MPM_ERR_METRIC_CONFLICT where it is made; collect() runs only in the process that scrapes.
//
// The test decides every update (a seeded list per writer) and sends it as data, so the expected totals are
// computed here from the same list. Increments, gauge steps and observations are dyadic fractions (k/2^n), whose
// sums are exact in doubles in any order: totals are compared exactly, except one series fed 0.1/0.3/2.7 on
// purpose (summed in an order nobody controls: compared to 1e-9 relative).
import { fork, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from './support/random.js';

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const PRIMARY = fixture('metrics-mp-primary.mjs');
const EXPORTER = fixture('metrics-mp-exporter.mjs');

/** README: summary quantiles have a relative error ≤ 1% (SUMMARY_RELATIVE_ACCURACY). */
const RELATIVE_ACCURACY = 0.01;
/** Slack for the last bits of a double at the edge of a bin (a value at γ^k is off by exactly α). */
const FLOAT_SLACK = 1e-12;

// ---- what every process declares (sent to each as data)

type LabelSet = Record<string, string | number>;

interface Spec {
  key: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary';
  collectMarker?: boolean;
  config: { name: string; help: string; labelNames?: string[]; buckets?: number[]; percentiles?: number[] };
}

const BUCKETS = [0.125, 0.25, 0.5, 1, 2.5, 5, 10];
const PERCENTILES = [0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99];
const SPECS: Spec[] = [
  { key: 'requests', type: 'counter', config: { name: 'mpmt_requests_total', help: 'Requests', labelNames: ['route', 'code'] } },
  { key: 'bytes', type: 'counter', config: { name: 'mpmt_bytes_total', help: 'Bytes', labelNames: ['dir'] } },
  { key: 'jobs', type: 'counter', config: { name: 'mpmt_jobs_total', help: 'Jobs (no labels)' } },
  { key: 'inflight', type: 'gauge', config: { name: 'mpmt_inflight', help: 'In flight', labelNames: ['pool'] } },
  {
    key: 'latency',
    type: 'histogram',
    config: { name: 'mpmt_latency_seconds', help: 'Latency', labelNames: ['route'], buckets: BUCKETS },
  },
  {
    key: 'payload',
    type: 'summary',
    config: { name: 'mpmt_payload_bytes', help: 'Payload', labelNames: ['route'], percentiles: PERCENTILES },
  },
  { key: 'collected', type: 'gauge', collectMarker: true, config: { name: 'mpmt_collected', help: 'Set by collect() to the scraper' } },
];
const NAME = Object.fromEntries(SPECS.map((s) => [s.key, s.config.name])) as Record<string, string>;
const FAMILY_NAMES = SPECS.map((s) => s.config.name).sort();
/** Its value depends on who scraped last: checked on its own, left out of the totals. */
const COLLECTED = NAME['collected']!;

// ---- the updates: kinds of update, and a seeded list of them per writer

interface Fn {
  key: string;
  method: 'inc' | 'dec' | 'observe';
  labels: (LabelSet | null)[];
  values: number[];
}

const ROUTES = ['/a', '/b', '/c'];
const FNS: Fn[] = [
  // a label value given as a number in some updates and as text in others is one series ("200")
  {
    key: 'requests',
    method: 'inc',
    labels: ROUTES.flatMap((route) => [200, '200', 500, '500'].map((code) => ({ route, code }))),
    values: [1, 2, 3, 0.5, 0.25, 1.125],
  },
  { key: 'bytes', method: 'inc', labels: [{ dir: 'in' }], values: [0.5, 0.25, 0.125, 1.375] },
  { key: 'bytes', method: 'inc', labels: [{ dir: 'out' }], values: [0.1, 0.3, 2.7] },
  { key: 'jobs', method: 'inc', labels: [null], values: [1, 2] },
  { key: 'inflight', method: 'inc', labels: [{ pool: 'db' }, { pool: 'http' }], values: [1, 2, 0.5] },
  { key: 'inflight', method: 'dec', labels: [{ pool: 'db' }, { pool: 'http' }], values: [1, 0.25, 3] },
  {
    key: 'latency',
    method: 'observe',
    labels: ROUTES.map((route) => ({ route })),
    // bucket bounds themselves (le is inclusive), values between them, below the first and above the last
    values: [-1, 0, 0.0625, 0.125, 0.1875, 0.25, 0.375, 0.5, 0.75, 1, 1.5, 2.5, 4, 5, 7.5, 10, 12, 100],
  },
  // 1 … 998.5: three decades, inside the ~4 decades the sketch documents as accurate
  { key: 'payload', method: 'observe', labels: [{ route: '/a' }, { route: '/b' }], values: Array.from({ length: 400 }, (_, k) => 1 + k * 2.5) },
];
const APPROX_FN = 2;

const WRITERS = 6; // 0-3: cluster workers, 4-5: worker threads
const OPS = 4000;
const REPEAT = 150; // each writer runs its list this many times: 600k updates each, long enough to overlap


/** [fn, label index, value index] × OPS for one writer. */
function opsFor(writer: number): Float64Array {
  const rand = mulberry32(0x5eed + writer * 7919);
  const ops = new Float64Array(OPS * 3);
  for (let i = 0; i < OPS; i++) {
    const fn = Math.floor(rand() * FNS.length);
    ops[i * 3] = fn;
    ops[i * 3 + 1] = Math.floor(rand() * FNS[fn]!.labels.length);
    ops[i * 3 + 2] = Math.floor(rand() * FNS[fn]!.values.length);
  }
  return ops;
}
const OPS_OF = Array.from({ length: WRITERS }, (_, w) => opsFor(w));

// ---- samples: `name{sorted labels}` → value, from text or from getMetricsAsJSON()

type Samples = Map<string, number>;

function normalizeLabel(name: string, value: string): string {
  // le/quantile are spelled "1" by prom-client and "1.0" by HeapExporter: compare them as numbers
  if ((name === 'le' || name === 'quantile') && value !== '+Inf') return String(Number(value));
  return value;
}

function sampleKey(name: string, labels: Record<string, string | number>): string {
  const entries = Object.entries(labels)
    .map(([k, v]) => [k, normalizeLabel(k, String(v))] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${name}${JSON.stringify(Object.fromEntries(entries))}`;
}

function parseNumber(text: string): number {
  if (text === 'NaN' || text === 'Nan') return NaN; // prom-client writes "Nan"
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  const n = Number(text);
  if (Number.isNaN(n)) throw new Error(`not a number: ${text}`);
  return n;
}

function unescapeLabel(value: string): string {
  return value.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

/** Samples of a Prometheus text (0.0.4) or OpenMetrics exposition (no timestamps, no exemplars). */
function parseText(text: string): Samples {
  const out: Samples = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null) throw new Error(`unparsable sample line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/y;
    const body = m[2] ?? '';
    let at = 0;
    while (at < body.length) {
      re.lastIndex = at;
      const l = re.exec(body);
      if (l === null) throw new Error(`unparsable labels in ${JSON.stringify(line)}`);
      labels[l[1]!] = unescapeLabel(l[2]!);
      at = re.lastIndex;
    }
    const key = sampleKey(m[1]!, labels);
    if (out.has(key)) throw new Error(`duplicate sample ${key}`);
    out.set(key, parseNumber(m[3]!));
  }
  return out;
}

interface JsonMetric {
  name: string;
  help: string;
  type: string;
  values: { value: number; labels: Record<string, string | number>; metricName?: string }[];
}

function parseJson(metrics: JsonMetric[]): Samples {
  const out: Samples = new Map();
  for (const metric of metrics) {
    for (const v of metric.values) {
      const key = sampleKey(v.metricName ?? metric.name, v.labels);
      if (out.has(key)) throw new Error(`duplicate sample ${key}`);
      out.set(key, v.value);
    }
  }
  return out;
}

function without(samples: Samples, familyName: string): Samples {
  return new Map([...samples].filter(([key]) => !key.startsWith(`${familyName}{`)));
}

function isQuantile(key: string): boolean {
  return key.startsWith(`${NAME['payload']}{`) && key.includes('"quantile"');
}

// ---- expected totals

interface Expected {
  /** Compared exactly. */
  exact: Samples;
  /** Compared to 1e-9 relative (fed non-dyadic increments). */
  approx: Samples;
  /** Summary quantile samples → every observation of their series, sorted (with multiplicity). */
  quantiles: Map<string, number[]>;
}

/** Builds expected samples from "what was done", one entry per series. */
class Model {
  counters = new Map<string, { name: string; labels: LabelSet; value: number; approx: boolean }>();
  gauges = new Map<string, { name: string; labels: LabelSet; value: number }>();
  histograms = new Map<string, { labels: LabelSet; counts: number[]; sum: number }>();
  summaries = new Map<string, { labels: LabelSet; values: number[] }>();

  static text(labels: LabelSet | null): LabelSet {
    return Object.fromEntries(Object.entries(labels ?? {}).map(([k, v]) => [k, String(v)]));
  }

  apply(fn: Fn, labels: LabelSet | null, value: number, times = 1, approx = false): void {
    const l = Model.text(labels);
    const id = JSON.stringify(l);
    if (fn.key === 'requests' || fn.key === 'bytes' || fn.key === 'jobs') {
      const id2 = `${fn.key}${id}`;
      const c = this.counters.get(id2) ?? { name: NAME[fn.key]!, labels: l, value: 0, approx: false };
      for (let i = 0; i < times; i++) c.value += value;
      c.approx ||= approx;
      this.counters.set(id2, c);
    } else if (fn.key === 'inflight') {
      const g = this.gauges.get(id) ?? { name: NAME[fn.key]!, labels: l, value: 0 };
      g.value += (fn.method === 'dec' ? -value : value) * times;
      this.gauges.set(id, g);
    } else if (fn.key === 'latency') {
      const h = this.histograms.get(id) ?? { labels: l, counts: new Array<number>(BUCKETS.length + 1).fill(0), sum: 0 };
      let b = 0;
      while (b < BUCKETS.length && value > BUCKETS[b]!) b++;
      h.counts[b]! += times;
      h.sum += value * times;
      this.histograms.set(id, h);
    } else if (fn.key === 'payload') {
      const s = this.summaries.get(id) ?? { labels: l, values: [] };
      for (let i = 0; i < times; i++) s.values.push(value);
      this.summaries.set(id, s);
    }
  }

  /** Forgets a series (remove / reset with labels). */
  drop(key: string, labels: LabelSet | null): void {
    const id = JSON.stringify(Model.text(labels));
    if (key === 'latency') this.histograms.delete(id);
    else if (key === 'payload') this.summaries.delete(id);
    else if (key === 'inflight') this.gauges.delete(id);
    else this.counters.delete(`${key}${id}`);
  }

  /** Keeps every series of a summary, emptied (a summary's reset(), as in prom-client). */
  emptyAll(key: string): void {
    if (key !== 'payload') throw new Error('only summaries are emptied by reset()');
    for (const s of this.summaries.values()) s.values = [];
  }

  dropAll(key: string): void {
    const map = key === 'latency' ? this.histograms : key === 'payload' ? this.summaries : key === 'inflight' ? this.gauges : undefined;
    if (map !== undefined) map.clear();
    else for (const id of [...this.counters.keys()]) if (id.startsWith(`${key}{`)) this.counters.delete(id);
  }

  expected(): Expected {
    const exact: Samples = new Map();
    const approx: Samples = new Map();
    const quantiles = new Map<string, number[]>();
    for (const c of this.counters.values()) (c.approx ? approx : exact).set(sampleKey(c.name, c.labels), c.value);
    for (const g of this.gauges.values()) exact.set(sampleKey(g.name, g.labels), g.value);
    const h = NAME['latency']!;
    for (const s of this.histograms.values()) {
      let cumulative = 0;
      s.counts.forEach((n, i) => {
        cumulative += n;
        exact.set(sampleKey(`${h}_bucket`, { ...s.labels, le: i < BUCKETS.length ? String(BUCKETS[i]) : '+Inf' }), cumulative);
      });
      exact.set(sampleKey(`${h}_count`, s.labels), cumulative);
      exact.set(sampleKey(`${h}_sum`, s.labels), s.sum);
    }
    const p = NAME['payload']!;
    for (const s of this.summaries.values()) {
      const sorted = [...s.values].sort((a, b) => a - b);
      for (const q of PERCENTILES) {
        const key = sampleKey(p, { ...s.labels, quantile: String(q) });
        if (sorted.length === 0) exact.set(key, 0); // no observations: 0, as prom-client
        else quantiles.set(key, sorted);
      }
      exact.set(sampleKey(`${p}_count`, s.labels), sorted.length);
      exact.set(sampleKey(`${p}_sum`, s.labels), sorted.reduce((a, b) => a + b, 0));
    }
    return { exact, approx, quantiles };
  }
}

function modelOfWork(): Model {
  const model = new Model();
  for (let w = 0; w < WRITERS; w++) {
    const ops = OPS_OF[w]!;
    for (let i = 0; i < ops.length; i += 3) {
      const fn = FNS[ops[i]!]!;
      model.apply(fn, fn.labels[ops[i + 1]!]!, fn.values[ops[i + 2]!]!, REPEAT, ops[i] === APPROX_FN);
    }
  }
  return model;
}

/** The bound the sketch documents: within α of the observations at rank q·(n−1) (either neighbour). */
function quantileBounds(sorted: number[], q: number): [number, number] {
  const rank = q * (sorted.length - 1);
  const lo = sorted[Math.floor(rank)]!;
  const hi = sorted[Math.ceil(rank)]!;
  const slack = RELATIVE_ACCURACY + FLOAT_SLACK;
  return [lo - slack * Math.abs(lo), hi + slack * Math.abs(hi)];
}

/** Checks one scrape (everything but the collect() gauge) against the expected totals. */
function expectTotals(actual: Samples, expected: Expected, where: string): void {
  const got = without(actual, COLLECTED);
  const keys = [...got.keys()].sort();
  const wanted = [...expected.exact.keys(), ...expected.approx.keys(), ...expected.quantiles.keys()].sort();
  expect(keys, `${where}: the set of samples`).toEqual(wanted);
  const exact = Object.fromEntries([...expected.exact.keys()].map((k) => [k, got.get(k)]));
  expect(exact, `${where}: exact totals`).toEqual(Object.fromEntries(expected.exact));
  for (const [key, value] of expected.approx) {
    expect(Math.abs(got.get(key)! - value) / value, `${where}: ${key} = ${got.get(key)}, expected ≈ ${value}`).toBeLessThan(1e-9);
  }
}

/** Quantile samples of a scrape that are outside the documented bound, as readable lines. */
function quantileViolations(actual: Samples, expected: Expected): string[] {
  const out: string[] = [];
  for (const [key, sorted] of expected.quantiles) {
    const q = Number((JSON.parse(key.slice(key.indexOf('{'))) as Record<string, string>)['quantile']);
    const value = actual.get(key)!;
    const [min, max] = quantileBounds(sorted, q);
    if (!(value >= min && value <= max)) {
      const rank = q * (sorted.length - 1);
      out.push(
        `${key} = ${value}; exact: ${sorted[Math.floor(rank)]}…${sorted[Math.ceil(rank)]} (rank ${rank} of ${sorted.length}), allowed ${min}…${max}`,
      );
    }
  }
  return out;
}

// ---- the primary: a forked node process, driven over IPC

interface Reply {
  who: string | number;
  ok: boolean;
  value?: unknown;
  error?: { name?: string; code?: string; message: string; stack?: string };
}

interface ReadyMessage {
  type: 'ready';
  dir: string;
  pid: number;
  writers: { index: number; kind: string; pid: number; threadId: number; dir: string }[];
}

interface Scrape {
  text: string;
  json: JsonMetric[];
  collectCalls: number;
}

type Target = 'parent' | number;
const ALL: Target[] = ['parent', 0, 1, 2, 3, 4, 5];

class Primary {
  readonly proc: ChildProcess;
  readonly ready: Promise<ReadyMessage>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout = '';
  stderr = '';
  #nextId = 1;
  readonly #pending = new Map<number, { resolve: (r: Reply[]) => void; reject: (e: Error) => void }>();
  #failure: Error | undefined;
  #done = false;

  constructor() {
    const env = { ...process.env };
    delete env['MPMETRICS_DIR']; // the primary makes its own private heap directory, as a real app does
    this.proc = fork(PRIMARY, [], {
      execPath: process.execPath,
      execArgv: [],
      env,
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      detached: true, // its own process group: killed with its workers if anything goes wrong
    });
    this.proc.stdout!.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    this.proc.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    let onReady: (m: ReadyMessage) => void = () => {};
    this.ready = new Promise((resolve) => (onReady = resolve));
    this.proc.on('message', (message: { type?: string; id?: number; replies?: Reply[]; message?: string }) => {
      if (message.type === 'ready') onReady(message as ReadyMessage);
      else if (message.type === 'fatal') this.#fail(new Error(`primary: ${message.message}`));
      else if (message.id !== undefined) {
        this.#pending.get(message.id)?.resolve(message.replies!);
        this.#pending.delete(message.id);
      }
    });
    this.exited = new Promise((resolve) => {
      this.proc.on('exit', (code, signal) => {
        this.#done = true;
        if (!this.#failure) this.#fail(new Error(`primary exited with ${code ?? signal}`));
        resolve({ code, signal });
      });
    });
  }

  #fail(error: Error): void {
    this.#failure ??= new Error(`${error.message}\nstdout: ${this.stdout}\nstderr: ${this.stderr}`);
    for (const p of this.#pending.values()) p.reject(this.#failure);
    this.#pending.clear();
  }

  async waitReady(ms: number): Promise<ReadyMessage> {
    return this.#within(this.ready, ms, 'the primary and its 6 writers to start');
  }

  async #within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`waited ${ms} ms for ${what}\nstdout: ${this.stdout}\nstderr: ${this.stderr}`)), ms);
    });
    const failed = this.exited.then(() => Promise.reject(this.#failure ?? new Error('primary exited')));
    try {
      return await Promise.race([promise, timeout, failed]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Runs `op` in every target at once; resolves with their replies (in the order of `to`). */
  async run(to: Target[], op: object, ms = 30_000): Promise<Reply[]> {
    if (this.#failure) throw this.#failure;
    const id = this.#nextId++;
    const replies = new Promise<Reply[]>((resolve, reject) => this.#pending.set(id, { resolve, reject }));
    this.proc.send({ id, to, op });
    return this.#within(replies, ms, `${JSON.stringify(op).slice(0, 80)} in ${to.join(',')}`);
  }

  /** Like run, but every target must succeed; resolves with their values. */
  async ok<T>(to: Target[], op: object, ms?: number): Promise<T[]> {
    const replies = await this.run(to, op, ms);
    const failed = replies.filter((r) => !r.ok);
    if (failed.length > 0) throw new Error(`failed in ${failed.map((r) => `${r.who}: ${r.error?.stack ?? r.error?.message}`).join('\n')}`);
    return replies.map((r) => r.value as T);
  }

  async call(target: Target, key: string, method: string, ...args: unknown[]): Promise<void> {
    await this.ok([target], { op: 'call', key, method, args });
  }

  async stop(ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.#done) this.proc.send({ id: this.#nextId++, exit: true });
    return this.#withinExit(ms);
  }

  async #withinExit(ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.kill();
        reject(new Error(`the primary did not exit within ${ms} ms (killed)\nstderr: ${this.stderr}`));
      }, ms);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  kill(): void {
    if (this.#done || this.proc.pid === undefined) return;
    try {
      process.kill(-this.proc.pid, 'SIGKILL');
    } catch {
      this.proc.kill('SIGKILL');
    }
  }
}

function runExporter(dir: string): Promise<{ given: string; used: string; prometheus: string; openmetrics: string; families: { name: string; type: string; series: number }[] }> {
  const env = { ...process.env, MPMETRICS_DIR: dir };
  const proc = spawn(process.execPath, [EXPORTER], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`the exporter did not finish within 30 s\nstderr: ${stderr}`));
    }, 30_000);
    proc.on('error', reject);
    proc.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`the exporter exited with ${code ?? signal}\nstdout: ${stdout}\nstderr: ${stderr}`));
      else resolve(JSON.parse(stdout));
    });
  });
}

// ---- the run

describe('prom-client metrics shared by a cluster primary, 4 cluster workers and 2 worker threads', () => {
  let primary: Primary;
  let ready: ReadyMessage;
  let model: Model;
  let workReports: { start: number; end: number; updates: number }[];
  /** The parent's scrape of the totals, for comparisons later on. */
  let parentTotals: Samples;

  /** Every target scrapes at once; each scrape's text and JSON must show the same totals. */
  async function scrapeEverywhere(where: string, expected: Expected, to: Target[] = ALL): Promise<Samples[]> {
    const scrapes = await primary.ok<Scrape>(to, { op: 'scrape' });
    return scrapes.map((scrape, i) => {
      const fromText = parseText(scrape.text);
      const fromJson = parseJson(scrape.json);
      expectTotals(fromText, expected, `${where}, ${String(to[i])} register.metrics()`);
      expectTotals(fromJson, expected, `${where}, ${String(to[i])} getMetricsAsJSON()`);
      // (the collect() gauge is left out: it is set by whoever scraped last, and here all scrape at once)
      const text = without(fromText, COLLECTED);
      const json = without(fromJson, COLLECTED);
      expect([...json.keys()].sort(), `${where}, ${String(to[i])}: text and JSON have the same samples`).toEqual([...text.keys()].sort());
      for (const [key, value] of text) expect(json.get(key), `${where}, ${String(to[i])}: ${key} in JSON`).toEqual(value);
      return fromText;
    });
  }

  /** Every quantile sample is the same in every scrape (they all merge the same cells). */
  function expectSameQuantiles(scrapes: Samples[], where: string): void {
    const [first, ...rest] = scrapes.map((s) => Object.fromEntries([...s].filter(([k]) => isQuantile(k))));
    for (const other of rest) expect(other, `${where}: quantiles agree across processes`).toEqual(first);
  }

  beforeAll(async () => {
    primary = new Primary();
    ready = await primary.waitReady(30_000);
    // The parent declares first (it creates the families), then every writer declares the same.
    await primary.ok(['parent'], { op: 'declare', specs: SPECS });
    await primary.ok([0, 1, 2, 3, 4, 5], { op: 'declare', specs: SPECS });
    // All six update at once.
    workReports = await primary.ok<{ start: number; end: number; updates: number }>(
      [0, 1, 2, 3, 4, 5],
      { op: 'work', fns: FNS, opsByWriter: OPS_OF, repeat: REPEAT },
      90_000,
    );
    model = modelOfWork();
  }, 120_000);

  afterAll(async () => {
    if (primary === undefined) return;
    try {
      await primary.stop(15_000);
    } finally {
      primary.kill();
    }
  });

  it('the children inherited the primary’s private MPMETRICS_DIR, and all six updated at the same time', () => {
    expect(ready.dir).toMatch(/mpmetrics-/);
    expect(ready.writers.map((w) => [w.index, w.kind, w.dir])).toEqual([
      [0, 'cluster', ready.dir],
      [1, 'cluster', ready.dir],
      [2, 'cluster', ready.dir],
      [3, 'cluster', ready.dir],
      [4, 'thread', ready.dir],
      [5, 'thread', ready.dir],
    ]);
    expect(new Set(ready.writers.filter((w) => w.kind === 'cluster').map((w) => w.pid)).size).toBe(4);
    expect(ready.writers.filter((w) => w.kind === 'thread').map((w) => w.pid)).toEqual([ready.pid, ready.pid]);
    expect(workReports.map((r) => r.updates)).toEqual(new Array(WRITERS).fill(OPS * REPEAT));
    // every writer was still running when the last one started
    const lastStart = Math.max(...workReports.map((r) => r.start));
    const firstEnd = Math.min(...workReports.map((r) => r.end));
    expect(lastStart, `work intervals: ${JSON.stringify(workReports)}`).toBeLessThan(firstEnd);
  });

  it('collect() runs in the scraping process only (and an async collect is awaited)', async () => {
    const [parent] = await primary.ok<Scrape>(['parent'], { op: 'scrape' });
    // metrics() and getMetricsAsJSON(): one collect each, in the parent only
    expect(parent!.collectCalls).toBe(2);
    expect(parseText(parent!.text).get(sampleKey(COLLECTED, {}))).toBe(100);
    expect(parseJson(parent!.json).get(sampleKey(COLLECTED, {}))).toBe(100);
    expect(await primary.ok<number>(ALL, { op: 'collectCalls' })).toEqual([2, 0, 0, 0, 0, 0, 0]);
    // one at a time (the gauge is shared: a concurrent scraper could set it in between), each sees its own marker
    for (let w = 0; w < WRITERS; w++) {
      const [scrape] = await primary.ok<Scrape>([w], { op: 'scrape' });
      expect(scrape!.collectCalls).toBe(2);
      expect(parseText(scrape!.text).get(sampleKey(COLLECTED, {})), `writer ${w}`).toBe(w + 1);
      expect(parseJson(scrape!.json).get(sampleKey(COLLECTED, {})), `writer ${w}`).toBe(w + 1);
    }
    expect(await primary.ok<number>(ALL, { op: 'collectCalls' })).toEqual([2, 2, 2, 2, 2, 2, 2]);
  });

  it('every process’s register.metrics() and getMetricsAsJSON() show the exact totals of all writers', async () => {
    const expected = model.expected();
    // sanity of the model: every kind of series is there, with counts that add up
    expect(expected.exact.get(sampleKey(NAME['jobs']!, {}))).toBeGreaterThan(0);
    const total = [...expected.exact].filter(([k]) => k.startsWith(`${NAME['latency']}_count`) || k.startsWith(`${NAME['payload']}_count`));
    expect(total.length).toBe(ROUTES.length + 2);
    const scrapes = await scrapeEverywhere('after the work', expected);
    expectSameQuantiles(scrapes, 'after the work');
    parentTotals = scrapes[0]!;
    // the series fed 0.1/0.3/2.7 is the only approximate one
    expect([...expected.approx.keys()]).toEqual([sampleKey(NAME['bytes']!, { dir: 'out' })]);
  });

  it('summary quantiles are within 1% of the exact quantiles of all observations of all processes', () => {
    const violations = quantileViolations(parentTotals, model.expected());
    expect(violations, violations.join('\n')).toEqual([]);
  });

  it('a process that declares nothing (HeapExporter, same MPMETRICS_DIR) exports every family with the same totals', async () => {
    const exported = await runExporter(ready.dir);
    expect(exported.used).toBe(ready.dir);
    expect(exported.given).toBe(ready.dir);
    expect(exported.families.map((f) => f.name)).toEqual(FAMILY_NAMES);
    expect(Object.fromEntries(exported.families.map((f) => [f.name, f.type]))).toEqual(
      Object.fromEntries(SPECS.map((s) => [s.config.name, s.type])),
    );
    const expected = model.expected();
    const text = parseText(exported.prometheus);
    expectTotals(text, expected, 'HeapExporter, Prometheus text');
    // the very same quantiles as the parent's registry scrape: nothing was written since
    expect(Object.fromEntries([...text].filter(([k]) => isQuantile(k)))).toEqual(
      Object.fromEntries([...parentTotals].filter(([k]) => isQuantile(k))),
    );
    // OpenMetrics: the same samples, plus a _created per counter, histogram and summary series
    expect(exported.openmetrics.endsWith('\n# EOF\n')).toBe(true);
    const om = parseText(exported.openmetrics);
    const created = [...om.keys()].filter((k) => /^[a-z_]+_created\{/.test(k));
    const createdFamilies = new Set(['requests', 'bytes', 'jobs', 'latency', 'payload'].map((k) => NAME[k]!.replace(/_total$/, '')));
    for (const key of created) expect(createdFamilies.has(key.slice(0, key.indexOf('_created{')))).toBe(true);
    const seriesWithCreated =
      [...expected.exact.keys(), ...expected.approx.keys()].filter((k) => /_total\{|_count\{/.test(k)).length;
    expect(created.length).toBe(seriesWithCreated);
    const omWithout = new Map([...om].filter(([k]) => !created.includes(k)));
    expect(Object.fromEntries(omWithout)).toEqual(Object.fromEntries(text));
  });

  it('remove() in one process: the label set disappears from every process’s scrape, and comes back from zero', async () => {
    // writers 2 (cluster) and 4 (thread) wrote these series before: their cached cells must not bring old values back
    const touched = (w: number, key: string, labels: LabelSet): boolean => {
      const ops = OPS_OF[w]!;
      const want = JSON.stringify(Model.text(labels));
      for (let i = 0; i < ops.length; i += 3) {
        const fn = FNS[ops[i]!]!;
        if (fn.key === key && JSON.stringify(Model.text(fn.labels[ops[i + 1]!]!)) === want) return true;
      }
      return false;
    };
    for (const w of [2, 4]) {
      expect(touched(w, 'requests', { route: '/a', code: '200' })).toBe(true);
      expect(touched(w, 'latency', { route: '/a' })).toBe(true);
      expect(touched(w, 'payload', { route: '/a' })).toBe(true);
      expect(touched(w, 'inflight', { pool: 'db' })).toBe(true);
    }

    // writer 1 (a cluster worker) removes, with label values in order and with label objects
    await primary.call(1, 'requests', 'remove', '/a', 200);
    await primary.call(1, 'latency', 'remove', { route: '/a' });
    await primary.call(1, 'payload', 'remove', '/a');
    await primary.call(1, 'inflight', 'remove', { pool: 'db' });
    await primary.call(1, 'bytes', 'remove', { dir: 'out' });
    model.drop('requests', { route: '/a', code: 200 });
    model.drop('latency', { route: '/a' });
    model.drop('payload', { route: '/a' });
    model.drop('inflight', { pool: 'db' });
    model.drop('bytes', { dir: 'out' });
    const afterRemove = model.expected();
    expect(afterRemove.approx.size).toBe(0);
    expectSameQuantiles(await scrapeEverywhere('after remove', afterRemove), 'after remove');
    expectTotals(parseText((await runExporter(ready.dir)).prometheus), afterRemove, 'HeapExporter after remove');

    // written again, by a thread and a cluster worker that both had cells in the old series
    const again: [Target, string, string, LabelSet, number][] = [
      [4, 'requests', 'inc', { route: '/a', code: '200' }, 2],
      [2, 'requests', 'inc', { route: '/a', code: 200 }, 0.5],
      [4, 'latency', 'observe', { route: '/a' }, 0.5],
      [2, 'latency', 'observe', { route: '/a' }, 7.5],
      [4, 'payload', 'observe', { route: '/a' }, 3],
      [4, 'inflight', 'inc', { pool: 'db' }, 1.5],
      [2, 'inflight', 'dec', { pool: 'db' }, 0.25],
    ];
    for (const [who, key, method, labels, value] of again) {
      await primary.call(who, key, method, labels, value);
      model.apply(FNS.find((f) => f.key === key && f.method === method)!, labels, value);
    }
    const rewritten = model.expected();
    expect(rewritten.exact.get(sampleKey(NAME['requests']!, { route: '/a', code: '200' }))).toBe(2.5);
    expect(rewritten.exact.get(sampleKey(`${NAME['latency']}_count`, { route: '/a' }))).toBe(2);
    expect(rewritten.exact.get(sampleKey(NAME['inflight']!, { pool: 'db' }))).toBe(1.25);
    const scrapes = await scrapeEverywhere('written again after remove', rewritten);
    expectSameQuantiles(scrapes, 'written again after remove');
    for (const scrape of scrapes) {
      for (const q of PERCENTILES) {
        const value = scrape.get(sampleKey(NAME['payload']!, { route: '/a', quantile: String(q) }))!;
        expect(Math.abs(value - 3) / 3, `quantile ${q} of the one observation 3`).toBeLessThanOrEqual(RELATIVE_ACCURACY + FLOAT_SLACK);
      }
    }
    expectTotals(parseText((await runExporter(ready.dir)).prometheus), rewritten, 'HeapExporter, written again');
  });

  it('reset() in one process: every process sees the family emptied (zeroed: without labels, and summaries), then counting from zero', async () => {
    await primary.call('parent', 'latency', 'reset');
    await primary.call(5, 'payload', 'reset');
    await primary.call(3, 'jobs', 'reset');
    model.dropAll('latency');
    model.emptyAll('payload'); // prom-client's Summary.reset() keeps its label sets, zeroed
    model.dropAll('jobs');
    // a metric without labels keeps its one series, at zero
    model.apply(FNS.find((f) => f.key === 'jobs')!, null, 0);
    const afterReset = model.expected();
    expect(afterReset.exact.get(sampleKey(NAME['jobs']!, {}))).toBe(0);
    expect([...afterReset.exact.keys()].some((k) => k.startsWith(NAME['latency']!))).toBe(false);
    await scrapeEverywhere('after reset', afterReset);
    const exported = await runExporter(ready.dir);
    expectTotals(parseText(exported.prometheus), afterReset, 'HeapExporter after reset');
    // the emptied families are still exported (HELP and TYPE, no samples)
    expect(exported.families.map((f) => f.name)).toEqual(FAMILY_NAMES);
    expect(exported.prometheus).toContain(`# TYPE ${NAME['latency']} histogram\n`);

    await primary.call(0, 'latency', 'observe', { route: '/b' }, 1);
    await primary.call(5, 'jobs', 'inc', 1);
    await primary.call(4, 'payload', 'observe', { route: '/b' }, 0.25);
    model.apply(FNS.find((f) => f.key === 'latency')!, { route: '/b' }, 1);
    model.apply(FNS.find((f) => f.key === 'jobs')!, null, 1);
    model.apply(FNS.find((f) => f.key === 'payload')!, { route: '/b' }, 0.25);
    const rewritten = model.expected();
    expect(rewritten.exact.get(sampleKey(`${NAME['latency']}_count`, { route: '/b' }))).toBe(1);
    expect(rewritten.exact.get(sampleKey(NAME['jobs']!, {}))).toBe(1);
    const scrapes = await scrapeEverywhere('written again after reset', rewritten);
    for (const scrape of scrapes) expect(quantileViolations(scrape, rewritten)).toEqual([]);
    expectTotals(parseText((await runExporter(ready.dir)).prometheus), rewritten, 'HeapExporter, written again after reset');
  });

  it('a conflicting declaration in a worker throws MPM_ERR_METRIC_CONFLICT there, and changes nothing', async () => {
    const before = await primary.ok<Scrape>(ALL, { op: 'scrape' });
    const spec = (key: string): Spec => SPECS.find((s) => s.key === key)!;
    const conflicts: [Target, Spec, string][] = [
      [2, { ...spec('requests'), config: { ...spec('requests').config, labelNames: ['route'] } }, 'labelNames'],
      [3, { ...spec('requests'), config: { ...spec('requests').config, labelNames: ['code', 'route'] } }, 'labelNames'],
      [2, { ...spec('latency'), config: { ...spec('latency').config, buckets: [1, 2, 3] } }, 'buckets'],
      [4, { ...spec('latency'), config: { ...spec('latency').config, labelNames: ['path'] } }, 'labelNames'],
      [5, { ...spec('requests'), type: 'gauge' }, 'type'],
      [0, { ...spec('payload'), config: { ...spec('payload').config, percentiles: [0.5] } }, 'percentiles'],
      [1, { ...spec('payload'), type: 'histogram', config: { name: NAME['payload']!, help: 'Payload', labelNames: ['route'] } }, 'type'],
    ];
    for (const [who, conflicting, field] of conflicts) {
      const [result] = await primary.ok<{ threw: boolean; code?: string; message?: string }>([who], { op: 'conflict', spec: conflicting });
      expect(result, `${String(who)} declaring ${JSON.stringify(conflicting)}`).toMatchObject({ threw: true, code: 'MPM_ERR_METRIC_CONFLICT' });
      expect(result!.message).toContain(`with ${field} `);
      expect(result!.message).toContain(conflicting.config.name);
    }
    // help text may differ: not a conflict
    const [same] = await primary.ok<{ threw: boolean }>([1], {
      op: 'conflict',
      spec: { ...spec('requests'), config: { ...spec('requests').config, help: 'Other words' } },
    });
    expect(same).toEqual({ threw: false });

    const after = await primary.ok<Scrape>(ALL, { op: 'scrape' });
    after.forEach((scrape, i) => {
      expect(Object.fromEntries(without(parseText(scrape.text), COLLECTED)), `${String(ALL[i])}`).toEqual(
        Object.fromEntries(without(parseText(before[i]!.text), COLLECTED)),
      );
      // the registry still shows the original declaration (help of the process's own metric)
      expect(scrape.text).toContain(`# HELP ${NAME['requests']} Requests\n`);
    });
    const exported = await runExporter(ready.dir);
    expect(exported.families.map((f) => f.name)).toEqual(FAMILY_NAMES);
    expect(exported.prometheus).toContain(`# TYPE ${NAME['requests']} counter\n`);
    expect(exported.prometheus).toContain(`# HELP ${NAME['requests']} Requests\n`);
  });

  it('the primary and its workers stop cleanly, and its private heap directory goes with it', async () => {
    const exit = await primary.stop(15_000);
    expect(exit, primary.stderr).toEqual({ code: 0, signal: null });
    expect(fs.existsSync(ready.dir)).toBe(false);
  });
});
