// GET /metrics serves every family in the heap and then the registry's metrics that are not in the heap, in the
// negotiated format; status_code labels come from tables, grouped on request.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as pc from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Counter, Heap, setDefaultHeap } from '@mpmetrics/core';
import { decodeProtobuf } from '@mpmetrics/vitest-config/validators';
import { metricsResponse, statusLabel } from '../src/index.js';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-http-'));
  fs.chmodSync(dir, 0o700);
  setDefaultHeap(Heap.open({ dir }));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('metricsResponse()', () => {
  it('serves the heap’s families (ours, once) and the registry’s others, in either format', async () => {
    const registry = new pc.Registry();
    new Counter({ name: 'http_test_ours_total', help: 'In the heap', registers: [registry] }).inc(2);
    new Counter({ name: 'http_test_elsewhere_total', help: 'Declared without a registry (another process, say)', registers: [] }).inc(3);
    new pc.Counter({ name: 'http_test_theirs_total', help: 'prom-client’s own', registers: [registry] }).inc(4);

    const text = await metricsResponse(registry, undefined);
    expect(text.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(Buffer.isBuffer(text.body)).toBe(true);
    expect(text.body.toString().match(/^http_test_ours_total 2$/gm)).toHaveLength(1);
    expect(text.body.toString()).toContain('http_test_elsewhere_total 3');
    expect(text.body.toString()).toContain('http_test_theirs_total 4');

    const om = await metricsResponse(registry, 'application/openmetrics-text; version=1.0.0');
    expect(om.contentType).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    expect(om.body.toString().match(/# EOF/g)).toHaveLength(1);
    expect(om.body.toString().endsWith('# EOF\n')).toBe(true);
    expect(om.body.toString()).toContain('http_test_ours_total 2');
    expect(om.body.toString()).toContain('http_test_theirs_total 4');

    // protobuf (what a Prometheus scraping native histograms asks for): prom-client's metrics too, which it cannot write
    const pb = await metricsResponse(registry, 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;q=0.3');
    expect(pb.contentType).toBe('application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited');
    const families = decodeProtobuf(pb.body).map((f) => [f['name'], (f['metric'] as { counter: { value: number } }[])[0]!.counter.value]);
    expect(families.filter(([name]) => String(name).startsWith('http_test_'))).toEqual([
      ['http_test_elsewhere_total', 3],
      ['http_test_ours_total', 2],
      ['http_test_theirs_total', 4],
    ]);
  });
});

describe('statusLabel()', () => {
  it('gives the code or its class, the same string object every time', () => {
    expect(statusLabel(200, false)).toBe('200');
    expect(statusLabel(404, true)).toBe('4xx');
    expect(statusLabel(499, true)).toBe('4xx');
    expect(statusLabel(200, false)).toBe(statusLabel(200, false));
    expect(statusLabel(1234, false)).toBe('1234');
  });
});
