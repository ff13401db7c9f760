// The Express middleware: records every request's duration, in-flight count and (on request) sizes into the
// shared heap, and answers GET /metrics with the metrics of every process. Install it before your routes.
import type { ServerResponse } from 'node:http';
import { CLIENT_CLOSED_REQUEST, RequestMetrics, contentLength, metricsResponse, resolveOptions, type HttpMetricsOptions } from '@mpmetrics/http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { routeTemplateOf, watchRouteTemplates } from './route-template.js';

export type ExpressMetricsOptions = HttpMetricsOptions<Request>;

const START = Symbol('mpmetrics.start');
const METRICS = Symbol('mpmetrics.metrics');

/** What the middleware leaves on a response it times (so one shared listener serves every request). */
interface Timed extends ServerResponse {
  [START]?: number;
  [METRICS]?: RequestMetrics<Request> | undefined;
}

/** 'finish' or 'close' of a timed response, whichever comes first: records the request once. */
function onEnd(this: Timed): void {
  const metrics = this[METRICS];
  if (metrics === undefined) return;
  this[METRICS] = undefined;
  const req = this.req as Request;
  metrics.end(
    this[START]!,
    req,
    req.method,
    routeTemplateOf(req),
    this.writableFinished ? this.statusCode : CLIENT_CLOSED_REQUEST,
    contentLength(req.headers['content-length']),
    contentLength(this.getHeader('content-length')),
  );
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
    const timed = res as Response & Timed;
    timed[START] = metrics.begin();
    timed[METRICS] = metrics;
    res.once('finish', onEnd);
    res.once('close', onEnd);
    next();
  };
}
