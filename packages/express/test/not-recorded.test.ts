// A request that cannot be recorded (here an extra label function throws) is served as usual and left out of the
// metrics with one process warning: it must never become an uncaught exception in the response's 'close'
// listener, which would take the application down. Other requests keep being recorded.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Registry } from 'prom-client';
import { expect, it } from 'vitest';
import { metricsMiddleware } from '../src/index.js';

function get(port: number, tenant: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/items/1', agent: false, headers: { 'x-tenant': tenant } }, (res) => res.resume().on('end', () => resolve(res.statusCode!)))
      .on('error', reject);
  });
}

it('serves the request, leaves it out with one warning per kind of failure, and records the others', async () => {
  const registry = new Registry();
  const app = express();
  const tenant = (req: http.IncomingMessage): string => {
    const value = req.headers['x-tenant'];
    if (value === 'boom') throw new Error('no such tenant');
    return String(value);
  };
  app.use(metricsMiddleware({ registry, metricPrefix: 'unrecorded_', extraLabels: { tenant } }));
  app.get('/items/:id', (req, res) => void res.send('item'));
  const warnings: Error[] = [];
  const onWarning = (warning: Error): void => {
    if ((warning as { code?: string }).code === 'MPM_WARN_REQUEST_NOT_RECORDED') warnings.push(warning);
  };
  process.on('warning', onWarning);
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const statuses = [];
    for (const who of ['acme', 'boom', 'acme', 'boom', 'boom', 'initech']) statuses.push(await get(port, who));
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
    const counted = async (): Promise<Record<string, number>> => {
      const out: Record<string, number> = {};
      const metric = registry.getSingleMetric('unrecorded_http_request_duration_seconds')!;
      for (const v of (await metric.get()).values) if ((v as { metricName?: string }).metricName?.endsWith('_count')) out[String(v.labels.tenant)] = v.value;
      return out;
    };
    // the response's 'close' (and a warning, emitted on the next tick) may come just after the client read it
    for (let i = 0; i < 100 && (warnings.length === 0 || (await counted())['initech'] !== 1); i++) await new Promise((r) => setTimeout(r, 10));
    expect(await counted()).toEqual({ acme: 2, initech: 1 });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toBe(
      '@mpmetrics/express: a request was not recorded (no such tenant); further ones failing the same way are left out silently',
    );
    const inFlight = registry.getSingleMetric('unrecorded_http_requests_in_flight')!;
    expect((await inFlight.get()).values.map((v) => v.value)).toEqual([0]);
  } finally {
    process.off('warning', onWarning);
    await new Promise((resolve) => server.close(resolve));
  }
});
