// A /metrics payload kept by an onSend hook keeps its own scrape unless reuseMetricsBuffer is on (tooling/http-test).
import type net from 'node:net';
import Fastify from 'fastify';
import { describeKeptBody } from '@mpmetrics/http-test/kept-body-scenario';
import { mpmetrics } from '../src/index.js';

describeKeptBody('@mpmetrics/fastify: a /metrics payload kept by an onSend hook', async (options, keep) => {
  const app = Fastify();
  app.addHook('onSend', async (request, _reply, payload) => {
    if (request.url === '/metrics') keep(payload);
    return payload;
  });
  await app.register(mpmetrics, options);
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { port: (app.server.address() as net.AddressInfo).port, close: () => app.close() };
});
