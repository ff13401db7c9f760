// The parent side of every demo: keeps WORKERS processes running, starts a new one when one dies (a counter must
// not lose what a dead worker counted: the demo lets you check), and on Ctrl-C (SIGINT) or SIGTERM stops them
// all, waits for them, and only then exits, so that the heap directory made for this run is removed.
import type { ChildProcess } from 'node:child_process';
import { SUPERVISED_ENV } from './worker.js';

export interface SupervisorOptions {
  /** How the demo names itself in what it prints, e.g. "demo-express". */
  readonly name: string;
  readonly workers: number;
  /** Starts worker `index` (0-based; a replacement gets the index of the one it replaces). */
  start(index: number): ChildProcess;
  /** Runs once every worker has exited after a stop signal, just before this process exits. */
  onStopped?(): void;
}

export interface Supervisor {
  /** Resolves when each of the first WORKERS workers has said it is ready. */
  readonly ready: Promise<void>;
}

/** How long stopped workers get to finish their requests before they are killed. */
const STOP_GRACE_MS = 5000;
/** A worker that dies sooner than this after its start is restarted after this delay, not at once. */
const CRASH_LOOP_MS = 1000;

export function supervise(options: SupervisorOptions): Supervisor {
  const { name } = options;
  process.env[SUPERVISED_ENV] = '1'; // inherited by the workers: Ctrl-C reaches them too, but we decide
  const live = new Set<ChildProcess>();
  const firstReady = new Set<number>();
  let stopping = false;
  let resolveReady!: () => void;
  const ready = new Promise<void>((resolve) => (resolveReady = resolve));

  const start = (index: number): void => {
    const startedAt = Date.now();
    const child = options.start(index);
    live.add(child);
    let ready = false;
    child.on('message', (message) => {
      if (message !== 'ready') return;
      ready = true;
      console.log(`${name}: worker ${child.pid} ready`);
      firstReady.add(index);
      if (firstReady.size === options.workers) resolveReady();
    });
    child.once('exit', (code, signal) => {
      live.delete(child);
      if (stopping) return;
      const how = signal === null ? `exit code ${code}` : signal;
      if (!ready && firstReady.size < options.workers) {
        // a first worker that cannot start (port in use, a bad setting) will not do better the next time
        console.error(`${name}: worker ${child.pid} died (${how}) before it was ready; see its error above`);
        process.exitCode = 1;
        return stop('a worker could not start');
      }
      const delay = Date.now() - startedAt < CRASH_LOOP_MS ? CRASH_LOOP_MS : 0;
      console.log(`${name}: worker ${child.pid} died (${how}); starting another${delay > 0 ? ` in ${delay} ms` : ''}`);
      setTimeout(() => stopping || start(index), delay);
    });
  };

  const stop = (reason: string): void => {
    if (stopping) {
      console.log(`${name}: ${reason} again: killing the workers`);
      for (const child of live) child.kill('SIGKILL');
      return;
    }
    stopping = true;
    console.log(`\n${name}: ${reason}: stopping ${live.size} workers`);
    const killer = setTimeout(() => {
      for (const child of live) child.kill('SIGKILL');
    }, STOP_GRACE_MS);
    const finish = (): void => {
      if (live.size > 0) return;
      clearTimeout(killer);
      options.onStopped?.();
      console.log(`${name}: stopped`);
      process.exit(); // with process.exitCode: 1 if a worker could not start
    };
    for (const child of live) {
      child.once('exit', finish);
      child.kill('SIGTERM');
    }
    finish();
  };

  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  for (let i = 0; i < options.workers; i++) start(i);
  return { ready };
}
