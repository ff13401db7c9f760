// The Fastify plugin: records every request's duration, in-flight count and (on request) sizes into the shared
// heap, and answers GET /metrics with the metrics of every process. Wrapped with fastify-plugin, so its hooks see
// every route of the instance it is registered on, whatever the registration order of the routes.
import { RequestMetrics, metricsResponse, releaseWhenSent, resolveOptions, type HttpMetricsOptions } from '@mpmetrics/http';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

export type FastifyMetricsOptions = HttpMetricsOptions<FastifyRequest>;

declare module 'fastify' {
  interface FastifyInstance {
    /** The request metrics of @mpmetrics/fastify (duration histogram, in-flight gauge…). */
    mpmetrics: RequestMetrics<FastifyRequest>;
  }
}

/** What Fastify keeps under its route context symbol: the route's config, whose `url` is `routeOptions.url`. */
interface RouteContext {
  readonly config?: { readonly url?: string };
}

/**
 * Reads the route template Fastify matched, register prefixes included; undefined for a 404. `request.routeOptions`
 * is a getter that builds a 12-property object and asks the router about its constraint strategies at each read:
 * the same `url` is read from the route context it is built from, under Fastify's `Symbol('fastify.context')`, found
 * on the first request (per registration: two copies of Fastify have two such symbols); where a Fastify has no such
 * symbol, or its context has no url, the getter is used.
 */
function routeReader(): (request: FastifyRequest) => string | undefined {
  let contextKey: symbol | null | undefined;
  return (request) => {
    if (contextKey === undefined) contextKey = Object.getOwnPropertySymbols(request).find((key) => key.description === 'fastify.context') ?? null;
    if (contextKey === null) return request.routeOptions.url;
    // a context without the url (a 404, or a Fastify that keeps it elsewhere) asks the public getter, so a change of
    // Fastify's internals costs speed, never a wrong route label
    return (request as unknown as Record<symbol, RouteContext | undefined>)[contextKey]?.config?.url ?? request.routeOptions.url;
  };
}

// async, so a bad option rejects the registration (a thrown error in a callback plugin would hang it)
const plugin: FastifyPluginAsync<FastifyMetricsOptions> = async (fastify, options) => {
  const config = resolveOptions<FastifyRequest>('@mpmetrics/fastify', options);
  const routeOf = routeReader();
  const metrics = new RequestMetrics(config, routeOf);
  fastify.decorate('mpmetrics', metrics);
  const metricsPath = config.metricsPath;

  if (metricsPath !== false) {
    fastify.get(metricsPath, async (request, reply) => {
      const response = await metricsResponse(config.registry, request.headers.accept, config.reuseMetricsBuffer);
      // Fastify ends the raw response with the Buffer as it is (for HEAD, without it): 'finish' follows either way
      releaseWhenSent(reply.raw, response);
      return reply.type(response.contentType).send(response.body);
    });
  }

  // One hook: the response's 'close' records the request, answered or abandoned (an abandoned one is 499), so
  // neither onResponse nor onRequestAbort is needed. Headers are read from the reply, which keeps them. The
  // route is matched before onRequest, and read here once.
  fastify.addHook('onRequest', (request, reply, next) => {
    const route = routeOf(request);
    if (metricsPath === false || route !== metricsPath) metrics.track(request, reply.raw, request.raw.method!, reply, route);
    next();
  });
};

/** The plugin: `fastify.register(mpmetrics, options)`. Options are checked at registration, naming the option. */
export const mpmetrics = fp(plugin, { fastify: '5.x', name: '@mpmetrics/fastify' });
