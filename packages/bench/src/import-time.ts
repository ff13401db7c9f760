// Cold import: `import()` of @mpmetrics/core against `import()` of prom-client, each in a fresh Node process with a
// TMPDIR of its own (empty, so the private directory our import makes lands there and nothing else is in it), in
// an order that alternates between rounds. The child also times its first metric (a counter's first `inc()`),
// where mpmetrics creates its heap file and sweeps stale heaps. Figures are medians of rounds; ratios are taken
// round by round.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { median, spread } from './measure.js';
import { formatTable } from './report.js';

const run = promisify(execFile);

// argv after -e: the module's URL. Times are in the child's own clock, so Node's start-up is not counted.
// The CPU time (every thread's) is given beside the wall time: it moves less when other processes load the machine.
const CHILD = `
const c0 = process.cpuUsage();
const t0 = performance.now();
const lib = await import(process.argv[1]);
const imported = performance.now() - t0;
const cpu = process.cpuUsage(c0);
const { Counter } = lib.Counter === undefined ? lib.default : lib;
new Counter({ name: 'import_bench_total', help: 'first use' }).inc();
process.stdout.write(JSON.stringify({ imported, importCpu: (cpu.user + cpu.system) / 1000, used: performance.now() - t0 }));
`;

interface Sample {
  imported: number;
  importCpu: number;
  used: number;
}

async function sample(url: string): Promise<Sample> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-bench-import-'));
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tmp };
    delete env.MPMETRICS_DIR; // as an application started on its own: our import makes its private directory
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', CHILD, url], { env });
    return JSON.parse(stdout) as Sample;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** `rounds` rounds after one warm-up (which fills the file cache); returns the table. */
export async function benchImport(rounds: number): Promise<string> {
  const ours = import.meta.resolve('@mpmetrics/core');
  const theirs = import.meta.resolve('prom-client');
  const a: Sample[] = [];
  const b: Sample[] = [];
  for (let round = 0; round < rounds + 1; round++) {
    let x: Sample;
    let y: Sample;
    if (round % 2 === 0) {
      x = await sample(ours);
      y = await sample(theirs);
    } else {
      y = await sample(theirs);
      x = await sample(ours);
    }
    if (round === 0) continue;
    a.push(x);
    b.push(y);
  }
  const row = (name: string, pick: (s: Sample) => number): string[] => {
    const mine = a.map(pick);
    const theirsMs = b.map(pick);
    return [
      name,
      `${median(mine).toFixed(1)} ms`,
      `${median(theirsMs).toFixed(1)} ms`,
      median(mine.map((m, i) => m / theirsMs[i]!)).toFixed(2),
      `${(spread(mine) * 100).toFixed(0)}% / ${(spread(theirsMs) * 100).toFixed(0)}%`,
    ];
  };
  return formatTable(
    ['in a fresh process', 'mpmetrics', 'prom-client', 'ratio (median of rounds)', 'spread (ours / theirs)'],
    [
      row('`await import()` of the package', (s) => s.imported),
      row('`await import()`, CPU time (user + system, all threads)', (s) => s.importCpu),
      row('first use: `new Counter(…)` and its first `inc()`', (s) => s.used - s.imported),
      row('import and first use', (s) => s.used),
    ],
  );
}
