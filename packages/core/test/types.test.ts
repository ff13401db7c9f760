// The public types, checked by the compiler: `pnpm typecheck` compiles this file, so a wrong type fails CI (the
// runtime part below only makes the file a test). Like prom-client's, our metrics are generic over their label
// names: known names are accepted, unknown ones are compile errors, and configurations written for prom-client
// type-check against ours.
import * as pc from 'prom-client';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  Counter,
  CounterChild,
  HeapExporter,
  leaseExpositionBytes,
  type ExpositionLease,
  Gauge,
  GaugeChild,
  Histogram,
  HistogramChild,
  Summary,
  SummaryChild,
  type CounterConfiguration,
  type HistogramConfiguration,
  type LabelValues,
  type MetricObjectWithValues,
} from '../src/index.js';

/** Type assertions only: never called. */
function typeChecks(): void {
  const counter = new Counter({ name: 'types_total', help: 'h', labelNames: ['method', 'code'] as const });
  expectTypeOf(counter).toEqualTypeOf<Counter<'method' | 'code'>>();
  counter.inc({ method: 'GET', code: 200 });
  counter.inc({ method: 'GET' }, 2); // partial label objects type-check as in prom-client, and are taken at run time
  // @ts-expect-error an unknown label name
  counter.inc({ route: '/a' });
  // @ts-expect-error a label value that is neither a string nor a number
  counter.inc({ method: true });
  expectTypeOf(counter.labels('GET', 200)).toEqualTypeOf<CounterChild>();
  expectTypeOf(counter.labels({ method: 'GET', code: '200' })).toEqualTypeOf<CounterChild>();
  // @ts-expect-error labels() takes strings and numbers
  counter.labels('GET', null);
  expectTypeOf(counter.get()).toEqualTypeOf<Promise<MetricObjectWithValues<'method' | 'code'>>>();
  counter.remove('GET', 200);
  counter.remove({ method: 'GET', code: 200 });

  const gauge = new Gauge({ name: 'types_gauge', help: 'h', labelNames: ['pool'] });
  expectTypeOf(gauge.labels('db')).toEqualTypeOf<GaugeChild<'pool'>>();
  const endGauge = gauge.startTimer({ pool: 'db' });
  expectTypeOf(endGauge).toEqualTypeOf<(labels?: LabelValues<'pool'>) => number>();
  // @ts-expect-error set() needs a value
  gauge.set({ pool: 'db' });

  const histogram = new Histogram({ name: 'types_seconds', help: 'h', labelNames: ['route'], buckets: [0.1, 1] });
  expectTypeOf(histogram.labels('/a')).toEqualTypeOf<HistogramChild<'route'>>();
  const end = histogram.startTimer({ route: '/a' });
  expectTypeOf(end).returns.toEqualTypeOf<number>();
  end({ route: '/b' });
  // @ts-expect-error the timer's end takes this metric's labels only
  end({ status: 200 });
  expectTypeOf(histogram.labels('/a').startTimer()).toEqualTypeOf<(labels?: LabelValues<'route'>) => number>();

  const summary = new Summary({ name: 'types_bytes', help: 'h', percentiles: [0.5], maxAgeSeconds: 60, ageBuckets: 5 });
  expectTypeOf(summary.labels()).toEqualTypeOf<SummaryChild<string>>();
  summary.observe(1);

  // The partial label sets prom-client's types take (metrics-partial-labels.test.ts), each next to prom-client's.
  const theirCounter = new pc.Counter({ name: 'types_pc_total', help: 'h', labelNames: ['method', 'code'] as const });
  for (const c of [counter, theirCounter]) {
    c.inc();
    c.inc(2);
    c.inc({});
    c.inc({ code: 200 });
    c.labels({ method: 'GET' }).inc();
    c.remove({ method: 'GET' });
  }
  gauge.set({}, 1);
  gauge.set(1);
  gauge.setToCurrentTime({});
  gauge.startTimer({})({ pool: 'db' });
  histogram.observe({}, 1);
  histogram.startTimer()({ route: '/a' });
  histogram.zero({});
  const labeledSummary = new Summary({ name: 'types_sizes', help: 'h', labelNames: ['route', 'code'] as const });
  labeledSummary.observe({ code: 500 }, 1);
  labeledSummary.startTimer({ route: '/a' })({ code: 200 });
  const strict = new Counter({ name: 'types_strict_total', help: 'h', labelNames: ['method'] as const, strictLabels: true });
  expectTypeOf(strict.strictLabels).toEqualTypeOf<boolean>();
  // @ts-expect-error strictLabels is a boolean
  void new Counter({ name: 'types_strict2_total', help: 'h', strictLabels: 'yes' });

  // A configuration written for prom-client is accepted by ours (prom-client registries included).
  const promConfig: pc.HistogramConfiguration<'route'> = { name: 'types_pc_seconds', help: 'h', labelNames: ['route'], buckets: [1], registers: [pc.register] };
  const ours: HistogramConfiguration<'route'> = { ...promConfig, buckets: promConfig.buckets! };
  void new Histogram(ours);
  const openMetrics = new pc.Registry<pc.OpenMetricsContentType>();
  const withOpenMetrics: CounterConfiguration<string> = { name: 'types_om_total', help: 'h', registers: [openMetrics, pc.register] };
  void withOpenMetrics;
  // @ts-expect-error name is required
  void new Counter({ help: 'h' });

  // A lease's bytes are a Buffer, read until release()
  expectTypeOf(new HeapExporter().leaseMetricsBytes('openmetrics')).toEqualTypeOf<Promise<ExpositionLease>>();
  expectTypeOf(leaseExpositionBytes([], 'prometheus').bytes).toEqualTypeOf<Buffer>();
  expectTypeOf<ExpositionLease['release']>().toEqualTypeOf<() => void>();
  // @ts-expect-error a format the writers do not have
  void new HeapExporter().leaseMetricsBytes('json');
}

describe('public types', () => {
  it('are checked by the compiler (pnpm typecheck compiles this file)', () => {
    expect(typeof typeChecks).toBe('function');
  });
});
