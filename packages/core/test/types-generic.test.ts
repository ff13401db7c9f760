// The public types, checked by the compiler: `pnpm typecheck` compiles this file (tsconfig.json includes test/),
// so a type that drifts fails CI. `expectTypeOf` asserts exact types; each `// @ts-expect-error` line must stay an
// error (an unused one is itself an error). At run time vitest runs the few calls that are safe to make.
//
// The model is prom-client 15.1.3's index.d.ts: label names drive the generic parameter, so a label the metric does
// not have is a compile error, and its configuration objects can be handed to ours unchanged.
import type {
  Counter as PromCounter,
  Gauge as PromGauge,
  Histogram as PromHistogram,
  Summary as PromSummary,
  CounterConfiguration as PromCounterConfiguration,
  GaugeConfiguration as PromGaugeConfiguration,
  HistogramConfiguration as PromHistogramConfiguration,
  OpenMetricsContentType,
  SummaryConfiguration as PromSummaryConfiguration,
} from 'prom-client';
import { Registry, register } from 'prom-client';
import { afterAll, describe, expect, expectTypeOf, it } from 'vitest';
import {
  Counter,
  CounterChild,
  Gauge,
  GaugeChild,
  Histogram,
  HistogramChild,
  Summary,
  SummaryChild,
  MpmetricsError,
  type CounterConfiguration,
  type ErrorCode,
  type GaugeConfiguration,
  type HistogramConfiguration,
  type LabelValues,
  type MetricObjectWithValues,
  type MetricType,
  type SummaryConfiguration,
} from '../src/index.js';
import { privateHeap } from './helpers/parity.js';

const own = privateHeap('mpm-types-');
const heap = own.heap;
afterAll(() => own.close());
const common = { heap, registers: [] };

describe('label names drive the generic type', () => {
  it('labelNames as const (or a literal array) give the metric its label names', () => {
    const a = new Counter({ name: 'mpmy_a_total', help: 'a', labelNames: ['method', 'code'] as const, ...common });
    expectTypeOf(a).toEqualTypeOf<Counter<'method' | 'code'>>();
    const b = new Counter({ name: 'mpmy_b_total', help: 'b', labelNames: ['method'], ...common });
    expectTypeOf(b).toEqualTypeOf<Counter<'method'>>();
    const c = new Counter({ name: 'mpmy_c_total', help: 'c', ...common });
    expectTypeOf(c).toEqualTypeOf<Counter<string>>();
    const names: string[] = ['x'];
    expectTypeOf(new Gauge({ name: 'mpmy_d', help: 'd', labelNames: names, ...common })).toEqualTypeOf<Gauge<string>>();
  });

  it('a labels object may name the metric’s labels only, with string or number values', () => {
    const counter = new Counter({ name: 'mpmy_requests_total', help: 'r', labelNames: ['method', 'code'] as const, ...common });
    counter.inc({ method: 'GET', code: 200 });
    counter.inc({ method: 'GET', code: '200' }, 2);
    expectTypeOf<Parameters<typeof counter.zero>[0]>().toEqualTypeOf<LabelValues<'method' | 'code'>>();
    expectTypeOf<LabelValues<'method' | 'code'>>().toEqualTypeOf<{ method?: string | number; code?: string | number }>();
    expect(() => {
      // @ts-expect-error 'path' is not a label of this counter
      counter.inc({ path: '/' });
      // @ts-expect-error label values are strings or numbers
      counter.inc({ method: true });
      // @ts-expect-error the increment is a number
      counter.inc({ method: 'GET' }, '1');
      // @ts-expect-error the increment is a number
      counter.inc('1');
    }).toThrow(); // (at run time too: an unknown label)

    const gauge = new Gauge({ name: 'mpmy_pool', help: 'p', labelNames: ['pool'] as const, ...common });
    gauge.set({ pool: 'db' }, 1);
    gauge.inc({ pool: 'db' });
    gauge.dec({ pool: 'db' }, 2);
    gauge.setToCurrentTime({ pool: 'db' });
    expect(() => {
      // @ts-expect-error 'db' is not a label name
      gauge.set({ db: 'pool' }, 1);
      // @ts-expect-error set needs a value
      gauge.set({ pool: 'db' });
    }).toThrow();

    const histogram = new Histogram({ name: 'mpmy_latency_seconds', help: 'l', labelNames: ['route'] as const, ...common });
    histogram.observe({ route: '/' }, 0.1);
    histogram.zero({ route: '/' });
    expect(() => {
      // @ts-expect-error 'path' is not a label of this histogram
      histogram.observe({ path: '/' }, 0.1);
      // @ts-expect-error nor here
      histogram.zero({ path: '/' });
    }).toThrow();

    const summary = new Summary({ name: 'mpmy_size_bytes', help: 's', labelNames: ['route'] as const, ...common });
    summary.observe({ route: '/' }, 10);
    expect(() => {
      // @ts-expect-error 'path' is not a label of this summary
      summary.observe({ path: '/' }, 10);
    }).toThrow();
  });

  it('labels(...values) and labels({...}) return the child of the type; remove takes both forms', () => {
    const counter = new Counter({ name: 'mpmy_forms_total', help: 'f', labelNames: ['a', 'b'] as const, ...common });
    expectTypeOf(counter.labels('x', 'y')).toEqualTypeOf<CounterChild>();
    expectTypeOf(counter.labels('x', 1)).toEqualTypeOf<CounterChild>();
    expectTypeOf(counter.labels({ a: 'x', b: 'y' })).toEqualTypeOf<CounterChild>();
    expectTypeOf(counter.labels('x', 'y').inc).toEqualTypeOf<(value?: number) => void>();
    counter.remove('x', 'y');
    counter.remove({ a: 'x', b: 'y' });
    expect(() => {
      // @ts-expect-error 'c' is not a label of this counter
      counter.labels({ c: 'x' });
      // @ts-expect-error nor here
      counter.remove({ c: 'x' });
      // @ts-expect-error label values are strings or numbers
      counter.labels('x', true);
    }).toThrow();

    const gauge = new Gauge({ name: 'mpmy_forms', help: 'f', labelNames: ['a'] as const, ...common });
    expectTypeOf(gauge.labels('x')).toEqualTypeOf<GaugeChild<'a'>>();
    expectTypeOf(gauge.labels({ a: 'x' })).toHaveProperty('setToCurrentTime');
    const histogram = new Histogram({ name: 'mpmy_forms_seconds', help: 'f', labelNames: ['a'] as const, ...common });
    expectTypeOf(histogram.labels('x')).toEqualTypeOf<HistogramChild<'a'>>();
    expectTypeOf(histogram.labels('x').observe).toEqualTypeOf<(value: number) => void>();
    const summary = new Summary({ name: 'mpmy_forms_bytes', help: 'f', labelNames: ['a'] as const, ...common });
    expectTypeOf(summary.labels({ a: 'x' })).toEqualTypeOf<SummaryChild<'a'>>();
  });
});

describe('timers and get()', () => {
  it('startTimer(labels?) returns end(labels?), which returns the seconds', () => {
    const gauge = new Gauge({ name: 'mpmy_timer', help: 't', labelNames: ['a', 'b'] as const, ...common });
    const histogram = new Histogram({ name: 'mpmy_timer_seconds', help: 't', labelNames: ['a', 'b'] as const, ...common });
    const summary = new Summary({ name: 'mpmy_timer_bytes', help: 't', labelNames: ['a', 'b'] as const, ...common });
    type End = (labels?: LabelValues<'a' | 'b'>) => number;
    expectTypeOf(gauge.startTimer({ a: 'x' })).toEqualTypeOf<End>();
    expectTypeOf(histogram.startTimer()).toEqualTypeOf<End>();
    expectTypeOf(summary.startTimer({ a: 'x' })).toEqualTypeOf<End>();
    expectTypeOf(gauge.labels('x', 'y').startTimer()).toEqualTypeOf<End>();
    expectTypeOf(histogram.labels('x', 'y').startTimer()).toEqualTypeOf<End>();
    expectTypeOf(summary.labels('x', 'y').startTimer()).toEqualTypeOf<End>();
    const end = histogram.startTimer({ a: 'x' });
    expect(end({ b: 'y' })).toBeGreaterThanOrEqual(0);
    expect(() => {
      // @ts-expect-error 'c' is not a label of this histogram
      histogram.startTimer({ c: 'x' })();
    }).toThrow();
    expect(() => {
      // @ts-expect-error nor at the end
      histogram.startTimer({ a: 'x' })({ c: 'y' });
    }).toThrow();
  });

  it('get() resolves to prom-client’s shape, typed by the label names', async () => {
    const counter = new Counter({ name: 'mpmy_get_total', help: 'g', labelNames: ['a'] as const, ...common });
    expectTypeOf(counter.get()).resolves.toEqualTypeOf<MetricObjectWithValues<'a'>>();
    const got = await counter.get();
    expectTypeOf(got.name).toEqualTypeOf<string>();
    expectTypeOf(got.help).toEqualTypeOf<string>();
    expectTypeOf(got.type).toEqualTypeOf<MetricType>();
    expectTypeOf(got.aggregator).toEqualTypeOf<'sum' | 'first' | 'min' | 'max' | 'average' | 'omit'>();
    type Value = (typeof got.values)[number];
    expectTypeOf<Value['value']>().toEqualTypeOf<number>();
    expectTypeOf<Value['metricName']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<Value['labels']['a']>().toEqualTypeOf<string | number | undefined>();
    expectTypeOf<MetricType>().toEqualTypeOf<'counter' | 'gauge' | 'histogram' | 'summary' | 'info' | 'stateset'>();
    expectTypeOf(new Histogram({ name: 'mpmy_get_seconds', help: 'g', labelNames: ['a'] as const, ...common }).get()).resolves.toEqualTypeOf<
      MetricObjectWithValues<'a'>
    >();
  });
});

describe('configurations', () => {
  it('prom-client’s configuration objects are accepted as they are', () => {
    const counter: PromCounterConfiguration<'a'> = { name: 'mpmy_cfg_total', help: 'c', labelNames: ['a'], aggregator: 'sum' };
    const gauge: PromGaugeConfiguration<'a'> = { name: 'mpmy_cfg', help: 'g', labelNames: ['a'] as const };
    const histogram: PromHistogramConfiguration<'a'> = { name: 'mpmy_cfg_seconds', help: 'h', buckets: [0.1, 1] };
    const summary: PromSummaryConfiguration<'a'> = { name: 'mpmy_cfg_bytes', help: 's', percentiles: [0.5], maxAgeSeconds: 60, ageBuckets: 5, pruneAgedBuckets: true, compressCount: 100 };
    // assignable as declared, and accepted by the constructors
    const ours: [CounterConfiguration<'a'>, GaugeConfiguration<'a'>, HistogramConfiguration<'a'>, SummaryConfiguration<'a'>] = [counter, gauge, histogram, summary];
    expect(ours).toHaveLength(4);
    const withCollect: PromGaugeConfiguration<'a'> = {
      name: 'mpmy_cfg_collected',
      help: 'g',
      collect() {
        this.set(1);
      },
    };
    new Gauge({ ...withCollect, ...common });
    new Counter({ ...counter, ...common });
    new Gauge({ ...gauge, ...common });
    new Histogram({ ...histogram, ...common });
    new Summary({ ...summary, ...common });
  });

  it('collect() has the metric as `this`, as prom-client types it (ours, or prom-client’s type of it)', () => {
    expectTypeOf<ThisParameterType<NonNullable<CounterConfiguration<'a'>['collect']>>>().toEqualTypeOf<Counter<'a'> | PromCounter<'a'>>();
    expectTypeOf<ThisParameterType<NonNullable<GaugeConfiguration<'a'>['collect']>>>().toEqualTypeOf<Gauge<'a'> | PromGauge<'a'>>();
    expectTypeOf<ThisParameterType<NonNullable<HistogramConfiguration<'a'>['collect']>>>().toEqualTypeOf<Histogram<'a'> | PromHistogram<'a'>>();
    expectTypeOf<ThisParameterType<NonNullable<SummaryConfiguration<'a'>['collect']>>>().toEqualTypeOf<Summary<'a'> | PromSummary<'a'>>();
    new Gauge({
      name: 'mpmy_collected',
      help: 'c',
      labelNames: ['a'] as const,
      ...common,
      collect() {
        this.set({ a: 'x' }, 1);
        // @ts-expect-error 'b' is not a label of this gauge
        this.set({ b: 'x' }, 1);
      },
    });
    new Counter({
      name: 'mpmy_collected_total',
      help: 'c',
      ...common,
      async collect() {
        await Promise.resolve();
        this.inc();
      },
    });
  });

  it('registers takes registries of either content type; the default is prom-client’s register', () => {
    const openMetrics = new Registry<OpenMetricsContentType>();
    openMetrics.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    const both = new Counter({ name: 'mpmy_registers_total', help: 'r', heap, registers: [new Registry(), openMetrics] });
    expect(openMetrics.getSingleMetric('mpmy_registers_total')).toBe(both);
    expectTypeOf<NonNullable<CounterConfiguration<string>['registers']>[number]>().toMatchTypeOf<typeof register | typeof openMetrics>();
  });

  it('options of the wrong type are compile errors', () => {
    expect(() => {
      // @ts-expect-error name is a string
      new Counter({ name: 1, help: 'x', ...common });
      // @ts-expect-error buckets are numbers
      new Histogram({ name: 'mpmy_x_seconds', help: 'x', buckets: ['1'], ...common });
      // @ts-expect-error aggregator is one of prom-client's
      new Gauge({ name: 'mpmy_x', help: 'x', aggregator: 'avg', ...common });
      // @ts-expect-error help is required
      new Summary({ name: 'mpmy_x_bytes', ...common });
    }).toThrow();
  });

  it('errors carry a code of the ErrorCode union', () => {
    try {
      new Counter({ name: 'bad-name', help: 'x', ...common });
    } catch (error) {
      expect(error).toBeInstanceOf(MpmetricsError);
      if (error instanceof MpmetricsError) expectTypeOf(error.code).toEqualTypeOf<ErrorCode>();
    }
  });
});
