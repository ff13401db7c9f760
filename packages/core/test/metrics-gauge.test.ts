// Gauge, side by side with prom-client 15.1.3's: the same calls on both, then the same `registry.metrics()` in
// Prometheus text and in OpenMetrics, byte for byte, and the same `get()`. Clock readings (setToCurrentTime,
// startTimer) come from vitest's fake Date and process.hrtime, so both sides read the very same instants.
import { Gauge as PromGauge } from 'prom-client';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { Gauge, type GaugeConfiguration, type Heap } from '../src/index.js';
import { parityHeaps, Twins, uniqueName, type Registers } from './helpers/parity.js';

type Labels = Record<string, string | number>;

interface GaugeChildLike {
  inc(value?: number): void;
  dec(value?: number): void;
  set(value: number): void;
  setToCurrentTime(): void;
  startTimer(): (labels?: Labels) => number;
}

/** What both Gauge classes have in common, for driving them with one piece of code. */
interface GaugeLike {
  inc(value?: number): void;
  inc(labels: Labels, value?: number): void;
  dec(value?: number): void;
  dec(labels: Labels, value?: number): void;
  set(value: number): void;
  set(labels: Labels, value: number): void;
  setToCurrentTime(labels?: Labels): void;
  startTimer(labels?: Labels): (labels?: Labels) => number;
  labels(...values: string[]): GaugeChildLike;
  labels(labels: Labels): GaugeChildLike;
  remove(...values: string[]): void;
  remove(labels: Labels): void;
  reset(): void;
  get(): Promise<unknown>;
}

const heaps = parityHeaps('mpm-gauge-parity-');
afterAll(() => heaps.close());
afterEach(() => {
  vi.useRealTimers();
});

type Config = Omit<GaugeConfiguration<string>, 'registers' | 'heap'>;

function twins(config: Config): Twins<GaugeLike> {
  return new Twins<GaugeLike>(heaps, (side, registers: Registers, heap: Heap) =>
    side === 'ours' ? new Gauge({ ...config, registers, heap }) : new PromGauge({ ...config, registers } as never),
  );
}

/** A fixed wall clock and monotonic clock that only move when told. */
function freezeClocks(): void {
  vi.useFakeTimers({ toFake: ['Date', 'hrtime'] });
  vi.setSystemTime(new Date('2024-05-06T07:08:09.250Z'));
}

describe('Gauge without labels', () => {
  it('is exported at 0 before anything is set', async () => {
    const g = twins({ name: uniqueName('mpmp_queue_depth'), help: 'Jobs waiting' });
    const texts = await g.expectSameExpositions();
    expect(texts.prometheus.ours).toMatch(/^# HELP \S+ Jobs waiting\n# TYPE \S+ gauge\n\S+ 0\n$/);
    expect(texts.openmetrics.ours).toMatch(/^# HELP \S+ Jobs waiting\n# TYPE \S+ gauge\n\S+ 0\n# EOF\n$/);
    await g.expectSameGet();
  });

  it('set(), inc(), inc(v), dec(), dec(v): the last set wins and steps add to it, negatives and fractions included', async () => {
    const g = twins({ name: uniqueName('mpmp_queue_depth'), help: 'Jobs waiting' });
    const steps: [string, (m: GaugeLike) => void, number][] = [
      ['set(10)', (m) => m.set(10), 10],
      ['inc()', (m) => m.inc(), 11],
      ['inc(2.5)', (m) => m.inc(2.5), 13.5],
      ['dec()', (m) => m.dec(), 12.5],
      ['dec(20)', (m) => m.dec(20), -7.5],
      ['inc(-0.5)', (m) => m.inc(-0.5), -8],
      ['dec(-1)', (m) => m.dec(-1), -7],
      ['set(0.1)', (m) => m.set(0.1), 0.1],
      ['inc(0.2)', (m) => m.inc(0.2), 0.1 + 0.2],
      ['set(-0)', (m) => m.set(-0), -0], // written "0"; get() keeps the sign, on both sides
    ];
    for (const [what, step, value] of steps) {
      g.each(step);
      const gets = await g.expectSameGet();
      expect(gets.prometheus.ours.values, what).toEqual([{ value, labels: {} }]);
      await g.expectSameExpositions();
    }
  });

  it('setToCurrentTime() sets Unix seconds with milliseconds', async () => {
    freezeClocks();
    const g = twins({ name: uniqueName('mpmp_last_run_seconds'), help: 'When the job last ran' });
    g.each((m) => m.setToCurrentTime());
    const texts = await g.expectSameExpositions();
    expect(texts.prometheus.ours).toMatch(/ 1714979289\.25\n$/);
  });

  it('startTimer() returns end(), which sets the seconds since the start and returns them', async () => {
    freezeClocks();
    const g = twins({ name: uniqueName('mpmp_last_duration_seconds'), help: 'Duration of the last run' });
    const ends = g.instances.map((i) => i.metric.startTimer());
    vi.advanceTimersByTime(1250);
    const returned = ends.map((end) => end());
    expect(returned).toEqual([1.25, 1.25, 1.25, 1.25]);
    const texts = await g.expectSameExpositions();
    expect(texts.prometheus.ours).toMatch(/ 1\.25\n$/);
  });

  it('reset() brings it back to 0', async () => {
    const g = twins({ name: uniqueName('mpmp_queue_depth'), help: 'Jobs waiting' });
    g.each((m) => {
      m.set(42);
      m.reset();
    });
    const gets = await g.expectSameGet();
    expect(gets.prometheus.ours.values).toEqual([{ value: 0, labels: {} }]);
    await g.expectSameExpositions();
  });
});

describe('Gauge with labels', () => {
  const config = (): Config => ({ name: uniqueName('mpmp_connections'), help: 'Open connections', labelNames: ['pool', 'state'] });

  it('exports nothing until a label set is written', async () => {
    const g = twins(config());
    const texts = await g.expectSameExpositions();
    expect(texts.prometheus.ours).toMatch(/^# HELP \S+ Open connections\n# TYPE \S+ gauge\n$/);
  });

  it('set/inc/dec with labels, and the same through labels(...values) and labels({...})', async () => {
    const g = twins(config());
    g.each((m) => {
      m.set({ pool: 'db', state: 'idle' }, 5);
      m.inc({ pool: 'db', state: 'idle' });
      m.inc({ pool: 'db', state: 'idle' }, 0.5);
      m.dec({ pool: 'db', state: 'idle' });
      m.dec({ pool: 'db', state: 'idle' }, 2);
      m.labels('db', 'busy').inc();
      m.labels('db', 'busy').inc(3);
      m.labels({ pool: 'db', state: 'busy' }).dec(0.25);
      m.labels({ pool: 'http', state: 'idle' }).set(-4);
      m.labels('http', 'busy').dec();
      m.inc({ pool: 'cache', state: 'idle' });
    });
    const texts = await g.expectSameExpositions();
    expect(texts.prometheus.ours).toContain('{pool="db",state="idle"} 3.5\n');
    expect(texts.prometheus.ours).toContain('{pool="db",state="busy"} 3.75\n');
    expect(texts.prometheus.ours).toContain('{pool="http",state="busy"} -1\n');
    await g.expectSameGet();
  });

  it('setToCurrentTime(labels) and labels(...).setToCurrentTime()', async () => {
    freezeClocks();
    const g = twins(config());
    g.each((m) => m.setToCurrentTime({ pool: 'db', state: 'idle' }));
    vi.advanceTimersByTime(500);
    g.each((m) => m.labels('db', 'busy').setToCurrentTime());
    const texts = await g.expectSameExpositions();
    expect(texts.prometheus.ours).toContain('{pool="db",state="idle"} 1714979289.25\n');
    expect(texts.prometheus.ours).toContain('{pool="db",state="busy"} 1714979289.75\n');
    await g.expectSameGet();
  });

  it('startTimer(labels) and end(more labels): the label sets are merged; labels(...).startTimer() too', async () => {
    freezeClocks();
    const g = twins(config());
    const ends = g.instances.map((i) => [i.metric.startTimer({ pool: 'db' }), i.metric.startTimer()] as const);
    vi.advanceTimersByTime(2000);
    const returned = ends.map(([partial]) => partial({ state: 'busy' }));
    vi.advanceTimersByTime(1500);
    returned.push(...ends.map(([, none]) => none({ pool: 'cache', state: 'idle' })));
    const childEnds = g.instances.map((i) => i.metric.labels('http', 'idle').startTimer());
    vi.advanceTimersByTime(500);
    returned.push(...childEnds.map((end) => end()));
    expect(returned).toEqual([2, 2, 2, 2, 3.5, 3.5, 3.5, 3.5, 0.5, 0.5, 0.5, 0.5]);
    const texts = await g.expectSameExpositions();
    expect(texts.prometheus.ours).toContain('{pool="db",state="busy"} 2\n');
    expect(texts.prometheus.ours).toContain('{pool="cache",state="idle"} 3.5\n');
    expect(texts.prometheus.ours).toContain('{pool="http",state="idle"} 0.5\n');
    await g.expectSameGet();
  });

  it('remove(...values) and remove({...}) take a label set out; written again, it starts from 0', async () => {
    const g = twins(config());
    g.each((m) => {
      m.set({ pool: 'db', state: 'idle' }, 1);
      m.set({ pool: 'db', state: 'busy' }, 2);
      m.set({ pool: 'http', state: 'idle' }, 3);
      m.remove('db', 'idle');
      m.remove({ pool: 'http', state: 'idle' });
    });
    let texts = await g.expectSameExpositions();
    expect(texts.prometheus.ours).toMatch(/\n\S+\{pool="db",state="busy"\} 2\n$/);
    g.each((m) => m.inc({ pool: 'http', state: 'idle' }, 0.5));
    texts = await g.expectSameExpositions();
    expect(texts.prometheus.ours).toContain('{pool="http",state="idle"} 0.5\n');
    await g.expectSameGet();
  });

  it('reset() takes every label set out', async () => {
    const g = twins(config());
    g.each((m) => {
      m.set({ pool: 'db', state: 'idle' }, 1);
      m.set({ pool: 'db', state: 'busy' }, 2);
      m.reset();
    });
    const texts = await g.expectSameExpositions();
    expect(texts.prometheus.ours).toMatch(/^# HELP \S+ Open connections\n# TYPE \S+ gauge\n$/);
    g.each((m) => m.dec({ pool: 'db', state: 'busy' }));
    await g.expectSameExpositions();
    await g.expectSameGet();
  });
});

describe('Gauge options', () => {
  it('aggregator is reported by get() (default "sum")', async () => {
    for (const aggregator of [undefined, 'sum', 'first', 'min', 'max', 'average', 'omit'] as const) {
      const g = twins({ name: uniqueName('mpmp_queue_depth'), help: 'Jobs', ...(aggregator === undefined ? {} : { aggregator }) });
      const gets = await g.expectSameGet();
      expect(gets.openmetrics.ours.aggregator).toBe(aggregator ?? 'sum');
    }
  });

  it('collect() runs just before each read, with `this` the gauge', async () => {
    const reads = new Map<unknown, number>();
    const g = twins({
      name: uniqueName('mpmp_reads'),
      help: 'Counted on read',
      collect(this: GaugeLike) {
        reads.set(this, (reads.get(this) ?? 0) + 1);
        this.inc();
      },
    });
    await g.expectSameExpositions();
    const texts = await g.expectSameExpositions();
    expect(texts.prometheus.ours).toMatch(/ 2\n$/);
    expect(g.instances.map((i) => reads.get(i.metric))).toEqual([2, 2, 2, 2]);
  });

  it('collect() may be async: the registry waits for it', async () => {
    const g = twins({
      name: uniqueName('mpmp_pool_size'),
      help: 'Read from somewhere slow',
      labelNames: ['pool'],
      async collect(this: GaugeLike) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        this.set({ pool: 'db' }, 7);
      },
    });
    const texts = await g.expectSameExpositions();
    expect(texts.openmetrics.ours).toMatch(/\{pool="db"\} 7\n# EOF\n$/);
    await g.expectSameGet();
  });
});
