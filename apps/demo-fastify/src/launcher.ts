// Starts WORKERS unrelated `node dist/server.js` processes, as PM2 cluster mode would: they share nothing but the
// MPMETRICS_DIR they are given (a directory this launcher makes and removes, unless you name one). Instance i
// listens on PORT+i: Node 20 cannot share a port between unrelated processes (the `reusePort` listen option,
// SO_REUSEPORT, came in Node 22.12 and 23.1; on 20 the second listen fails with EADDRINUSE), and each instance
// answers /metrics with the totals of all, so Prometheus scrapes any one of them. Like PM2, the launcher starts a
// new process when one dies, and stops them all on Ctrl-C.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { demoSettings, printBanner, supervise } from '@mpmetrics/demo-kit';

// Not imported from @mpmetrics/core: loading it would make this process a private heap of its own.
const DIR_ENV = 'MPMETRICS_DIR';
const settings = demoSettings();
const given = process.env[DIR_ENV];
const dir = given || fs.mkdtempSync(path.join(os.tmpdir(), 'mpmetrics-demo-fastify-'));
const server = fileURLToPath(new URL('./server.js', import.meta.url));

const { ready } = supervise({
  name: 'demo-fastify',
  workers: settings.workers,
  start: (i) =>
    spawn(process.execPath, [server], {
      env: { ...process.env, [DIR_ENV]: dir, PORT: String(settings.port + i) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'], // IPC only to hear 'ready', as PM2's wait_ready does
    }),
  onStopped: () => given || fs.rmSync(dir, { recursive: true, force: true }),
});
await ready;
const last = settings.port + settings.workers - 1;
printBanner(`Fastify, ${settings.workers} unrelated processes on ports ${settings.port}-${last}, one MPMETRICS_DIR`, `http://${settings.host}:${settings.port}`, dir);
