// The environment for a benchmark server started as a child process: this one's, without MPMETRICS_DIR, so that the
// child opens a heap of its own instead of the bench run's.

export function ownHeapEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.MPMETRICS_DIR;
  return env;
}
