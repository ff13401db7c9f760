// One server of the HTTP benchmark under node:cluster with 2 workers (argv: framework, variant). The workers listen
// on port 0, which the primary turns into one port for both; it prints {"port", "pids"} (itself and the workers)
// once they all listen.
import cluster from 'node:cluster';
import process from 'node:process';
import { startApp, type Framework, type Variant } from './apps.js';

const [framework, variant] = process.argv.slice(2) as [Framework, Variant];
const WORKERS = 2;

if (cluster.isPrimary) {
  await import('@mpmetrics/core'); // the heap the workers share (MPMETRICS_DIR)
  const pids: number[] = [process.pid];
  const ports = new Set<number>();
  for (let i = 0; i < WORKERS; i++) {
    const worker = cluster.fork();
    worker.on('message', (port: number) => {
      pids.push(worker.process.pid!);
      ports.add(port);
      if (pids.length === WORKERS + 1) {
        if (ports.size !== 1) throw new Error(`${framework}/${variant}: the workers listen on different ports (${[...ports].join(', ')})`);
        process.stdout.write(`${JSON.stringify({ port, pids })}\n`);
      }
    });
  }
  process.on('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill();
    process.exit(0);
  });
} else {
  process.send!(await startApp(framework, variant, 0));
}
