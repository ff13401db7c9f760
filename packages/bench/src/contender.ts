// The second writer of the heap primitives' contention cases: opens the same heap (MPMETRICS_DIR), finds the same
// series, and runs one case while told to (see contention.ts).
import { Heap } from '@mpmetrics/core';
import { serveContender } from './contention.js';
import { heapCases } from './heap-cases.js';

const [caseName, seriesName] = process.argv.slice(2);
const heap = Heap.open();
const target = heapCases(heap, seriesName!).find((c) => c.name === caseName);
if (target === undefined) throw new Error(`contender: no case named ${caseName}`);
serveContender(target.run);
