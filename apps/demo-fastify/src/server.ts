// One Fastify process with @mpmetrics/fastify. Run several with the same MPMETRICS_DIR (PM2 cluster mode with
// ecosystem.config.cjs, or `node dist/launcher.js`) and they record into one heap: the first creates it, the
// others attach, and any of them serves /metrics with the totals of all. Alone, it makes a private heap.
import fs from 'node:fs';
import Fastify, { type FastifyInstance } from 'fastify';
import { DIR_ENV, collectDefaultMetrics } from '@mpmetrics/core';
import { mpmetrics } from '@mpmetrics/fastify';
import { NOT_FOUND, createOrder, demoSettings, hello, slow, user, workerReady } from '@mpmetrics/demo-kit';
import { recordNativeLatency } from '@mpmetrics/demo-kit/native-latency';

export async function createApp(): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(mpmetrics); // times every request, and serves GET /metrics
  app.get('/', async () => hello());
  app.get<{ Params: { id: string } }>('/users/:id', async (request) => user(request.params.id));
  app.get('/slow', async () => slow());
  app.post('/orders', async (request, reply) => {
    const order = createOrder(request.body);
    return reply.code(order.status).send(order.body);
  });
  app.setNotFoundHandler(async (_request, reply) => reply.code(404).send(NOT_FOUND));
  return app;
}

const settings = demoSettings();
// A directory named in MPMETRICS_DIR must exist (mode 700) before the first metric is used; the first process
// makes it. mpmetrics never removes a directory it was given: whoever named it does (the launcher, or you).
const dir = process.env[DIR_ENV];
if (dir !== undefined && dir !== '') fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
collectDefaultMetrics(); // this process's CPU, memory, event-loop lag… in the shared heap, with a pid label
const app = await createApp();
recordNativeLatency(app.server); // every request again, into demo_request_duration_native_seconds (native buckets)
await app.listen({ port: settings.port, host: settings.host });
workerReady(app.server);
