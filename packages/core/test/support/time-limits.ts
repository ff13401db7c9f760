// How long a test waits for its child processes before it calls them hung: the given limit times
// MPMETRICS_TEST_TIME_SCALE (default 1). tooling/arm64-emulation runs some multi-process tests on arm64 Node under
// qemu, where a Node takes seconds to start (tens on a busy 2-core machine); these limits catch hangs, and no test's
// assertion about time goes through them.
function readScale(): number {
  const raw = process.env.MPMETRICS_TEST_TIME_SCALE;
  if (raw === undefined || raw === '') return 1;
  const scale = Number(raw);
  if (!Number.isFinite(scale) || scale < 1) throw new Error(`MPMETRICS_TEST_TIME_SCALE: expected a number of at least 1, got "${raw}"`);
  return scale;
}

const scale = readScale();

/** `ms`, stretched by MPMETRICS_TEST_TIME_SCALE. */
export function timeLimit(ms: number): number {
  return ms * scale;
}
