// Bad options fail when the middleware is made, with a message that starts with the package name and says which
// option, what was expected and what came; good options shape the metrics.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Heap, setDefaultHeap } from '@mpmetrics/core';
import { expectRefused } from '@mpmetrics/http-test/options';
import { metricsMiddleware } from '../src/index.js';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-express-options-'));
  fs.chmodSync(dir, 0o700);
  setDefaultHeap(Heap.open({ dir }));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('metricsMiddleware() options', () => {
  it.each([
    [{ buckets: 'fast' }, TypeError, 'option "buckets" must be an array of numbers, received the string "fast"'],
    [{ buckets: [1, 0.5] }, RangeError, '"buckets" must be strictly increasing'],
    [{ metricPrefix: 5 }, TypeError, 'option "metricPrefix" must be a string, received number 5'],
    [{ metricPrefix: 'my-app_' }, RangeError, 'option "metricPrefix" must start a valid metric name'],
    [{ metricsPath: 'metrics' }, TypeError, 'option "metricsPath" must be a path starting with "/" or false'],
    [{ excludeRoutes: '/health' }, TypeError, 'option "excludeRoutes" must be an array'],
    [{ excludeRoutes: [42] }, TypeError, 'option "excludeRoutes"'],
    [{ excludeMethods: ['GET', ''] }, TypeError, 'option "excludeMethods"'],
    [{ extraLabels: { 'bad-name': 'x' } }, RangeError, 'option "extraLabels" has an invalid label name "bad-name"'],
    [{ extraLabels: { route: 'x' } }, RangeError, 'may not set "route"'],
    [{ extraLabels: { region: 5 } }, TypeError, 'option "extraLabels.region" must be a string or a function of the request'],
    [{ groupStatusCodes: 'yes' }, TypeError, 'option "groupStatusCodes" must be a boolean'],
    [{ requestSizes: 'on' }, TypeError, 'option "requestSizes" must be a boolean or an array'],
    [{ registry: {} }, TypeError, 'option "registry" must be a prom-client Registry'],
    [{ unmatchedRoute: null }, TypeError, 'option "unmatchedRoute" must be a string'],
    [{ shareHiddenClasses: 'yes' }, TypeError, 'option "shareHiddenClasses" must be a boolean, received the string "yes"'],
    [{ shareHiddenClasses: 1 }, TypeError, 'option "shareHiddenClasses" must be a boolean, received number 1'],
    [{ reuseMetricsBuffer: 'yes' }, TypeError, 'option "reuseMetricsBuffer" must be a boolean, received the string "yes"'],
    [{ reuseMetricsBuffer: 1 }, TypeError, 'option "reuseMetricsBuffer" must be a boolean, received number 1'],
    [{ bucket: [1] }, RangeError, '"bucket" is not an option of @mpmetrics/express'],
    [{ bucket: [1] }, RangeError, 'unmatchedRoute, reuseMetricsBuffer, shareHiddenClasses)'],
    ['all', TypeError, 'option "options" must be an object'],
  ])('%j → %s', async (options, kind, says) => {
    await expectRefused('@mpmetrics/express', () => metricsMiddleware(options as never), kind, says);
  });

  it('shareHiddenClasses is a boolean, off when absent', () => {
    for (const options of [{}, { shareHiddenClasses: false }, { shareHiddenClasses: true }]) expect(typeof metricsMiddleware({ ...options, registry: new Registry() })).toBe('function');
  });

  it('good options shape the metrics: prefix, extra labels, size histograms, the registry', async () => {
    const registry = new Registry();
    metricsMiddleware({ metricPrefix: 'shop_', registry, extraLabels: { region: 'eu', tenant: () => 't1' }, requestSizes: true, responseSizes: [10, 100] });
    const names = registry.getMetricsAsArray().map((m) => m.name).sort();
    expect(names).toEqual(['shop_http_request_duration_seconds', 'shop_http_request_size_bytes', 'shop_http_requests_in_flight', 'shop_http_response_size_bytes']);
    const duration = registry.getSingleMetric('shop_http_request_duration_seconds') as unknown as { labelNames: string[] };
    expect(duration.labelNames).toEqual(['method', 'route', 'status_code', 'region', 'tenant']);
  });
});
