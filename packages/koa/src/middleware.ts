// The Koa middleware: records every request's duration, in-flight count and (on request) sizes into the shared
// heap, and answers GET /metrics with the metrics of every process. Use it first (`app.use(metricsMiddleware())`),
// before @koa/router, whose matched route template it records.
import type { ServerResponse } from 'node:http';
import { CLIENT_CLOSED_REQUEST, RequestMetrics, contentLength, metricsResponse, resolveOptions, type HttpMetricsOptions } from '@mpmetrics/http';
import type { Context, Middleware } from 'koa';

export type KoaMetricsOptions = HttpMetricsOptions<Context>;

const START = Symbol('mpmetrics.start');
const METRICS = Symbol('mpmetrics.metrics');
const CONTEXT = Symbol('mpmetrics.context');

/** What the middleware leaves on a response it times (so one shared listener serves every request). */
interface Timed extends ServerResponse {
  [START]?: number;
  [METRICS]?: RequestMetrics<Context> | undefined;
  [CONTEXT]?: Context;
}

/** What @koa/router leaves on the context: the template of the route that matched, with the router's prefix. */
interface Routed {
  _matchedRoute?: string | RegExp;
}

/** 'finish' or 'close' of a timed response, whichever comes first: records the request once. */
function onEnd(this: Timed): void {
  const metrics = this[METRICS];
  if (metrics === undefined) return;
  this[METRICS] = undefined;
  const ctx = this[CONTEXT]!;
  const route = (ctx as Context & Routed)._matchedRoute;
  metrics.end(
    this[START]!,
    ctx,
    ctx.method,
    route === undefined ? undefined : String(route),
    this.writableFinished ? this.statusCode : CLIENT_CLOSED_REQUEST,
    contentLength(ctx.req.headers['content-length']),
    contentLength(this.getHeader('content-length')),
  );
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
    const res = ctx.res as Timed;
    res[START] = metrics.begin();
    res[METRICS] = metrics;
    res[CONTEXT] = ctx;
    res.once('finish', onEnd);
    res.once('close', onEnd);
    return next();
  };
}
