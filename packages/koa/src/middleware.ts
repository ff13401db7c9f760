// The Koa middleware: records every request's duration, in-flight count and (on request) sizes into the shared
// heap, and answers GET /metrics with the metrics of every process. Use it first (`app.use(metricsMiddleware())`),
// before @koa/router, whose matched route template it records.
import { RequestMetrics, metricsResponse, releaseWhenSent, resolveOptions, type HttpMetricsOptions } from '@mpmetrics/http';
import type { Context, Middleware } from 'koa';

export type KoaMetricsOptions = HttpMetricsOptions<Context>;

/** What @koa/router leaves on the context: the template of the route that matched, with the router's prefix. */
interface Routed {
  _matchedRoute?: string | RegExp;
}

function routeOf(ctx: Context): string | undefined {
  const route = (ctx as Context & Routed)._matchedRoute;
  // a string as it is: String() of one is a builtin call a request, about 40 instructions of the 2k ours adds
  return typeof route === 'string' || route === undefined ? route : String(route);
}

/** Makes the middleware. Options are checked here: a mistake throws now, naming the option. */
export function metricsMiddleware(options?: KoaMetricsOptions): Middleware {
  const config = resolveOptions<Context>('@mpmetrics/koa', options);
  const metrics = new RequestMetrics(config, routeOf);
  const metricsPath = config.metricsPath;

  // not async: a request passes through with next()'s own promise, and makes none of its own
  return function mpmetricsMiddleware(ctx, next) {
    // the raw URL first (ctx.path parses it): the path is a prefix of the URL
    if (metricsPath !== false && ctx.req.url!.startsWith(metricsPath) && ctx.path === metricsPath && (ctx.method === 'GET' || ctx.method === 'HEAD')) {
      return metricsResponse(config.registry, ctx.get('accept') || undefined, config.reuseMetricsBuffer).then((response) => {
        // Koa ends the raw response with the Buffer as it is, after every middleware has returned (for HEAD,
        // without it): 'finish' follows either way
        releaseWhenSent(ctx.res, response);
        ctx.body = response.body;
        ctx.set('Content-Type', response.contentType);
      });
    }
    metrics.track(ctx, ctx.res, ctx.req.method!);
    return next();
  };
}
