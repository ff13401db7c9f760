// Test servers: a fixture started with this Node in its own process group, without MPMETRICS_DIR
// (the primary makes the heap its workers share), stopped with its whole group.
import { spawn } from 'node:child_process';

export interface Server {
  readonly port: number;
  /** The pid the fixture announced (the server process), if it did. */
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

export async function startServer(script: string, args: string[]): Promise<Server> {
  const env = { ...process.env };
  delete env.MPMETRICS_DIR;
  const proc = spawn(process.execPath, [script, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stderr = '';
  proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const kill = (): void => {
    try {
      process.kill(-proc.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  const { port, pid } = await new Promise<{ port: number; pid?: number }>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      kill();
      reject(new Error(`${script} did not listen within 30 s; stderr: ${stderr}`));
    }, 30_000);
    proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const line = out.split('\n').find((l) => l.includes('"listening"'));
      if (line !== undefined) {
        clearTimeout(timer);
        resolve(JSON.parse(line) as { port: number; pid?: number });
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code} before listening; stderr: ${stderr}`));
    });
  });
  return {
    port,
    pid,
    async stop() {
      proc.kill('SIGTERM');
      const timer = setTimeout(kill, 5000);
      await exited;
      clearTimeout(timer);
      kill(); // and anything left in its group
    },
  };
}
