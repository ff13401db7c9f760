// One server of the HTTP benchmark under node:cluster with 2 workers (argv: framework, variant). The primary finds
// a free port, forks the workers and prints {"port", "pids"} (itself and the workers) once they all listen.
import cluster from 'node:cluster';
import net from 'node:net';
import process from 'node:process';
import { startApp, type Framework, type Variant } from './apps.js';

const [framework, variant] = process.argv.slice(2) as [Framework, Variant];
const WORKERS = 2;

if (cluster.isPrimary) {
  await import('@mpmetrics/core'); // the heap the workers share (MPMETRICS_DIR)
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  const pids: number[] = [process.pid];
  for (let i = 0; i < WORKERS; i++) {
    const worker = cluster.fork({ BENCH_PORT: String(port) });
    worker.on('message', () => {
      pids.push(worker.process.pid!);
      if (pids.length === WORKERS + 1) process.stdout.write(`${JSON.stringify({ port, pids })}\n`);
    });
  }
  process.on('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill();
    process.exit(0);
  });
} else {
  await startApp(framework, variant, Number(process.env.BENCH_PORT));
  process.send!('listening');
}
