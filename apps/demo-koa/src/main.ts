// Koa in forked children (child_process.fork), without node:cluster. The parent listens on PORT and hands each
// new connection to the next ready child over the IPC channel (child_process's documented socket passing: the
// round robin node:cluster does by default). It starts a new child when one dies, and stops them all on Ctrl-C.
// The children inherit MPMETRICS_DIR from the parent, so they record into one heap and any of them serves
// /metrics with the totals of all.
import { fork, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { DIR_ENV } from '@mpmetrics/core';
import { demoSettings, printBanner, supervise } from '@mpmetrics/demo-kit';

// Loading @mpmetrics/core made a private heap directory (MPMETRICS_DIR, inherited by the children), removed when
// this process exits.
const settings = demoSettings();

const ready: ChildProcess[] = [];
let next = 0;
const { ready: allReady } = supervise({
  name: 'demo-koa',
  workers: settings.workers,
  start: () => {
    const child = fork(new URL('./worker.js', import.meta.url));
    child.on('message', (message) => message === 'ready' && ready.push(child));
    child.once('exit', () => {
      const at = ready.indexOf(child);
      if (at >= 0) ready.splice(at, 1);
    });
    return child;
  },
});

// pauseOnConnect: the parent never reads from a connection, the child that gets it does.
const server = net.createServer({ pauseOnConnect: true }, (socket) => {
  const child = ready[next++ % Math.max(ready.length, 1)];
  if (child === undefined) return socket.destroy(); // no child alive at this instant: the client retries
  child.send('socket', socket, (error) => error && socket.destroy());
});
await allReady;
await new Promise<void>((resolve, reject) => server.listen(settings.port, settings.host, resolve).once('error', reject));
printBanner(`Koa, ${settings.workers} forked children`, `http://${settings.host}:${settings.port}`, process.env[DIR_ENV]);
