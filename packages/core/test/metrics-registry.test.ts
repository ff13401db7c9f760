// Our metrics live in prom-client's registries beside prom-client's own: the global `register` by default,
// `registers: [r]` and `registers: []`, and every registry method a user calls (metrics, getMetricsAsJSON,
// getSingleMetric, getSingleMetricAsString, removeSingleMetric, resetMetrics, clear, setDefaultLabels,
// Registry.merge, the OpenMetrics content type) and prom-client's Pushgateway work with them.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as pc from 'prom-client';
import { beforeAll, describe, expect, it } from 'vitest';
import { Counter, Gauge, Heap, Histogram, Summary } from '../src/index.js';
import { usePrivateHeap } from './support/private-heap.js';

const privateHeap = usePrivateHeap('mpm-registry');
let heap: Heap;
beforeAll(() => {
  heap = privateHeap.heap;
});

describe('registration', () => {
  it('goes to prom-client’s global register by default, to the given registries, or to none', async () => {
    const mine = new pc.Registry();
    const other = new pc.Registry();
    const global = new Counter({ name: 'registry_global_total', help: 'In the global register', heap });
    const both = new Counter({ name: 'registry_both_total', help: 'In two registries', registers: [mine, other], heap });
    const none = new Counter({ name: 'registry_none_total', help: 'In no registry', registers: [], heap });
    try {
      global.inc();
      both.inc(2);
      none.inc(3);
      expect(pc.register.getSingleMetric('registry_global_total')).toBe(global);
      expect(await pc.register.metrics()).toContain('registry_global_total 1');
      for (const r of [mine, other]) {
        expect(r.getSingleMetric('registry_both_total')).toBe(both);
        expect(await r.metrics()).toContain('registry_both_total 2');
      }
      expect(await mine.metrics()).not.toContain('registry_none_total');
      expect(await pc.register.metrics()).not.toContain('registry_none_total');
      expect((await none.get()).values[0]!.value).toBe(3);
    } finally {
      pc.register.removeSingleMetric('registry_global_total');
    }
  });

  it('a second metric of the same name in one registry is refused, as prom-client refuses it', () => {
    const registry = new pc.Registry();
    new Counter({ name: 'registry_twice_total', help: 'h', registers: [registry], heap });
    expect(() => new Counter({ name: 'registry_twice_total', help: 'h', registers: [registry], heap })).toThrow(/already been registered/);
  });
});

describe('a registry holding our metrics beside prom-client’s own and its default metrics', () => {
  const registry = new pc.Registry();
  let histogram: Histogram;
  beforeAll(() => {
    // (made here, not in the describe body: the heap exists from the file's beforeAll on)
    pc.collectDefaultMetrics({ register: registry });
    new pc.Counter({ name: 'registry_theirs_total', help: 'prom-client’s own', registers: [registry] }).inc(7);
    new pc.Histogram({ name: 'registry_theirs_seconds', help: 'prom-client’s own', buckets: [0.1, 1], registers: [registry] }).observe(0.5);
    new Counter({ name: 'registry_requests_total', help: 'Requests', labelNames: ['route'], registers: [registry], heap }).inc({ route: '/a' }, 2);
    new Gauge({ name: 'registry_in_flight', help: 'In flight', registers: [registry], heap }).set(3);
    histogram = new Histogram({ name: 'registry_seconds', help: 'Latency', buckets: [0.1, 1], registers: [registry], heap });
    histogram.observe(0.5);
    new Summary({ name: 'registry_bytes', help: 'Sizes', percentiles: [0.5], registers: [registry], heap }).observe(100);
  });

  it('metrics() lists all of them', async () => {
    const text = await registry.metrics();
    expect(text).toContain('registry_theirs_total 7');
    expect(text).toContain('registry_requests_total{route="/a"} 2');
    expect(text).toContain('registry_in_flight 3');
    expect(text).toContain('registry_seconds_bucket{le="1"} 1');
    expect(text).toContain('registry_seconds_count 1');
    expect(text).toMatch(/^registry_bytes\{quantile="0.5"\} (99|100|101)(\.\d+)?$/m);
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_heap_size_used_bytes');
  });

  it('getMetricsAsJSON(), getSingleMetric() and getSingleMetricAsString() see ours', async () => {
    const json = await registry.getMetricsAsJSON();
    const ours = json.find((m) => m.name === 'registry_requests_total');
    expect(ours).toMatchObject({ name: 'registry_requests_total', help: 'Requests', type: 'counter', values: [{ value: 2, labels: { route: '/a' } }] });
    expect(registry.getSingleMetric('registry_seconds')).toBe(histogram);
    expect(await registry.getSingleMetricAsString('registry_in_flight')).toBe('# HELP registry_in_flight In flight\n# TYPE registry_in_flight gauge\nregistry_in_flight 3');
  });

  it('setDefaultLabels() adds its labels to our samples too', async () => {
    registry.setDefaultLabels({ service: 'api' });
    try {
      const text = await registry.metrics();
      expect(text).toContain('registry_requests_total{route="/a",service="api"} 2');
      expect(text).toContain('registry_in_flight{service="api"} 3');
      expect(text).toContain('registry_seconds_bucket{le="0.1",service="api"} 0');
    } finally {
      registry.setDefaultLabels({});
    }
  });

  it('Registry.merge() and the OpenMetrics content type carry ours', async () => {
    const extra = new pc.Registry();
    new Gauge({ name: 'registry_merged', help: 'From another registry', registers: [extra], heap }).set(5);
    const merged = pc.Registry.merge([registry, extra]);
    const text = await merged.metrics();
    expect(text).toContain('registry_merged 5');
    expect(text).toContain('registry_requests_total{route="/a"} 2');

    const om = new pc.Registry<pc.OpenMetricsContentType>();
    om.setContentType(pc.Registry.OPENMETRICS_CONTENT_TYPE);
    new Counter({ name: 'registry_om_total', help: 'h', registers: [om], heap }).inc(4);
    const omText = await om.metrics();
    expect(om.contentType).toBe(pc.Registry.OPENMETRICS_CONTENT_TYPE);
    expect(omText).toContain('# TYPE registry_om counter');
    expect(omText).toContain('registry_om_total 4');
    expect(omText.endsWith('# EOF\n')).toBe(true);
  });

  it('resetMetrics() zeroes ours for every process; removeSingleMetric() and clear() unregister', async () => {
    registry.resetMetrics();
    const text = await registry.metrics();
    expect(text).toContain('registry_theirs_total 0');
    expect(text).not.toContain('registry_requests_total{'); // label sets removed, as prom-client does
    expect(text).toContain('registry_in_flight 0');
    // a histogram without labels drops its samples on reset, ours as prom-client's (HELP and TYPE alone)
    for (const name of ['registry_seconds', 'registry_theirs_seconds']) {
      expect(text, name).toContain(`# TYPE ${name} histogram\n`);
      expect(text, name).not.toContain(`${name}_count`);
    }
    // the values are gone from the heap, not just from this registry: another handle on the family sees zero
    expect((await new Gauge({ name: 'registry_in_flight', help: 'In flight', registers: [], heap }).get()).values[0]!.value).toBe(0);

    registry.removeSingleMetric('registry_in_flight');
    expect(registry.getSingleMetric('registry_in_flight')).toBeUndefined();
    registry.clear();
    expect(registry.getMetricsAsArray()).toEqual([]);
  });
});

describe('prom-client’s Pushgateway', () => {
  it('pushes our metrics with its own', async () => {
    const bodies: { method: string; url: string; body: string }[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        bodies.push({ method: req.method!, url: req.url!, body });
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const registry = new pc.Registry();
      new Counter({ name: 'push_jobs_total', help: 'Jobs', labelNames: ['kind'], registers: [registry], heap }).inc({ kind: 'mail' }, 3);
      new Histogram({ name: 'push_seconds', help: 'Durations', buckets: [1], registers: [registry], heap }).observe(0.5);
      new pc.Gauge({ name: 'push_theirs', help: 'prom-client’s', registers: [registry] }).set(9);
      const gateway = new pc.Pushgateway(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, {}, registry);
      await gateway.pushAdd({ jobName: 'batch' });
      expect(bodies).toHaveLength(1);
      expect(bodies[0]!.method).toBe('POST');
      expect(bodies[0]!.url).toBe('/metrics/job/batch');
      expect(bodies[0]!.body).toContain('push_jobs_total{kind="mail"} 3');
      expect(bodies[0]!.body).toContain('push_seconds_bucket{le="1"} 1');
      expect(bodies[0]!.body).toContain('push_theirs 9');
    } finally {
      server.close();
    }
  });
});
