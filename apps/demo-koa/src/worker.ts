// One forked child: a Koa app with @mpmetrics/koa in front of the demo routes. It does not listen: the parent
// sends it connections, which it serves as if its own server had accepted them.
import http from 'node:http';
import type { Socket } from 'node:net';
import Router from '@koa/router';
import Koa from 'koa';
import { collectDefaultMetrics } from '@mpmetrics/core';
import { metricsMiddleware } from '@mpmetrics/koa';
import { NOT_FOUND, createOrder, hello, slow, user, workerReady } from '@mpmetrics/demo-kit';
import { recordNativeLatency } from '@mpmetrics/demo-kit/native-latency';

export function createApp(): Koa {
  const app = new Koa();
  app.use(metricsMiddleware()); // first: it times every request, and serves GET /metrics
  const router = new Router();
  router.get('/', (ctx) => {
    ctx.body = hello();
  });
  router.get('/users/:id', (ctx) => {
    ctx.body = user(ctx.params.id ?? '');
  });
  router.get('/slow', async (ctx) => {
    ctx.body = await slow();
  });
  router.post('/orders', async (ctx) => {
    const order = createOrder(await readJson(ctx.req));
    ctx.status = order.status;
    ctx.body = order.body;
  });
  app.use(router.routes());
  app.use((ctx) => {
    ctx.status = 404;
    ctx.body = NOT_FOUND;
  });
  return app;
}

/** The request's JSON body (Koa has no body parser of its own), or undefined if it is not JSON. */
async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}

collectDefaultMetrics(); // this child's CPU, memory, event-loop lag… in the shared heap, with a pid label
const server = http.createServer(createApp().callback());
recordNativeLatency(server); // every request again, into demo_request_duration_native_seconds (native buckets)
process.on('message', (message, socket?: Socket) => {
  if (message === 'socket' && socket !== undefined) server.emit('connection', socket);
});
workerReady(server);
