// Gives Express's per-request `req` and `res` one hidden class for all requests, under the V8 of Node 20 to 23, when
// the application asks for it (the middleware's `shareHiddenClasses` option, off by default): it changes the
// application's objects, not only ours, and rests on how one V8 cache behaves, which no V8 release promises.
//
// Express sets the prototypes of `req` and `res` on every request, then adds properties to them (`res.locals`, the
// router's `req.next`). That V8 makes a new hidden class for a property added to an object whose prototype was
// changed, every time: each request's objects get classes of their own, and every property access on them (by
// Express, by Node's HTTP code, by this middleware) misses V8's inline and megamorphic caches. An object in
// dictionary mode ("slow properties") has a hidden class shared by all its like, so the caches hit again. Adding two
// properties and deleting the first puts an object in dictionary mode (deleting the last one added would only step
// back to the previous class); deleting the second leaves nothing behind: same properties, same order, same values.
// That makes a request to Express 5 much cheaper under Node 20 and 22. The V8 of Node 24 shares the hidden class by
// itself, and there dictionary mode costs more: left alone. Counts: docs/benchmarks-journal.md, "Express's hidden
// classes shared by the middleware".
//
// V8 finds the shared dictionary-mode class in a small cache of its context, one entry per hash of the object's
// prototype. Where the entries of `req` and `res` coincide (in some processes, depending on V8's random seed: see
// test/fixtures/hidden-classes.mjs), each evicts the other and every request gets classes of its own again.
// So each of them is put in dictionary mode by a function of a V8 context of its own (node:vm), whose cache serves
// that object alone: about 150 KiB of memory for each of the two contexts, made once per process.
import vm from 'node:vm';

/** Whether this V8 gives each Express request's objects a hidden class of their own (V8 12 and earlier: Node ≤ 23). */
export const UNIQUE_HIDDEN_CLASSES = Number.parseInt(process.versions.v8, 10) <= 12;

/** Puts an object in dictionary mode, leaving its properties as they were. */
type ToDictionaryMode = (object: object) => void;

const TO_DICTIONARY_MODE = `(() => {
  const first = Symbol('mpmetrics.dictionaryMode.first');
  const second = Symbol('mpmetrics.dictionaryMode.second');
  return function toDictionaryMode(object) {
    object[first] = undefined;
    object[second] = undefined;
    delete object[first];
    delete object[second];
  };
})()`;

/** Puts a request's `req` and `res` in dictionary mode. */
export type ShareHiddenClasses = (req: object, res: object) => void;

let shared: ShareHiddenClasses | undefined;

/** The function that gives requests' objects shared hidden classes, or undefined where V8 shares them by itself. */
export function hiddenClassSharing(): ShareHiddenClasses | undefined {
  if (!UNIQUE_HIDDEN_CLASSES) return undefined;
  if (shared === undefined) {
    const forReq = vm.runInNewContext(TO_DICTIONARY_MODE) as ToDictionaryMode;
    const forRes = vm.runInNewContext(TO_DICTIONARY_MODE) as ToDictionaryMode;
    shared = (req, res) => {
      forReq(req);
      forRes(res);
    };
  }
  return shared;
}
