// The route template of an Express request, with the paths its routers are mounted at: `/api/users/:id`.
//
// Express keeps the matched Route on `req.route`, but only the route's own path: the mount prefix is in
// `req.baseUrl`, which holds the matched text (`/orgs/acme`, not `/orgs/:org`) and is reset to the parent's when an
// error leaves a mounted router. So the template is found once per Route, by walking the application's router tree
// to that Route and joining the mount paths on the way, and the application's own mount path for a sub-application.
// A mount path is `layer.rawPath` (router 2.3 and later, which Express 5 installs) or, in Express 4, read back from
// the layer's regular expression when the mount path is plain text and required parameters (`/orgs/:org`). When
// the walk cannot tell (an optional parameter or a RegExp mount path in Express 4 or router < 2.3, a router mounted
// at two places), the route is `req.baseUrl` + the route's path, as express-prom-bundle records it.
import type { Application, Request } from 'express';

interface RouteLike {
  readonly path: unknown;
}

interface LayerLike {
  readonly route?: RouteLike;
  readonly handle?: { readonly stack?: unknown };
  /** The mount path as given (router 2.3+). */
  readonly rawPath?: unknown;
  /** Express 4: the path compiled by path-to-regexp 0.1, and its parameters. */
  readonly regexp?: RegExp & { fast_slash?: boolean };
  readonly keys?: readonly unknown[];
}

/** What path-to-regexp 0.1 (Express 4) makes of a plain mount path: `^\/api\/?(?=\/|$)`. */
const LEGACY_PLAIN_MOUNT = /^\^((?:\\.|[^\\()[\]{}|?*+^$])*)\\\/\?\(\?=\\\/\|\$\)$/;
/** ... and of a required parameter in it (`/:org`): `(?:\/([^/]+?))`. */
const LEGACY_PARAMETER = /\(\?:\\\/\(\[\^\/\]\+\?\)\)(?!\?)/g;

/** Where a Route sits: its template, or null when the walk could not tell. Per Route, for the process's life. */
const templates = new WeakMap<RouteLike, string | null>();

/** The route template of a finished request; undefined when no route matched. */
export function routeTemplateOf(req: Request): string | undefined {
  const route = req.route as RouteLike | undefined;
  if (route === undefined) return undefined;
  let template = templates.get(route);
  if (template === undefined) {
    template = findTemplate(req.app, route);
    templates.set(route, template);
  }
  return template ?? `${req.baseUrl}${pathText(route.path)}`;
}

function findTemplate(app: Application, route: RouteLike): string | null {
  const found: (string | null)[] = [];
  walk(routerStack(app), route, mountPathOf(app), found);
  return found.length === 1 ? found[0]! : null;
}

/** Collects the template of every place `target` is found under `stack`; null where a mount path is unknown. */
function walk(stack: readonly LayerLike[] | undefined, target: RouteLike, prefix: string | null, found: (string | null)[]): void {
  if (stack === undefined) return;
  for (const layer of stack) {
    if (layer.route !== undefined) {
      if (layer.route === target) found.push(prefix === null ? null : `${prefix}${pathText(target.path)}`);
      continue;
    }
    const nested = layer.handle?.stack;
    if (!Array.isArray(nested)) continue;
    const mount = mountPathOfLayer(layer);
    walk(nested as LayerLike[], target, prefix === null || mount === null ? null : `${prefix}${mount}`, found);
  }
}

/** The text a layer is mounted at, without a trailing slash; null when it is not plain text. */
function mountPathOfLayer(layer: LayerLike): string | null {
  if (typeof layer.rawPath === 'string') return trimSlash(layer.rawPath);
  const regexp = layer.regexp;
  const keys = layer.keys;
  if (regexp === undefined || keys === undefined) return null;
  if (regexp.fast_slash === true) return '';
  let parameters = 0;
  const source = regexp.source.replace(LEGACY_PARAMETER, () => `\\/:${(keys[parameters++] as { name?: unknown } | undefined)?.name}`);
  if (parameters !== keys.length) return null;
  const plain = LEGACY_PLAIN_MOUNT.exec(source);
  return plain === null ? null : trimSlash(plain[1]!.replace(/\\(.)/g, '$1'));
}

/** The app's router stack: `app.router` in Express 5, `app._router` in Express 4 (whose `app.router` throws). */
function routerStack(app: Application): readonly LayerLike[] | undefined {
  const legacy = (app as { _router?: { stack?: LayerLike[] } })._router;
  if (legacy !== undefined) return legacy.stack;
  const router = (app as { router?: { stack?: LayerLike[] } }).router;
  return router?.stack;
}

/** A sub-application's mount path (through its parents), '' for the main application; null when not a string. */
function mountPathOf(app: Application): string | null {
  let prefix = '';
  type Mounted = { readonly mountpath?: unknown; readonly parent?: Mounted };
  for (let current: Mounted | undefined = app as Mounted; current?.parent !== undefined; current = current.parent) {
    if (typeof current.mountpath !== 'string') return null;
    prefix = `${trimSlash(current.mountpath)}${prefix}`;
  }
  return prefix;
}

function trimSlash(path: string): string {
  return path.endsWith('/') ? path.slice(0, -1) : path;
}

function pathText(path: unknown): string {
  return typeof path === 'string' ? path : String(path);
}
