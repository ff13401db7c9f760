// Histogram, side by side with prom-client 15.1.3's: the same calls on both, then the same `registry.metrics()` in
// Prometheus text and in OpenMetrics, byte for byte, and the same `get()`. Timers read vitest's fake
// process.hrtime, so both sides time the very same interval. Also: the bucket generators, against prom-client's.
import {
  Histogram as PromHistogram,
  exponentialBuckets as promExponentialBuckets,
  linearBuckets as promLinearBuckets,
  Registry,
  type OpenMetricsContentType,
} from 'prom-client';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_BUCKETS, exponentialBuckets, Histogram, linearBuckets, type Heap, type HistogramConfiguration } from '../src/index.js';
import { parityHeaps, Twins, uniqueName, type Registers } from './helpers/parity.js';

type Labels = Record<string, string | number>;

interface HistogramChildLike {
  observe(value: number): void;
  startTimer(): (labels?: Labels) => number | void;
}

/** What both Histogram classes have in common, for driving them with one piece of code. */
interface HistogramLike {
  observe(value: number): void;
  observe(labels: Labels, value: number): void;
  startTimer(labels?: Labels): (labels?: Labels) => number;
  labels(...values: string[]): HistogramChildLike;
  labels(labels: Labels): HistogramChildLike;
  remove(...values: string[]): void;
  remove(labels: Labels): void;
  zero(labels: Labels): void;
  reset(): void;
  get(): Promise<unknown>;
}

const heaps = parityHeaps('mpm-histogram-parity-');
afterAll(() => heaps.close());
afterEach(() => {
  vi.useRealTimers();
});

type Config = Omit<HistogramConfiguration<string>, 'registers' | 'heap'>;

function twins(config: Config): Twins<HistogramLike> {
  return new Twins<HistogramLike>(heaps, (side, registers: Registers, heap: Heap) =>
    side === 'ours' ? new Histogram({ ...config, registers, heap }) : new PromHistogram({ ...config, registers } as never),
  );
}

describe('Histogram without labels', () => {
  it('has prom-client’s default buckets, and is exported with zero counts before any observation', async () => {
    const h = twins({ name: uniqueName('mpmp_latency_seconds'), help: 'Latency' });
    const texts = await h.expectSameExpositions();
    expect(DEFAULT_BUCKETS).toEqual([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
    expect([...texts.prometheus.ours.matchAll(/le="([^"]+)"/g)].map((m) => m[1])).toEqual([...DEFAULT_BUCKETS.map(String), '+Inf']);
    expect(texts.prometheus.ours).toMatch(/_sum 0\n\S+_count 0\n$/);
    await h.expectSameGet();
  });

  it('observe(): a value on a bound counts in that bucket (le is inclusive), above the last only in +Inf; negatives count everywhere', async () => {
    const h = twins({ name: uniqueName('mpmp_size_bytes'), help: 'Sizes', buckets: [-2, 0, 1, 2.5, 10] });
    const observations = [-5, -2, -0.5, 0, 0.25, 1, 1.0000001, 2.5, 9.99, 10, 10.5, 1e9];
    h.each((m) => observations.forEach((v) => m.observe(v)));
    const texts = await h.expectSameExpositions();
    expect(texts.prometheus.ours).toContain('_bucket{le="-2"} 2\n');
    expect(texts.prometheus.ours).toContain('_bucket{le="0"} 4\n');
    expect(texts.prometheus.ours).toContain('_bucket{le="1"} 6\n');
    expect(texts.prometheus.ours).toContain('_bucket{le="2.5"} 8\n');
    expect(texts.prometheus.ours).toContain('_bucket{le="10"} 10\n');
    expect(texts.prometheus.ours).toContain('_bucket{le="+Inf"} 12\n');
    expect(texts.prometheus.ours).toContain(`_sum ${observations.reduce((a, b) => a + b, 0)}\n`);
    expect(texts.prometheus.ours).toContain('_count 12\n');
    await h.expectSameGet();
  });

  it('startTimer() returns end(), which observes the seconds since the start and returns them', async () => {
    vi.useFakeTimers({ toFake: ['hrtime'] });
    const h = twins({ name: uniqueName('mpmp_job_seconds'), help: 'Job duration', buckets: [0.5, 1, 2] });
    const ends = h.instances.map((i) => i.metric.startTimer());
    vi.advanceTimersByTime(750);
    expect(ends.map((end) => end())).toEqual([0.75, 0.75, 0.75, 0.75]);
    const texts = await h.expectSameExpositions();
    expect(texts.prometheus.ours).toContain('_bucket{le="1"} 1\n');
    expect(texts.prometheus.ours).toMatch(/_sum 0\.75\n/);
  });

  it('reset() drops its samples until the next observation, as prom-client does', async () => {
    const h = twins({ name: uniqueName('mpmp_job_seconds'), help: 'Job duration', buckets: [1] });
    h.each((m) => {
      m.observe(0.5);
      m.reset();
    });
    // A metric without labels is exported at zero from its declaration on, by both libraries; prom-client's
    // histogram (unlike its counter and gauge) then leaves HELP and TYPE with no sample after reset(), and so do we.
    const texts = await h.expectSameExpositions();
    for (const format of ['prometheus', 'openmetrics'] as const) {
      for (const side of ['ours', 'theirs'] as const) expect(texts[format][side].split('\n').filter((l) => l !== '' && !l.startsWith('#'))).toEqual([]);
    }
    const gets = await h.expectSameGet();
    expect(gets.prometheus.ours.values).toEqual([]);
    h.each((m) => m.observe(2));
    await h.expectSameExpositions();
    await h.expectSameGet();
  });
});

describe('Histogram with labels', () => {
  const config = (): Config => ({ name: uniqueName('mpmp_request_seconds'), help: 'Request time', labelNames: ['route', 'method'], buckets: [0.1, 0.5, 1] });

  it('exports nothing until a label set is observed', async () => {
    const h = twins(config());
    const texts = await h.expectSameExpositions();
    expect(texts.prometheus.ours).toMatch(/^# HELP \S+ Request time\n# TYPE \S+ histogram\n$/);
  });

  it('observe(labels, v), labels(...values).observe(v), labels({...}).observe(v): le first, then the labels, as prom-client writes them', async () => {
    const h = twins(config());
    h.each((m) => {
      m.observe({ route: '/a', method: 'GET' }, 0.05);
      m.observe({ route: '/a', method: 'GET' }, 0.7);
      m.labels('/a', 'GET').observe(0.1);
      m.labels({ route: '/b', method: 'POST' }).observe(3);
    });
    const texts = await h.expectSameExpositions();
    expect(texts.prometheus.ours).toContain('_bucket{le="0.1",route="/a",method="GET"} 2\n');
    expect(texts.prometheus.ours).toContain('_bucket{le="+Inf",route="/b",method="POST"} 1\n');
    expect(texts.prometheus.ours).toContain('_count{route="/a",method="GET"} 3\n');
    const gets = await h.expectSameGet();
    expect(gets.prometheus.ours.values[0]).toStrictEqual({
      labels: { le: 0.1, route: '/a', method: 'GET' },
      value: 2,
      metricName: expect.stringMatching(/_bucket$/) as unknown,
      exemplar: null, // prom-client's: every bucket carries the field, null without exemplars
    });
    expect(Object.keys(gets.prometheus.ours.values[0]!.labels)).toEqual(['le', 'route', 'method']);
  });

  it('startTimer(labels) and end(more labels): merged; labels(...).startTimer() too', async () => {
    vi.useFakeTimers({ toFake: ['hrtime'] });
    const h = twins(config());
    const ends = h.instances.map((i) => [i.metric.startTimer({ route: '/a' }), i.metric.startTimer()] as const);
    vi.advanceTimersByTime(300);
    const returned = ends.map(([partial]) => partial({ method: 'GET' }));
    vi.advanceTimersByTime(500);
    returned.push(...ends.map(([, none]) => none({ route: '/b', method: 'PUT' })));
    const childEnds = h.instances.map((i) => i.metric.labels('/c', 'GET').startTimer());
    vi.advanceTimersByTime(2000);
    for (const end of childEnds) end();
    expect(returned).toEqual([0.3, 0.3, 0.3, 0.3, 0.8, 0.8, 0.8, 0.8]);
    const texts = await h.expectSameExpositions();
    expect(texts.prometheus.ours).toContain('_sum{route="/a",method="GET"} 0.3\n');
    expect(texts.prometheus.ours).toContain('_sum{route="/b",method="PUT"} 0.8\n');
    expect(texts.prometheus.ours).toContain('_bucket{le="1",route="/c",method="GET"} 0\n');
    expect(texts.prometheus.ours).toContain('_sum{route="/c",method="GET"} 2\n');
    await h.expectSameGet();
  });

  it('zero(labels) exports a label set with zero counts before its first observation', async () => {
    const h = twins(config());
    h.each((m) => {
      m.zero({ route: '/a', method: 'GET' });
      m.zero({ route: '/b', method: 'GET' });
      m.observe({ route: '/b', method: 'GET' }, 0.2);
    });
    const texts = await h.expectSameExpositions();
    expect(texts.prometheus.ours).toContain('_count{route="/a",method="GET"} 0\n');
    expect(texts.prometheus.ours).toContain('_count{route="/b",method="GET"} 1\n');
    await h.expectSameGet();
  });

  it('remove(...values) and remove({...}) take a label set out; observed again, it counts from 0', async () => {
    const h = twins(config());
    h.each((m) => {
      m.observe({ route: '/a', method: 'GET' }, 0.2);
      m.observe({ route: '/b', method: 'GET' }, 0.2);
      m.observe({ route: '/c', method: 'GET' }, 0.2);
      m.remove('/a', 'GET');
      m.remove({ route: '/c', method: 'GET' });
    });
    let texts = await h.expectSameExpositions();
    expect(texts.prometheus.ours).not.toContain('/a');
    expect(texts.prometheus.ours).not.toContain('/c');
    h.each((m) => m.observe({ route: '/c', method: 'GET' }, 5));
    texts = await h.expectSameExpositions();
    expect(texts.prometheus.ours).toContain('_sum{route="/c",method="GET"} 5\n');
    await h.expectSameGet();
  });

  it('reset() takes every label set out', async () => {
    const h = twins(config());
    h.each((m) => {
      m.observe({ route: '/a', method: 'GET' }, 0.2);
      m.zero({ route: '/b', method: 'GET' });
      m.reset();
    });
    const texts = await h.expectSameExpositions();
    expect(texts.prometheus.ours).toMatch(/^# HELP \S+ Request time\n# TYPE \S+ histogram\n$/);
    h.each((m) => m.observe({ route: '/b', method: 'GET' }, 0.2));
    await h.expectSameExpositions();
  });
});

describe('Histogram options', () => {
  it('buckets: any strictly increasing list; +Inf may be spelled out at the end', async () => {
    for (const buckets of [[1], [0.001, 0.01, 0.1], [-10, -2, 0, 1, 10], [1e-9, 1e21], [1, 2, Infinity]]) {
      const h = twins({ name: uniqueName('mpmp_sizes'), help: 'Sizes', buckets });
      h.each((m) => [0, 1, 1e-10, 5e20, -3].forEach((v) => m.observe(v)));
      if (buckets.includes(Infinity)) {
        // prom-client then writes an le="Infinity" bucket before its own +Inf one (and its OpenMetrics output fails
        // strict parsers); we write the one +Inf bucket. The other buckets and sums are the same.
        const texts = await h.expositions();
        const withoutInfinity = (text: string): string => text.replace(/\n\S+_bucket\{le="Infinity"\} \d+/, '');
        expect(texts.prometheus.theirs).toContain('_bucket{le="Infinity"} 5\n');
        expect(texts.prometheus.ours).toBe(withoutInfinity(texts.prometheus.theirs));
        expect(texts.openmetrics.ours).toBe(withoutInfinity(texts.openmetrics.theirs));
      } else {
        await h.expectSameExpositions();
        await h.expectSameGet();
      }
    }
  });

  it('a bound of -1 counts what is ≤ -1 (prom-client also counts there what is above its last bound)', async () => {
    const h = twins({ name: uniqueName('mpmp_offsets'), help: 'Offsets', buckets: [-1, 1] });
    h.each((m) => [-3, 0, 5, 7].forEach((v) => m.observe(v)));
    const texts = await h.expositions();
    // prom-client finds a value's bucket with a search that answers -1 for "above every bound", then counts it in
    // the bucket whose bound is -1, if there is one: a bug we do not copy. Everything else is the same.
    expect(texts.prometheus.theirs).toMatch(/_bucket\{le="-1"\} 3\n\S+_bucket\{le="1"\} 4\n/);
    expect(texts.prometheus.ours).toMatch(/_bucket\{le="-1"\} 1\n\S+_bucket\{le="1"\} 2\n/);
    for (const format of ['prometheus', 'openmetrics'] as const) {
      const corrected = texts[format].theirs.replace('_bucket{le="-1"} 3\n', '_bucket{le="-1"} 1\n').replace('_bucket{le="1"} 4\n', '_bucket{le="1"} 2\n');
      expect(texts[format].ours).toBe(corrected);
    }
  });

  it('linearBuckets and exponentialBuckets give exactly prom-client’s bounds', () => {
    const linear: [number, number, number][] = [
      [0, 1, 1],
      [0, 0.1, 20],
      [-5, 2.5, 7],
      [0.005, 0.005, 100],
    ];
    for (const args of linear) expect(linearBuckets(...args), `linearBuckets(${args.join(', ')})`).toEqual(promLinearBuckets(...args));
    const exponential: [number, number, number][] = [
      [1, 2, 1],
      [1, 2, 10],
      [0.001, 2.5, 12],
      [0.005, 1.5, 30],
      [100, 10, 8],
      [1e-6, 3, 40],
    ];
    for (const args of exponential) {
      expect(exponentialBuckets(...args), `exponentialBuckets(${args.join(', ')})`).toEqual(promExponentialBuckets(...args));
    }
  });

  it('a histogram built from the generators is written as prom-client writes it', async () => {
    const h = twins({ name: uniqueName('mpmp_generated'), help: 'Generated buckets', buckets: exponentialBuckets(0.001, 2.5, 12) });
    h.each((m) => [0.0005, 0.003, 0.1, 2, 400].forEach((v) => m.observe(v)));
    await h.expectSameExpositions();
  });

  it('linearBuckets and exponentialBuckets refuse bad input as prom-client does, and more (RangeError/TypeError)', () => {
    const cases: [string, () => unknown, () => unknown, ErrorConstructor][] = [
      ['linear count 0', () => linearBuckets(0, 1, 0), () => promLinearBuckets(0, 1, 0), RangeError],
      ['exponential start 0', () => exponentialBuckets(0, 2, 3), () => promExponentialBuckets(0, 2, 3), RangeError],
      ['exponential factor 1', () => exponentialBuckets(1, 1, 3), () => promExponentialBuckets(1, 1, 3), RangeError],
      ['exponential count 0', () => exponentialBuckets(1, 2, 0), () => promExponentialBuckets(1, 2, 0), RangeError],
    ];
    for (const [what, ours, theirs, type] of cases) {
      expect(theirs, what).toThrow();
      expect(ours, what).toThrow(type);
    }
    // prom-client accepts these and returns bounds no histogram can use (decreasing, NaN, fractional counts)
    expect(promLinearBuckets(0, -1, 3)).toEqual([0, -1, -2]);
    expect(() => linearBuckets(0, -1, 3)).toThrow(RangeError);
    expect(() => linearBuckets(0, 0, 3)).toThrow(RangeError);
    expect(() => linearBuckets(NaN, 1, 3)).toThrow(TypeError);
    expect(() => linearBuckets(0, 1, 2.5)).toThrow(RangeError);
    expect(() => exponentialBuckets(1, 2, 2.5)).toThrow(RangeError);
    expect(() => exponentialBuckets(1, Infinity, 3)).toThrow(TypeError);
  });

  it('aggregator is reported by get() (default "sum")', async () => {
    for (const aggregator of [undefined, 'sum', 'max', 'omit'] as const) {
      const h = twins({ name: uniqueName('mpmp_latency_seconds'), help: 'Latency', ...(aggregator === undefined ? {} : { aggregator }) });
      const gets = await h.expectSameGet();
      expect(gets.prometheus.ours.aggregator).toBe(aggregator ?? 'sum');
    }
  });

  it('collect() runs before each read with `this` the histogram, sync or async', async () => {
    const h = twins({
      name: uniqueName('mpmp_collected_seconds'),
      help: 'Observed on read',
      buckets: [1, 2],
      async collect(this: HistogramLike) {
        await Promise.resolve();
        this.observe(1.5);
      },
    });
    await h.expectSameExpositions();
    const gets = await h.expectSameGet();
    expect(gets.prometheus.ours.values.find((v) => v.metricName?.endsWith('_count'))?.value).toBe(2);
  });
});

describe('Histogram get() with exemplars, whole values against prom-client', () => {
  it('a bucket with an exemplar carries it; one without carries null, +Inf undefined; _sum and _count undefined', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_700_000_000_123);
    const name = uniqueName('mpmp_exemplar_seconds');
    const registry = (): Registers[number] => {
      const r = new Registry<OpenMetricsContentType>();
      r.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
      return r;
    };
    const config = { name, help: 'With exemplars', labelNames: ['route'], buckets: [0.1, 1], enableExemplars: true };
    const ours = new Histogram({ ...config, registers: [registry()], heap: heaps.openmetrics });
    const theirs = new PromHistogram({ ...config, registers: [registry()] } as never) as unknown as typeof ours;
    for (const m of [ours, theirs]) {
      m.observe({ labels: { route: '/a' }, value: 0.05, exemplarLabels: { trace_id: 'a1' } });
      m.observe({ labels: { route: '/a' }, value: 0.5 }); // no exemplar: the 1 bucket has none
      m.observe({ labels: { route: '/b' }, value: 7, exemplarLabels: { trace_id: 'b1' } }); // +Inf has one
    }
    const [a, b] = [await ours.get(), await theirs.get()];
    // whole values, strictly (an undefined field is not an absent one); prom-client's exemplar is an instance of its
    // internal Exemplar class, ours a plain object with the same fields
    const plain = (v: (typeof b.values)[number]): unknown => (v.exemplar ? { ...v, exemplar: { ...v.exemplar } } : v);
    expect(a).toStrictEqual({ ...b, values: b.values.map(plain) });
    const at = (route: string, le: number | string): unknown => a.values.find((v) => v.labels['route'] === route && v.labels['le'] === le)?.exemplar;
    expect(at('/a', 0.1)).toEqual({ labelSet: { trace_id: 'a1' }, value: 0.05, timestamp: 1_700_000_000.123 });
    expect(at('/a', 1)).toBeNull();
    expect(at('/a', '+Inf')).toBeUndefined();
    expect(at('/b', '+Inf')).toEqual({ labelSet: { trace_id: 'b1' }, value: 7, timestamp: 1_700_000_000.123 });
    expect(a.values.filter((v) => v.metricName !== `${name}_bucket`).every((v) => 'exemplar' in v && v.exemplar === undefined)).toBe(true);
  });
});
