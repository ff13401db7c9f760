// The servers of the HTTP benchmark (node:cluster, 2 workers each) and one measured stretch of load: autocannon on
// loopback against GET /users/:id. Reports requests per second and the server's CPU time per request: the CPU
// time of every thread of the primary and both workers (V8's compiler and GC threads too) over the measured
// stretch, read in nanoseconds from /proc/<pid>/task/<tid>/schedstat (steadier than req/s on a machine whose
// speed varies).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import type { Framework, Variant } from './apps.js';
import { ownHeapEnv } from './own-heap-env.js';

export interface RunResult {
  readonly requestsPerSecond: number;
  /** Server CPU microseconds per request. */
  readonly cpuMicrosPerRequest: number;
}

export const CONNECTIONS = 32;

/** CPU time of every thread of a process, in seconds (/proc/<pid>/stat counts in 10 ms ticks). */
function cpuSeconds(pid: number): number {
  let nanos = 0;
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      nanos += Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // a thread that ended between the listing and the read
    }
  }
  return nanos / 1e9;
}

/** A benchmark server (node:cluster, 2 workers, a heap of its own), kept up for all the rounds of its framework. */
export class BenchServer {
  readonly #url: string;
  readonly #pids: readonly number[];
  readonly #pgid: number;
  readonly name: string;

  private constructor(name: string, port: number, pids: readonly number[], pgid: number) {
    this.name = name;
    this.#url = `http://127.0.0.1:${port}/users/42`;
    this.#pids = pids;
    this.#pgid = pgid;
  }

  static async start(framework: Framework, variant: Variant): Promise<BenchServer> {
    const script = fileURLToPath(new URL('./server.ts', import.meta.url));
    const server = spawn(process.execPath, ['--import', 'tsx', script, framework, variant], { env: ownHeapEnv(), stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    try {
      const { port, pids } = await new Promise<{ port: number; pids: number[] }>((resolve, reject) => {
        let out = '';
        server.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          out += chunk;
          const line = out.split('\n').find((l) => l.startsWith('{'));
          if (line !== undefined) resolve(JSON.parse(line) as { port: number; pids: number[] });
        });
        server.once('exit', (code) => reject(new Error(`${framework}/${variant} server exited with ${code}`)));
      });
      return new BenchServer(`${framework}/${variant}`, port, pids, server.pid!);
    } catch (error) {
      kill(server.pid!);
      throw error;
    }
  }

  /** Load without measuring (the JIT's warm-up). */
  async warmUp(seconds: number): Promise<void> {
    await autocannon({ url: this.#url, connections: CONNECTIONS, duration: seconds });
  }

  /** `seconds` of load: requests per second, and the server's CPU time per request. */
  async measure(seconds: number): Promise<RunResult> {
    const cpuBefore = this.#pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
    const result = await autocannon({ url: this.#url, connections: CONNECTIONS, duration: seconds });
    const cpuAfter = this.#pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
    if (result.errors > 0 || result.non2xx > 0) throw new Error(`${this.name}: ${result.errors} errors, ${result.non2xx} non-2xx responses`);
    return { requestsPerSecond: result.requests.total / seconds, cpuMicrosPerRequest: ((cpuAfter - cpuBefore) * 1e6) / result.requests.total };
  }

  stop(): void {
    kill(this.#pgid);
  }
}

function kill(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // gone already
  }
}
