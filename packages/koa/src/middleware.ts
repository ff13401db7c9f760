// The Koa middleware: records every request's duration, in-flight count and (on request) sizes into the shared
// heap, and answers GET /metrics with the metrics of every process. Use it first (`app.use(metricsMiddleware())`),
// before @koa/router, whose matched route template it records.
import { RequestMetrics, metricsResponse, resolveOptions, type HttpMetricsOptions } from '@mpmetrics/http';
import type { Context, Middleware } from 'koa';

export type KoaMetricsOptions = HttpMetricsOptions<Context>;

/** A client that went away before the response was finished: nginx's code for it. */
const CLIENT_CLOSED_REQUEST = 499;

/** What @koa/router leaves on the context: the template of the route that matched, with the router's prefix. */
interface Routed {
  _matchedRoute?: string | RegExp;
}

function contentLength(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** Makes the middleware. Options are checked here: a mistake throws now, naming the option. */
export function metricsMiddleware(options?: KoaMetricsOptions): Middleware {
  const config = resolveOptions<Context>('@mpmetrics/koa', options);
  const metrics = new RequestMetrics(config);
  const metricsPath = config.metricsPath;

  return async function mpmetricsMiddleware(ctx, next) {
    if (metricsPath !== false && ctx.path === metricsPath && (ctx.method === 'GET' || ctx.method === 'HEAD')) {
      const { contentType, body } = await metricsResponse(config.registry, ctx.get('accept') || undefined);
      ctx.body = body;
      ctx.set('Content-Type', contentType);
      return;
    }
    if (!metrics.records(ctx.method)) return next();
    const start = metrics.begin();
    const res = ctx.res;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      const route = (ctx as Context & Routed)._matchedRoute;
      metrics.end(start, {
        request: ctx,
        method: ctx.method,
        route: route === undefined ? undefined : String(route),
        statusCode: res.writableFinished ? res.statusCode : CLIENT_CLOSED_REQUEST,
        requestBytes: contentLength(ctx.get('content-length')),
        responseBytes: contentLength(res.getHeader('content-length')),
      });
    };
    res.once('finish', finish);
    res.once('close', finish);
    return next();
  };
}
