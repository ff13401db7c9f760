// Express under node:cluster. The primary only supervises: it forks WORKERS workers that share PORT (the cluster
// module hands connections to them in turn), starts a new one when one dies, and stops them all on Ctrl-C.
// Every worker records its requests into the one metrics heap, so GET /metrics shows the totals of all of them,
// whichever worker answers, and a killed worker's counts stay.
import cluster from 'node:cluster';
import { DIR_ENV } from '@mpmetrics/core';
import { demoSettings, printBanner, supervise } from '@mpmetrics/demo-kit';
import { startWorker } from './app.js';

const settings = demoSettings();

if (cluster.isPrimary) {
  // Loading @mpmetrics/core made a private heap directory and put it in MPMETRICS_DIR, which the workers inherit;
  // it is removed when this process exits.
  const { ready } = supervise({ name: 'demo-express', workers: settings.workers, start: () => cluster.fork().process });
  await ready;
  printBanner(`Express, node:cluster with ${settings.workers} workers`, `http://${settings.host}:${settings.port}`, process.env[DIR_ENV]);
} else {
  await startWorker(settings);
}
