// Keys of internal methods, shared between our modules and not part of the public API (as fastify and undici keep
// theirs): code outside @mpmetrics/core cannot name them by accident.

/** GaugeChild: drops this process's own value in a per-process mode, so the process shows no sample for it. */
export const kForgetOwnValue = Symbol('mpmetrics.forgetOwnValue');
