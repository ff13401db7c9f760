// What the shared heap's code calls (location.ts, heap-file.ts): the addon, or where it did not load, a stand-in
// that says why. Whether it loaded is asked of addon.ts.
import type { MpmetricsError } from '../errors.js';
import { native, nativeFailure, type NativeBinding } from './addon.js';

export type { NativeBinding } from './addon.js';

const kStandIn = Symbol.for('mpmetrics.missingBinding');

/**
 * Where the addon did not load: an object of the same shape whose every function throws MPM_ERR_NATIVE_LOAD, for
 * the code that only runs for a shared heap (location.ts). One per thread, kept on globalThis, because
 * default-heap.ts keeps the thread's default heap on it, as it does on the addon's exports (one per thread).
 */
function missingBinding(failure: MpmetricsError): NativeBinding {
  const scope = globalThis as { [kStandIn]?: NativeBinding };
  if (scope[kStandIn] !== undefined) return scope[kStandIn];
  const fail = (): never => {
    throw failure;
  };
  return (scope[kStandIn] = {
    open: fail,
    close: fail,
    map: fail,
    allocate: fail,
    extend: fail,
    lock: fail,
    unlock: fail,
    isLocked: fail,
    pageSize: fail,
    processDirectory: fail,
    removeAtExit: fail,
    removeWithThread: fail,
    abiVersion: 0,
  });
}

/** The addon, or where it did not load, a stand-in that throws why (see missingBinding). */
export const binding: NativeBinding = native ?? missingBinding(nativeFailure!);
