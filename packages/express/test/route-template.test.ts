// Route templates in the shapes Express applications mount them, in Express 5 and 4: a mount path with a
// parameter (whose values must not become series: req.baseUrl holds "/orgs/acme"), nested routers, a
// sub-application, and an error that leaves a mounted router (which resets req.baseUrl). One real server per case,
// in this process, each with its own registry.
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import express5, { type NextFunction, type Request, type Response } from 'express';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { metricsMiddleware } from '../src/index.js';

/** Express 4, the express4 dev dependency (it has no types of its own: Express 5's describe what is used here). */
const express4 = createRequire(import.meta.url)('express4') as typeof express5;

function get(port: number, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => res.resume().on('end', resolve)).on('error', reject);
  });
}

/** `route status` → count, from the middleware's duration histogram in `registry`. */
async function counts(registry: Registry, metricPrefix: string, total: number): Promise<Record<string, number>> {
  for (let attempt = 0; ; attempt++) {
    const out: Record<string, number> = {};
    const metric = registry.getSingleMetric(`${metricPrefix}http_request_duration_seconds`)!;
    for (const v of (await metric.get()).values) {
      if ((v as { metricName?: string }).metricName?.endsWith('_count')) out[`${v.labels.route} ${v.labels.status_code}`] = v.value;
    }
    // the response's 'close' may come just after the client has read it
    if (Object.values(out).reduce((a, b) => a + b, 0) >= total || attempt === 100) return out;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

// a family per Express version: the heap is shared by name, whatever the registry
describe.each([
  ['Express 5', express5, 'express5_'],
  ['Express 4', express4, 'express4_'],
])('@mpmetrics/express route templates, %s', (_name, express, metricPrefix) => {
  it('joins mount paths with parameters, nested routers and sub-applications, also after an error', async () => {
    const registry = new Registry();
    const app = express();
    app.use(metricsMiddleware({ registry, metricPrefix }));
    const repos = express.Router({ mergeParams: true });
    repos.get('/repos/:repo', (req, res) => void res.send('repo'));
    repos.get('/broken', () => {
      throw new Error('leaves the router');
    });
    app.use('/orgs/:org', repos);
    const users = express.Router();
    users.get('/:id', (req, res) => void res.send('user'));
    const v1 = express.Router();
    v1.use('/users', users);
    app.use('/v1', v1);
    const admin = express();
    admin.get('/stats/:name', (req, res) => void res.send('stats'));
    app.use('/admin', admin);
    app.use((error: Error, req: Request, res: Response, next: NextFunction) => {
      void next;
      res.status(500).send(error.message);
    });
    const server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const paths = ['/orgs/acme/repos/one', '/orgs/initech/repos/two', '/orgs/acme/broken', '/v1/users/7', '/v1/users/8', '/admin/stats/cpu', '/orgs/acme/nothing'];
      for (const path of paths) await get(port, path);
      expect(await counts(registry, metricPrefix, paths.length)).toEqual({
        '/orgs/:org/repos/:repo 200': 2,
        '/orgs/:org/broken 500': 1,
        '/v1/users/:id 200': 2,
        '/admin/stats/:name 200': 1,
        '#unmatched 404': 1,
      });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
