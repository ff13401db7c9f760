// The route template of an Express request, with its mount prefixes ("/api" + "/users/:id"). Express sets
// `req.route` when a route matches, while `req.baseUrl` still holds the prefix of the router it is in; by the time
// the response is finished, an error handler may have run and the prefix is gone. So an accessor on Express's
// base request prototype notes the template at the moment the route is set, and keeps `req.route` as it was.
import express from 'express';

const ROUTE = Symbol('mpmetrics.route');
const TEMPLATE = Symbol('mpmetrics.routeTemplate');

interface Noted {
  [ROUTE]?: unknown;
  [TEMPLATE]?: string;
  baseUrl?: string;
}

let watching = false;

/** Makes every Express request (of any app) note its route template when its route is set. Idempotent. */
export function watchRouteTemplates(): void {
  if (watching) return;
  watching = true;
  Object.defineProperty(express.request, 'route', {
    configurable: true,
    enumerable: true,
    get(this: Noted): unknown {
      return this[ROUTE];
    },
    set(this: Noted, route: { path?: unknown } | undefined) {
      this[ROUTE] = route;
      if (route !== undefined && route !== null) {
        const path = typeof route.path === 'string' ? route.path : String(route.path);
        this[TEMPLATE] = (this.baseUrl ?? '') + path;
      }
    },
  });
}

/** The noted template, or undefined if no route matched. */
export function routeTemplateOf(request: object): string | undefined {
  return (request as Noted)[TEMPLATE];
}
