// The Fastify plugin: records every request's duration, in-flight count and (on request) sizes into the shared
// heap, and answers GET /metrics with the metrics of every process. Wrapped with fastify-plugin, so its hooks see
// every route of the instance it is registered on, whatever the registration order of the routes.
import { CLIENT_CLOSED_REQUEST, RequestMetrics, contentLength, metricsResponse, resolveOptions, type HttpMetricsOptions } from '@mpmetrics/http';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

export type FastifyMetricsOptions = HttpMetricsOptions<FastifyRequest>;

declare module 'fastify' {
  interface FastifyInstance {
    /** The request metrics of @mpmetrics/fastify (duration histogram, in-flight gauge…). */
    mpmetrics: RequestMetrics<FastifyRequest>;
  }
}

const START = Symbol('mpmetrics.start');
const DONE = Symbol('mpmetrics.done');

interface Timed {
  [START]?: number;
  [DONE]?: boolean;
}

// async, so a bad option rejects the registration (a thrown error in a callback plugin would hang it)
const plugin: FastifyPluginAsync<FastifyMetricsOptions> = async (fastify, options) => {
  const config = resolveOptions<FastifyRequest>('@mpmetrics/fastify', options);
  const metrics = new RequestMetrics(config);
  fastify.decorate('mpmetrics', metrics);
  const metricsPath = config.metricsPath;

  if (metricsPath !== false) {
    fastify.get(metricsPath, async (request, reply) => {
      const { contentType, body } = await metricsResponse(config.registry, request.headers.accept);
      return reply.type(contentType).send(body);
    });
  }

  const record = (request: FastifyRequest, statusCode: number, responseBytes: number | undefined): void => {
    const timed = request as Timed;
    if (timed[START] === undefined || timed[DONE] === true) return;
    timed[DONE] = true;
    metrics.end(timed[START], request, request.method, request.routeOptions.url, statusCode, contentLength(request.headers['content-length']), responseBytes);
  };

  fastify.addHook('onRequest', (request, _reply, next) => {
    if ((metricsPath === false || request.routeOptions.url !== metricsPath) && metrics.records(request.method)) {
      (request as Timed)[START] = metrics.begin();
    }
    next();
  });
  fastify.addHook('onResponse', (request, reply, next) => {
    record(request, reply.statusCode, contentLength(reply.getHeader('content-length')));
    next();
  });
  fastify.addHook('onRequestAbort', (request, next) => {
    record(request, CLIENT_CLOSED_REQUEST, undefined);
    next();
  });
};

/** The plugin: `fastify.register(mpmetrics, options)`. Options are checked at registration, naming the option. */
export const mpmetrics = fp(plugin, { fastify: '5.x', name: '@mpmetrics/fastify' });
