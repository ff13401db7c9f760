// The apps of the HTTP benchmark, one per framework and variant, each serving GET /users/:id with a small JSON
// body: "bare" (no metrics), "mpmetrics" (ours), "peer" (what users of the framework use today:
// express-prom-bundle, fastify-metrics, a prom-client histogram middleware for Koa, the one express-prom-bundle
// would be) and "floor": a middleware (Fastify: an onRequest hook) that records nothing but reads the clock and
// listens for the response's 'close', as any request-metrics middleware must. What a framework charges for
// that is the least any such middleware costs; ours is measured against it too. "twin" is a second bare server:
// measured like the others, bare against bare says how far apart two identical servers come out on this machine,
// that is how small a difference the other rows can resolve.
//
// Express alone also has "-trick" variants of bare, floor and ours: each first puts `req` and `res` in dictionary
// mode, as the middleware's `shareHiddenClasses` option does, which changes what Express itself costs under Node 20
// to 23. Ours with the trick is compared with bare and the floor with the trick, ours without it with them without.
//
// "floor-loaded" is the floor in a process that has also loaded our package, declared its metrics and opened the
// heap, on a server it does not serve: its old generation is ours'. Against the floor it shows what merely loading
// the package costs a request. Counted from a steady state (http-instructions.ts), it costs none: before, when
// start-up's incremental marking and V8's tier-up landed inside the measured stretch, where they landed depended on
// how much the process had loaded, and the two floors differed by up to 10% (docs/benchmarks-journal.md,
// 2026-12-07, "Node 24's loaded floor").
import http from 'node:http';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const FRAMEWORKS = ['express', 'fastify', 'koa'] as const;
export const VARIANTS = ['bare', 'floor', 'mpmetrics', 'peer', 'twin'] as const;
/** Express only: bare, the floor and ours with `req` and `res` put in dictionary mode first. */
export const TRICK_VARIANTS = ['bare-trick', 'floor-trick', 'mpmetrics-trick'] as const;
export type Framework = (typeof FRAMEWORKS)[number];
export type Variant = (typeof VARIANTS)[number];
export type AppVariant = Variant | (typeof TRICK_VARIANTS)[number] | 'floor-loaded';

const user = (id: string): { id: string; name: string } => ({ id, name: `user ${id}` });

/** Elapsed times of the floor variant, summed so that its work is not optimised away. */
const floorSink = { elapsed: 0 };

/** What the floor variant does per request: the clock, and a 'close' listener that reads it again. */
function floorTrack(res: ServerResponse): void {
  const start = performance.now();
  res.on('close', () => {
    floorSink.elapsed += performance.now() - start;
  });
}

/** Loads our package of `framework` and declares its metrics (opening the heap) where no request reaches them. */
async function loadOurs(framework: Framework): Promise<void> {
  if (framework === 'express') (await import('@mpmetrics/express')).metricsMiddleware();
  else if (framework === 'koa') (await import('@mpmetrics/koa')).metricsMiddleware();
  else {
    const { default: Fastify } = await import('fastify');
    const elsewhere = Fastify();
    await elsewhere.register((await import('@mpmetrics/fastify')).mpmetrics);
    await elsewhere.ready();
  }
}

/** Starts the app on `port` (0: the cluster's primary picks one for all its workers); resolves with the port once it listens. */
export async function startApp(framework: Framework, variant: AppVariant, port: number): Promise<number> {
  const app = await createApp(framework, variant);
  await app.listen(port);
  return portOf(app.server);
}

/** A benchmark app, ready: its HTTP server (not listening yet), and how to make it listen on loopback. */
export interface BenchApp {
  readonly server: http.Server;
  listen(port: number): Promise<void>;
}

/** Makes the app of `framework` with `variant` (see the top of this file), without listening. */
export async function createApp(framework: Framework, appVariant: AppVariant): Promise<BenchApp> {
  const trick = appVariant.endsWith('-trick');
  if (appVariant === 'floor-loaded') await loadOurs(framework);
  const variant = appVariant.replace(/-trick$|-loaded$/, '') as Variant;
  if (trick && framework !== 'express') throw new Error(`${appVariant}: the -trick variants are Express's alone`);
  if (framework === 'express') {
    const { default: express } = await import('express');
    const app = express();
    if (trick && variant !== 'mpmetrics') {
      // the very function the middleware calls with shareHiddenClasses (not exported: a private file of the package)
      const { hiddenClassSharing } = await import('../../../express/dist/shared-hidden-class.js');
      const share = hiddenClassSharing();
      app.use((req, res, next) => {
        share?.(req, res);
        next();
      });
    }
    if (variant === 'mpmetrics') app.use((await import('@mpmetrics/express')).metricsMiddleware({ shareHiddenClasses: trick }));
    if (variant === 'floor') {
      app.use((_req, res, next) => {
        floorTrack(res);
        next();
      });
    }
    if (variant === 'peer') {
      const { default: promBundle } = await import('express-prom-bundle');
      app.use(promBundle({ includeMethod: true, includePath: true, includeStatusCode: true }));
    }
    app.get('/users/:id', (req, res) => {
      res.json(user(req.params.id));
    });
    return listening(http.createServer(app));
  }
  if (framework === 'fastify') {
    const { default: Fastify } = await import('fastify');
    const app = Fastify();
    if (variant === 'mpmetrics') await app.register((await import('@mpmetrics/fastify')).mpmetrics);
    if (variant === 'floor') {
      app.addHook('onRequest', (_request, reply, done) => {
        floorTrack(reply.raw);
        done();
      });
    }
    if (variant === 'peer') {
      // a CommonJS module whose exports.default is the plugin
      const loaded = (await import('fastify-metrics')) as unknown as { default: { default?: unknown } };
      await app.register((loaded.default.default ?? loaded.default) as never, { endpoint: '/metrics' });
    }
    app.get<{ Params: { id: string } }>('/users/:id', async (request) => user(request.params.id));
    await app.ready();
    return { server: app.server, listen: async (port) => void (await app.listen({ port, host: '127.0.0.1' })) };
  }
  const { default: Koa } = await import('koa');
  const { default: Router } = await import('@koa/router');
  const app = new Koa();
  if (variant === 'mpmetrics') app.use((await import('@mpmetrics/koa')).metricsMiddleware());
  if (variant === 'floor') {
    app.use((ctx, next) => {
      floorTrack(ctx.res);
      return next();
    });
  }
  if (variant === 'peer') {
    const { Histogram } = await import('prom-client');
    const duration = new Histogram({ name: 'http_request_duration_seconds', help: 'Duration', labelNames: ['method', 'route', 'status_code'] });
    app.use(async (ctx, next) => {
      const end = duration.startTimer();
      try {
        await next();
      } finally {
        end({ method: ctx.method, route: (ctx as unknown as { _matchedRoute?: string })._matchedRoute ?? '#unmatched', status_code: ctx.status });
      }
    });
  }
  const router = new Router();
  router.get('/users/:id', (ctx) => {
    ctx.body = user(ctx.params.id!);
  });
  app.use(router.routes());
  return listening(http.createServer(app.callback()));
}

function listening(server: http.Server): BenchApp {
  return { server, listen: (port) => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve())) };
}

function portOf(server: http.Server): number {
  return (server.address() as AddressInfo).port;
}
