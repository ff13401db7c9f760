// Our metrics in prom-client's registries, used the way prom-client users use them: the global `register` by
// default, `registers: [...]`, every Registry method, default labels, Registry.merge, the OpenMetrics content type
// and prom-client's Pushgateway (pushing to a local HTTP server that keeps what it receives), always beside
// prom-client's own metrics and its default metrics. Where the output can be compared with prom-client's for the
// same calls, it is compared byte for byte.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  Counter as PromCounter,
  Gauge as PromGauge,
  Histogram as PromHistogram,
  Pushgateway,
  Registry,
  Summary as PromSummary,
  collectDefaultMetrics,
  register,
  type OpenMetricsContentType,
} from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { Counter, Gauge, HeapExporter, Histogram, Summary } from '../src/index.js';
import { privateHeap, registryOf, uniqueName, type AnyRegistry, type Format } from './helpers/parity.js';

const own = privateHeap('mpm-registry-');
const heap = own.heap;
afterAll(() => own.close());

/** A metric's current name (prom-client's typings leave `name` out; both libraries have it). */
function nameOf(metric: unknown): string {
  return (metric as { name: string }).name;
}

/** Summary quantile values differ by design (see metrics-summary.test.ts): blank them for byte comparisons. */
function withoutQuantileValues(text: string): string {
  return text.replace(/^(\S+\{quantile="[^"]*"[^}]*\}) \S+$/gm, '$1 <q>');
}

/** The same calls on a metric of each library, each in its own registry of `format`. */
function declareAllTypes(format: Format): { ours: AnyRegistry; theirs: AnyRegistry; names: string[] } {
  const ours = registryOf(format);
  const theirs = registryOf(format);
  const names = {
    counter: uniqueName('mpmr_requests_total'),
    gauge: uniqueName('mpmr_in_flight'),
    histogram: uniqueName('mpmr_latency_seconds'),
    summary: uniqueName('mpmr_size_bytes'),
    plain: uniqueName('mpmr_jobs_total'),
  };
  const labelNames = ['route', 'method'];
  const oc = new Counter({ name: names.counter, help: 'Requests', labelNames, registers: [ours], heap });
  const tc = new PromCounter({ name: names.counter, help: 'Requests', labelNames, registers: [theirs] });
  const og = new Gauge({ name: names.gauge, help: 'In flight', labelNames, registers: [ours], heap });
  const tg = new PromGauge({ name: names.gauge, help: 'In flight', labelNames, registers: [theirs] });
  const oh = new Histogram({ name: names.histogram, help: 'Latency', labelNames, buckets: [0.1, 1], registers: [ours], heap });
  const th = new PromHistogram({ name: names.histogram, help: 'Latency', labelNames, buckets: [0.1, 1], registers: [theirs] });
  const os = new Summary({ name: names.summary, help: 'Sizes', labelNames, percentiles: [0.5], registers: [ours], heap });
  const ts = new PromSummary({ name: names.summary, help: 'Sizes', labelNames, percentiles: [0.5], registers: [theirs] });
  const op = new Counter({ name: names.plain, help: 'Jobs', registers: [ours], heap });
  const tp = new PromCounter({ name: names.plain, help: 'Jobs', registers: [theirs] });
  for (const c of [oc, tc]) c.inc({ route: '/a', method: 'GET' }, 3);
  for (const g of [og, tg]) g.set({ route: '/a', method: 'GET' }, 2);
  for (const h of [oh, th]) h.observe({ route: '/a', method: 'GET' }, 0.5);
  for (const s of [os, ts]) s.observe({ route: '/a', method: 'GET' }, 4);
  for (const p of [op, tp]) p.inc();
  return { ours, theirs, names: Object.values(names) };
}

describe('registration', () => {
  it('by default, each type registers in prom-client’s global register, under its name', async () => {
    const made = [
      new Counter({ name: uniqueName('mpmr_default_total'), help: 'Counter', heap }),
      new Gauge({ name: uniqueName('mpmr_default'), help: 'Gauge', heap }),
      new Histogram({ name: uniqueName('mpmr_default_seconds'), help: 'Histogram', heap }),
      new Summary({ name: uniqueName('mpmr_default_bytes'), help: 'Summary', heap }),
    ];
    try {
      for (const metric of made) expect(register.getSingleMetric(metric.name)).toBe(metric);
      (made[0] as Counter).inc(2);
      const text = await register.metrics();
      expect(text).toContain(`\n${made[0]!.name} 2\n`);
      for (const metric of made) expect(text).toContain(`# TYPE ${metric.name} ${metric.type}\n`);
    } finally {
      for (const metric of made) register.removeSingleMetric(metric.name);
    }
  });

  it('registers: [a, b] registers in each of them; registers: [] in none, and the heap has its values all the same', async () => {
    const a = new Registry();
    const b = registryOf('openmetrics');
    const both = new Counter({ name: uniqueName('mpmr_both_total'), help: 'In two registries', registers: [a, b], heap });
    const none = new Gauge({ name: uniqueName('mpmr_nowhere'), help: 'In no registry', registers: [], heap });
    both.inc(4);
    none.set(9);
    expect(a.getSingleMetric(both.name)).toBe(both);
    expect(b.getSingleMetric(both.name)).toBe(both);
    expect(await a.metrics()).toContain(`\n${both.name} 4\n`);
    expect(await b.metrics()).toContain(`\n${both.name.replace(/_total$/, '')}_total 4\n`);
    for (const registry of [a, b, register]) expect(registry.getSingleMetric(none.name)).toBeUndefined();
    expect(await a.metrics()).not.toContain(none.name);
    expect(await new HeapExporter(heap).metrics()).toContain(`\n${none.name} 9\n`);
  });

  it('declaring a name twice in one registry fails as prom-client fails, with its message; the first metric carries on', async () => {
    const attempt = (fn: () => unknown): Error => {
      try {
        fn();
      } catch (error) {
        return error as Error;
      }
      throw new Error('did not throw');
    };
    const ours = new Registry();
    const theirs = new Registry();
    const name = uniqueName('mpmr_twice_total');
    const first = new Counter({ name, help: 'First', registers: [ours], heap });
    new PromCounter({ name, help: 'First', registers: [theirs] });
    const ourError = attempt(() => new Counter({ name, help: 'Second', registers: [ours], heap }));
    const theirError = attempt(() => new PromCounter({ name, help: 'Second', registers: [theirs] }));
    expect(ourError.constructor).toBe(theirError.constructor);
    expect(ourError.message).toBe(theirError.message);
    expect(ourError.message).toBe(`A metric with the name ${name} has already been registered.`);
    // a prom-client metric of that name in our registry, or ours in theirs: the same refusal
    expect(attempt(() => new PromCounter({ name, help: 'Theirs', registers: [ours] })).message).toBe(theirError.message);
    expect(attempt(() => new Counter({ name, help: 'Ours', registers: [theirs], heap })).message).toBe(theirError.message);
    // in another registry, the name is free for another metric, of any type, in both libraries
    expect(new Gauge({ name, help: 'Gauge', registers: [new Registry()], heap }).type).toBe('gauge');
    expect(new PromGauge({ name, help: 'Gauge', registers: [new Registry()] })).toBeInstanceOf(PromGauge);
    first.inc();
    expect(ours.getSingleMetric(name)).toBe(first);
    expect(await ours.metrics()).toBe(`# HELP ${name} First\n# TYPE ${name} counter\n${name} 1\n`);
  });

  it('one name in two registries of one process: two independent metrics, as in prom-client; HeapExporter shows the latest', async () => {
    const name = uniqueName('mpmr_twice_total');
    const a = new Counter({ name, help: 'Twice', labelNames: ['k'], registers: [new Registry()], heap });
    const b = new Counter({ name, help: 'Twice', labelNames: ['k'], registers: [new Registry()], heap });
    const pa = new PromCounter({ name, help: 'Twice', labelNames: ['k'], registers: [new Registry()] });
    const pb = new PromCounter({ name, help: 'Twice', labelNames: ['k'], registers: [new Registry()] });
    for (const [first, second] of [[a, b], [pa, pb]] as const) {
      first.inc({ k: 'x' }, 2);
      second.inc({ k: 'x' }, 3);
    }
    expect(await a.get()).toEqual(await pa.get());
    expect(await b.get()).toEqual(await pb.get());
    expect((await a.get()).values).toEqual([{ value: 2, labels: { k: 'x' } }]);
    expect((await b.get()).values).toEqual([{ value: 3, labels: { k: 'x' } }]);
    expect(await new HeapExporter(heap).metrics()).toContain(`\n${name}{k="x"} 3\n`);
  });
});

describe('reading through a registry', () => {
  for (const format of ['prometheus', 'openmetrics'] as const) {
    it(`${format}: metrics() and getMetricsAsJSON() hold ours beside prom-client’s own and its default metrics`, async () => {
      const { ours, theirs, names } = declareAllTypes(format);
      const own = new PromCounter({ name: uniqueName('pcr_theirs_total'), help: 'prom-client’s own', registers: [ours] });
      own.inc(7);
      collectDefaultMetrics({ register: ours });
      const text = await ours.metrics();
      // ours are written as prom-client writes the same metrics in a registry of their own
      // (found under the name they registered with, even after an OpenMetrics registry renamed the counters)
      const mine = names.map((name) => ours.getSingleMetric(name));
      expect(mine.every((m) => m !== undefined)).toBe(true);
      expect(withoutQuantileValues(text)).toContain(withoutQuantileValues((await theirs.metrics()).replace(/\n# EOF\n$/, '\n')));
      expect(text).toContain(`${nameOf(own)}${format === 'openmetrics' ? '_total' : ''} 7\n`);
      const cpu = format === 'openmetrics' ? 'process_cpu_user_seconds' : 'process_cpu_user_seconds_total';
      expect(text).toContain(`# TYPE ${cpu} counter\n`);
      expect(text).toContain('# TYPE nodejs_heap_size_total_bytes gauge\n');
      expect(text.match(/# EOF/g)?.length ?? 0).toBe(format === 'openmetrics' ? 1 : 0);
      if (format === 'openmetrics') expect(text.endsWith('\n# EOF\n')).toBe(true);
      else expect(text.endsWith('\n')).toBe(true);

      const json = await ours.getMetricsAsJSON();
      for (const metric of mine) {
        const found = json.find((j) => j.name === nameOf(metric));
        expect(found, nameOf(metric)).toBeDefined();
        expect(found).toEqual(await (metric as unknown as { get(): Promise<unknown> }).get());
      }
      expect(json.map((j) => j.name)).toContain(cpu);
    });
  }

  it('getSingleMetric() and getSingleMetricAsString(): ours as prom-client writes the same metric', async () => {
    for (const format of ['prometheus', 'openmetrics'] as const) {
      const { ours, theirs, names } = declareAllTypes(format);
      for (const name of names) {
        expect(ours.getSingleMetric(name)).toBeDefined();
        expect(withoutQuantileValues(await ours.getSingleMetricAsString(name)), `${format} ${name}`).toBe(
          withoutQuantileValues(await theirs.getSingleMetricAsString(name)),
        );
      }
    }
  });

  it('removeSingleMetric(): gone from the registry; declared again, a new metric from zero, as in prom-client', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const name = uniqueName('mpmr_removed_total');
    const first = new Counter({ name, help: 'Removed', registers: [ours], heap });
    const theirFirst = new PromCounter({ name, help: 'Removed', registers: [theirs] });
    first.inc(5);
    theirFirst.inc(5);
    ours.removeSingleMetric(name);
    theirs.removeSingleMetric(name);
    expect(ours.getSingleMetric(name)).toBeUndefined();
    expect(await ours.metrics()).toBe(await theirs.metrics());
    // not declared again yet: the family stays in the heap, for HeapExporter (other processes may write it)
    expect(await new HeapExporter(heap).metrics()).toContain(`\n${name} 5\n`);
    const again = new Counter({ name, help: 'Removed', registers: [ours], heap });
    const theirAgain = new PromCounter({ name, help: 'Removed', registers: [theirs] });
    again.inc();
    theirAgain.inc();
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.metrics()).toBe(`# HELP ${name} Removed\n# TYPE ${name} counter\n${name} 1\n`);
    expect(await new HeapExporter(heap).metrics()).toContain(`\n${name} 1\n`);
    // the first metric object still works, on its own values, as prom-client's does
    first.inc();
    theirFirst.inc();
    expect(await first.get()).toEqual(await theirFirst.get());
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  it('resetMetrics() resets ours as prom-client resets its own', async () => {
    for (const format of ['prometheus', 'openmetrics'] as const) {
      const { ours, theirs } = declareAllTypes(format);
      ours.resetMetrics();
      theirs.resetMetrics();
      const [o, t] = [await ours.metrics(), await theirs.metrics()];
      // everything reads the same, a summary's label sets kept at zero (quantiles of nothing 0) included
      expect(o).toBe(t);
      expect(o).toMatch(/\nmpmr_t\d+_jobs(_total)? 0\n/);
    }
  });

  it('clear() forgets every metric and the default labels; the heap keeps the values', async () => {
    const registry = new Registry();
    const counter = new Counter({ name: uniqueName('mpmr_cleared_total'), help: 'Cleared', registers: [registry], heap });
    new PromGauge({ name: uniqueName('pcr_cleared'), help: 'Theirs', registers: [registry] });
    registry.setDefaultLabels({ env: 'test' });
    counter.inc(3);
    registry.clear();
    expect(registry.getMetricsAsArray()).toEqual([]);
    expect(await registry.metrics()).toBe('\n');
    const again = new Gauge({ name: uniqueName('mpmr_after_clear'), help: 'After', registers: [registry], heap });
    again.set(1);
    expect(await registry.metrics()).toBe(`# HELP ${again.name} After\n# TYPE ${again.name} gauge\n${again.name} 1\n`);
    expect(await new HeapExporter(heap).metrics()).toContain(`\n${counter.name} 3\n`);
  });

  it('setDefaultLabels(): added to every sample of ours exactly as to prom-client’s, in both formats', async () => {
    for (const format of ['prometheus', 'openmetrics'] as const) {
      const { ours, theirs } = declareAllTypes(format);
      // `route` is also a label of the metrics: the metric's own value wins, as prom-client has it
      for (const registry of [ours, theirs]) registry.setDefaultLabels({ env: 'prod', route: 'default', zone: 'eu "1"' });
      const o = await ours.metrics();
      expect(withoutQuantileValues(o), format).toBe(withoutQuantileValues(await theirs.metrics()));
      expect(o).toContain('_bucket{le="0.1",env="prod",zone="eu \\"1\\"",route="/a",method="GET"} 0\n');
      expect(o).toMatch(/\nmpmr_t\d+_jobs(_total)?\{env="prod",route="default",zone="eu \\"1\\""\} 1\n/);
      const blank = (json: Awaited<ReturnType<AnyRegistry['getMetricsAsJSON']>>): unknown =>
        json.map((m) => ({
          ...m,
          values: m.values.map((v) => {
            const { exemplar: _exemplar, ...rest } = v as typeof v & { exemplar?: unknown };
            return 'quantile' in v.labels ? { ...rest, value: 0 } : rest;
          }),
        }));
      expect(blank(await ours.getMetricsAsJSON())).toEqual(blank(await theirs.getMetricsAsJSON()));
    }
  });

  it('Registry.merge(): ours and prom-client’s in one registry; a name in two of them fails as prom-client says', async () => {
    const a = new Registry();
    const b = new Registry();
    const ours = new Counter({ name: uniqueName('mpmr_merged_total'), help: 'Ours', registers: [a], heap });
    const theirs = new PromGauge({ name: uniqueName('pcr_merged'), help: 'Theirs', registers: [b] });
    ours.inc(2);
    theirs.set(3);
    const merged = Registry.merge([a, b]);
    expect(merged.getSingleMetric(ours.name)).toBe(ours);
    expect(await merged.metrics()).toBe(`${await a.metrics()}\n${await b.metrics()}`);

    const c = new Registry();
    new Counter({ name: ours.name, help: 'Ours again', registers: [c], heap });
    expect(() => Registry.merge([a, c])).toThrow(`A metric with the name ${ours.name} has already been registered.`);
    const om = registryOf('openmetrics') as unknown as Registry;
    expect(() => Registry.merge([a, om])).toThrow('Registers can only be merged if they have the same content type');
  });

  it('an OpenMetrics registry: its content type, counter families without _total, one # EOF', async () => {
    const registry = new Registry<OpenMetricsContentType>();
    registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    expect(registry.contentType).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    const counter = new Counter({ name: uniqueName('mpmr_om_total'), help: 'OpenMetrics', registers: [registry], heap });
    const family = counter.name.replace(/_total$/, '');
    counter.inc(0.5);
    expect(await registry.metrics()).toBe(`# HELP ${family} OpenMetrics\n# TYPE ${family} counter\n${family}_total 0.5\n# EOF\n`);
    // prom-client renames a counter it writes as OpenMetrics (metric.name loses _total), ours as its own; the
    // registry still finds it under the name it was registered with
    expect(counter.name).toBe(family);
    expect(registry.getSingleMetric(`${family}_total`)).toBe(counter);
  });
});

describe('Pushgateway', () => {
  interface Received {
    method: string;
    url: string;
    body: string;
  }

  async function gatewayServer(): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
    const received: Received[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        received.push({ method: req.method ?? '', url: req.url ?? '', body });
        res.writeHead(202).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}`,
      received,
      close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
    };
  }

  it('pushAdd(), push() and delete() send what the registry writes, our samples included', async () => {
    const server = await gatewayServer();
    try {
      const registry = new Registry();
      const jobs = new Counter({ name: uniqueName('mpmr_batch_jobs_total'), help: 'Jobs of the batch', labelNames: ['kind'], registers: [registry], heap });
      const last = new Gauge({ name: uniqueName('mpmr_batch_last_success'), help: 'Last success', registers: [registry], heap });
      const own = new PromCounter({ name: uniqueName('pcr_batch_total'), help: 'prom-client’s own', registers: [registry] });
      collectDefaultMetrics({ register: registry });
      jobs.inc({ kind: 'email' }, 12);
      last.set(1_700_000_000);
      own.inc();

      const gateway = new Pushgateway(server.url, {}, registry);
      await gateway.pushAdd({ jobName: 'nightly', groupings: { instance: 'host a' } });
      await gateway.push({ jobName: 'nightly' });
      await gateway.delete({ jobName: 'nightly' });

      expect(server.received.map((r) => [r.method, r.url])).toEqual([
        ['POST', '/metrics/job/nightly/instance/host%20a'],
        ['PUT', '/metrics/job/nightly'],
        ['DELETE', '/metrics/job/nightly'],
      ]);
      for (const pushed of server.received.slice(0, 2)) {
        expect(pushed.body).toContain(`# TYPE ${jobs.name} counter\n${jobs.name}{kind="email"} 12\n`);
        expect(pushed.body).toContain(`\n${last.name} 1700000000\n`);
        expect(pushed.body).toContain(`\n${nameOf(own)} 1\n`);
        expect(pushed.body).toContain('\n# TYPE process_cpu_user_seconds_total counter\n');
      }
      expect(server.received[2]!.body).toBe('');
    } finally {
      await server.close();
    }
  });
});
