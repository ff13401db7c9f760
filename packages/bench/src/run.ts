// `pnpm bench` (full, writes docs/BENCHMARKS.md) and `pnpm bench --quick` (a fast pass that only checks the
// benchmarks still run, for CI). Figures are never asserted: this machine's speed varies minute to minute.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchPrimitives } from './primitives.js';
import { machineLine, writeSection } from './report.js';

const quick = process.argv.includes('--quick');
const docs = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'docs', 'BENCHMARKS.md');
const settings = quick ? { rounds: 3, n: 200_000 } : { rounds: 15, n: 5_000_000 };

console.log(`mpmetrics benchmarks (${quick ? 'quick' : 'full'}): ${machineLine()}\n`);
const primitives = await benchPrimitives(settings);
console.log('### Heap primitives\n');
console.log(primitives);
if (!quick) {
  writeSection(docs, 'primitives', `${machineLine()}\n\n${primitives}`);
  console.log(`\nwritten to ${docs}`);
}
