// A /metrics body kept by a middleware wrapping res.end keeps its own scrape unless reuseMetricsBuffer is on
// (tooling/http-test).
import http from 'node:http';
import type net from 'node:net';
import express from 'express';
import { describeKeptBody } from '@mpmetrics/http-test/kept-body-scenario';
import { metricsMiddleware } from '../src/index.js';

describeKeptBody('@mpmetrics/express: a /metrics body kept by a middleware wrapping res.end', async (options, keep) => {
  const app = express();
  app.use((req, res, next) => {
    const end = res.end.bind(res) as (...args: unknown[]) => typeof res;
    res.end = ((...args: unknown[]) => {
      if (req.path === '/metrics') keep(args[0]);
      return end(...args);
    }) as typeof res.end;
    next();
  });
  app.use(metricsMiddleware(options));
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
});
