// Under the V8 of Node 20 to 23, Express gives every request's `req` and `res` a hidden class of their own, so
// every property access on them misses V8's caches. With `shareHiddenClasses`, the middleware puts them in
// dictionary mode, whose hidden class all requests share (src/shared-hidden-class.ts), also when the application
// fills V8's cache of such classes with its own objects. By default it leaves them alone: the application's objects
// are its own. Checked with V8's %HaveSameMap and %HasFastProperties in a separate process, for Express 5 and 4, on
// every Node the tests run on; and that nothing of it shows: the same own properties, in the same order, as behind a
// middleware that only calls next().
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { UNIQUE_HIDDEN_CLASSES } from '../src/shared-hidden-class.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/hidden-classes.mjs', import.meta.url));
/** Requests whose objects the fixture compares: its 2nd to 21st. */
const COMPARED = 20;
/** How many hidden classes requests 2 to 21 of Express get by themselves: under V8 12 and earlier, one each. */
const PLAIN_CLASSES = UNIQUE_HIDDEN_CLASSES ? COMPARED : 1;

interface Seen {
  reqClasses: number;
  resClasses: number;
  reqFast: boolean;
  resFast: boolean;
  reqKeys: string[];
  resKeys: string[];
}

async function serve(expressModule: string, variant: 'next' | 'middleware' | 'opted-in', busy = false): Promise<Seen> {
  const args = ['--allow-natives-syntax', FIXTURE, expressModule, variant, ...(busy ? ['busy'] : [])];
  const { stdout } = await promisify(execFile)(process.execPath, args);
  return JSON.parse(stdout) as Seen;
}

const shape = ({ reqClasses, resClasses, reqFast, resFast }: Seen): Omit<Seen, 'reqKeys' | 'resKeys'> => ({ reqClasses, resClasses, reqFast, resFast });

describe.each(['express', 'express4'])('%s', (expressModule) => {
  it(`by default the middleware leaves the requests' objects as Express made them: their classes, fast properties`, async () => {
    const [plain, ours] = await Promise.all([serve(expressModule, 'next'), serve(expressModule, 'middleware')]);
    expect(shape(plain)).toEqual({ reqClasses: PLAIN_CLASSES, resClasses: PLAIN_CLASSES, reqFast: true, resFast: true });
    expect(shape(ours)).toEqual(shape(plain));
    expect(ours.reqKeys).toEqual(plain.reqKeys);
    expect(ours.resKeys).toEqual(plain.resKeys);
  });

  it(`with shareHiddenClasses the requests' objects share one hidden class (Node 20 to 23), and keep their properties`, async () => {
    const [plain, ours, oursBusy] = await Promise.all([serve(expressModule, 'next'), serve(expressModule, 'opted-in'), serve(expressModule, 'opted-in', true)]);
    // dictionary mode where V8 gives each request classes of its own; under V8 13 and later, nothing is done
    const expected = UNIQUE_HIDDEN_CLASSES ? { reqClasses: 1, resClasses: 1, reqFast: false, resFast: false } : shape(plain);
    expect(shape(ours)).toEqual(expected);
    // an application putting objects of 1024 prototypes in dictionary mode on every request changes nothing
    expect(shape(oursBusy)).toEqual(expected);
    for (const seen of [ours, oursBusy]) {
      expect(seen.reqKeys).toEqual(plain.reqKeys);
      expect(seen.resKeys).toEqual(plain.resKeys);
    }
  });
});
