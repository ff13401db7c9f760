// Counter, side by side with prom-client 15.1.3's: the same calls on both, then the same `registry.metrics()` in
// Prometheus text and in OpenMetrics, byte for byte, and the same `get()`. Where we differ on purpose (README,
// "Differences from prom-client") the test says so and checks our side on its own.
import { Counter as PromCounter } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { Counter, type CounterConfiguration } from '../src/index.js';
import { parityHeaps, Twins, uniqueName, type MetricJson, type Registers } from './helpers/parity.js';
import type { Heap } from '../src/index.js';

type Labels = Record<string, string | number>;

/** What both Counter classes have in common, for driving them with one piece of code. */
interface CounterLike {
  inc(value?: number): void;
  inc(labels: Labels, value?: number): void;
  labels(...values: string[]): { inc(value?: number): void };
  labels(labels: Labels): { inc(value?: number): void };
  remove(...values: string[]): void;
  remove(labels: Labels): void;
  reset(): void;
  get(): Promise<unknown>;
}

const heaps = parityHeaps('mpm-counter-parity-');
afterAll(() => heaps.close());

type Config = Omit<CounterConfiguration<string>, 'registers' | 'heap'>;

function twins(config: Config): Twins<CounterLike> {
  return new Twins<CounterLike>(heaps, (side, registers: Registers, heap: Heap) =>
    side === 'ours' ? new Counter({ ...config, registers, heap }) : new PromCounter({ ...config, registers } as never),
  );
}

/** The code label of each sample, in the order written. */
const codes = (text: string): (string | undefined)[] => [...text.matchAll(/code="(\d+)"/g)].map((x) => x[1]);

/** Both libraries wrote the same lines, in whatever order, in both formats. */
function expectSameLinesInAnyOrder(texts: Awaited<ReturnType<Twins<CounterLike>['expositions']>>): void {
  for (const format of ['prometheus', 'openmetrics'] as const) {
    const { ours, theirs } = texts[format];
    expect(ours.split('\n').sort()).toEqual(theirs.split('\n').sort());
  }
}

describe('Counter without labels', () => {
  it('is exported at 0 before its first increment', async () => {
    const c = twins({ name: uniqueName('mpmp_jobs_total'), help: 'Jobs done' });
    const texts = await c.expectSameExpositions();
    expect(texts.prometheus.ours).toMatch(/^# HELP mpmp_t\d+_jobs_total Jobs done\n# TYPE mpmp_t\d+_jobs_total counter\nmpmp_t\d+_jobs_total 0\n$/);
    await c.expectSameGet();
  });

  it('inc() adds 1, inc(value) adds value, inc(0) adds nothing, fractional increments add up as doubles do', async () => {
    const c = twins({ name: uniqueName('mpmp_jobs_total'), help: 'Jobs done' });
    c.each((m) => {
      m.inc();
      m.inc(2);
      m.inc(0);
      for (let i = 0; i < 3; i++) m.inc(0.1); // 3 + 0.1 + 0.1 + 0.1: the double sum, not 3.3
    });
    const texts = await c.expectSameExpositions();
    expect(texts.prometheus.ours).toContain(` ${3 + 0.1 + 0.1 + 0.1}\n`);
    expect(texts.openmetrics.ours).toMatch(/^# HELP mpmp_t\d+_jobs Jobs done\n# TYPE mpmp_t\d+_jobs counter\nmpmp_t\d+_jobs_total 3.3000000000000003\n# EOF\n$/);
    const gets = await c.expectSameGet();
    expect(gets.prometheus.ours).toStrictEqual({
      name: expect.stringMatching(/_jobs_total$/) as unknown as string,
      help: 'Jobs done',
      type: 'counter',
      aggregator: 'sum',
      values: [{ value: 3.3000000000000003, labels: {} }],
    });
  });

  it('a name without _total: the OpenMetrics registry adds _total to the sample, the text format does not', async () => {
    const c = twins({ name: uniqueName('mpmp_sent_bytes'), help: 'Bytes sent' });
    c.each((m) => m.inc(1024));
    const texts = await c.expectSameExpositions();
    expect(texts.prometheus.ours).toMatch(/\nmpmp_t\d+_sent_bytes 1024\n$/);
    expect(texts.openmetrics.ours).toMatch(/\nmpmp_t\d+_sent_bytes_total 1024\n# EOF\n$/);
  });

  it('help text with a backslash, a newline and double quotes is escaped as prom-client escapes it', async () => {
    const help = 'Counts "things" in C:\\dir\nsecond line';
    const c = twins({ name: uniqueName('mpmp_escaped_total'), help });
    c.each((m) => m.inc());
    const texts = await c.expectSameExpositions();
    expect(texts.prometheus.ours).toContain('Counts "things" in C:\\\\dir\\nsecond line\n');
  });

  it('reset() brings it back to 0 (and it stays exported)', async () => {
    const c = twins({ name: uniqueName('mpmp_jobs_total'), help: 'Jobs done' });
    c.each((m) => {
      m.inc(5);
      m.reset();
    });
    const texts = await c.expectSameExpositions();
    expect(texts.prometheus.ours).toMatch(/_jobs_total 0\n$/);
    c.each((m) => m.inc(0.5));
    await c.expectSameExpositions();
    await c.expectSameGet();
  });

  it('a negative increment throws on both sides and records nothing', async () => {
    const c = twins({ name: uniqueName('mpmp_jobs_total'), help: 'Jobs done' });
    c.each((m) => m.inc(4));
    const thrown = c.throws((m) => m.inc(-1));
    expect(thrown.ours).toBeInstanceOf(RangeError);
    expect(thrown.theirs).toBeInstanceOf(Error);
    await c.expectSameExpositions();
  });
});

describe('Counter with labels', () => {
  const config = (): Config => ({ name: uniqueName('mpmp_http_requests_total'), help: 'Requests', labelNames: ['method', 'code'] });

  it('exports nothing until a label set is incremented', async () => {
    const c = twins(config());
    const texts = await c.expectSameExpositions();
    expect(texts.prometheus.ours).toMatch(/^# HELP \S+ Requests\n# TYPE \S+ counter\n$/);
    await c.expectSameGet();
  });

  it('inc(labels), inc(labels, value), labels(...values).inc() and labels({...}).inc(value) reach the same series', async () => {
    const c = twins(config());
    c.each((m) => {
      m.inc({ method: 'GET', code: '200' });
      m.inc({ method: 'GET', code: '200' }, 2.5);
      m.labels('GET', '200').inc();
      m.labels({ method: 'GET', code: '200' }).inc(0.25);
      m.inc({ method: 'POST', code: '500' }, 3);
      m.labels('PUT', '201').inc(0);
    });
    const texts = await c.expectSameExpositions();
    expect(texts.prometheus.ours).toContain('{method="GET",code="200"} 4.75\n');
    expect(texts.openmetrics.ours).toContain('_total{method="POST",code="500"} 3\n');
    await c.expectSameGet();
  });

  it('a cached child keeps counting into its series', async () => {
    const c = twins(config());
    const children = c.instances.map((i) => i.metric.labels('GET', '404'));
    for (const child of children) for (let i = 0; i < 10; i++) child.inc();
    const texts = await c.expectSameExpositions();
    expect(texts.prometheus.ours).toContain('{method="GET",code="404"} 10\n');
  });

  it('label values are escaped as prom-client escapes them (backslash, newline, double quote)', async () => {
    const c = twins(config());
    const awkward = ['a "quoted" value', 'back\\slash', 'new\nline', '', '日本語 ☃', 'a,b=c}'];
    c.each((m) => awkward.forEach((code, i) => m.inc({ method: 'GET', code }, i + 1)));
    const texts = await c.expectSameExpositions();
    expect(texts.prometheus.ours).toContain('{method="GET",code="a \\"quoted\\" value"} 1\n');
    expect(texts.prometheus.ours).toContain('{method="GET",code="back\\\\slash"} 2\n');
    expect(texts.prometheus.ours).toContain('{method="GET",code="new\\nline"} 3\n');
    await c.expectSameGet();
  });

  it('label values given as numbers are written the same; our get() gives them back as text', async () => {
    const c = twins(config());
    c.each((m) => {
      m.inc({ method: 'GET', code: 200 });
      m.inc({ method: 'GET', code: '200' }, 2);
      m.inc({ method: 'GET', code: 1.5 });
    });
    const texts = await c.expectSameExpositions();
    expect(texts.prometheus.ours).toContain('{method="GET",code="200"} 3\n');
    expect(texts.prometheus.ours).toContain('{method="GET",code="1.5"} 1\n');
    // Deliberate (README): a series is shared by every process, which may give the value as 200 or as "200"; we
    // keep the text, which is what is exported. prom-client's get() hands back the object of the first call.
    const asText = (json: MetricJson): MetricJson => ({
      ...json,
      values: json.values.map((v) => ({ ...v, labels: Object.fromEntries(Object.entries(v.labels).map(([k, x]) => [k, String(x)])) })),
    });
    const gets = await c.expectSameGet(asText);
    expect(gets.prometheus.ours.values.map((v) => v.labels['code'])).toEqual(['200', '1.5']);
    expect(gets.prometheus.theirs.values.map((v) => v.labels['code'])).toEqual([200, 1.5]);
  });

  it('series are listed in the order they were first incremented', async () => {
    const c = twins(config());
    const order = ['z', 'a', 'm', 'b', 'y', 'c', 'x', 'd'];
    c.each((m) => order.forEach((code) => m.inc({ method: 'GET', code })));
    const texts = await c.expectSameExpositions();
    expect([...texts.prometheus.ours.matchAll(/code="(\w)"/g)].map((x) => x[1])).toEqual(order);
  });

  it('labels(...) alone does not make a series appear (nothing was counted yet)', async () => {
    const c = twins(config());
    c.each((m) => {
      m.labels('GET', '200');
      m.labels({ method: 'GET', code: '304' });
    });
    const texts = await c.expectSameExpositions();
    expect(texts.prometheus.ours).not.toContain('{');
    c.each((m) => m.labels('GET', '304').inc());
    await c.expectSameExpositions();
  });

  it('a label set first met through labels() takes its place in the list there (deliberate: prom-client places it at its first write)', async () => {
    const c = twins(config());
    const children = c.instances.map((i) => i.metric.labels('GET', '500'));
    c.each((m) => m.inc({ method: 'GET', code: '200' }));
    for (const child of children) child.inc();
    const texts = await c.expositions();
    // The child holds its series from labels() on (so that writing through it is a plain store): the series
    // record, and with it the place in the list, is made then. Only the order differs.
    expect(codes(texts.prometheus.ours)).toEqual(['500', '200']);
    expect(codes(texts.prometheus.theirs)).toEqual(['200', '500']);
    expectSameLinesInAnyOrder(texts);
  });

  it('a label set removed and written again keeps its place (deliberate: prom-client puts it last)', async () => {
    const c = twins(config());
    c.each((m) => m.inc({ method: 'GET', code: '200' }));
    c.each((m) => m.inc({ method: 'GET', code: '500' }));
    c.each((m) => m.remove({ method: 'GET', code: '200' }));
    c.each((m) => m.inc({ method: 'GET', code: '200' }, 3));
    const texts = await c.expositions();
    // The series record stays in the heap (other processes may hold it) and the list is in record order.
    expect(codes(texts.prometheus.ours)).toEqual(['200', '500']);
    expect(codes(texts.prometheus.theirs)).toEqual(['500', '200']);
    expectSameLinesInAnyOrder(texts);
  });

  it('remove(...values) and remove({...}) take a label set out; incremented again, it counts from 0', async () => {
    const c = twins(config());
    c.each((m) => {
      m.inc({ method: 'GET', code: '200' }, 7);
      m.inc({ method: 'GET', code: '500' }, 8);
      m.inc({ method: 'PUT', code: '200' }, 9);
    });
    c.each((m) => m.remove('GET', '200'));
    let texts = await c.expectSameExpositions();
    expect(texts.prometheus.ours).not.toContain('code="200",method="GET"');
    expect(texts.prometheus.ours).not.toContain('{method="GET",code="200"}');
    c.each((m) => m.remove({ method: 'PUT', code: '200' }));
    texts = await c.expectSameExpositions();
    expect(texts.prometheus.ours).toMatch(/\n\S+\{method="GET",code="500"\} 8\n$/);
    // removing what is not there is not an error
    c.each((m) => m.remove('DELETE', '204'));
    await c.expectSameExpositions();
    c.each((m) => m.inc({ method: 'PUT', code: '200' }));
    texts = await c.expectSameExpositions();
    expect(texts.prometheus.ours).toContain('{method="PUT",code="200"} 1\n');
    await c.expectSameGet();
  });

  it('reset() takes every label set out; incremented again they count from 0', async () => {
    const c = twins(config());
    c.each((m) => {
      m.inc({ method: 'GET', code: '200' }, 7);
      m.inc({ method: 'GET', code: '500' }, 8);
      m.reset();
    });
    let texts = await c.expectSameExpositions();
    expect(texts.prometheus.ours).toMatch(/^# HELP \S+ Requests\n# TYPE \S+ counter\n$/);
    c.each((m) => m.inc({ method: 'GET', code: '500' }));
    texts = await c.expectSameExpositions();
    expect(texts.prometheus.ours).toContain('{method="GET",code="500"} 1\n');
  });

  it('labels written in another order than labelNames are exported in labelNames order (deliberate)', async () => {
    const c = twins(config());
    c.each((m) => m.inc({ code: '200', method: 'GET' }));
    // prom-client writes the keys in the order of the first object it was given; we write labelNames order (the
    // series is shared by processes that may each spell the object another way). Same series, same value.
    const swap = (text: string): string => text.replace('{code="200",method="GET"}', '{method="GET",code="200"}');
    await c.expectSameExpositions(swap);
  });
});

describe('Counter options', () => {
  it('aggregator is reported by get() (default "sum")', async () => {
    for (const aggregator of [undefined, 'sum', 'first', 'min', 'max', 'average', 'omit'] as const) {
      const c = twins({ name: uniqueName('mpmp_jobs_total'), help: 'Jobs', ...(aggregator === undefined ? {} : { aggregator }) });
      const gets = await c.expectSameGet();
      expect(gets.prometheus.ours.aggregator).toBe(aggregator ?? 'sum');
    }
  });

  it('collect() runs before each read, with `this` the metric, sync or async', async () => {
    const seen: { side: string; self: unknown }[] = [];
    const sync = twins({
      name: uniqueName('mpmp_collected_total'),
      help: 'Counted when read',
      collect(this: CounterLike) {
        seen.push({ side: this instanceof Counter ? 'ours' : 'theirs', self: this });
        this.inc(1);
      },
    });
    await sync.expectSameExpositions(); // each registry read once: 1
    const texts = await sync.expectSameExpositions(); // and again: 2
    expect(texts.prometheus.ours).toMatch(/ 2\n$/);
    expect(seen.length).toBe(8);
    for (const instance of sync.instances) expect(seen.filter((s) => s.self === instance.metric).length).toBe(2);

    const async = twins({
      name: uniqueName('mpmp_collected_total'),
      help: 'Counted when read, after an await',
      labelNames: ['source'],
      async collect(this: CounterLike) {
        await new Promise((resolve) => setImmediate(resolve));
        this.inc({ source: 'async' }, 0.5);
      },
    });
    await async.expectSameExpositions();
    const gets = await async.expectSameGet();
    expect(gets.prometheus.ours.values).toEqual([{ value: 1, labels: { source: 'async' } }]);
  });

  it('registers: [registry] registers in that registry only, under its name', async () => {
    const c = twins({ name: uniqueName('mpmp_jobs_total'), help: 'Jobs' });
    for (const instance of c.instances) {
      const name = (instance.metric as unknown as { name: string }).name;
      expect(instance.registry.getSingleMetric(name)).toBe(instance.metric);
    }
  });
});
