// Under the V8 of Node 20 to 23, Express gives every request's `req` and `res` a hidden class of their own, so
// every property access on them misses V8's caches; the middleware puts them in dictionary mode, whose hidden class
// all requests share (src/shared-hidden-class.ts), also when the application fills V8's cache of such classes with
// its own objects. Checked with V8's own %HaveSameMap in a separate process, for Express 5 and 4, on every Node the
// tests run on; and that nothing of it shows: the same own properties, in the same order, as behind a middleware that
// only calls next().
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { UNIQUE_HIDDEN_CLASSES } from '../src/shared-hidden-class.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/hidden-classes.mjs', import.meta.url));
/** Requests whose objects the fixture compares: its 2nd to 21st. */
const COMPARED = 20;

interface Seen {
  reqClasses: number;
  resClasses: number;
  reqKeys: string[];
  resKeys: string[];
}

async function serve(expressModule: string, variant: 'next' | 'middleware', busy = false): Promise<Seen> {
  const args = ['--allow-natives-syntax', FIXTURE, expressModule, variant, ...(busy ? ['busy'] : [])];
  const { stdout } = await promisify(execFile)(process.execPath, args);
  return JSON.parse(stdout) as Seen;
}

const classes = ({ reqClasses, resClasses }: Seen): { reqClasses: number; resClasses: number } => ({ reqClasses, resClasses });

describe.each(['express', 'express4'])('%s', (expressModule) => {
  it(`the requests' objects share one hidden class behind the middleware, and keep their properties`, async () => {
    const [plain, ours, oursBusy] = await Promise.all([serve(expressModule, 'next'), serve(expressModule, 'middleware'), serve(expressModule, 'middleware', true)]);
    // what the middleware works around: under V8 12 and earlier, Express's objects have classes of their own
    const plainClasses = UNIQUE_HIDDEN_CLASSES ? COMPARED : 1;
    expect(classes(plain)).toEqual({ reqClasses: plainClasses, resClasses: plainClasses });
    expect(classes(ours)).toEqual({ reqClasses: 1, resClasses: 1 });
    // an application putting objects of 1024 prototypes in dictionary mode on every request changes nothing
    expect(classes(oursBusy)).toEqual({ reqClasses: 1, resClasses: 1 });
    for (const seen of [ours, oursBusy]) {
      expect(seen.reqKeys).toEqual(plain.reqKeys);
      expect(seen.resKeys).toEqual(plain.resKeys);
    }
  });
});
