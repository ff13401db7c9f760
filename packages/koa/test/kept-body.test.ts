// A /metrics body kept by an upstream middleware (`await next()`, then ctx.body) keeps its own scrape unless
// reuseMetricsBuffer is on (tooling/http-test).
import http from 'node:http';
import type net from 'node:net';
import Koa from 'koa';
import { describeKeptBody } from '@mpmetrics/http-test/kept-body-scenario';
import { metricsMiddleware } from '../src/index.js';

describeKeptBody('@mpmetrics/koa: a /metrics body kept by an upstream middleware', async (options, keep) => {
  const app = new Koa();
  app.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/metrics') keep(ctx.body);
  });
  app.use(metricsMiddleware(options));
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
});
