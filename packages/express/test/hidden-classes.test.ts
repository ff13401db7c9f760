// Under the V8 of Node 20 to 23, Express gives every request's `req` and `res` a hidden class of their own, so
// every property access on them misses V8's caches; the middleware puts them in dictionary mode, whose hidden class
// all requests share (src/shared-hidden-class.ts). Checked with V8's own %HaveSameMap in a separate process, for
// Express 5 and 4, on every Node the tests run on; and that nothing of it shows: the same own properties, in the
// same order, as behind a middleware that only calls next().
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { UNIQUE_HIDDEN_CLASSES } from '../src/shared-hidden-class.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/hidden-classes.mjs', import.meta.url));

interface Seen {
  sameReqClass: boolean;
  sameResClass: boolean;
  reqKeys: string[];
  resKeys: string[];
}

async function serve(expressModule: string, variant: 'next' | 'middleware'): Promise<Seen> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--allow-natives-syntax', FIXTURE, expressModule, variant]);
  return JSON.parse(stdout) as Seen;
}

describe.each(['express', 'express4'])('%s', (expressModule) => {
  it(`the requests' objects share one hidden class behind the middleware, and keep their properties`, async () => {
    const [plain, ours] = await Promise.all([serve(expressModule, 'next'), serve(expressModule, 'middleware')]);
    // what the middleware works around: under V8 12 and earlier, Express's objects have classes of their own
    expect({ sameReqClass: plain.sameReqClass, sameResClass: plain.sameResClass }).toEqual({ sameReqClass: !UNIQUE_HIDDEN_CLASSES, sameResClass: !UNIQUE_HIDDEN_CLASSES });
    expect({ sameReqClass: ours.sameReqClass, sameResClass: ours.sameResClass }).toEqual({ sameReqClass: true, sameResClass: true });
    expect(ours.reqKeys).toEqual(plain.reqKeys);
    expect(ours.resKeys).toEqual(plain.resKeys);
  });
});
