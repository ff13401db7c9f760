// The node:cluster side of the integration scenario, for the framework fixtures (plain JavaScript: they run under
// `node` directly). The primary finds a free port, forks the workers on it and prints
// {"event":"listening","port":…} once all of them listen; SIGTERM stops them. A worker builds its app with
// `startWorker(port)`, which must resolve once it listens.
import cluster from 'node:cluster';
import net from 'node:net';
import process from 'node:process';

export async function runCluster(workers, startWorker) {
  if (!cluster.isPrimary) {
    await startWorker(Number(process.env.PORT));
    process.send({ event: 'listening' });
    return;
  }
  await import('@mpmetrics/core'); // makes the shared heap, whose MPMETRICS_DIR the workers inherit
  const probe = net.createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = probe.address().port;
  await new Promise((resolve) => probe.close(resolve));
  let listening = 0;
  for (let i = 0; i < workers; i++) {
    cluster.fork({ PORT: String(port) }).on('message', (message) => {
      if (message?.event === 'listening' && ++listening === workers) {
        process.stdout.write(`${JSON.stringify({ event: 'listening', port, pid: process.pid })}\n`);
      }
    });
  }
  process.on('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill();
    process.exit(0);
  });
}
