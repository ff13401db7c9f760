// A bounded pool for jobs that each start a child process: as many at once as there are cores, no more, so that
// the children do not queue for CPUs behind each other.

/** Runs `jobs` with at most `parallel` at once; the results are in the jobs' order. */
export async function inParallel<T>(jobs: (() => Promise<T>)[], parallel: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, jobs.length) }, worker));
  return results;
}
