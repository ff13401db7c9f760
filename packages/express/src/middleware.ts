// The Express middleware: records every request's duration, in-flight count and (on request) sizes into the
// shared heap, and answers GET /metrics with the metrics of every process. Install it before your routes.
import { RequestMetrics, booleanOption, metricsResponse, releaseWhenSent, resolveOptions, type HttpMetricsOptions } from '@mpmetrics/http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { routeTemplateOf } from './route-template.js';
import { hiddenClassSharing } from './shared-hidden-class.js';

export interface ExpressMetricsOptions extends HttpMetricsOptions<Request> {
  /**
   * Under Node 20 to 23, put every request's `req` and `res` in V8's dictionary mode, which makes Express itself
   * cheaper there (src/shared-hidden-class.ts). It changes your application's objects, not only ours, and relies
   * on how a V8 cache behaves: so it is off unless asked for. Does nothing under Node 24 and later. Default: false.
   */
  shareHiddenClasses?: boolean;
}

const PACKAGE = '@mpmetrics/express';

/** Makes the middleware. Options are checked here: a mistake throws now, naming the option. */
export function metricsMiddleware(options?: ExpressMetricsOptions): RequestHandler {
  const config = resolveOptions<Request>(PACKAGE, options, ['shareHiddenClasses']);
  // checked before the metrics are registered, so that a refused option leaves nothing behind
  const shareHiddenClasses = booleanOption(PACKAGE, options, 'shareHiddenClasses') ? hiddenClassSharing() : undefined;
  const metrics = new RequestMetrics(config, routeTemplateOf);
  const metricsPath = config.metricsPath;

  return function mpmetricsMiddleware(req: Request, res: Response, next: NextFunction): void {
    // only when asked for (it changes the application's objects); first, so that every access after it hits V8's caches
    if (shareHiddenClasses !== undefined) shareHiddenClasses(req, res);
    // req.url first (a plain property; req.path parses it): the path is a prefix of the URL
    if (metricsPath !== false && req.url.startsWith(metricsPath) && req.path === metricsPath && (req.method === 'GET' || req.method === 'HEAD')) {
      metricsResponse(config.registry, req.headers.accept, config.reuseMetricsBuffer).then(
        (response) => {
          res.setHeader('Content-Type', response.contentType);
          if (req.method === 'HEAD') {
            response.release(); // no body is sent
            res.end();
          } else {
            releaseWhenSent(res, response);
            res.end(response.body);
          }
        },
        (error: unknown) => next(error),
      );
      return;
    }
    metrics.track(req, res, req.method);
    next();
  };
}
