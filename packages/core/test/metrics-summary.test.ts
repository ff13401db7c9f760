// Summary, side by side with prom-client 15.1.3's: the same calls on both, then the same `registry.metrics()` in
// Prometheus text and in OpenMetrics, byte for byte, and the same `get()`, except the quantile values themselves.
// Those differ by design (README): ours come from a mergeable log-bucket sketch over every process's observations,
// within 1% relative error of an observation of the rank asked for; prom-client's come from a per-process t-digest
// that interpolates. So each of our quantiles is checked against the exact observations, and then the quantile
// values of both sides are set aside for the byte-for-byte comparison of everything else. A quantile of no
// observations is 0 on both sides (prom-client's answer; the Go and Python clients say NaN).
//
// Sliding windows run on vitest's fake Date, both sides reading the same instants.
import { Summary as PromSummary } from 'prom-client';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_PERCENTILES, Summary, SUMMARY_RELATIVE_ACCURACY, type Heap, type SummaryConfiguration } from '../src/index.js';
import { parityHeaps, Twins, uniqueName, type MetricJson, type Registers, type Side } from './helpers/parity.js';

type Labels = Record<string, string | number>;

interface SummaryChildLike {
  observe(value: number): void;
  startTimer(): (labels?: Labels) => number;
}

/** What both Summary classes have in common, for driving them with one piece of code. */
interface SummaryLike {
  observe(value: number): void;
  observe(labels: Labels, value: number): void;
  startTimer(labels?: Labels): (labels?: Labels) => number;
  labels(...values: string[]): SummaryChildLike;
  labels(labels: Labels): SummaryChildLike;
  remove(...values: string[]): void;
  remove(labels: Labels): void;
  reset(): void;
  get(): Promise<unknown>;
}

const heaps = parityHeaps('mpm-summary-parity-');
afterAll(() => heaps.close());
afterEach(() => {
  vi.useRealTimers();
});

type Config = Omit<SummaryConfiguration<string>, 'registers' | 'heap'>;

function twins(config: Config): Twins<SummaryLike> {
  return new Twins<SummaryLike>(heaps, (side, registers: Registers, heap: Heap) =>
    side === 'ours' ? new Summary({ ...config, registers, heap }) : new PromSummary({ ...config, registers } as never),
  );
}

// ---- our quantiles against the exact observations

/** Slack for the last bits of a double at the edge of a bin. */
const FLOAT_SLACK = 1e-12;

/** Where quantile q of `observations` may be: within α of an observation at rank q·(n−1), either neighbour. */
function quantileRange(observations: readonly number[], q: number): [number, number] {
  const sorted = [...observations].sort((a, b) => a - b);
  const rank = q * (sorted.length - 1);
  const lo = sorted[Math.floor(rank)]!;
  const hi = sorted[Math.ceil(rank)]!;
  const slack = SUMMARY_RELATIVE_ACCURACY + FLOAT_SLACK;
  return [lo - slack * Math.abs(lo), hi + slack * Math.abs(hi)];
}

function expectOurQuantile(value: number, observations: readonly number[] | undefined, q: number, where: string): void {
  if (observations === undefined) throw new Error(`${where}: no observations recorded for this series in the test`);
  if (observations.length === 0) {
    expect(value, `${where}: a quantile of nothing`).toBe(0);
    return;
  }
  const [min, max] = quantileRange(observations, q);
  expect(value >= min && value <= max, `${where}: quantile ${q} = ${value}, must be within [${min}, ${max}]`).toBe(true);
}

/** `a="x",b="y"` of a labels object, without `quantile`: how the tests name a series. */
function seriesKey(labels: Labels): string {
  return Object.entries(labels)
    .filter(([name]) => name !== 'quantile')
    .map(([name, value]) => `${name}="${value}"`)
    .join(',');
}

const QUANTILE_LINE = /^(\S+)\{quantile="([^"]+)"(?:,(.*))?\} (\S+)$/;

/**
 * Checks our quantile lines against the observations of their series (by seriesKey), and replaces every quantile
 * value, on both sides, with "<q>", so that the rest can be compared byte for byte.
 */
function quantilesChecked(observations: Map<string, number[]>): (text: string, side: Side) => string {
  return (text, side) =>
    text
      .split('\n')
      .map((line) => {
        const m = QUANTILE_LINE.exec(line);
        if (m === null) return line;
        if (side === 'ours') {
          const value = m[4] === 'Nan' || m[4] === 'NaN' ? NaN : Number(m[4]);
          expectOurQuantile(value, observations.get(m[3] ?? ''), Number(m[2]), line);
        }
        return `${m[1]}{quantile="${m[2]}"${m[3] === undefined ? '' : `,${m[3]}`}} <q>`;
      })
      .join('\n');
}

/** The same for get(): our quantile values checked, then set to 0 on both sides. */
function quantilesCheckedJson(observations: Map<string, number[]>): (json: MetricJson, side: Side) => MetricJson {
  return (json, side) => ({
    ...json,
    values: json.values.map((v) => {
      const q = v.labels['quantile'];
      if (q === undefined) return v;
      if (side === 'ours') expectOurQuantile(v.value, observations.get(seriesKey(v.labels)), Number(q), JSON.stringify(v));
      return { ...v, value: 0 };
    }),
  });
}

/** A deterministic shuffle of 1 … n, plus some awkward values. */
function dataset(n: number, seed: number): number[] {
  const values = Array.from({ length: n }, (_, i) => i + 1);
  let s = seed;
  for (let i = values.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [values[i], values[j]] = [values[j]!, values[i]!];
  }
  return values;
}

describe('Summary without labels', () => {
  it('has prom-client’s default percentiles; with no observation: sum, count and quantiles 0, as prom-client', async () => {
    const s = twins({ name: uniqueName('mpmp_payload_bytes'), help: 'Payload sizes' });
    expect(DEFAULT_PERCENTILES).toEqual([0.01, 0.05, 0.5, 0.9, 0.95, 0.99, 0.999]);
    const data = new Map([['', []]]);
    const texts = await s.expectSameExpositions(quantilesChecked(data));
    for (const side of ['ours', 'theirs'] as const) {
      expect([...texts.prometheus[side].matchAll(/quantile="([^"]+)"\} (\S+)/g)].map((m) => [m[1], m[2]]), side).toEqual(
        DEFAULT_PERCENTILES.map((q) => [String(q), '0']),
      );
    }
    expect(texts.prometheus.ours).toMatch(/_sum 0\n\S+_count 0\n$/);
    // nothing to set aside: the whole exposition and the whole get() are the same, quantiles included
    await s.expectSameExpositions();
    await s.expectSameGet();
  });

  it('observe(): sum and count exact, every quantile within 1% of the observation of its rank', async () => {
    const s = twins({ name: uniqueName('mpmp_payload_bytes'), help: 'Payload sizes' });
    // zero, a negative and fractions too; within the ~4 decades of positive values the sketch keeps at full
    // accuracy (summary-sketch.ts: wider data loses accuracy in its lowest quantiles)
    const values = [...dataset(1000, 7), 0, -3.5, 0.5, 0.25, 1500.5];
    s.each((m) => values.forEach((v) => m.observe(v)));
    const data = new Map([['', values]]);
    const texts = await s.expectSameExpositions(quantilesChecked(data));
    expect(texts.prometheus.ours).toContain(`_sum ${values.reduce((a, b) => a + b, 0)}\n`);
    expect(texts.prometheus.ours).toContain(`_count ${values.length}\n`);
    await s.expectSameGet(quantilesCheckedJson(data));
  });

  it('startTimer() returns end(), which observes the seconds since the start and returns them', async () => {
    vi.useFakeTimers({ toFake: ['hrtime'] });
    const s = twins({ name: uniqueName('mpmp_job_seconds'), help: 'Job duration', percentiles: [0.5] });
    const ends = s.instances.map((i) => i.metric.startTimer());
    vi.advanceTimersByTime(2500);
    expect(ends.map((end) => end())).toEqual([2.5, 2.5, 2.5, 2.5]);
    const texts = await s.expectSameExpositions(quantilesChecked(new Map([['', [2.5]]])));
    expect(texts.prometheus.ours).toMatch(/_sum 2\.5\n\S+_count 1\n$/);
  });

  it('reset() zeroes it: count and sum 0, quantiles of nothing', async () => {
    const s = twins({ name: uniqueName('mpmp_job_seconds'), help: 'Job duration', percentiles: [0.5, 0.9] });
    s.each((m) => {
      [1, 2, 3].forEach((v) => m.observe(v));
      m.reset();
    });
    await s.expectSameExpositions(quantilesChecked(new Map([['', []]])));
    s.each((m) => m.observe(10));
    const texts = await s.expectSameExpositions(quantilesChecked(new Map([['', [10]]])));
    expect(texts.prometheus.ours).toMatch(/_sum 10\n\S+_count 1\n$/);
  });
});

describe('Summary with labels', () => {
  const config = (): Config => ({ name: uniqueName('mpmp_response_bytes'), help: 'Response sizes', labelNames: ['route', 'method'], percentiles: [0.1, 0.5, 0.99] });

  it('exports nothing until a label set is observed', async () => {
    const s = twins(config());
    const texts = await s.expectSameExpositions();
    expect(texts.prometheus.ours).toMatch(/^# HELP \S+ Response sizes\n# TYPE \S+ summary\n$/);
  });

  it('observe(labels, v), labels(...values).observe(v), labels({...}).observe(v): quantile first, then the labels', async () => {
    const s = twins(config());
    const a = dataset(200, 3);
    const b = [5, 5, 5, 7];
    s.each((m) => {
      a.forEach((v, i) => (i % 2 === 0 ? m.observe({ route: '/a', method: 'GET' }, v) : m.labels('/a', 'GET').observe(v)));
      b.forEach((v) => m.labels({ route: '/b', method: 'POST' }).observe(v));
    });
    const data = new Map([
      ['route="/a",method="GET"', a],
      ['route="/b",method="POST"', b],
    ]);
    const texts = await s.expectSameExpositions(quantilesChecked(data));
    expect(texts.prometheus.ours).toMatch(/\{quantile="0.5",route="\/a",method="GET"\} /);
    expect(texts.prometheus.ours).toContain('_count{route="/b",method="POST"} 4\n');
    const gets = await s.expectSameGet(quantilesCheckedJson(data));
    expect(Object.keys(gets.prometheus.ours.values[0]!.labels)).toEqual(['quantile', 'route', 'method']);
  });

  it('startTimer(labels) and end(more labels): merged; labels(...).startTimer() too', async () => {
    vi.useFakeTimers({ toFake: ['hrtime'] });
    const s = twins(config());
    const ends = s.instances.map((i) => i.metric.startTimer({ route: '/a' }));
    vi.advanceTimersByTime(250);
    expect(ends.map((end) => end({ method: 'GET' }))).toEqual([0.25, 0.25, 0.25, 0.25]);
    const childEnds = s.instances.map((i) => i.metric.labels('/b', 'GET').startTimer());
    vi.advanceTimersByTime(1000);
    for (const end of childEnds) end();
    const data = new Map([
      ['route="/a",method="GET"', [0.25]],
      ['route="/b",method="GET"', [1]],
    ]);
    await s.expectSameExpositions(quantilesChecked(data));
    await s.expectSameGet(quantilesCheckedJson(data));
  });

  it('remove(...values) and remove({...}) take a label set out; observed again, it starts from nothing', async () => {
    const s = twins(config());
    s.each((m) => {
      [1, 2, 3].forEach((v) => m.observe({ route: '/a', method: 'GET' }, v));
      [4, 5].forEach((v) => m.observe({ route: '/b', method: 'GET' }, v));
      [6].forEach((v) => m.observe({ route: '/c', method: 'GET' }, v));
      m.remove('/a', 'GET');
      m.remove({ route: '/c', method: 'GET' });
    });
    const data = new Map([['route="/b",method="GET"', [4, 5]]]);
    const texts = await s.expectSameExpositions(quantilesChecked(data));
    expect(texts.prometheus.ours).not.toContain('/a');
    s.each((m) => m.observe({ route: '/a', method: 'GET' }, 100));
    data.set('route="/a",method="GET"', [100]);
    // Deliberate: a label set written again after remove() gets its series record back, and with it its old place
    // in the list (prom-client appends it). The same lines, in another order.
    const again = await s.expositions();
    for (const format of ['prometheus', 'openmetrics'] as const) {
      const lines = (text: string, side: Side): string[] => quantilesChecked(data)(text, side).split('\n').sort();
      expect(lines(again[format].ours, 'ours')).toEqual(lines(again[format].theirs, 'theirs'));
    }
    expect(again.prometheus.ours).toMatch(/_count\{route="\/a",method="GET"\} 1\n[^]*_count\{route="\/b",method="GET"\} 2\n/);
    expect(again.prometheus.theirs).toMatch(/_count\{route="\/b",method="GET"\} 2\n[^]*_count\{route="\/a",method="GET"\} 1\n/);
  });

  it('reset() keeps every label set, zeroed, as prom-client does', async () => {
    const s = twins(config());
    s.each((m) => {
      [1, 2].forEach((v) => m.observe({ route: '/a', method: 'GET' }, v));
      m.reset();
    });
    const texts = await s.expositions();
    // prom-client's Summary keeps its label sets at zero after reset() (unlike its other types); so does ours,
    // quantiles of nothing at 0 included.
    for (const side of ['ours', 'theirs'] as const) {
      expect(texts.prometheus[side]).toContain('_count{route="/a",method="GET"} 0\n');
      expect(texts.prometheus[side]).toContain('_sum{route="/a",method="GET"} 0\n');
    }
    for (const side of ['ours', 'theirs'] as const) expect(texts.prometheus[side]).toMatch(/\{quantile="0\.5",route="\/a",method="GET"\} 0\n/);
    await s.expectSameExpositions();
    s.each((m) => m.observe({ route: '/a', method: 'GET' }, 3));
    await s.expectSameExpositions(quantilesChecked(new Map([['route="/a",method="GET"', [3]]])));
  });
});

describe('Summary options', () => {
  it('percentiles: any increasing list from 0 to 1, written as given', async () => {
    const percentiles = [0, 0.25, 0.5, 0.75, 0.999, 1];
    const s = twins({ name: uniqueName('mpmp_sizes'), help: 'Sizes', percentiles });
    const values = dataset(500, 11).map((v) => v / 10);
    s.each((m) => values.forEach((v) => m.observe(v)));
    const texts = await s.expectSameExpositions(quantilesChecked(new Map([['', values]])));
    expect([...texts.openmetrics.ours.matchAll(/quantile="([^"]+)"/g)].map((m) => m[1])).toEqual(['0', '0.25', '0.5', '0.75', '0.999', '1']);
  });

  it('maxAgeSeconds and ageBuckets: quantiles cover the last maxAgeSeconds; sum and count cover all time', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    // Our windows are aligned on the clock (every process must agree on them), prom-client's on the metric's
    // creation: start both on a window boundary, and read in the middle of windows.
    const start = 1_700_000_000_000; // a multiple of 20 s
    vi.setSystemTime(start);
    const s = twins({ name: uniqueName('mpmp_recent_seconds'), help: 'Recent durations', percentiles: [0.5, 0.9], maxAgeSeconds: 60, ageBuckets: 3 });
    const at = (seconds: number): void => {
      vi.setSystemTime(start + seconds * 1000);
    };
    const first = [1, 2, 3, 4];
    const second = [10, 20];
    at(1);
    s.each((m) => first.forEach((v) => m.observe(v)));
    at(30);
    s.each((m) => second.forEach((v) => m.observe(v)));

    at(45); // both in the window
    let texts = await s.expectSameExpositions(quantilesChecked(new Map([['', [...first, ...second]]])));
    expect(texts.prometheus.ours).toMatch(/_sum 40\n\S+_count 6\n$/);
    at(70); // the first observations are older than 60 s: gone from the quantiles
    texts = await s.expectSameExpositions(quantilesChecked(new Map([['', second]])));
    expect(texts.prometheus.ours).toMatch(/_sum 40\n\S+_count 6\n$/);
    at(95); // all of them: quantiles of nothing
    await s.expectSameExpositions(quantilesChecked(new Map([['', []]])));
    at(96);
    s.each((m) => m.observe(5));
    texts = await s.expectSameExpositions(quantilesChecked(new Map([['', [5]]])));
    expect(texts.prometheus.ours).toMatch(/_sum 45\n\S+_count 7\n$/);
  });

  it('maxAgeSeconds alone: a window of 5 age buckets (deliberate: prom-client then has no window at all)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = 1_700_000_000_000;
    vi.setSystemTime(start + 1000);
    const s = twins({ name: uniqueName('mpmp_recent_seconds'), help: 'Recent durations', percentiles: [0.5], maxAgeSeconds: 60 });
    s.each((m) => m.observe(3));
    vi.setSystemTime(start + 50_000);
    await s.expectSameExpositions(quantilesChecked(new Map([['', [3]]])));
    vi.setSystemTime(start + 75_000);
    // prom-client rotates its window only when given both maxAgeSeconds and ageBuckets (its README asks for
    // both); we take maxAgeSeconds alone as asking for a window, with client_golang's default of 5 age buckets.
    const texts = await s.expositions();
    expect(texts.prometheus.ours).toMatch(/\{quantile="0.5"\} 0\n/); // nothing left in our window
    expect(texts.prometheus.theirs).toMatch(/\{quantile="0.5"\} 3\n/);
  });

  it('pruneAgedBuckets: a label set with nothing in its window is left out of scrapes', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = 1_700_000_000_000;
    vi.setSystemTime(start);
    const s = twins({
      name: uniqueName('mpmp_recent_bytes'),
      help: 'Recent sizes',
      labelNames: ['route'],
      percentiles: [0.5],
      maxAgeSeconds: 10,
      ageBuckets: 2,
      pruneAgedBuckets: true,
    });
    vi.setSystemTime(start + 1000);
    s.each((m) => {
      m.observe({ route: '/old' }, 1);
      m.observe({ route: '/kept' }, 2);
    });
    vi.setSystemTime(start + 8000);
    s.each((m) => m.observe({ route: '/kept' }, 3));
    vi.setSystemTime(start + 12_000);
    const texts = await s.expectSameExpositions(quantilesChecked(new Map([['route="/kept"', [3]]])));
    expect(texts.prometheus.ours).not.toContain('/old');
    expect(texts.prometheus.ours).toContain('_count{route="/kept"} 2\n');
    // Deliberate: observed again, a pruned label set goes on counting from where it was (its _sum and _count are
    // counters); prom-client forgets it when it prunes it, and starts again from 0.
    vi.setSystemTime(start + 13_000);
    s.each((m) => m.observe({ route: '/old' }, 7));
    const again = await s.expositions();
    expect(again.prometheus.ours).toContain('_count{route="/old"} 2\n');
    expect(again.prometheus.theirs).toContain('_count{route="/old"} 1\n');
  });

  it('compressCount is accepted (our sketch needs no compression), and aggregator is reported by get()', async () => {
    const s = twins({ name: uniqueName('mpmp_sizes'), help: 'Sizes', compressCount: 10, aggregator: 'max', percentiles: [0.5] });
    s.each((m) => dataset(100, 5).forEach((v) => m.observe(v)));
    const gets = await s.expectSameGet(quantilesCheckedJson(new Map([['', dataset(100, 5)]])));
    expect(gets.prometheus.ours.aggregator).toBe('max');
  });

  it('collect() runs before each read with `this` the summary, sync or async', async () => {
    const seen = new Set<unknown>();
    const s = twins({
      name: uniqueName('mpmp_collected'),
      help: 'Observed on read',
      percentiles: [0.5],
      async collect(this: SummaryLike) {
        seen.add(this);
        await new Promise((resolve) => setImmediate(resolve));
        this.observe(4);
      },
    });
    await s.expectSameExpositions(quantilesChecked(new Map([['', [4]]])));
    expect(seen.size).toBe(4);
    expect(s.instances.every((i) => seen.has(i.metric))).toBe(true);
  });
});
