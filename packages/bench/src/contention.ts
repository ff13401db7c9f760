// What a second writer costs the first: an operation is timed in this process alone and while a second process
// (a contender) runs its own loop on the same heap, in alternating order round by round, so that each round's two
// timings see the same machine; the figure is the median of the per-round ratios. The contender is paused, not
// stopped, between timings. Its side of the protocol is `serveContender` (stdin lines "run", "pause", "stop"; it
// answers "ready" once, then "running" / "paused").
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { median, timeNs } from './measure.js';

export interface ContentionResult {
  readonly aloneNs: number;
  readonly contendedNs: number;
  /** Median of per-round (contended / alone). */
  readonly ratio: number;
}

interface Contender {
  readonly child: ChildProcessByStdio<Writable, Readable, null>;
  /** Sends a command and waits for the contender's answer. */
  say(line: 'run' | 'pause'): Promise<void>;
}

function startContender(script: string, args: readonly string[]): Promise<Contender> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  let waiting: { resolve: () => void; reject: (error: Error) => void } | undefined;
  child.stdout.setEncoding('utf8').on('data', () => waiting?.resolve());
  child.once('exit', (code) => waiting?.reject(new Error(`contender ${script} exited early (${code})`)));
  const answer = (): Promise<void> => new Promise((resolve, reject) => (waiting = { resolve, reject }));
  const say = async (line: string): Promise<void> => {
    const answered = answer();
    child.stdin.write(`${line}\n`);
    await answered;
    if (line === 'run') await new Promise((r) => setTimeout(r, 30)); // let it reach its optimised loop
  };
  return answer().then(() => ({ child, say }));
}

/**
 * Times `run` (n operations) alone and beside the contender `script` (started with `args`), `rounds` times each.
 */
export async function measureContention(script: string, args: readonly string[], run: (n: number) => void, rounds: number, n: number): Promise<ContentionResult> {
  const contender = await startContender(script, args);
  try {
    run(Math.min(n, 200_000)); // warm up
    const alone: number[] = [];
    const contended: number[] = [];
    const ratios: number[] = [];
    for (let r = 0; r < rounds; r++) {
      let a = 0;
      let c = 0;
      for (const withSecond of r % 2 === 0 ? [false, true] : [true, false]) {
        await contender.say(withSecond ? 'run' : 'pause');
        if (withSecond) c = timeNs(run, n);
        else a = timeNs(run, n);
      }
      alone.push(a);
      contended.push(c);
      ratios.push(c / a);
    }
    return { aloneNs: median(alone), contendedNs: median(contended), ratio: median(ratios) };
  } finally {
    contender.child.stdin.end('stop\n');
    await new Promise((r) => contender.child.once('exit', r));
  }
}

/** The contender's side: runs `work(10_000)` in a loop while told to run, until told to stop. */
export function serveContender(work: (count: number) => void): void {
  let running = false;
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line === 'stop') process.exit(0);
    running = line === 'run';
    process.stdout.write(running ? 'running\n' : 'paused\n');
  });
  process.stdout.write('ready\n');
  const loop = (): void => {
    if (running) {
      // a duration of this process only: performance.now() cannot be stepped back as the wall clock can
      const until = performance.now() + 20;
      while (performance.now() < until) work(10_000);
    }
    setTimeout(loop, running ? 0 : 5);
  };
  loop();
}
