// The smallest demonstration of the shared heap: node:cluster forks WORKERS processes that each add to the same
// series as fast as they can; the primary, which never writes, prints the exact total of all of them every second,
// next to what each worker says it did. Ctrl-C stops the workers, and the heap is removed when the primary exits.
import cluster from 'node:cluster';
import { Heap } from '@mpmetrics/core';

const workers = Number(process.env.WORKERS ?? 2);
const heap = Heap.open(); // the primary creates the heap; its workers inherit MPMETRICS_DIR and attach
const family = heap.family('demo_increments', JSON.stringify({ type: 'counter' }));
const series = heap.series(family.ptr, '[]', { valueWords: 1, sharedWords: 0 });

if (cluster.isPrimary) {
  console.log(`heap: ${heap.dir}\nstarting ${workers} workers; Ctrl-C to stop\n`);
  const reported = new Map<number, number>();
  for (let i = 0; i < workers; i++) {
    cluster.fork().on('message', (count: number) => reported.set(i, count));
  }
  const out = new Float64Array(1);
  const timer = setInterval(() => {
    const total = heap.read(series.ptr, out)[0]!;
    const sum = [...reported.values()].reduce((a, b) => a + b, 0);
    console.log(`shared heap total ${total.toLocaleString('en')}   (workers' own last reports: ${sum.toLocaleString('en')})`);
  }, 1000);
  process.on('SIGINT', () => {
    clearInterval(timer);
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill();
    console.log('\nstopped; the heap directory is removed as the primary exits');
    process.exit(0);
  });
} else {
  const cell = heap.cell(series.ptr, 1);
  let count = 0;
  const work = (): void => {
    for (let i = 0; i < 1_000_000; i++) cell.add(0, 1);
    count += 1_000_000;
    process.send?.(count);
    setTimeout(work, 100);
  };
  work();
  process.on('SIGINT', () => {}); // the primary decides when we stop
}
