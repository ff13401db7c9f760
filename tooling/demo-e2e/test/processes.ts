// Processes the test starts, each in its own process group (detached), so that the group, with every worker or
// child it started, can be killed in one go whatever happened; `killAll()` runs after every test file.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Started {
  readonly process: ChildProcess;
  /** stdout and stderr so far, line by line. */
  readonly lines: string[];
  /** Resolves with the first line (from `from` on) that matches, or rejects after `timeoutMs` or at exit. */
  waitForLine(pattern: RegExp, timeoutMs: number, from?: number): Promise<{ match: RegExpMatchArray; index: number }>;
  /** Resolves with the exit code (or signal) once the process has exited. */
  readonly exited: Promise<number | string>;
  /** True while any process of its group lives. */
  groupAlive(): boolean;
  /** SIGKILL to the whole group. */
  killGroup(): void;
}

const started = new Set<Started>();

export function startGroup(command: string, args: string[], env: NodeJS.ProcessEnv): Started {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop()!;
      lines.push(...parts);
      for (const wake of waiters) wake();
    });
  }
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  let done = false;
  void exited.then(() => {
    done = true;
    for (const wake of waiters) wake();
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${command}`);
  const handle: Started = {
    process: child,
    lines,
    exited,
    waitForLine(pattern, timeoutMs, from = 0) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => finish(new Error(`no line matching ${pattern} within ${timeoutMs} ms from ${command} ${args.join(' ')}; output:\n${lines.join('\n')}`)), timeoutMs);
        const finish = (error?: Error, found?: { match: RegExpMatchArray; index: number }): void => {
          clearTimeout(timer);
          waiters.delete(check);
          if (found) resolve(found);
          else reject(error);
        };
        const check = (): void => {
          for (let i = from; i < lines.length; i++) {
            const match = lines[i]!.match(pattern);
            if (match) return finish(undefined, { match, index: i });
          }
          if (done) finish(new Error(`${command} ${args.join(' ')} exited before printing a line matching ${pattern}; output:\n${lines.join('\n')}`));
        };
        waiters.add(check);
        check();
      });
    },
    groupAlive() {
      try {
        process.kill(-pid, 0);
        return true;
      } catch {
        return false;
      }
    },
    killGroup() {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // the whole group is gone already
      }
    },
  };
  started.add(handle);
  return handle;
}

/** Kills every group started here and waits (a little) for them to go. */
export async function killAll(): Promise<void> {
  for (const handle of started) handle.killGroup();
  for (let i = 0; i < 50 && [...started].some((h) => h.groupAlive()); i++) await sleep(100);
  started.clear();
}

/** Ports handed out by freePort in this process: free until their user listens, so they must not be handed out twice. */
const handedOut = new Set<number>();

/**
 * A TCP port nobody listens on now, with the `span - 1` ports after it, none of them handed out before by this
 * function (the demos' ports are chosen up front, Prometheus' after them: a port free now but promised to a demo that
 * starts later must not go to another; a CI run once failed with EADDRINUSE on that). Chosen below Linux's ephemeral
 * range (32768-60999): a port from there can be taken meanwhile as the local end of an outgoing connection
 * (Prometheus' scrapes, the test's requests), and the demo would then fail to listen with EADDRINUSE.
 */
export async function freePort(span = 1): Promise<number> {
  const free = (port: number): Promise<boolean> =>
    new Promise((resolve) => {
      if (handedOut.has(port)) return resolve(false);
      const server = net.createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
  for (let attempt = 0; attempt < 100; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * (12_000 - span));
    let ok = true;
    for (let i = 0; i < span && ok; i++) ok = await free(base + i);
    if (ok) {
      for (let i = 0; i < span; i++) handedOut.add(base + i);
      return base;
    }
  }
  throw new Error(`no ${span} free consecutive ports found on 127.0.0.1 between 20000 and 32000`);
}
