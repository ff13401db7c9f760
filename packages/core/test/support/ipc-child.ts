// A forked fixture process that answers requests: it sends { ready, dir } once, then answers each { id, ...op }
// with { id, reply } or { id, error, code }. Messages use the 'advanced' serialization, so NaN, -0 and
// BigInt survive the trip.
import { fork, type ChildProcess } from 'node:child_process';

export interface IpcChild {
  readonly proc: ChildProcess;
  request<T>(op: Record<string, unknown>): Promise<T>;
  stop(): void;
}

/** An error a fixture reported, with the `code` of the error it caught. */
export class FixtureError extends Error {
  readonly code: string | undefined;
  constructor(message: string, code: string | undefined) {
    super(message);
    this.code = code;
  }
}

/** Forks `script` on the heap directory `dir` (as MPMETRICS_DIR) and waits until it is ready. */
export function startIpcChild(script: string, dir: string): Promise<IpcChild> {
  const proc = fork(script, [], {
    execPath: process.execPath,
    execArgv: [],
    env: { ...process.env, MPMETRICS_DIR: dir },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  let nextId = 0;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  return new Promise((resolve, reject) => {
    proc.on('error', reject);
    proc.on('exit', (code, signal) => {
      const error = new Error(`${script} exited with ${code ?? signal}`);
      for (const p of pending.values()) p.reject(error);
      pending.clear();
      reject(error);
    });
    proc.on('message', (message: { ready?: boolean; dir?: string; id?: number; reply?: unknown; error?: string; code?: string }) => {
      if (message.ready === true) {
        if (message.dir !== dir) reject(new Error(`${script} uses heap directory ${message.dir}, not ${dir}`));
        resolve({
          proc,
          request<T>(op: Record<string, unknown>): Promise<T> {
            const id = nextId++;
            return new Promise<T>((res, rej) => {
              pending.set(id, { resolve: res as (v: unknown) => void, reject: rej });
              proc.send({ id, ...op });
            });
          },
          stop() {
            if (proc.connected) proc.disconnect();
            proc.kill();
          },
        });
        return;
      }
      const p = pending.get(message.id!);
      if (p === undefined) return;
      pending.delete(message.id!);
      if (message.error !== undefined) p.reject(new FixtureError(message.error, message.code));
      else p.resolve(message.reply);
    });
  });
}
