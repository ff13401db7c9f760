// Counting a Node process's instructions under valgrind (cachegrind), for the sections that count instead of
// timing, since this machine's timings swing by 20% and more. Node runs in one thread with V8's seeds fixed
// (`--single-threaded --predictable`): compiler and GC threads left concurrent change what the main thread does.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** valgrind's version line, or undefined when it is not installed, so that a section can say so and skip. */
export async function valgrindVersion(): Promise<string | undefined> {
  try {
    return (await run('valgrind', ['--version'])).stdout.trim();
  } catch {
    return undefined;
  }
}

/** User-space instructions of one `node` run of `args` with V8's random and hash seeds set to `seed`. */
export async function countNodeInstructions(label: string, seed: number, args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { stderr } = await run(
    'valgrind',
    [
      '--tool=cachegrind',
      '--cache-sim=no',
      '--cachegrind-out-file=/dev/null',
      process.execPath,
      '--single-threaded',
      '--predictable',
      `--random-seed=${seed}`,
      `--hash-seed=${seed}`,
      ...args,
    ],
    { maxBuffer: 16 * 1024 * 1024, env },
  );
  const refs = /I\s+refs:\s+([\d,]+)/.exec(stderr);
  if (refs === null) throw new Error(`${label}: no instruction count in valgrind's output:\n${stderr.slice(-2000)}`);
  return Number(refs[1]!.replaceAll(',', ''));
}
