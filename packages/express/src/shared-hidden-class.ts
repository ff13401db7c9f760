// Gives Express's per-request `req` and `res` one hidden class for all requests, under the V8 of Node 20 to 23.
//
// Express sets the prototypes of `req` and `res` on every request, then adds properties to them (`res.locals`, the
// router's `req.next`). That V8 makes a new hidden class for a property added to an object whose prototype was
// changed, every time: each request's objects get classes of their own, and every property access on them (by
// Express, by Node's HTTP code, by this middleware) misses V8's inline and megamorphic caches. An object in
// dictionary mode ("slow properties") has a hidden class shared by all its like, so the caches hit again. Adding two
// properties and deleting the first puts an object in dictionary mode (deleting the last one added would only step
// back to the previous class); deleting the second leaves nothing behind: same properties, same order, same values.
// Counted in instructions (docs/BENCHMARKS.md), a request to an Express 5 app costs 37% less under Node 20 and 21%
// less under Node 22 once its `req` and `res` are treated so. The V8 of Node 24 shares the hidden class by itself,
// and there dictionary mode costs more (48% more a request): left alone.

/** Whether this V8 gives each Express request's objects a hidden class of their own (V8 12 and earlier: Node ≤ 23). */
export const UNIQUE_HIDDEN_CLASSES = Number.parseInt(process.versions.v8, 10) <= 12;

const FIRST = Symbol('mpmetrics.dictionaryMode.first');
const SECOND = Symbol('mpmetrics.dictionaryMode.second');

/** Puts `object` in dictionary mode, leaving its properties as they were. */
export function shareHiddenClass(object: object): void {
  const properties = object as Record<symbol, undefined>;
  properties[FIRST] = undefined;
  properties[SECOND] = undefined;
  delete properties[FIRST];
  delete properties[SECOND];
}
