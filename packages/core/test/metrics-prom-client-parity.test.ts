// Drop-in parity with prom-client 15: the same calls on an mpmetrics metric and on a prom-client metric, each in
// a registry of its own, must give the same `registry.metrics()` text in both formats (Prometheus 0.0.4 and
// OpenMetrics) and the same `get()`. What differs by design is normalised, and said where: `_created` timestamps
// (each metric's own creation time), and summary quantiles, which come from a sketch over every process's
// observations (within 1% relative error) instead of prom-client's per-process t-digest. In `get()`, label values
// are strings (what is exported: the heap keeps text, and 200 and "200" are one series), and only `labels`,
// `value` and `metricName` are compared (prom-client's values also carry its internal `sharedLabels`/`exemplar`).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as pc from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as mp from '../src/index.js';

let dir: string;
let heap: mp.Heap;
let n = 0;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-parity-'));
  fs.chmodSync(dir, 0o700);
  heap = mp.Heap.open({ dir });
});
afterAll(() => {
  heap.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

type Format = 'prometheus' | 'openmetrics';
const FORMATS: Format[] = ['prometheus', 'openmetrics'];

interface Pair {
  ours: pc.Registry<pc.RegistryContentType>;
  theirs: pc.Registry<pc.RegistryContentType>;
  name: string;
}

/** Two empty registries of `format` and a fresh metric name for them. */
function pair(format: Format): Pair {
  const make = (): pc.Registry<pc.RegistryContentType> => {
    const registry = new pc.Registry<pc.RegistryContentType>();
    if (format === 'openmetrics') registry.setContentType(pc.Registry.OPENMETRICS_CONTENT_TYPE);
    return registry;
  };
  return { ours: make(), theirs: make(), name: `parity_${++n}` };
}

/** The text without `_created` values, which differ by when each metric was made. */
const withoutCreated = (text: string): string => text.replace(/^(\S+_created(?:\{[^}]*\})?) [0-9.e+]+$/gm, '$1 <created>');

interface Got {
  values: { labels: Record<string, unknown>; value: number; metricName?: string }[];
}

/** get()'s values as compared: label values as text, the documented fields only. */
function comparable(got: Got): unknown[] {
  return got.values.map((v) => ({
    labels: Object.fromEntries(Object.entries(v.labels).map(([k, x]) => [k, String(x)])),
    value: v.value,
    metricName: v.metricName,
  }));
}

async function expectSameGet(ours: { get(): Promise<unknown> }, theirs: { get(): Promise<unknown> }): Promise<void> {
  expect(comparable((await ours.get()) as Got)).toEqual(comparable((await theirs.get()) as Got));
}

async function expectSameText(p: Pair): Promise<string> {
  const [ours, theirs] = await Promise.all([p.ours.metrics(), p.theirs.metrics()]);
  expect(withoutCreated(ours)).toBe(withoutCreated(theirs));
  return ours;
}

describe.each(FORMATS)('Counter, %s', (format) => {
  it('inc() with and without labels, fractional and default increments, labels() in both forms, remove, reset', async () => {
    const p = pair(format);
    const config = { name: `${p.name}_total`, help: 'Requests "served", with a \\ backslash\nand a newline', labelNames: ['method', 'code'] as const };
    const ours = new mp.Counter({ ...config, registers: [p.ours], heap });
    const theirs = new pc.Counter({ ...config, labelNames: [...config.labelNames], registers: [p.theirs] });
    for (const c of [ours, theirs] as unknown as mp.Counter<'method' | 'code'>[]) {
      c.inc({ method: 'GET', code: 200 });
      c.inc({ method: 'GET', code: 200 }, 2.5);
      c.labels('POST', '201').inc();
      c.labels({ method: 'PUT', code: 204 }).inc(0.125);
      c.inc({ method: 'DELETE', code: 500 }, 0);
      c.labels('PATCH', '418').inc(7);
      c.remove('PATCH', '418');
      c.labels('HEAD', '200').inc();
      c.remove({ method: 'HEAD', code: 200 });
    }
    const text = await expectSameText(p);
    expect(text).toContain(format === 'openmetrics' ? `${p.name}_total{method="GET",code="200"} 3.5` : `${p.name}_total{method="GET",code="200"} 3.5`);
    await expectSameGet(ours, theirs);
    ours.reset();
    theirs.reset();
    await expectSameText(p);
  });

  it('without labels: inc(), inc(n), get(), reset() to zero', async () => {
    const p = pair(format);
    const ours = new mp.Counter({ name: `${p.name}_total`, help: 'h', registers: [p.ours], heap });
    const theirs = new pc.Counter({ name: `${p.name}_total`, help: 'h', registers: [p.theirs] });
    for (const c of [ours, theirs] as unknown as mp.Counter[]) {
      c.inc();
      c.inc(41);
    }
    await expectSameText(p);
    await expectSameGet(ours, theirs);
    ours.reset();
    theirs.reset();
    await expectSameText(p);
  });

  it('a collect() callback runs before every read, with the metric as `this`', async () => {
    const p = pair(format);
    let calls = 0;
    const ours = new mp.Counter({
      name: `${p.name}_total`,
      help: 'h',
      registers: [p.ours],
      heap,
      collect(this: mp.Counter) {
        calls++;
        this.inc(1);
      },
    });
    const theirs = new pc.Counter({
      name: `${p.name}_total`,
      help: 'h',
      registers: [p.theirs],
      collect(this: pc.Counter) {
        this.inc(1);
      },
    });
    await expectSameText(p);
    await expectSameText(p);
    expect(calls).toBe(2);
    await expectSameGet(ours, theirs);
  });
});

describe.each(FORMATS)('Gauge, %s', (format) => {
  it('set, inc, dec, setToCurrentTime, startTimer, labels(), remove, reset', async () => {
    const p = pair(format);
    const config = { name: `${p.name}_in_flight`, help: 'In flight', labelNames: ['route'] as const };
    const ours = new mp.Gauge({ ...config, registers: [p.ours], heap });
    const theirs = new pc.Gauge({ ...config, labelNames: [...config.labelNames], registers: [p.theirs] });
    for (const g of [ours, theirs] as unknown as mp.Gauge<'route'>[]) {
      g.set({ route: '/a' }, 10);
      g.inc({ route: '/a' });
      g.inc({ route: '/a' }, 4.5);
      g.dec({ route: '/a' }, 2);
      g.dec({ route: '/a' });
      g.labels('/b').set(-3.25);
      g.labels({ route: '/c' }).inc();
      g.set({ route: '/d' }, 1e21);
      g.set({ route: '/e' }, 1);
      g.remove('/e');
    }
    await expectSameText(p);
    await expectSameGet(ours, theirs);

    // time-dependent calls: compared with a tolerance
    const before = Date.now() / 1000;
    ours.setToCurrentTime({ route: '/now' });
    const now = (await ours.get()).values.find((v) => v.labels.route === '/now')!.value;
    expect(now).toBeGreaterThanOrEqual(before - 0.001);
    expect(now).toBeLessThanOrEqual(Date.now() / 1000 + 0.001);
    const end = ours.startTimer({ route: '/timer' });
    const seconds = end();
    expect(seconds).toBeGreaterThanOrEqual(0);
    expect((await ours.get()).values.find((v) => v.labels.route === '/timer')!.value).toBe(seconds);
    const childEnd = ours.labels('/child-timer').startTimer();
    // as in prom-client, labels() records nothing: the label set appears when the timer ends
    expect((await ours.get()).values.find((v) => v.labels.route === '/child-timer')).toBeUndefined();
    const childSeconds = childEnd();
    expect(childSeconds).toBeGreaterThanOrEqual(0);
    expect((await ours.get()).values.find((v) => v.labels.route === '/child-timer')!.value).toBe(childSeconds);

    ours.reset();
    theirs.reset();
    await expectSameText(p);
  });
});

describe.each(FORMATS)('Histogram, %s', (format) => {
  it('observe with and without labels, custom buckets, labels(), startTimer, remove, reset, zero', async () => {
    const p = pair(format);
    const config = { name: `${p.name}_seconds`, help: 'Latency', labelNames: ['route'] as const, buckets: [0.005, 0.1, 0.5, 1, 2.5, 1e6] };
    const ours = new mp.Histogram({ ...config, registers: [p.ours], heap });
    const theirs = new pc.Histogram({ ...config, labelNames: [...config.labelNames], registers: [p.theirs] });
    for (const h of [ours, theirs] as unknown as mp.Histogram<'route'>[]) {
      for (const v of [0, 0.005, 0.0051, 0.1, 0.3, 1, 2, 1e6, 2e6, -1]) h.observe({ route: '/a' }, v);
      h.labels('/b').observe(0.25);
      h.labels({ route: '/c' }).observe(3);
      h.zero({ route: '/zeroed' });
      h.observe({ route: '/gone' }, 1);
      h.remove('/gone');
    }
    await expectSameText(p);
    await expectSameGet(ours, theirs);

    const end = ours.startTimer({ route: '/t' });
    const seconds = end();
    const count = (await ours.get()).values.find((v) => v.metricName === `${p.name}_seconds_count` && v.labels.route === '/t')!.value;
    expect(count).toBe(1);
    expect(seconds).toBeGreaterThanOrEqual(0);
    const childEnd = ours.labels('/t2').startTimer();
    childEnd();
    ours.reset();
    theirs.reset();
    await expectSameText(p);
  });

  it('default buckets, linearBuckets and exponentialBuckets are prom-client’s', async () => {
    expect(mp.DEFAULT_BUCKETS).toEqual([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]); // prom-client's defaults
    expect(mp.linearBuckets(0.5, 0.25, 5)).toEqual(pc.linearBuckets(0.5, 0.25, 5));
    expect(mp.exponentialBuckets(0.001, 2.5, 8)).toEqual(pc.exponentialBuckets(0.001, 2.5, 8));
    const p = pair(format);
    const ours = new mp.Histogram({ name: `${p.name}_seconds`, help: 'h', registers: [p.ours], heap });
    const theirs = new pc.Histogram({ name: `${p.name}_seconds`, help: 'h', registers: [p.theirs] });
    for (const h of [ours, theirs] as unknown as mp.Histogram[]) for (const v of [0.001, 0.02, 0.3, 4, 50]) h.observe(v);
    await expectSameText(p);
  });
});

describe.each(FORMATS)('Summary, %s', (format) => {
  it('sum, count and quantile labels are prom-client’s; quantile values within the sketch’s 1%', async () => {
    const p = pair(format);
    const config = { name: `${p.name}_bytes`, help: 'Sizes', labelNames: ['route'] as const, percentiles: [0.01, 0.5, 0.9, 0.99] };
    const ours = new mp.Summary({ ...config, registers: [p.ours], heap });
    const theirs = new pc.Summary({ ...config, labelNames: [...config.labelNames], registers: [p.theirs] });
    for (const s of [ours, theirs] as unknown as mp.Summary<'route'>[]) {
      for (let i = 1; i <= 1000; i++) s.observe({ route: '/a' }, i);
      s.labels('/b').observe(5);
    }
    const [ourText, theirText] = await Promise.all([p.ours.metrics(), p.theirs.metrics()]);
    // Same lines in the same order; quantile values compared with a tolerance, everything else exactly.
    const quantileLine = /^(\S+\{[^}]*quantile="[^"]+"[^}]*\}) (\S+)$/;
    const ourLines = withoutCreated(ourText).split('\n');
    const theirLines = withoutCreated(theirText).split('\n');
    expect(ourLines.length).toBe(theirLines.length);
    ourLines.forEach((line, i) => {
      const a = quantileLine.exec(line);
      const b = quantileLine.exec(theirLines[i]!);
      if (a && b) {
        expect(a[1]).toBe(b[1]);
        // prom-client's t-digest interpolates between observations; ours is within 1% of the observation of rank
        // q·(n − 1) of the exact data (for /a: 1…1000; for /b: one 5)
        const q = Number(/quantile="([^"]+)"/.exec(a[1]!)![1]);
        const data = a[1]!.includes('route="/a"') ? Array.from({ length: 1000 }, (_, k) => k + 1) : [5];
        const rank = q * (data.length - 1);
        const [low, high] = [data[Math.floor(rank)]!, data[Math.ceil(rank)]!];
        expect(Number(a[2])).toBeGreaterThanOrEqual(low * (1 - mp.SUMMARY_RELATIVE_ACCURACY));
        expect(Number(a[2])).toBeLessThanOrEqual(high * (1 + mp.SUMMARY_RELATIVE_ACCURACY));
      } else {
        expect(line).toBe(theirLines[i]);
      }
    });
    // reset() zeroes a summary's label sets and keeps them (prom-client's behaviour, unlike the other types); with
    // no observations left the quantiles are 0 on both sides
    ours.reset();
    theirs.reset();
    const [afterOurs, afterTheirs] = await Promise.all([p.ours.metrics(), p.theirs.metrics()]);
    expect(withoutCreated(afterOurs)).toBe(withoutCreated(afterTheirs));
    expect(afterOurs).toMatch(/quantile="0.5",route="\/a"\} 0$/m);
  });

  it('maxAgeSeconds and ageBuckets slide the window; pruneAgedBuckets drops a label set with no recent observations', async () => {
    const p = pair(format);
    const ours = new mp.Summary({ name: `${p.name}_window`, help: 'h', labelNames: ['route'], maxAgeSeconds: 1, ageBuckets: 2, pruneAgedBuckets: true, registers: [p.ours], heap });
    ours.observe({ route: '/a' }, 1);
    const median = Number(new RegExp(`^${p.name}_window\\{quantile="0.5",route="/a"\\} (\\S+)$`, 'm').exec(await p.ours.metrics())![1]);
    expect(Math.abs(median - 1)).toBeLessThanOrEqual(mp.SUMMARY_RELATIVE_ACCURACY);
    await new Promise((resolve) => setTimeout(resolve, 1600));
    // the observation aged out of every window: the label set is pruned (its sum and count are kept by prom-client
    // only while it is exported)
    expect(await p.ours.metrics()).not.toContain('route="/a"');
  });
});
