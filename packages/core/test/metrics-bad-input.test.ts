// Every kind of bad input issue 3 names gets a TypeError or RangeError with a stable code and a message naming
// what was wrong, and records nothing: the heap's exposition is the same before and after each failed call.
// (Random input of every shape is covered by bad-input.property.test.ts; this file is the readable list.)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Counter, Gauge, Heap, HeapExporter, Histogram, MpmetricsError, Summary, exponentialBuckets, linearBuckets, type ErrorCode } from '../src/index.js';
import { heapText } from './support/heap-checks.js';

let dir: string;
let heap: Heap;
let counter: Counter<'route' | 'code'>;
let gauge: Gauge<'route'>;
let histogram: Histogram<'route'>;
let summary: Summary;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-bad-input-'));
  fs.chmodSync(dir, 0o700);
  heap = Heap.open({ dir });
  const common = { heap, registers: [] };
  counter = new Counter({ name: 'bad_requests_total', help: 'h', labelNames: ['route', 'code'], ...common });
  gauge = new Gauge({ name: 'bad_in_flight', help: 'h', labelNames: ['route'], ...common });
  histogram = new Histogram({ name: 'bad_seconds', help: 'h', labelNames: ['route'], buckets: [0.1, 1], ...common });
  summary = new Summary({ name: 'bad_bytes', help: 'h', ...common });
  counter.inc({ route: '/a', code: 200 });
  histogram.observe({ route: '/a' }, 0.5);
});
afterAll(() => {
  heap.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

type Kind = 'TypeError' | 'RangeError' | 'Error';

/** `call` throws our error of `kind` with `code`, whose message contains every `says`, and the heap is unchanged. */
function refused(call: () => unknown, kind: Kind, code: ErrorCode, ...says: string[]): void {
  const before = heapText(heap, 'openmetrics').replace(/_created.*\n/g, '');
  let error: unknown;
  try {
    call();
  } catch (e) {
    error = e;
  }
  expect(error, 'it threw').toBeInstanceOf(kind === 'TypeError' ? TypeError : kind === 'RangeError' ? RangeError : MpmetricsError);
  if (kind !== 'Error') expect((error as Error).name).toBe(kind);
  expect((error as MpmetricsError).code).toBe(code);
  for (const s of says) expect((error as Error).message).toContain(s);
  expect(heapText(heap, 'openmetrics').replace(/_created.*\n/g, '')).toBe(before);
}

const common = (): { heap: Heap; registers: [] } => ({ heap, registers: [] });

describe('names', () => {
  it.each(['', '1abc', 'has space', 'dash-ed', 'ünïcode', 'a.b'])('an invalid metric name %j', (name) => {
    refused(() => new Counter({ name, help: 'h', ...common() }), 'RangeError', 'MPM_ERR_OUT_OF_RANGE', 'Invalid metric name', JSON.stringify(name));
  });
  it.each(['', '1a', 'a-b', 'a:b', 'ü'])('an invalid label name %j', (label) => {
    refused(() => new Counter({ name: 'bad_label_name_total', help: 'h', labelNames: [label], ...common() }), 'RangeError', 'MPM_ERR_OUT_OF_RANGE', 'Invalid label name');
  });
  it('reserved label names: __-prefixed anywhere, le for histograms, quantile for summaries; duplicates', () => {
    refused(() => new Counter({ name: 'bad_reserved_total', help: 'h', labelNames: ['__name'], ...common() }), 'RangeError', 'MPM_ERR_OUT_OF_RANGE', '"__" are reserved');
    refused(() => new Histogram({ name: 'bad_le_seconds', help: 'h', labelNames: ['le'], ...common() }), 'RangeError', 'MPM_ERR_OUT_OF_RANGE', '"le" is reserved');
    refused(() => new Summary({ name: 'bad_quantile_bytes', help: 'h', labelNames: ['quantile'], ...common() }), 'RangeError', 'MPM_ERR_OUT_OF_RANGE', '"quantile" is reserved');
    refused(() => new Gauge({ name: 'bad_dup', help: 'h', labelNames: ['a', 'a'], ...common() }), 'RangeError', 'MPM_ERR_OUT_OF_RANGE', 'Duplicate label name');
  });
});

describe('labels', () => {
  it('an unknown label, a missing label (with strictLabels), or labels on a metric without any', () => {
    refused(() => counter.inc({ route: '/a', code: 200, method: 'GET' } as never), 'RangeError', 'MPM_ERR_LABELS', 'Unknown label "method"');
    refused(() => counter.inc({ route: '/a', method: undefined } as never), 'RangeError', 'MPM_ERR_LABELS', 'Unknown label "method"');
    // a label left out is a label set without it, as in prom-client (metrics-partial-labels.test.ts), unless strict
    const strict = new Counter({ name: 'bad_strict_requests_total', help: 'h', labelNames: ['route', 'code'], strictLabels: true, ...common() });
    refused(() => strict.inc({ route: '/a' }), 'RangeError', 'MPM_ERR_LABELS', 'Missing label "code"');
    refused(() => strict.inc(), 'RangeError', 'MPM_ERR_LABELS');
    refused(() => summary.observe({ route: '/x' } as never, 1), 'RangeError', 'MPM_ERR_LABELS', 'Unknown label "route"');
    refused(() => counter.labels('/a'), 'RangeError', 'MPM_ERR_LABELS', 'Expected 2 label values');
  });
  it.each([
    ['null', null],
    ['a boolean', true],
    ['an object', { toString: () => 'x' }],
    ['an array', ['/a']],
    ['a bigint', 1n],
    ['a symbol', Symbol('s')],
  ])('a label value that is %s', (_what, value) => {
    refused(() => gauge.set({ route: value as never }, 1), 'TypeError', 'MPM_ERR_LABELS', 'Label "route" must be a string or a number');
    // (to labels(), an object is a labels object: one with unknown keys is refused for those)
    if (typeof value !== 'object' || value === null) refused(() => gauge.labels(value as never), 'TypeError', 'MPM_ERR_LABELS');
  });
  it('a string with a lone surrogate, which UTF-8 cannot carry', () => {
    refused(() => gauge.set({ route: 'a\ud800b' }, 1), 'TypeError', 'MPM_ERR_LABELS', 'well-formed Unicode');
  });
});

describe('values', () => {
  it('a negative counter increment', () => {
    refused(() => counter.inc({ route: '/a', code: 200 }, -1), 'RangeError', 'MPM_ERR_OUT_OF_RANGE', 'must not be negative', '-1');
    refused(() => counter.labels('/a', '200').inc(-0.5), 'RangeError', 'MPM_ERR_OUT_OF_RANGE');
  });
  it.each([
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['-Infinity', -Infinity],
    ['a string', '1'],
    ['null', null],
    ['a bigint', 1n],
  ])('a value that is %s', (what, value) => {
    refused(() => counter.inc({ route: '/a', code: 200 }, value as never), 'TypeError', 'MPM_ERR_INVALID_ARG_TYPE', 'must be a finite number');
    refused(() => gauge.set({ route: '/a' }, value as never), 'TypeError', 'MPM_ERR_INVALID_ARG_TYPE', 'must be a finite number');
    refused(() => gauge.inc({ route: '/a' }, value as never), 'TypeError', 'MPM_ERR_INVALID_ARG_TYPE');
    refused(() => histogram.observe({ route: '/a' }, value as never), 'TypeError', 'MPM_ERR_INVALID_ARG_TYPE', 'must be a finite number');
    refused(() => summary.observe(value as never), 'TypeError', 'MPM_ERR_INVALID_ARG_TYPE');
    void what;
  });
});

describe('options', () => {
  it('buckets: unsorted, duplicate, empty, not numbers, not finite', () => {
    const h = (buckets: unknown): Histogram => new Histogram({ name: 'bad_buckets_seconds', help: 'h', buckets: buckets as number[], ...common() });
    refused(() => h([1, 0.5]), 'RangeError', 'MPM_ERR_OUT_OF_RANGE', 'strictly increasing', 'then 0.5 at index 1');
    refused(() => h([1, 1]), 'RangeError', 'MPM_ERR_OUT_OF_RANGE', 'strictly increasing');
    refused(() => h([]), 'RangeError', 'MPM_ERR_OUT_OF_RANGE', 'at least one');
    refused(() => h([0.1, '1']), 'TypeError', 'MPM_ERR_INVALID_ARG_TYPE', '"buckets" must hold numbers', 'index 1');
    refused(() => h([0.1, NaN]), 'TypeError', 'MPM_ERR_INVALID_ARG_TYPE');
    refused(() => h([-Infinity, 1]), 'RangeError', 'MPM_ERR_OUT_OF_RANGE', 'finite');
    refused(() => h('0.1,1'), 'TypeError', 'MPM_ERR_INVALID_ARG_TYPE', '"buckets" must be an array');
  });
  it('linearBuckets and exponentialBuckets refuse what prom-client refuses', () => {
    expect(() => linearBuckets(0, 1, 0)).toThrow();
    expect(() => exponentialBuckets(0, 2, 3)).toThrow();
    expect(() => exponentialBuckets(1, 1, 3)).toThrow();
  });
  it('percentiles, windows, help, registers, collect, unknown options', () => {
    refused(() => new Summary({ name: 'bad_p_bytes', help: 'h', percentiles: [0.5, 1.5], ...common() }), 'RangeError', 'MPM_ERR_OUT_OF_RANGE');
    refused(() => new Summary({ name: 'bad_age_bytes', help: 'h', ageBuckets: 3, ...common() }), 'RangeError', 'MPM_ERR_OUT_OF_RANGE', '"ageBuckets" needs "maxAgeSeconds"');
    refused(() => new Summary({ name: 'bad_max_bytes', help: 'h', maxAgeSeconds: -1, ...common() }), 'RangeError', 'MPM_ERR_OUT_OF_RANGE', 'maxAgeSeconds');
    refused(() => new Counter({ name: 'bad_help_total', help: '', ...common() }), 'TypeError', 'MPM_ERR_INVALID_ARG_TYPE', '"help"');
    refused(() => new Counter({ name: 'bad_reg_total', help: 'h', heap, registers: [{}] as never }), 'TypeError', 'MPM_ERR_INVALID_ARG_TYPE', '"registers"');
    refused(() => new Counter({ name: 'bad_collect_total', help: 'h', collect: 5 as never, ...common() }), 'TypeError', 'MPM_ERR_INVALID_ARG_TYPE', '"collect"');
    refused(() => new Counter({ name: 'bad_opt_total', help: 'h', bucket: [1], ...common() } as never), 'RangeError', 'MPM_ERR_OUT_OF_RANGE', 'Unknown option "bucket"');
    refused(() => new Counter(undefined as never), 'TypeError', 'MPM_ERR_INVALID_ARG_TYPE', 'configuration object');
  });
});

describe('a declaration that conflicts with the family in the heap', () => {
  // (an MpmetricsError: neither argument is wrong in itself, they disagree with the heap)
  it('from another writer of the heap (a second handle, as a thread has): another type, other labels, other buckets, other percentiles', () => {
    const other = Heap.open({ dir });
    const elsewhere = { heap: other, registers: [] };
    refused(() => new Gauge({ name: 'bad_requests_total', help: 'h', labelNames: ['route', 'code'], ...elsewhere }), 'Error', 'MPM_ERR_METRIC_CONFLICT', 'bad_requests_total');
    refused(() => new Counter({ name: 'bad_requests_total', help: 'h', labelNames: ['route'], ...elsewhere }), 'Error', 'MPM_ERR_METRIC_CONFLICT');
    refused(() => new Histogram({ name: 'bad_seconds', help: 'h', labelNames: ['route'], buckets: [0.1, 2], ...elsewhere }), 'Error', 'MPM_ERR_METRIC_CONFLICT');
    refused(() => new Summary({ name: 'bad_bytes', help: 'h', percentiles: [0.5], ...elsewhere }), 'Error', 'MPM_ERR_METRIC_CONFLICT');
    other.close();
  });

  it('from another process, which gets the error and changes nothing here', async () => {
    const script = `
      const { Histogram } = await import(${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)});
      try {
        new Histogram({ name: 'bad_seconds', help: 'h', labelNames: ['route'], buckets: [5], registers: [] });
        console.log(JSON.stringify({ ok: true }));
      } catch (error) {
        console.log(JSON.stringify({ name: error.name, code: error.code, message: error.message }));
      }`;
    const before = await new HeapExporter(heap).metrics();
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, MPMETRICS_DIR: dir }, encoding: 'utf8', timeout: 30_000 });
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { name: string; code: string; message: string };
    expect(result.code).toBe('MPM_ERR_METRIC_CONFLICT');
    expect(result.message).toContain('bad_seconds');
    expect(await new HeapExporter(heap).metrics()).toBe(before);
  });
});
