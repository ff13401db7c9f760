// The package ships an ESM build and a CommonJS build (CommonJS jest suites cannot load ESM on Node 20 and 22).
// An app can load both at once; the copies must still agree: one addon per process, and `instanceof` on our error
// classes across copies, by their Symbol.for brand.
import { afterEach, expect, it } from 'vitest';
import { fixture, killChildren, runChild } from './fixtures/lifetime-processes.js';

afterEach(killChildren);

it('loads both builds in one process, on one addon, with error brands that hold across the copies', async () => {
  const run = await runChild(fixture('dual-builds.mjs'), []);
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
  expect(run.json[0]).toEqual({
    sameExports: true,
    twoCopies: true,
    sameAddon: true,
    typeError: { MpmetricsError: true, MpmetricsTypeError: true, MpmetricsRangeError: false, code: 'MPM_ERR_INVALID_ARG_TYPE' },
    rangeError: { MpmetricsError: true, MpmetricsTypeError: false, MpmetricsRangeError: true, code: 'MPM_ERR_OUT_OF_RANGE' },
    heapError: { MpmetricsError: true, MpmetricsTypeError: false, MpmetricsRangeError: false, code: 'MPM_ERR_HEAP_CLOSED' },
    plainTypeError: false,
  });
});
