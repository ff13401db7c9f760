// The Express middleware: records every request's duration, in-flight count and (on request) sizes into the
// shared heap, and answers GET /metrics with the metrics of every process. Install it before your routes.
import { RequestMetrics, metricsResponse, resolveOptions, type HttpMetricsOptions } from '@mpmetrics/http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { routeTemplateOf } from './route-template.js';
import { hiddenClassSharing } from './shared-hidden-class.js';

export type ExpressMetricsOptions = HttpMetricsOptions<Request>;

/** Makes the middleware. Options are checked here: a mistake throws now, naming the option. */
export function metricsMiddleware(options?: ExpressMetricsOptions): RequestHandler {
  const config = resolveOptions<Request>('@mpmetrics/express', options);
  const metrics = new RequestMetrics(config, routeTemplateOf);
  const metricsPath = config.metricsPath;
  const shareHiddenClasses = hiddenClassSharing();

  return function mpmetricsMiddleware(req: Request, res: Response, next: NextFunction): void {
    // first, so that every access after this one, ours and the application's, hits V8's caches
    if (shareHiddenClasses !== undefined) shareHiddenClasses(req, res);
    // req.url first (a plain property; req.path parses it): the path is a prefix of the URL
    if (metricsPath !== false && req.url.startsWith(metricsPath) && req.path === metricsPath && (req.method === 'GET' || req.method === 'HEAD')) {
      metricsResponse(config.registry, req.headers.accept).then(
        ({ contentType, body }) => {
          res.setHeader('Content-Type', contentType);
          res.end(req.method === 'HEAD' ? undefined : body);
        },
        (error: unknown) => next(error),
      );
      return;
    }
    metrics.track(req, res, req.method);
    next();
  };
}
