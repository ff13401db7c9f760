// Bad input is refused before anything is recorded. Every case below must throw a TypeError (wrong type) or a
// RangeError (right type, value not accepted) that is also an MpmetricsError with a stable `code`, whose message
// names what was wrong; and afterwards the whole exposition (every family in the heap, and the registry) must be
// exactly what it was before.
//
// Numbers that are not finite: prom-client's histogram and summary refuse NaN and ±Infinity, but its counter adds
// NaN (`inc(NaN)`) and its gauge stores NaN and ±Infinity (`set(NaN)`). A NaN added to a counter stays forever (and
// in a shared heap, in every process's total); a NaN or infinite gauge is almost always a division by zero. So
// every update of every type takes finite numbers only, and says so with a TypeError (MPM_ERR_INVALID_ARG_TYPE).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Counter as PromCounter, Histogram as PromHistogram, Registry, type OpenMetricsContentType } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Counter, Gauge, Heap, HeapExporter, Histogram, MpmetricsError, Summary, type ErrorCode } from '../src/index.js';
import { privateHeap, uniqueName } from './helpers/parity.js';

const DECLARE = fileURLToPath(new URL('./fixtures/declare-metric.mjs', import.meta.url));

const own = privateHeap('mpm-bad-input-');
const heap = own.heap;
const registry = new Registry();
const exporter = new HeapExporter(heap);
afterAll(() => own.close());

/** Everything a scrape could show: every family in the heap (both formats) and the registry. */
async function everything(): Promise<string> {
  return [await exporter.metrics('prometheus'), await exporter.metrics('openmetrics'), await registry.metrics()].join('\n----\n');
}

interface Refusal {
  type: typeof TypeError | typeof RangeError;
  code: ErrorCode;
  /** What the message must name. */
  mentions: readonly (string | RegExp)[];
}

const typeError = (code: ErrorCode, ...mentions: (string | RegExp)[]): Refusal => ({ type: TypeError, code, mentions });
const rangeError = (code: ErrorCode, ...mentions: (string | RegExp)[]): Refusal => ({ type: RangeError, code, mentions });

/** `attempt` throws as `refusal` says, and the exposition is the same afterwards. */
async function expectRefused(what: string, attempt: () => unknown, refusal: Refusal): Promise<void> {
  const before = await everything();
  let error: unknown;
  let threw = false;
  try {
    attempt();
  } catch (e) {
    threw = true;
    error = e;
  }
  expect(threw, `${what}: did not throw`).toBe(true);
  expect(error, `${what}: ${String(error)}`).toBeInstanceOf(refusal.type);
  expect(error, `${what}: not an MpmetricsError`).toBeInstanceOf(MpmetricsError);
  const { code, message } = error as { code: unknown; message: string };
  expect(code, `${what}: ${message}`).toBe(refusal.code);
  for (const mention of refusal.mentions) {
    if (typeof mention === 'string') expect(message, what).toContain(mention);
    else expect(message, what).toMatch(mention);
  }
  expect(await everything(), `${what}: the exposition changed`).toBe(before);
}

// ---- metrics that exist before each refused update, with values

type Labels = Record<string, unknown>;
let requests: Counter<'method' | 'code'>;
let jobs: Counter;
let pool: Gauge<'pool'>;
let latency: Histogram<'route'>;
let sizes: Summary<'route'>;
// the same, declared with `strictLabels: true`: every label needs a value (by default a label may be left out)
let strictRequests: Counter<'method' | 'code'>;
let strictPool: Gauge<'pool'>;
let strictLatency: Histogram<'route'>;
let strictSizes: Summary<'route'>;

beforeAll(() => {
  const common = { heap, registers: [registry] };
  requests = new Counter({ name: 'mpmb_requests_total', help: 'Requests', labelNames: ['method', 'code'], ...common });
  jobs = new Counter({ name: 'mpmb_jobs_total', help: 'Jobs', ...common });
  pool = new Gauge({ name: 'mpmb_pool_size', help: 'Pool size', labelNames: ['pool'], ...common });
  latency = new Histogram({ name: 'mpmb_latency_seconds', help: 'Latency', labelNames: ['route'], buckets: [0.1, 1], ...common });
  sizes = new Summary({ name: 'mpmb_size_bytes', help: 'Sizes', labelNames: ['route'], percentiles: [0.5], ...common });
  requests.inc({ method: 'GET', code: '200' }, 3);
  jobs.inc(2);
  pool.set({ pool: 'db' }, 4);
  latency.observe({ route: '/a' }, 0.5);
  sizes.observe({ route: '/a' }, 100);
  const strict = { ...common, strictLabels: true };
  strictRequests = new Counter({ name: 'mpmb_strict_requests_total', help: 'Requests', labelNames: ['method', 'code'], ...strict });
  strictPool = new Gauge({ name: 'mpmb_strict_pool_size', help: 'Pool size', labelNames: ['pool'], ...strict });
  strictLatency = new Histogram({ name: 'mpmb_strict_latency_seconds', help: 'Latency', labelNames: ['route'], buckets: [0.1, 1], ...strict });
  strictSizes = new Summary({ name: 'mpmb_strict_size_bytes', help: 'Sizes', labelNames: ['route'], percentiles: [0.5], ...strict });
  strictRequests.inc({ method: 'GET', code: '200' }, 3);
  strictPool.set({ pool: 'db' }, 4);
  strictLatency.observe({ route: '/a' }, 0.5);
  strictSizes.observe({ route: '/a' }, 100);
});

/** Calls a method with arguments TypeScript would refuse: bad input comes from JavaScript callers and `any`. */
function call(target: object, method: string, ...args: unknown[]): () => unknown {
  return () => (target as Record<string, (...a: unknown[]) => unknown>)[method]!(...args);
}

describe('bad options are refused at construction', () => {
  const TYPES = { counter: Counter, gauge: Gauge, histogram: Histogram, summary: Summary } as const;
  type TypeName = keyof typeof TYPES;
  const declare = (type: TypeName, config: unknown) => () => new (TYPES[type] as new (c: unknown) => unknown)(config);
  const base = (): Record<string, unknown> => ({ name: uniqueName('mpmb_declared'), help: 'Declared', heap, registers: [registry] });

  const everyType: [string, (b: Record<string, unknown>) => unknown, Refusal][] = [
    ['no configuration', () => undefined, typeError('MPM_ERR_INVALID_ARG_TYPE', 'configuration object', 'undefined')],
    ['a null configuration', () => null, typeError('MPM_ERR_INVALID_ARG_TYPE', 'configuration object', 'null')],
    ['a string for a configuration', () => 'mpmb_x', typeError('MPM_ERR_INVALID_ARG_TYPE', 'configuration object', 'the string "mpmb_x"')],
    ['no name', (b) => ({ ...b, name: undefined }), typeError('MPM_ERR_INVALID_ARG_TYPE', '"name"', 'undefined')],
    ['a number for a name', (b) => ({ ...b, name: 42 }), typeError('MPM_ERR_INVALID_ARG_TYPE', '"name"', 'number 42')],
    ['an empty name', (b) => ({ ...b, name: '' }), rangeError('MPM_ERR_OUT_OF_RANGE', 'Invalid metric name ""')],
    ['a name starting with a digit', (b) => ({ ...b, name: '1st_total' }), rangeError('MPM_ERR_OUT_OF_RANGE', '"1st_total"')],
    ['a name with a dash', (b) => ({ ...b, name: 'http-requests' }), rangeError('MPM_ERR_OUT_OF_RANGE', '"http-requests"', '[a-zA-Z_:][a-zA-Z0-9_:]*')],
    ['a name with a space', (b) => ({ ...b, name: 'http requests' }), rangeError('MPM_ERR_OUT_OF_RANGE', '"http requests"')],
    ['a name with a dot', (b) => ({ ...b, name: 'http.requests' }), rangeError('MPM_ERR_OUT_OF_RANGE', '"http.requests"')],
    ['a name with a non-ASCII letter', (b) => ({ ...b, name: 'requêtes' }), rangeError('MPM_ERR_OUT_OF_RANGE', '"requêtes"')],
    ['no help', (b) => ({ ...b, help: undefined }), typeError('MPM_ERR_INVALID_ARG_TYPE', '"help"')],
    ['a string for strictLabels', (b) => ({ ...b, strictLabels: 'yes' }), typeError('MPM_ERR_INVALID_ARG_TYPE', '"strictLabels"', 'the string "yes"')],
    ['an empty help', (b) => ({ ...b, help: '' }), typeError('MPM_ERR_INVALID_ARG_TYPE', '"help"', 'the string ""')],
    ['a number for help', (b) => ({ ...b, help: 7 }), typeError('MPM_ERR_INVALID_ARG_TYPE', '"help"', 'number 7')],
    ['labelNames as a string', (b) => ({ ...b, labelNames: 'method' }), typeError('MPM_ERR_INVALID_ARG_TYPE', '"labelNames"', 'the string "method"')],
    ['a number among labelNames', (b) => ({ ...b, labelNames: ['method', 5] }), typeError('MPM_ERR_INVALID_ARG_TYPE', '"labelNames"', 'number 5')],
    ['a label name starting with a digit', (b) => ({ ...b, labelNames: ['1st'] }), rangeError('MPM_ERR_OUT_OF_RANGE', 'Invalid label name "1st"')],
    ['a label name with a dash', (b) => ({ ...b, labelNames: ['status-code'] }), rangeError('MPM_ERR_OUT_OF_RANGE', '"status-code"')],
    ['a label name with a colon', (b) => ({ ...b, labelNames: ['a:b'] }), rangeError('MPM_ERR_OUT_OF_RANGE', '"a:b"')],
    ['an empty label name', (b) => ({ ...b, labelNames: [''] }), rangeError('MPM_ERR_OUT_OF_RANGE', 'Invalid label name ""')],
    ['a label name starting with __ (reserved)', (b) => ({ ...b, labelNames: ['__name__'] }), rangeError('MPM_ERR_OUT_OF_RANGE', '"__name__"', 'reserved')],
    ['a label name twice', (b) => ({ ...b, labelNames: ['a', 'b', 'a'] }), rangeError('MPM_ERR_OUT_OF_RANGE', 'Duplicate label name "a"')],
    ['registers as one registry, not an array', (b) => ({ ...b, registers: registry }), typeError('MPM_ERR_INVALID_ARG_TYPE', '"registers"', 'an object')],
    ['registers holding something else', (b) => ({ ...b, registers: [registry, {}] }), typeError('MPM_ERR_INVALID_ARG_TYPE', '"registers"', 'an object')],
    ['registers holding null', (b) => ({ ...b, registers: [null] }), typeError('MPM_ERR_INVALID_ARG_TYPE', '"registers"', 'null')],
    ['an unknown aggregator', (b) => ({ ...b, aggregator: 'avg' }), rangeError('MPM_ERR_OUT_OF_RANGE', '"aggregator"', 'the string "avg"', 'sum, first, min, max, average, omit')],
    ['a number for aggregator', (b) => ({ ...b, aggregator: 1 }), typeError('MPM_ERR_INVALID_ARG_TYPE', '"aggregator"', 'number 1')],
    ['collect that is not a function', (b) => ({ ...b, collect: 'refresh' }), typeError('MPM_ERR_INVALID_ARG_TYPE', '"collect"', 'the string "refresh"')],
    ['enableExemplars that is not a boolean', (b) => ({ ...b, enableExemplars: 'yes' }), typeError('MPM_ERR_INVALID_ARG_TYPE', '"enableExemplars"', 'the string "yes"')],
    ['a heap that is not a Heap', (b) => ({ ...b, heap: {} }), typeError('MPM_ERR_INVALID_ARG_TYPE', '"heap"', 'an object')],
    ['an unknown option (a typo)', (b) => ({ ...b, lableNames: ['a'] }), rangeError('MPM_ERR_OUT_OF_RANGE', '"lableNames"')],
  ];

  for (const type of Object.keys(TYPES) as TypeName[]) {
    it(`${type}: every option of the wrong type or out of range`, async () => {
      for (const [what, config, refusal] of everyType) await expectRefused(`${type}, ${what}`, declare(type, config(base())), refusal);
    });
  }

  it('enableExemplars: true is refused where exemplars have no place (gauges and summaries)', async () => {
    for (const type of ['gauge', 'summary'] as const) {
      await expectRefused(
        `${type}, enableExemplars`,
        declare(type, { ...base(), enableExemplars: true }),
        rangeError('MPM_ERR_OUT_OF_RANGE', '"enableExemplars"', 'counters and histograms only'),
      );
    }
  });

  it('enableExemplars with a registry of the text format is refused at construction, as prom-client refuses it', async () => {
    const openMetrics = new Registry<OpenMetricsContentType>();
    openMetrics.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    for (const [Ours, Theirs] of [
      [Counter, PromCounter],
      [Histogram, PromHistogram],
    ] as const) {
      for (const registers of [[registry], [openMetrics, registry]]) {
        const name = uniqueName('mpmb_exemplars');
        let theirs: unknown;
        try {
          new Theirs({ name, help: 'h', enableExemplars: true, registers: [new Registry()] });
        } catch (e) {
          theirs = e;
        }
        expect(theirs).toBeInstanceOf(TypeError);
        const says = (theirs as Error).message; // "Exemplars are supported only on OpenMetrics registries"
        await expectRefused(
          `${Ours.name}, enableExemplars in ${registers.length} registries`,
          () => new Ours({ name, help: 'h', enableExemplars: true, heap, registers }),
          typeError('MPM_ERR_INVALID_ARG_TYPE', says, `"${name}"`, 'setContentType'),
        );
        expect(openMetrics.getSingleMetric(name), 'registered nowhere').toBeUndefined();
      }
    }
  });

  it('histogram: le is reserved; buckets must be an array of finite numbers, strictly increasing', async () => {
    const cases: [string, Record<string, unknown>, Refusal][] = [
      ['an le label', { labelNames: ['route', 'le'] }, rangeError('MPM_ERR_OUT_OF_RANGE', 'Invalid label name "le"', 'reserved')],
      ['buckets as a string', { buckets: '0.1,1' }, typeError('MPM_ERR_INVALID_ARG_TYPE', '"buckets"', 'the string "0.1,1"')],
      ['buckets as a number', { buckets: 1 }, typeError('MPM_ERR_INVALID_ARG_TYPE', '"buckets"', 'number 1')],
      ['no buckets', { buckets: [] }, rangeError('MPM_ERR_OUT_OF_RANGE', '"buckets"', 'at least one')],
      ['only +Inf', { buckets: [Infinity] }, rangeError('MPM_ERR_OUT_OF_RANGE', '"buckets"', 'at least one')],
      ['unsorted buckets', { buckets: [0.1, 1, 0.5] }, rangeError('MPM_ERR_OUT_OF_RANGE', '"buckets"', 'strictly increasing', '1 then 0.5')],
      ['a bucket twice', { buckets: [0.1, 0.5, 0.5, 1] }, rangeError('MPM_ERR_OUT_OF_RANGE', '"buckets"', 'strictly increasing', '0.5 then 0.5')],
      ['a string bucket', { buckets: [0.1, '1'] }, typeError('MPM_ERR_INVALID_ARG_TYPE', '"buckets"', 'the string "1"', 'index 1')],
      ['a NaN bucket', { buckets: [0.1, NaN] }, typeError('MPM_ERR_INVALID_ARG_TYPE', '"buckets"', 'NaN')],
      ['+Inf before the end', { buckets: [1, Infinity, 2] }, rangeError('MPM_ERR_OUT_OF_RANGE', '"buckets"', 'finite', 'Infinity')],
      ['a -Inf bucket', { buckets: [-Infinity, 1] }, rangeError('MPM_ERR_OUT_OF_RANGE', '"buckets"', 'finite', '-Infinity')],
    ];
    for (const [what, extra, refusal] of cases) await expectRefused(`histogram, ${what}`, declare('histogram', { ...base(), ...extra }), refusal);
  });

  it('summary: quantile is reserved; percentiles, maxAgeSeconds, ageBuckets, pruneAgedBuckets and compressCount are checked', async () => {
    const cases: [string, Record<string, unknown>, Refusal][] = [
      ['a quantile label', { labelNames: ['quantile'] }, rangeError('MPM_ERR_OUT_OF_RANGE', 'Invalid label name "quantile"', 'reserved')],
      ['percentiles as a number', { percentiles: 0.5 }, typeError('MPM_ERR_INVALID_ARG_TYPE', '"percentiles"', 'number 0.5')],
      ['a string percentile', { percentiles: [0.5, '0.9'] }, typeError('MPM_ERR_INVALID_ARG_TYPE', '"percentiles"', 'the string "0.9"')],
      ['a percentile above 1', { percentiles: [0.5, 1.5] }, rangeError('MPM_ERR_OUT_OF_RANGE', '"percentiles"', '0 to 1', 'number 1.5')],
      ['a negative percentile', { percentiles: [-0.1] }, rangeError('MPM_ERR_OUT_OF_RANGE', '"percentiles"', 'number -0.1')],
      ['a NaN percentile', { percentiles: [NaN] }, rangeError('MPM_ERR_OUT_OF_RANGE', '"percentiles"', 'NaN')],
      ['percentiles in decreasing order', { percentiles: [0.9, 0.5] }, rangeError('MPM_ERR_OUT_OF_RANGE', '"percentiles"', 'strictly increasing', '0.9 then 0.5')],
      ['a percentile twice', { percentiles: [0.5, 0.5] }, rangeError('MPM_ERR_OUT_OF_RANGE', '"percentiles"', '0.5 then 0.5')],
      ['maxAgeSeconds as a string', { maxAgeSeconds: '60' }, typeError('MPM_ERR_INVALID_ARG_TYPE', '"maxAgeSeconds"', 'the string "60"')],
      ['maxAgeSeconds 0', { maxAgeSeconds: 0 }, rangeError('MPM_ERR_OUT_OF_RANGE', '"maxAgeSeconds"', 'received 0')],
      ['a negative maxAgeSeconds', { maxAgeSeconds: -60 }, rangeError('MPM_ERR_OUT_OF_RANGE', '"maxAgeSeconds"', '-60')],
      ['a fractional maxAgeSeconds', { maxAgeSeconds: 1.5 }, rangeError('MPM_ERR_OUT_OF_RANGE', '"maxAgeSeconds"', 'integer', '1.5')],
      ['a NaN maxAgeSeconds', { maxAgeSeconds: NaN }, rangeError('MPM_ERR_OUT_OF_RANGE', '"maxAgeSeconds"', 'NaN')],
      ['an infinite maxAgeSeconds', { maxAgeSeconds: Infinity }, rangeError('MPM_ERR_OUT_OF_RANGE', '"maxAgeSeconds"', 'Infinity')],
      ['ageBuckets 0', { maxAgeSeconds: 60, ageBuckets: 0 }, rangeError('MPM_ERR_OUT_OF_RANGE', '"ageBuckets"', 'received 0')],
      ['too many ageBuckets', { maxAgeSeconds: 60, ageBuckets: 61 }, rangeError('MPM_ERR_OUT_OF_RANGE', '"ageBuckets"', '61')],
      ['fractional ageBuckets', { maxAgeSeconds: 60, ageBuckets: 2.5 }, rangeError('MPM_ERR_OUT_OF_RANGE', '"ageBuckets"', '2.5')],
      ['ageBuckets as a string', { maxAgeSeconds: 60, ageBuckets: '5' }, typeError('MPM_ERR_INVALID_ARG_TYPE', '"ageBuckets"', 'the string "5"')],
      ['ageBuckets without maxAgeSeconds', { ageBuckets: 5 }, rangeError('MPM_ERR_OUT_OF_RANGE', '"ageBuckets"', '"maxAgeSeconds"')],
      ['pruneAgedBuckets as a string', { pruneAgedBuckets: 'true' }, typeError('MPM_ERR_INVALID_ARG_TYPE', '"pruneAgedBuckets"', 'the string "true"')],
      ['compressCount as a string', { compressCount: '100' }, typeError('MPM_ERR_INVALID_ARG_TYPE', '"compressCount"', 'the string "100"')],
      ['compressCount 0', { compressCount: 0 }, rangeError('MPM_ERR_OUT_OF_RANGE', '"compressCount"', 'received 0')],
    ];
    for (const [what, extra, refusal] of cases) await expectRefused(`summary, ${what}`, declare('summary', { ...base(), ...extra }), refusal);
  });

  it('le on a counter and quantile on a histogram are ordinary label names (as in prom-client)', () => {
    const counter = new Counter({ ...base(), name: uniqueName('mpmb_le_total'), labelNames: ['le'] } as never) as Counter<'le'>;
    counter.inc({ le: '1' });
    new Histogram({ ...base(), name: uniqueName('mpmb_quantile_seconds'), labelNames: ['quantile'] } as never);
  });

  it('a name already in the registry is refused (prom-client’s own error) before the heap has a family of that name', async () => {
    const name = uniqueName('mpmb_taken_total');
    const other = new Registry();
    new PromCounter({ name, help: 'prom-client’s', registers: [other] });
    const before = await exporter.metrics();
    expect(() => new Counter({ name, help: 'Ours', heap, registers: [registry, other] })).toThrow(`A metric with the name ${name} has already been registered.`);
    expect(heap.findFamily(name)).toBeUndefined();
    expect(registry.getSingleMetric(name)).toBeUndefined();
    expect(await exporter.metrics()).toBe(before);
  });
});

describe('bad updates are refused before anything is recorded', () => {
  it('unknown labels', async () => {
    const unknown = rangeError('MPM_ERR_LABELS', 'Unknown label "extra"');
    await expectRefused('counter.inc', call(requests, 'inc', { method: 'GET', code: '200', extra: 'x' }), unknown);
    await expectRefused('counter.inc with a value', call(requests, 'inc', { method: 'GET', code: '200', extra: 'x' }, 2), unknown);
    await expectRefused('counter.labels({...})', call(requests, 'labels', { method: 'GET', code: '200', extra: 'x' }), unknown);
    await expectRefused('counter.remove({...})', call(requests, 'remove', { method: 'GET', code: '200', extra: 'x' }), unknown);
    await expectRefused('counter.zero({...})', call(requests, 'zero', { method: 'GET', code: '200', extra: 'x' }), unknown);
    await expectRefused('gauge.set', call(pool, 'set', { pool: 'db', extra: 'x' }, 1), unknown);
    await expectRefused('gauge.inc', call(pool, 'inc', { pool: 'db', extra: 'x' }), unknown);
    await expectRefused('gauge.dec', call(pool, 'dec', { pool: 'db', extra: 'x' }), unknown);
    await expectRefused('gauge.setToCurrentTime', call(pool, 'setToCurrentTime', { pool: 'db', extra: 'x' }), unknown);
    await expectRefused('gauge.startTimer end', (pool.startTimer as (l: Labels) => () => number)({ pool: 'db', extra: 'x' }), unknown);
    await expectRefused('histogram.observe', call(latency, 'observe', { route: '/a', extra: 'x' }, 1), unknown);
    await expectRefused('histogram.startTimer end', (latency.startTimer as (l: Labels) => (l?: Labels) => number)({ route: '/a' }).bind(null, { extra: 'x' }), unknown);
    await expectRefused('summary.observe', call(sizes, 'observe', { route: '/a', extra: 'x' }, 1), unknown);
    await expectRefused('a label where the metric has none', call(jobs, 'inc', { extra: 'x' }), rangeError('MPM_ERR_LABELS', '"extra"', 'no labels'));
    await expectRefused('labels() where the metric has none', call(jobs, 'labels', 'x'), rangeError('MPM_ERR_LABELS', 'no labels', '1 label value'));
    await expectRefused('remove() where the metric has none', call(jobs, 'remove', 'x'), rangeError('MPM_ERR_LABELS', 'no labels'));
  });

  it('missing labels, with strictLabels', async () => {
    const missing = (name: string): Refusal => rangeError('MPM_ERR_LABELS', `Missing label "${name}"`, '"strictLabels"');
    await expectRefused('counter.inc, one missing', call(strictRequests, 'inc', { method: 'GET' }), missing('code'));
    await expectRefused('counter.inc, one undefined', call(strictRequests, 'inc', { method: 'GET', code: undefined }, 1), missing('code'));
    await expectRefused('counter.inc(), no labels at all', call(strictRequests, 'inc'), missing('method'));
    await expectRefused('counter.inc(5), no labels at all', call(strictRequests, 'inc', 5), missing('method'));
    await expectRefused('counter.labels({...}), one missing', call(strictRequests, 'labels', { code: '200' }), missing('method'));
    await expectRefused('counter.labels, one undefined', call(strictRequests, 'labels', 'GET', undefined), missing('code'));
    await expectRefused('counter.remove({...}), one missing', call(strictRequests, 'remove', { method: 'GET' }), missing('code'));
    await expectRefused('counter.zero({...}), one missing', call(strictRequests, 'zero', { code: '200' }), missing('method'));
    await expectRefused('gauge.set(1), no labels', call(strictPool, 'set', 1), missing('pool'));
    await expectRefused('gauge.setToCurrentTime(), no labels', call(strictPool, 'setToCurrentTime'), missing('pool'));
    await expectRefused('gauge.startTimer() end(), no labels', strictPool.startTimer(), missing('pool'));
    await expectRefused('histogram.observe(1), no labels', call(strictLatency, 'observe', 1), missing('route'));
    await expectRefused('histogram.startTimer() end(), no labels', strictLatency.startTimer(), missing('route'));
    await expectRefused('summary.observe(1), no labels', call(strictSizes, 'observe', 1), missing('route'));
    await expectRefused('summary.startTimer() end(), no labels', strictSizes.startTimer(), missing('route'));
  });

  it('label values in order, too few or too many (prom-client throws too), with or without strictLabels', async () => {
    for (const metric of [requests, strictRequests]) {
      await expectRefused('counter.labels, too few values', call(metric, 'labels', 'GET'), rangeError('MPM_ERR_LABELS', 'Expected 2 label values (method, code), received 1'));
      await expectRefused('counter.labels(), no values', call(metric, 'labels'), rangeError('MPM_ERR_LABELS', 'received 0'));
      await expectRefused('counter.labels, too many values', call(metric, 'labels', 'GET', '200', 'x'), rangeError('MPM_ERR_LABELS', 'received 3'));
      await expectRefused('counter.remove, too few values', call(metric, 'remove', 'GET'), rangeError('MPM_ERR_LABELS', 'received 1'));
    }
  });

  it('label values that are neither strings nor numbers', async () => {
    for (const [value, described] of [
      [true, 'boolean true'],
      [null, 'null'],
      [{}, 'an object'],
      [[], 'an array'],
      [1n, 'bigint 1'],
      [() => 'x', 'a function'],
      [Symbol('s'), 'Symbol(s)'],
    ] as const) {
      const refusal = typeError('MPM_ERR_LABELS', 'Label "code"', 'string or a number', described);
      await expectRefused(`inc with code ${described}`, call(requests, 'inc', { method: 'GET', code: value }), refusal);
      await expectRefused(`labels() with code ${described}`, call(requests, 'labels', 'GET', value), refusal);
      await expectRefused(`remove() with code ${described}`, call(requests, 'remove', 'GET', value), refusal);
      await expectRefused(`zero() with code ${described}`, call(requests, 'zero', { method: 'GET', code: value }), refusal);
    }
    await expectRefused('gauge.set with pool true', call(pool, 'set', { pool: true }, 1), typeError('MPM_ERR_LABELS', 'Label "pool"'));
    await expectRefused('histogram.observe with route {}', call(latency, 'observe', { route: {} }, 1), typeError('MPM_ERR_LABELS', 'Label "route"'));
    await expectRefused('summary.observe with route null', call(sizes, 'observe', { route: null }, 1), typeError('MPM_ERR_LABELS', 'Label "route"'));
  });

  it('negative counter increments', async () => {
    const negative = (v: string): Refusal => rangeError('MPM_ERR_OUT_OF_RANGE', 'Counter increment', 'must not be negative', v);
    await expectRefused('inc(-1)', call(jobs, 'inc', -1), negative('-1'));
    await expectRefused('inc(labels, -0.5)', call(requests, 'inc', { method: 'GET', code: '200' }, -0.5), negative('-0.5'));
    await expectRefused('labels().inc(-1e-9)', call(requests.labels('GET', '200'), 'inc', -1e-9), negative('-1e-9'));
    await expectRefused('inc on a new label set, -2', call(requests, 'inc', { method: 'PUT', code: '201' }, -2), negative('-2'));
  });

  it('numbers that are not finite, and things that are not numbers, for every update of every type', async () => {
    const bad: [unknown, string][] = [
      [NaN, 'number NaN'],
      [Infinity, 'number Infinity'],
      [-Infinity, 'number -Infinity'],
      ['1', 'the string "1"'],
      [null, 'null'],
      [1n, 'bigint 1'],
      [true, 'boolean true'],
    ];
    const updates: [string, string, (v: unknown) => () => unknown][] = [
      ['counter.inc(v)', 'Counter increment', (v) => call(jobs, 'inc', v)],
      ['counter.inc(labels, v)', 'Counter increment', (v) => call(requests, 'inc', { method: 'GET', code: '200' }, v)],
      ['counter.labels().inc(v)', 'Counter increment', (v) => call(requests.labels('GET', '200'), 'inc', v)],
      ['gauge.set(labels, v)', 'Gauge value', (v) => call(pool, 'set', { pool: 'db' }, v)],
      ['gauge.inc(labels, v)', 'Gauge increment', (v) => call(pool, 'inc', { pool: 'db' }, v)],
      ['gauge.dec(labels, v)', 'Gauge decrement', (v) => call(pool, 'dec', { pool: 'db' }, v)],
      ['gauge.labels().set(v)', 'Gauge value', (v) => call(pool.labels('db'), 'set', v)],
      ['histogram.observe(labels, v)', 'Histogram observation', (v) => call(latency, 'observe', { route: '/a' }, v)],
      ['histogram.labels().observe(v)', 'Histogram observation', (v) => call(latency.labels('/a'), 'observe', v)],
      ['summary.observe(labels, v)', 'Summary observation', (v) => call(sizes, 'observe', { route: '/a' }, v)],
      ['summary.labels().observe(v)', 'Summary observation', (v) => call(sizes.labels('/a'), 'observe', v)],
    ];
    for (const [update, what, attempt] of updates) {
      for (const [value, described] of bad) {
        await expectRefused(`${update} with ${described}`, attempt(value), typeError('MPM_ERR_INVALID_ARG_TYPE', what, 'finite number', described));
      }
    }
    // no value where one is needed
    await expectRefused('gauge.set(labels)', call(pool, 'set', { pool: 'db' }), typeError('MPM_ERR_INVALID_ARG_TYPE', 'Gauge value', 'undefined'));
    await expectRefused('histogram.observe(labels)', call(latency, 'observe', { route: '/a' }), typeError('MPM_ERR_INVALID_ARG_TYPE', 'Histogram observation', 'undefined'));
    await expectRefused('summary.observe(labels)', call(sizes, 'observe', { route: '/a' }), typeError('MPM_ERR_INVALID_ARG_TYPE', 'Summary observation', 'undefined'));
  });
});

describe('a declaration that conflicts with the family in the heap: MPM_ERR_METRIC_CONFLICT', () => {
  const conflict = (field: string, name: string): Refusal => rangeError('MPM_ERR_METRIC_CONFLICT', `"${name}"`, `with ${field} `);

  it('from another writer of the heap: another type, label names (or their order), buckets, percentiles, window', async () => {
    // a second handle on the heap is a writer of its own, as another process or thread is (a redeclaration by the
    // same writer is a new metric instead: metrics-redeclaration.test.ts)
    const common = { heap, registers: [] };
    const other = Heap.open({ dir: own.dir });
    const elsewhere = { heap: other, registers: [] };
    const name = (base: string): string => uniqueName(base);
    const counter = name('mpmb_conflict_total');
    new Counter({ name: counter, help: 'Counter', labelNames: ['a', 'b'], ...common });
    const histogram = name('mpmb_conflict_seconds');
    new Histogram({ name: histogram, help: 'Histogram', buckets: [1, 2], ...common });
    const summary = name('mpmb_conflict_bytes');
    new Summary({ name: summary, help: 'Summary', percentiles: [0.5, 0.9], maxAgeSeconds: 60, ageBuckets: 3, ...common });
    const cases: [string, () => unknown, Refusal][] = [
      ['a gauge named like the counter', () => new Gauge({ name: counter, help: 'Gauge', labelNames: ['a', 'b'], ...elsewhere }), conflict('type', counter)],
      ['a histogram named like the counter', () => new Histogram({ name: counter, help: 'Histogram', labelNames: ['a', 'b'], ...elsewhere }), conflict('type', counter)],
      ['the counter with fewer labels', () => new Counter({ name: counter, help: 'Counter', labelNames: ['a'], ...elsewhere }), conflict('labelNames', counter)],
      ['the counter with no labels', () => new Counter({ name: counter, help: 'Counter', ...elsewhere }), conflict('labelNames', counter)],
      ['the counter with its labels in another order', () => new Counter({ name: counter, help: 'Counter', labelNames: ['b', 'a'], ...elsewhere }), conflict('labelNames', counter)],
      ['the histogram with other buckets', () => new Histogram({ name: histogram, help: 'Histogram', buckets: [1, 2, 3], ...elsewhere }), conflict('buckets', histogram)],
      ['the histogram with the default buckets', () => new Histogram({ name: histogram, help: 'Histogram', ...elsewhere }), conflict('buckets', histogram)],
      ['a summary named like the histogram', () => new Summary({ name: histogram, help: 'Summary', ...elsewhere }), conflict('type', histogram)],
      ['the summary with other percentiles', () => new Summary({ name: summary, help: 'Summary', percentiles: [0.5], maxAgeSeconds: 60, ageBuckets: 3, ...elsewhere }), conflict('percentiles', summary)],
      ['the summary with another window', () => new Summary({ name: summary, help: 'Summary', percentiles: [0.5, 0.9], maxAgeSeconds: 30, ageBuckets: 3, ...elsewhere }), conflict('maxAgeSeconds', summary)],
      ['the summary with other age buckets', () => new Summary({ name: summary, help: 'Summary', percentiles: [0.5, 0.9], maxAgeSeconds: 60, ageBuckets: 5, ...elsewhere }), conflict('ageBuckets', summary)],
      ['the summary without a window', () => new Summary({ name: summary, help: 'Summary', percentiles: [0.5, 0.9], ...elsewhere }), conflict('maxAgeSeconds', summary)],
    ];
    for (const [what, attempt, refusal] of cases) await expectRefused(what, attempt, refusal);
    // only the help text may differ: that declaration joins the family
    const again = new Counter({ name: counter, help: 'Other words', labelNames: ['a', 'b'], ...elsewhere });
    again.inc({ a: '1', b: '2' });
    other.close();
  });

  describe('with another process (a real node)', () => {
    function declareElsewhere(spec: unknown): { ok: boolean; error?: { name: string; code: string; message: string; isRangeError: boolean } } {
      const run = spawnSync(process.execPath, [DECLARE, JSON.stringify(spec)], {
        encoding: 'utf8',
        env: { ...process.env, MPMETRICS_DIR: own.dir },
        timeout: 60_000,
      });
      expect(run.status, run.stderr).toBe(0);
      return JSON.parse(run.stdout) as ReturnType<typeof declareElsewhere>;
    }

    it('declared there first, it conflicts here', async () => {
      const name = uniqueName('mpmb_elsewhere_total');
      expect(declareElsewhere({ type: 'counter', config: { name, help: 'There', labelNames: ['a'] }, update: ['inc', { a: 'x' }, 4] })).toEqual({ ok: true });
      expect(await exporter.metrics()).toContain(`\n${name}{a="x"} 4\n`);
      await expectRefused('a gauge here', () => new Gauge({ name, help: 'Here', labelNames: ['a'], heap, registers: [registry] }), conflict('type', name));
      await expectRefused('other labels here', () => new Counter({ name, help: 'Here', labelNames: ['a', 'b'], heap, registers: [registry] }), conflict('labelNames', name));
      // the same declaration joins it
      const same = new Counter({ name, help: 'Here', labelNames: ['a'], heap, registers: [] });
      same.inc({ a: 'x' });
      expect((await same.get()).values).toEqual([{ value: 5, labels: { a: 'x' } }]);
    });

    it('declared here first, it conflicts there, and nothing changes here', async () => {
      const name = uniqueName('mpmb_here_seconds');
      const here = new Histogram({ name, help: 'Here', labelNames: ['route'], buckets: [0.5, 1], heap, registers: [registry] });
      here.observe({ route: '/a' }, 0.75);
      const before = await everything();
      const cases: [unknown, string][] = [
        [{ type: 'histogram', config: { name, help: 'There', labelNames: ['route'], buckets: [0.5, 1, 2] }, update: ['observe', { route: '/a' }, 1] }, 'buckets'],
        [{ type: 'histogram', config: { name, help: 'There', labelNames: ['path'], buckets: [0.5, 1] }, update: ['observe', { path: '/a' }, 1] }, 'labelNames'],
        [{ type: 'summary', config: { name, help: 'There', labelNames: ['route'] }, update: ['observe', { route: '/a' }, 1] }, 'type'],
        [{ type: 'counter', config: { name, help: 'There' }, update: ['inc'] }, 'type'],
      ];
      for (const [spec, field] of cases) {
        const result = declareElsewhere(spec);
        expect(result.ok, JSON.stringify(spec)).toBe(false);
        expect(result.error).toMatchObject({ name: 'RangeError', code: 'MPM_ERR_METRIC_CONFLICT', isRangeError: true });
        expect(result.error!.message).toContain(`"${name}"`);
        expect(result.error!.message).toContain(`with ${field} `);
      }
      expect(await everything()).toBe(before);
    });
  });
});
