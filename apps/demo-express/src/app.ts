// One worker: an Express app with @mpmetrics/express in front of the demo routes.
import type { AddressInfo } from 'node:net';
import express, { type ErrorRequestHandler } from 'express';
import { collectDefaultMetrics } from '@mpmetrics/core';
import { metricsMiddleware } from '@mpmetrics/express';
import { NOT_FOUND, createOrder, hello, slow, user, workerReady, type DemoSettings } from '@mpmetrics/demo-kit';
import { recordNativeLatency } from '@mpmetrics/demo-kit/native-latency';

function createApp(): express.Express {
  const app = express();
  app.use(metricsMiddleware()); // first: it times every request, and serves GET /metrics
  app.get('/', (_req, res) => {
    res.json(hello());
  });
  app.get('/users/:id', (req, res) => {
    res.json(user(req.params.id));
  });
  app.get('/slow', async (_req, res) => {
    res.json(await slow());
  });
  app.post('/orders', express.json(), (req, res) => {
    const order = createOrder(req.body);
    res.status(order.status).json(order.body);
  });
  app.use((_req, res) => {
    res.status(404).json(NOT_FOUND);
  });
  const onError: ErrorRequestHandler = (error: { status?: number; message?: string }, _req, res, _next) => {
    res.status(error.status ?? 500).json({ error: error.message ?? 'failed' }); // e.g. 400 for a malformed JSON body
  };
  app.use(onError);
  return app;
}

export async function startWorker(settings: DemoSettings): Promise<AddressInfo> {
  collectDefaultMetrics(); // this worker's CPU, memory, event-loop lag… in the shared heap, with a pid label
  const server = createApp().listen(settings.port, settings.host);
  recordNativeLatency(server); // every request again, into demo_request_duration_native_seconds (native buckets)
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  workerReady(server);
  return server.address() as AddressInfo;
}
