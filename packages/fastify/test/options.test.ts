// Bad options fail when the plugin is registered, with a message that starts with the package name; good options
// shape the metrics, and the instance is decorated with them (typed: see the module augmentation).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { Heap, setDefaultHeap } from '@mpmetrics/core';
import type { RequestMetrics } from '@mpmetrics/http';
import { expectRefused } from '@mpmetrics/http-test/options';
import { mpmetrics } from '../src/index.js';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-fastify-options-'));
  fs.chmodSync(dir, 0o700);
  setDefaultHeap(Heap.open({ dir }));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('the plugin’s options', () => {
  it.each([
    [{ buckets: 'fast' }, TypeError, 'option "buckets" must be an array of numbers'],
    [{ metricsPath: 'metrics' }, TypeError, 'option "metricsPath" must be a path starting with "/" or false'],
    [{ extraLabels: { status_code: 'x' } }, RangeError, 'may not set "status_code"'],
    [{ groupStatusCodes: 1 }, TypeError, 'option "groupStatusCodes" must be a boolean'],
    [{ reuseMetricsBuffer: 'yes' }, TypeError, 'option "reuseMetricsBuffer" must be a boolean, received the string "yes"'],
    [{ reuseMetricsBuffer: 1 }, TypeError, 'option "reuseMetricsBuffer" must be a boolean, received number 1'],
    [{ whatever: true }, RangeError, '"whatever" is not an option of @mpmetrics/fastify'],
    // Express's own option, not Fastify's: Fastify's requests are its own objects
    [{ shareHiddenClasses: true }, RangeError, '"shareHiddenClasses" is not an option of @mpmetrics/fastify'],
  ])('%j → %s', async (options, kind, says) => {
    const app = Fastify();
    await expectRefused('@mpmetrics/fastify', async () => {
      await app.register(mpmetrics, options as never);
      await app.ready();
    }, kind, says);
    await app.close();
  });

  it('good options shape the metrics, and fastify.mpmetrics holds them', async () => {
    const registry = new Registry();
    const app = Fastify();
    await app.register(mpmetrics, { metricPrefix: 'api_', registry, groupStatusCodes: true, metricsPath: false });
    app.get('/x', async () => 'x');
    await app.ready();
    expectTypeOf(app.mpmetrics).toEqualTypeOf<RequestMetrics<import('fastify').FastifyRequest>>();
    expect(registry.getMetricsAsArray().map((m) => m.name).sort()).toEqual(['api_http_request_duration_seconds', 'api_http_requests_in_flight']);
    await app.inject({ method: 'GET', url: '/x' });
    await app.inject({ method: 'GET', url: '/metrics' }); // not served: a 404, recorded as such
    const text = await registry.metrics();
    expect(text).toContain('api_http_request_duration_seconds_count{method="GET",route="/x",status_code="2xx"} 1');
    expect(text).toContain('api_http_request_duration_seconds_count{method="GET",route="#unmatched",status_code="4xx"} 1');
    await app.close();
  });
});
