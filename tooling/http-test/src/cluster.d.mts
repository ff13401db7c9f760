/** Runs the primary (forks `workers` workers on a free port) or, in a worker, `startWorker(port)`. */
export function runCluster(workers: number, startWorker: (port: number) => Promise<void>): Promise<void>;
