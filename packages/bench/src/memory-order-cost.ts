// What the arm64 memory-order path costs, measured on this x64 machine: the same operations in two child
// processes, one on the x86-64 path and one with MPMETRICS_MEMORY_ORDER=atomics (the path every other CPU takes),
// alternated `pairs` times; each figure is the median of the children's medians.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { median } from './measure.js';
import { formatTable } from './report.js';

function runSide(atomics: boolean, rounds: number, n: number, scrapeSeries: number): Record<string, number> {
  const script = fileURLToPath(new URL('./memory-order-worker.ts', import.meta.url));
  const env = { ...process.env };
  delete env.MPMETRICS_DIR; // a heap of its own
  if (atomics) env.MPMETRICS_MEMORY_ORDER = 'atomics';
  else delete env.MPMETRICS_MEMORY_ORDER;
  const result = spawnSync(process.execPath, ['--import', 'tsx', script, String(rounds), String(n), String(scrapeSeries)], { env, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`memory-order worker (${atomics ? 'atomics' : 'plain'}) failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1)!) as Record<string, number>;
}

export function measureMemoryOrderCost(pairs: number, rounds: number, n: number, scrapeSeries: number): string {
  const plain: Record<string, number>[] = [];
  const atomics: Record<string, number>[] = [];
  for (let i = 0; i < pairs; i++) {
    const first = i % 2 === 0;
    if (first) plain.push(runSide(false, rounds, n, scrapeSeries));
    atomics.push(runSide(true, rounds, n, scrapeSeries));
    if (!first) plain.push(runSide(false, rounds, n, scrapeSeries));
  }
  const rows = Object.keys(plain[0]!).map((name) => {
    const a = median(plain.map((p) => p[name]!));
    const b = median(atomics.map((p) => p[name]!));
    const scrape = name.startsWith('scrape');
    const show = (v: number): string => (scrape ? `${(v / 1e6).toFixed(2)} ms` : `${v.toFixed(1)} ns`);
    return [name, show(a), show(b), (b / a).toFixed(2)];
  });
  return formatTable(['operation (x64, one process)', 'x86-64 path', 'arm64 path (`MPMETRICS_MEMORY_ORDER=atomics`)', 'ratio'], rows);
}
