// The worker side of every demo: say when it serves, and stop cleanly when told.
import type { Server } from 'node:http';

/** Set by the supervisor for its workers. */
export const SUPERVISED_ENV = 'MPMETRICS_DEMO_SUPERVISED';

/**
 * Tells the parent that this worker serves: our supervisor, or PM2 (`wait_ready: true` waits for this message).
 * From then on SIGTERM closes `server` and exits. SIGINT does too, unless a supervisor started us: Ctrl-C in a
 * terminal reaches every process of the group, and the supervisor stops its workers itself, in order. A supervised
 * worker whose parent is gone (killed with SIGKILL) exits rather than serve on alone.
 */
export function workerReady(server: Server): void {
  const stop = (): void => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', stop);
  if (process.env[SUPERVISED_ENV] === '1') {
    process.on('SIGINT', () => {});
    process.on('disconnect', () => process.exit(0));
  } else {
    process.on('SIGINT', stop);
  }
  process.send?.('ready');
}
