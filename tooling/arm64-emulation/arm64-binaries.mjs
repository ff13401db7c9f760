// The arm64 Node binaries run.mjs resolved, in its order, handed to the vitest configs in MPMETRICS_ARM64_BINARIES.
/** @returns {[major: string, binary: string][]} */
export function arm64Binaries() {
  const json = process.env.MPMETRICS_ARM64_BINARIES;
  if (json === undefined) throw new Error('MPMETRICS_ARM64_BINARIES is not set: run these tests with `node run.mjs` (the package\'s test script)');
  return JSON.parse(json);
}
