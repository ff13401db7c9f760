// Two processes updating one histogram series: what the second writer costs the first. Our cached child's
// observe() is timed in this process alone and while a second process observes into the very same series, in
// alternating order round by round; the figure is the median of the per-round ratios.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Histogram } from '@mpmetrics/core';
import { median, timeNs } from './measure.js';

export const CONTENDED_HISTOGRAM = { name: 'bench_contended_seconds', help: 'Contention benchmark', labelNames: ['route'] };

export interface ContentionResult {
  readonly aloneNs: number;
  readonly contendedNs: number;
  /** Median of per-round (contended / alone). */
  readonly ratio: number;
}

function startContender(): Promise<{ child: ChildProcessByStdio<Writable, Readable, null>; say: (line: string) => Promise<void> }> {
  const script = fileURLToPath(new URL('./metric-contender.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  let waiting: { resolve: () => void; reject: (error: Error) => void } | undefined;
  child.stdout.setEncoding('utf8').on('data', () => waiting?.resolve());
  child.once('exit', (code) => waiting?.reject(new Error(`metric contender exited early (${code})`)));
  const answer = (): Promise<void> => new Promise((resolve, reject) => (waiting = { resolve, reject }));
  const say = async (line: string): Promise<void> => {
    const answered = answer();
    child.stdin.write(`${line}\n`);
    await answered;
    if (line === 'run') await new Promise((r) => setTimeout(r, 30)); // let it reach its optimised loop
  };
  return answer().then(() => ({ child, say }));
}

export async function measureContention(rounds: number, n: number): Promise<ContentionResult> {
  const histogram = new Histogram({ ...CONTENDED_HISTOGRAM, registers: [] });
  const child = histogram.labels('/contended');
  const run = (count: number): void => {
    for (let i = 0; i < count; i++) child.observe(0.042);
  };
  const contender = await startContender();
  try {
    run(200_000); // warm up
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
