// Our expositions, checked by the reference tools rather than by our own reading of the specs:
//   - `promtool check metrics` (Debian package `prometheus`), Prometheus's own linter over Go's parser for the
//     text format 0.0.4. Its behaviour (promtool 2.42, found by running it): it reads stdin; it exits 0 with no
//     output when the text is clean, 3 when it parses but has lint problems, each printed to stderr as
//     "<metric> <problem>" (e.g. `x counter metrics should have "_total" suffix`), and 1 when the text does not
//     parse, printing "error while linting: text format parsing error in line N: …". Lint problems are naming
//     advice, so 0 and 3 are accepted here (the problems are printed, and asserted exactly for our families);
//     1 is a failure. promtool does not speak OpenMetrics: what it makes of it is pinned below, for the record.
//   - the parsers of python3-prometheus-client (Debian package): prometheus_client.parser for the text format
//     (lenient) and prometheus_client.openmetrics.parser (strict: it raises on what OpenMetrics forbids).
// Both are fed prom-client's `register.metrics()` holding our metrics beside prom-client's own and its default
// metrics (a registry of each content type), and HeapExporter's output in both formats. The input is made to be
// awkward: label values and help text with quotes, backslashes, newlines, tabs, NUL, Unicode (astral, combining,
// line separators), empty label values, names ending in _total (a counter and a gauge), a name with a colon,
// fractional, tiny, huge and overflowing (+Inf) values, histograms with 60 and 120 buckets, summaries without
// observations (quantiles 0, as prom-client's). Beyond acceptance, everything the parsers read back must be what was put in.
//
// The tools are required: when one is missing the tests fail and say which package to install.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  Counter as PromCounter,
  Gauge as PromGauge,
  Histogram as PromHistogram,
  Summary as PromSummary,
  Registry,
  collectDefaultMetrics,
  type OpenMetricsContentType,
  type RegistryContentType,
} from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Counter,
  Gauge,
  Heap,
  HeapExporter,
  Histogram,
  Summary,
  exponentialBuckets,
  linearBuckets,
  writeExposition,
} from '../src/index.js';
import { expectAcceptedByPromtool, findPromtool, findPython, promtool, pythonParse, pyValue, type PyFamily } from './support/validators.js';

// ---- the awkward input

const TRICKY = [
  'plain',
  'quote"d',
  'back\\slash',
  'new\nline',
  'ends with a backslash\\',
  '\\n is not a newline',
  '\\"',
  '"',
  '\\',
  'unicode ☃ 日本語 😀 e\u0301',
  '',
  '{braces}, commas, = equals, # hash',
  'tab\tcr\rnul\u0000',
  '\u2028\u2029\u0085 separators',
  ' spaces around ',
];
const TRICKY_HELP = 'Help: "quotes", back\\slash, new\nline, tab\t, cr\r, ☃ 日本語 😀, \\n literal, a backslash at the end\\';

/** A summary's quantile values: checked against the observations, not exactly. */
const QUANTILE = Symbol('quantile');

interface Expect {
  /** counters: the OpenMetrics family name (no _total), as both python parsers report it */
  family: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary';
  help: string;
  /** sample key → value (or QUANTILE: near `observations`) */
  samples: Map<string, number | typeof QUANTILE>;
  observations?: Map<string, number[]>;
  /** samples that carry a _created in OpenMetrics from HeapExporter */
  created: string[];
}

function normalizeLabel(name: string, value: string): string {
  // le and quantile: prom-client spells them "1", HeapExporter "1.0"; as numbers they must be the exact bounds
  return (name === 'le' || name === 'quantile') && value !== '+Inf' ? String(Number(value)) : value;
}

function key(name: string, labels: Record<string, string | number>): string {
  const entries = Object.entries(labels)
    .map(([k, v]) => [k, normalizeLabel(k, String(v))] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${name}${JSON.stringify(Object.fromEntries(entries))}`;
}

const RELATIVE_ACCURACY = 0.01; // README: summary quantiles within 1%

/** Declares our metrics (in `registers`, on `heap`), feeds them, and says what must come out. */
function declareOurs(heap: Heap, registers: Registry<RegistryContentType>[], feed: boolean): Expect[] {
  const out: Expect[] = [];
  // The cast: our MetricConfiguration.registers is typed Registry[] (= Registry<PrometheusContentType>[]), where
  // prom-client's admits registries of both content types (reported as a typing bug); at run time both work.
  const common = { heap, registers: registers as Registry[] };

  const requests = new Counter({ name: 'mpmv_http_requests_total', help: TRICKY_HELP, labelNames: ['path', 'code'], ...common });
  const requestsExpect: Expect = { family: 'mpmv_http_requests', type: 'counter', help: TRICKY_HELP, samples: new Map(), created: [] };
  TRICKY.forEach((value, i) => {
    const labels = { path: value, code: 200 + i };
    if (feed) requests.inc(labels, (i + 1) * 0.5);
    requestsExpect.samples.set(key('mpmv_http_requests_total', labels), (i + 1) * 0.5);
    requestsExpect.created.push(key('mpmv_http_requests_created', labels));
  });
  out.push(requestsExpect);

  // a counter whose name does not end in _total: both formats add it to the samples
  const sent = new Counter({ name: 'mpmv_sent_bytes', help: 'Bytes sent, in thirds of a tenth', ...common });
  if (feed) for (let i = 0; i < 3; i++) sent.inc(0.1);
  out.push({
    family: 'mpmv_sent_bytes',
    type: 'counter',
    help: 'Bytes sent, in thirds of a tenth',
    samples: new Map([[key('mpmv_sent_bytes_total', {}), 0.1 + 0.1 + 0.1]]),
    created: [key('mpmv_sent_bytes_created', {})],
  });

  const huge = new Counter({ name: 'mpmv_huge_total', help: 'Extreme increments', labelNames: ['size'], ...common });
  const hugeIncs: [string, number[]][] = [
    ['max', [Number.MAX_VALUE]],
    ['overflow', [Number.MAX_VALUE, Number.MAX_VALUE]],
    ['tiny', [5e-324]],
    ['2^53 + 1', [2 ** 53, 1]],
    ['a third', [1 / 3]],
    ['1e21', [1e21]],
  ];
  const hugeExpect: Expect = { family: 'mpmv_huge', type: 'counter', help: 'Extreme increments', samples: new Map(), created: [] };
  for (const [size, incs] of hugeIncs) {
    if (feed) for (const v of incs) huge.inc({ size }, v);
    hugeExpect.samples.set(key('mpmv_huge_total', { size }), incs.reduce((a, b) => a + b, 0));
    hugeExpect.created.push(key('mpmv_huge_created', { size }));
  }
  out.push(hugeExpect);

  const temperature = new Gauge({ name: 'mpmv_temperature_celsius', help: 'Extreme gauge values', labelNames: ['sensor'], ...common });
  const temperatures: [string, number][] = [
    ['absolute zero', -273.15],
    ['max', Number.MAX_VALUE],
    ['min', -Number.MAX_VALUE],
    ['tiny', 5e-324],
    ['-tiny', -5e-324],
    ['zero', 0],
    ['negative zero', -0],
    ['1e21', 1e21],
    ['-1e-7', -1e-7],
    ['fraction', 123456789.123],
  ];
  const temperatureExpect: Expect = { family: 'mpmv_temperature_celsius', type: 'gauge', help: 'Extreme gauge values', samples: new Map(), created: [] };
  for (const [sensor, value] of temperatures) {
    if (feed) temperature.set({ sensor }, value);
    temperatureExpect.samples.set(key('mpmv_temperature_celsius', { sensor }), value === 0 ? 0 : value); // -0 is written "0"
  }
  out.push(temperatureExpect);

  // a gauge whose name ends in _total, and one with a colon
  const depth = new Gauge({ name: 'mpmv_queue_depth_total', help: 'A gauge named like a counter', ...common });
  if (feed) {
    depth.set(3);
    depth.inc(0.5);
  }
  out.push({ family: 'mpmv_queue_depth_total', type: 'gauge', help: 'A gauge named like a counter', samples: new Map([[key('mpmv_queue_depth_total', {}), 3.5]]), created: [] });
  const ratio = new Gauge({ name: 'mpmv:ratio', help: 'A recording-rule style name', ...common });
  if (feed) ratio.set(0.75);
  out.push({ family: 'mpmv:ratio', type: 'gauge', help: 'A recording-rule style name', samples: new Map([[key('mpmv:ratio', {}), 0.75]]), created: [] });

  const histogram = (name: string, help: string, buckets: number[], labelNames: string[], series: [Record<string, string>, number[]][]): void => {
    const metric = new Histogram({ name, help, buckets, labelNames, ...common });
    const e: Expect = { family: name, type: 'histogram', help, samples: new Map(), created: [] };
    for (const [labels, observations] of series) {
      if (feed) {
        if (observations.length === 0) metric.zero(labels);
        for (const v of observations) metric.observe(labels, v);
      }
      [...buckets, Infinity].forEach((le) => {
        e.samples.set(
          key(`${name}_bucket`, { ...labels, le: le === Infinity ? '+Inf' : String(le) }),
          observations.filter((v) => v <= le).length,
        );
      });
      e.samples.set(key(`${name}_count`, labels), observations.length);
      e.samples.set(key(`${name}_sum`, labels), observations.reduce((a, b) => a + b, 0));
      e.created.push(key(`${name}_created`, labels));
    }
    out.push(e);
  };
  histogram('mpmv_latency_seconds', TRICKY_HELP, exponentialBuckets(1e-6, 1.5, 60), ['route'], [
    [{ route: TRICKY[1]! }, [0.3, 1e7, 1e-6, 5e-7]],
    [{ route: TRICKY[9]! }, [2.5]],
    [{ route: '' }, []],
  ]);
  histogram('mpmv_size_bytes', 'Linear buckets from 0 (0.1 steps, with their rounding)', linearBuckets(0, 0.1, 120), [], [
    [{}, [0, 0.30000000000000004, 11.95, 100]],
  ]);
  // bounds the OpenMetrics spec gives canonical spellings for
  histogram('mpmv_canonical_seconds', 'Canonical le values', CANONICAL_LE.map(([v]) => v), [], [[{}, [0.0005, 5]]]);

  const summary = (name: string, help: string, percentiles: number[], labelNames: string[], series: [Record<string, string>, number[]][], window?: { maxAgeSeconds: number; ageBuckets: number }): void => {
    const metric = new Summary(
      window === undefined
        ? { name, help, percentiles, labelNames, ...common }
        : { name, help, percentiles, labelNames, maxAgeSeconds: window.maxAgeSeconds, ageBuckets: window.ageBuckets, ...common },
    );
    const e: Expect = { family: name, type: 'summary', help, samples: new Map(), observations: new Map(), created: [] };
    for (const [labels, observations] of series) {
      if (feed) {
        if (observations.length === 0) metric.zero(labels);
        for (const v of observations) metric.observe(labels, v);
      }
      const sorted = [...observations].sort((a, b) => a - b);
      for (const q of percentiles) {
        const k = key(name, { ...labels, quantile: String(q) });
        if (sorted.length === 0) e.samples.set(k, 0);
        else {
          e.samples.set(k, QUANTILE);
          e.observations!.set(k, sorted);
        }
      }
      e.samples.set(key(`${name}_count`, labels), observations.length);
      e.samples.set(key(`${name}_sum`, labels), observations.reduce((a, b) => a + b, 0));
      e.created.push(key(`${name}_created`, labels));
    }
    out.push(e);
  };
  summary('mpmv_payload_bytes', TRICKY_HELP, CANONICAL_QUANTILES.map(([q]) => q), ['route'], [
    [{ route: 'never observed' }, []],
    [{ route: TRICKY[3]! }, Array.from({ length: 100 }, (_, i) => i + 1)],
  ]);
  summary('mpmv_wait_seconds', 'A windowed summary nobody observed', [0.5, 0.99], [], [[{}, []]], { maxAgeSeconds: 60, ageBuckets: 3 });
  return out;
}

/** [bound, its canonical spelling]: the OpenMetrics 1.0 spec's examples ("Considerations: Canonical Numbers"). */
const CANONICAL_LE: [number, string][] = [
  [0, '0.0'],
  [1e-10, '1e-10'],
  [1e-9, '1e-09'],
  [1e-5, '1e-05'],
  [1e-4, '0.0001'],
  [0.001, '0.001'],
  [0.002, '0.002'],
  [0.01, '0.01'],
  [0.1, '0.1'],
  [0.9, '0.9'],
  [0.95, '0.95'],
  [0.99, '0.99'],
  [0.999, '0.999'],
  [1, '1.0'],
  [1.7, '1.7'],
  [10, '10.0'],
  [1e5, '100000.0'],
  [1e6, '1e+06'],
  [1e10, '1e+10'],
];
const CANONICAL_QUANTILES: [number, string][] = [
  [0, '0.0'],
  [0.5, '0.5'],
  [0.9, '0.9'],
  [0.95, '0.95'],
  [0.99, '0.99'],
  [0.999, '0.999'],
  [1, '1.0'],
];

/** prom-client's own metrics, with the same awkward labels and help. */
function declareTheirs(registry: Registry<RegistryContentType>): void {
  const requests = new PromCounter({ name: 'pcv_http_requests_total', help: TRICKY_HELP, labelNames: ['path'], registers: [registry] });
  for (const path of TRICKY) requests.inc({ path });
  new PromHistogram({ name: 'pcv_latency_seconds', help: 'prom-client histogram', registers: [registry] }).observe(0.3);
  new PromSummary({ name: 'pcv_payload_bytes', help: 'prom-client summary, never observed', registers: [registry] });
  new PromGauge({ name: 'pcv_temperature_celsius', help: 'prom-client gauge', registers: [registry] }).set(-1.5);
  collectDefaultMetrics({ register: registry });
}

const THEIR_FAMILIES = ['pcv_http_requests', 'pcv_latency_seconds', 'pcv_payload_bytes', 'pcv_temperature_celsius', 'process_cpu_seconds', 'nodejs_version_info'];

/** The lint problems promtool must report for our families (their names are chosen to trip exactly these). */
const OUR_LINTS = [
  "mpmv:ratio metric names should not contain ':'",
  'mpmv_queue_depth_total non-counter metrics should not have "_total" suffix',
  'mpmv_sent_bytes counter metrics should have "_total" suffix',
];

// ---- comparing what the parsers read with what went in

/** Differences between what a python parser read and what went in; `created`: the window _created must be in. */
function checkRoundTrip(families: PyFamily[], expected: Expect[], created: { from: number; to: number } | undefined): string[] {
  const problems: string[] = [];
  const byName = new Map(families.map((f) => [f.name, f]));
  for (const e of expected) {
    const family = byName.get(e.family);
    if (family === undefined) {
      problems.push(`family ${e.family} is missing (have ${[...byName.keys()].join(', ')})`);
      continue;
    }
    if (family.type !== e.type) problems.push(`${e.family}: type ${family.type}, expected ${e.type}`);
    if (family.help !== e.help) problems.push(`${e.family}: help ${JSON.stringify(family.help)}, expected ${JSON.stringify(e.help)}`);
    const got = new Map<string, number>();
    for (const [name, labels, value] of family.samples) {
      const k = key(name, labels);
      if (got.has(k)) problems.push(`${e.family}: duplicate sample ${k}`);
      got.set(k, pyValue(value));
    }
    const wantCreated = created !== undefined ? e.created : [];
    const unexpected = [...got.keys()].filter((k) => !e.samples.has(k) && !wantCreated.includes(k));
    if (unexpected.length > 0) problems.push(`${e.family}: unexpected samples ${unexpected.join(' ')}`);
    for (const [k, want] of e.samples) {
      const value = got.get(k);
      if (value === undefined) problems.push(`${e.family}: missing ${k}`);
      else if (want === QUANTILE) {
        const sorted = e.observations!.get(k)!;
        const q = Number((JSON.parse(k.slice(k.indexOf('{'))) as Record<string, string>)['quantile']);
        const rank = q * (sorted.length - 1);
        const lo = sorted[Math.floor(rank)]!;
        const hi = sorted[Math.ceil(rank)]!;
        if (!(value >= lo * (1 - RELATIVE_ACCURACY) - 1e-12 && value <= hi * (1 + RELATIVE_ACCURACY) + 1e-12)) {
          problems.push(`${e.family}: ${k} = ${value}, exact ${lo}…${hi}`);
        }
      } else if (!Object.is(value, want) && !(value === want)) problems.push(`${e.family}: ${k} = ${value}, expected ${want}`);
    }
    for (const k of wantCreated) {
      const value = got.get(k);
      if (value === undefined) problems.push(`${e.family}: missing ${k}`);
      else if (!(value >= created!.from && value <= created!.to)) problems.push(`${e.family}: ${k} = ${value}, not between ${created!.from} and ${created!.to}`);
    }
  }
  return problems;
}

// ---- the fixtures of every test: one heap, our metrics in it, registries of both content types

let toolError: unknown;
let promtoolPath: string;
let pythonPath: string;

/** Every test needs both tools: a missing one fails each test (not skipped) with the package to install. */
function requireTools(): void {
  if (toolError !== undefined) throw toolError instanceof Error ? toolError : new Error(String(toolError));
}
let dir: string;
let heap: Heap;
let expected: Expect[];
let texts: { registryText: string; registryOpenMetrics: string; exporterText: string; exporterOpenMetrics: string };
let createdWindow: { from: number; to: number };

beforeAll(async () => {
  try {
    promtoolPath = findPromtool();
    pythonPath = findPython();
  } catch (error) {
    toolError = error;
  }

  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-validators-'));
  fs.chmodSync(dir, 0o700);
  heap = Heap.open({ dir });
  const from = Date.now() / 1000;
  const textRegistry = new Registry();
  const openMetricsRegistry = new Registry<OpenMetricsContentType>();
  openMetricsRegistry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  // One set of metric objects per registry, each fed the same: prom-client's OpenMetrics registry renames the
  // counters it holds (it strips _total from metric.name), which would leak into the other registry. Declared
  // again in one process, a name is a new metric, as in prom-client: HeapExporter exports the second set.
  expected = declareOurs(heap, [textRegistry], true);
  declareOurs(heap, [openMetricsRegistry], true);
  declareTheirs(textRegistry);
  declareTheirs(openMetricsRegistry);
  createdWindow = { from: Math.floor(from) - 1, to: Date.now() / 1000 + 1 };
  const exporter = new HeapExporter(heap);
  texts = {
    registryText: await textRegistry.metrics(),
    registryOpenMetrics: await openMetricsRegistry.metrics(),
    exporterText: await exporter.metrics('prometheus'),
    exporterOpenMetrics: await exporter.metrics('openmetrics'),
  };
});

afterAll(() => {
  heap?.close();
  if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
});

describe('promtool check metrics', () => {
  it('accepts prom-client’s register.metrics() (text 0.0.4) with our metrics beside prom-client’s and its default metrics', () => {
    requireTools();
    const lints = expectAcceptedByPromtool(promtool(promtoolPath, texts.registryText), 'prom-client registry, text 0.0.4');
    expect(lints.filter((l) => l.startsWith('mpmv')).sort()).toEqual(OUR_LINTS);
    // every problem is about a family of the text
    for (const lint of lints) expect(texts.registryText).toContain(`# TYPE ${lint.split(' ')[0]} `);
  });

  it('accepts HeapExporter’s text 0.0.4, with exactly the expected lint problems', () => {
    requireTools();
    const lints = expectAcceptedByPromtool(promtool(promtoolPath, texts.exporterText), 'HeapExporter, text 0.0.4');
    expect(lints.sort()).toEqual(OUR_LINTS);
  });

  it('reads OpenMetrics as if it were text 0.0.4 (for the record: it is not an OpenMetrics validator)', () => {
    requireTools();
    // prom-client's OpenMetrics output does not escape '"' in HELP, so promtool gets through it, seeing each
    // counter's <name>_total samples as an untyped family without HELP
    const fromRegistry = promtool(promtoolPath, texts.registryOpenMetrics);
    const lints = expectAcceptedByPromtool(fromRegistry, 'prom-client registry, OpenMetrics (read as text 0.0.4)');
    expect(lints).toContain('mpmv_http_requests_total no help text');
    // HeapExporter escapes '"' in HELP as OpenMetrics requires (escaped-string: normal-char excludes DQUOTE);
    // the text format knows only \\ and \n there, so promtool stops at the first such HELP line
    const fromExporter = promtool(promtoolPath, texts.exporterOpenMetrics);
    const lines = texts.exporterOpenMetrics.split('\n');
    const first = lines.findIndex((l) => l.includes('\\"')) + 1;
    expect(lines[first - 1]).toMatch(/^# HELP /);
    expect({ status: fromExporter.status, stdout: fromExporter.stdout, stderr: fromExporter.stderr }).toEqual({
      status: 1,
      stdout: '',
      stderr: `error while linting: text format parsing error in line ${first}: invalid escape sequence '\\"'\n`,
    });
  });
});

describe('python3-prometheus-client parsers', () => {
  it('prometheus_client.parser reads prom-client’s register.metrics() (text 0.0.4) back exactly', () => {
    requireTools();
    const parsed = pythonParse(pythonPath, texts.registryText, 'prometheus');
    expect(parsed.error).toBeUndefined();
    expect(checkRoundTrip(parsed.families!, expected, undefined)).toEqual([]);
    for (const name of THEIR_FAMILIES) expect(parsed.families!.map((f) => f.name)).toContain(name);
  });

  it('prometheus_client.parser reads HeapExporter’s text 0.0.4 back exactly', () => {
    requireTools();
    const parsed = pythonParse(pythonPath, texts.exporterText, 'prometheus');
    expect(parsed.error).toBeUndefined();
    expect(checkRoundTrip(parsed.families!, expected, undefined)).toEqual([]);
    expect(parsed.families!.map((f) => f.name).sort()).toEqual(expected.map((e) => e.family).sort());
  });

  it('prometheus_client.openmetrics.parser (strict) accepts prom-client’s OpenMetrics register.metrics() and reads ours back exactly', () => {
    requireTools();
    const parsed = pythonParse(pythonPath, texts.registryOpenMetrics, 'openmetrics');
    expect(parsed.error).toBeUndefined();
    expect(checkRoundTrip(parsed.families!, expected, undefined)).toEqual([]);
    for (const name of THEIR_FAMILIES) expect(parsed.families!.map((f) => f.name)).toContain(name);
  });

  it('prometheus_client.openmetrics.parser (strict) accepts HeapExporter’s OpenMetrics and reads it back exactly, _created included', () => {
    requireTools();
    const parsed = pythonParse(pythonPath, texts.exporterOpenMetrics, 'openmetrics');
    expect(parsed.error).toBeUndefined();
    expect(checkRoundTrip(parsed.families!, expected, createdWindow)).toEqual([]);
    expect(parsed.families!.map((f) => f.name).sort()).toEqual(expected.map((e) => e.family).sort());
  });
});

describe('OpenMetrics details beyond acceptance', () => {
  it('le and quantile values use the spec’s canonical spellings (OpenMetrics 1.0, "Canonical Numbers")', () => {
    for (const format of ['openmetrics', 'prometheus'] as const) {
      const text = format === 'openmetrics' ? texts.exporterOpenMetrics : texts.exporterText;
      const les = [...text.matchAll(/^mpmv_canonical_seconds_bucket\{le="([^"]*)"\}/gm)].map((m) => m[1]);
      expect(les, format).toEqual([...CANONICAL_LE.map(([, s]) => s), '+Inf']);
      const quantiles = [...text.matchAll(/^mpmv_payload_bytes\{route="never observed",quantile="([^"]*)"\}/gm)].map((m) => m[1]);
      expect(quantiles, format).toEqual(CANONICAL_QUANTILES.map(([, s]) => s));
    }
  });

  it('HeapExporter’s OpenMetrics stays valid for values the API accepts: negative observations and bucket bounds', async () => {
    requireTools();
    // OpenMetrics 1.0: histogram Sum and buckets "MUST NOT be NaN or negative"; with negative thresholds the
    // point "MUST NOT contain a sum value"; summary Count and Sum likewise, and "Quantile values MUST NOT be
    // negative". prom-client and our API accept all of these, so the exposition must find a valid spelling.
    const negDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-validators-neg-'));
    fs.chmodSync(negDir, 0o700);
    const negHeap = Heap.open({ dir: negDir });
    try {
      const common = { heap: negHeap, registers: [] };
      new Histogram({ name: 'mpmn_drift_seconds', help: 'A negative observation, positive bounds', buckets: [1, 2], ...common }).observe(-5);
      const offset = new Histogram({ name: 'mpmn_offset_seconds', help: 'Negative bucket bounds', buckets: [-1, 0, 1], ...common });
      offset.observe(-0.5);
      offset.observe(0.75);
      const delta = new Summary({ name: 'mpmn_delta_seconds', help: 'Negative observations', percentiles: [0.1, 0.5, 0.9], ...common });
      for (const v of [-3, -2, 2]) delta.observe(v);

      const rejected: string[] = [];
      for (const family of await new HeapExporter(negHeap).snapshot()) {
        // the text format has no such rule: both tools take it
        const text = writeExposition([family], 'prometheus');
        expectAcceptedByPromtool(promtool(promtoolPath, text), `${family.name}, text 0.0.4`);
        expect(pythonParse(pythonPath, text, 'prometheus').error, family.name).toBeUndefined();
        const openMetrics = writeExposition([family], 'openmetrics');
        const parsed = pythonParse(pythonPath, openMetrics, 'openmetrics');
        if (parsed.error !== undefined) rejected.push(`${family.name}: ${parsed.error}\n${openMetrics}`);
      }
      expect(rejected, rejected.join('\n')).toEqual([]);
    } finally {
      negHeap.close();
      fs.rmSync(negDir, { recursive: true, force: true });
    }
  });
});
