// The Express middleware: records every request's duration, in-flight count and (on request) sizes into the
// shared heap, and answers GET /metrics with the metrics of every process. Install it before your routes.
import { RequestMetrics, metricsResponse, resolveOptions, type HttpMetricsOptions } from '@mpmetrics/http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { routeTemplateOf, watchRouteTemplates } from './route-template.js';

export type ExpressMetricsOptions = HttpMetricsOptions<Request>;

/** A client that went away before the response was finished: nginx's code for it. */
const CLIENT_CLOSED_REQUEST = 499;

function contentLength(value: string | number | string[] | undefined): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return undefined;
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** Makes the middleware. Options are checked here: a mistake throws now, naming the option. */
export function metricsMiddleware(options?: ExpressMetricsOptions): RequestHandler {
  const config = resolveOptions<Request>('@mpmetrics/express', options);
  const metrics = new RequestMetrics(config);
  const metricsPath = config.metricsPath;
  watchRouteTemplates();

  return function mpmetricsMiddleware(req: Request, res: Response, next: NextFunction): void {
    if (metricsPath !== false && req.path === metricsPath && (req.method === 'GET' || req.method === 'HEAD')) {
      metricsResponse(config.registry, req.headers.accept).then(
        ({ contentType, body }) => {
          res.setHeader('Content-Type', contentType);
          res.end(req.method === 'HEAD' ? undefined : body);
        },
        (error: unknown) => next(error),
      );
      return;
    }
    if (!metrics.records(req.method)) return next();
    const start = metrics.begin();
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      metrics.end(start, {
        request: req,
        method: req.method,
        route: routeTemplateOf(req),
        statusCode: res.writableFinished ? res.statusCode : CLIENT_CLOSED_REQUEST,
        requestBytes: contentLength(req.headers['content-length']),
        responseBytes: contentLength(res.getHeader('content-length')),
      });
    };
    res.once('finish', finish);
    res.once('close', finish);
    next();
  };
}
