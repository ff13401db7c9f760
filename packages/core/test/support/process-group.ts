// Child processes for the multi-process heap tests: started with this Node in a process group of their own (so
// killing one also kills the cluster workers it started), always awaited with a time limit, and SIGKILLed by an
// afterEach hook when a test ends while they still run. A child may print JSON-line events ({"event": …}) and
// send IPC messages; both are collected.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { afterEach } from 'vitest';
import { timeLimit } from './time-limits.js';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export type Event = { event: string; pid: number } & Record<string, unknown>;

export interface Child {
  readonly name: string;
  readonly proc: ChildProcess;
  /** The JSON lines (starting with `{`) the child printed, in order. */
  readonly events: Event[];
  /** The IPC messages the child sent, in order. */
  readonly messages: unknown[];
  exited: boolean;
  /** The first event named `event`, waiting for it at most `ms` (scaled: time-limits.ts; then the child is killed). */
  waitFor(event: string, ms: number): Promise<Event>;
  /** Resolves when the child has exited and its output is complete; after `ms` (scaled), kills it and rejects. */
  finish(ms: number): Promise<Exit>;
  /** SIGKILLs the child's whole process group. */
  kill(): void;
}

const running = new Set<Child>();

afterEach(() => {
  for (const child of running) child.kill();
  running.clear();
});

function track(name: string, proc: ChildProcess): Child {
  let stdout = '';
  let stderr = '';
  let pending = '';
  const events: Event[] = [];
  const messages: unknown[] = [];
  const listeners = new Set<() => void>();
  proc.stdout?.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    stdout += text;
    pending += text;
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      if (line.startsWith('{')) events.push(JSON.parse(line) as Event);
    }
    for (const listener of listeners) listener();
  });
  proc.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  proc.on('message', (message) => messages.push(message));
  // Set on 'close', which comes after every byte of output has been read ('exit' can come before the last lines).
  let outputEnded = false;
  const closed = new Promise<Exit>((resolve, reject) => {
    proc.on('error', reject);
    proc.on('close', (code, signal) => {
      outputEnded = true;
      resolve({ code, signal, stdout, stderr });
      for (const listener of listeners) listener();
    });
  });
  const describeOutput = (): string => `\nstdout: ${stdout}\nstderr: ${stderr}`;
  const child: Child = {
    name,
    proc,
    events,
    messages,
    exited: false,
    kill() {
      if (child.exited || proc.pid === undefined) return;
      try {
        process.kill(-proc.pid, 'SIGKILL'); // its process group: it and anything it started
      } catch {
        proc.kill('SIGKILL');
      }
    },
    waitFor(event, limit) {
      const ms = timeLimit(limit);
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const found = events.find((e) => e.event === event);
          if (found) done(() => resolve(found));
          else if (outputEnded) done(() => reject(new Error(`${name} exited before "${event}"${describeOutput()}`)));
        };
        const timer = setTimeout(() => {
          child.kill();
          done(() => reject(new Error(`${name}: no "${event}" within ${ms} ms (killed)${describeOutput()}`)));
        }, ms);
        const done = (settle: () => void): void => {
          clearTimeout(timer);
          listeners.delete(check);
          settle();
        };
        listeners.add(check);
        check();
      });
    },
    async finish(limit) {
      const ms = timeLimit(limit);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          child.kill();
          reject(new Error(`${name} did not finish within ${ms} ms (killed)${describeOutput()}`));
        }, ms);
      });
      try {
        return await Promise.race([closed, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
  proc.on('exit', () => {
    child.exited = true;
    running.delete(child);
  });
  running.add(child);
  return child;
}

/** `node script ...args` in its own process group. */
export function startNode(name: string, script: string, args: string[], env: NodeJS.ProcessEnv): Child {
  return track(name, spawn(process.execPath, [script, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true }));
}

/** `child_process.fork(script)` (with an IPC channel) in its own process group. */
export function startFork(name: string, script: string, env: NodeJS.ProcessEnv): Child {
  return track(name, fork(script, [], { execPath: process.execPath, execArgv: [], env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], detached: true }));
}

/** Waits for the child to finish within `ms` and fails, with its output, unless it exited with status 0. */
export async function succeed(child: Child, ms: number): Promise<Exit> {
  const exit = await child.finish(ms);
  if (exit.code !== 0) throw new Error(`${child.name} exited with ${exit.code ?? exit.signal}\nstdout: ${exit.stdout}\nstderr: ${exit.stderr}`);
  return exit;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
