// Our metrics against prom-client's, operation by operation, in one process. Each pair runs back to back in
// every round (order alternating), and the ratio is ours / prom-client's of the same round.
import * as mp from '@mpmetrics/core';
import * as pc from 'prom-client';
import { median } from './measure.js';

export interface PairResult {
  readonly name: string;
  readonly ours: number;
  readonly theirs: number;
  readonly ratio: number;
  readonly target: string;
  readonly met: boolean;
  readonly spread: number;
}

interface Pair {
  readonly name: string;
  /** Runs the operation n times; returns the ns it timed itself when only part of the run is the operation. */
  readonly ours: (n: number) => number | void;
  readonly theirs: (n: number) => number | void;
  /** Ratio target (ours / theirs ≤ target); or against the bare Atomics.add loop when `vsAtomics`. */
  readonly target: number;
  readonly vsAtomics?: boolean;
}

function pairs(heap: mp.Heap): Pair[] {
  const none = { registers: [] as pc.Registry[] };
  const ours = {
    counter: new mp.Counter({ name: 'b_counter', help: 'h', heap, ...none }),
    labeled: new mp.Counter({ name: 'b_counter_l', help: 'h', labelNames: ['method', 'code'], heap, ...none }),
    expiring: new mp.Counter({ name: 'b_counter_ttl', help: 'h', labelNames: ['method', 'code'], ttlSeconds: 600, heap, ...none }),
    histogram: new mp.Histogram({ name: 'b_hist', help: 'h', heap, ...none }),
    labeledHistogram: new mp.Histogram({ name: 'b_hist_l', help: 'h', labelNames: ['route'], heap, ...none }),
    summary: new mp.Summary({ name: 'b_summary', help: 'h', heap, ...none }),
    gauge: new mp.Gauge({ name: 'b_gauge', help: 'h', heap, ...none }),
  };
  const theirs = {
    counter: new pc.Counter({ name: 'b_counter', help: 'h', ...none }),
    labeled: new pc.Counter({ name: 'b_counter_l', help: 'h', labelNames: ['method', 'code'], ...none }),
    histogram: new pc.Histogram({ name: 'b_hist', help: 'h', ...none }),
    labeledHistogram: new pc.Histogram({ name: 'b_hist_l', help: 'h', labelNames: ['route'], ...none }),
    summary: new pc.Summary({ name: 'b_summary', help: 'h', ...none }),
    gauge: new pc.Gauge({ name: 'b_gauge', help: 'h', ...none }),
  };
  const ourChild = ours.labeled.labels('GET', '200');
  const ourExpiringChild = ours.expiring.labels('GET', '200');
  const theirChild = theirs.labeled.labels('GET', '200');
  const ourHistChild = ours.labeledHistogram.labels('/users/:id');
  const theirHistChild = theirs.labeledHistogram.labels('/users/:id');
  const sab = new Int32Array(new SharedArrayBuffer(16));
  return [
    {
      name: 'counter `inc()` unlabeled, vs a bare `Atomics.add` loop',
      ours: (n) => {
        for (let i = 0; i < n; i++) ours.counter.inc();
      },
      theirs: (n) => {
        for (let i = 0; i < n; i++) Atomics.add(sab, 0, 1);
      },
      target: 2,
      vsAtomics: true,
    },
    {
      name: 'counter `inc(labels)`',
      ours: (n) => {
        for (let i = 0; i < n; i++) ours.labeled.inc({ method: 'GET', code: 200 });
      },
      theirs: (n) => {
        for (let i = 0; i < n; i++) theirs.labeled.inc({ method: 'GET', code: 200 });
      },
      target: 0.15,
    },
    {
      name: 'histogram `observe(labels, value)`',
      ours: (n) => {
        for (let i = 0; i < n; i++) ours.labeledHistogram.observe({ route: '/users/:id' }, 0.3);
      },
      theirs: (n) => {
        for (let i = 0; i < n; i++) theirs.labeledHistogram.observe({ route: '/users/:id' }, 0.3);
      },
      target: 0.15,
    },
    {
      name: 'histogram `startTimer()` and its end, unlabeled',
      ours: (n) => {
        for (let i = 0; i < n; i++) ours.histogram.startTimer()();
      },
      theirs: (n) => {
        for (let i = 0; i < n; i++) theirs.histogram.startTimer()();
      },
      target: 0.5,
    },
    {
      name: 'histogram timer end alone (the function `startTimer()` returned)',
      ours: (n) => timeEnds(n, () => ours.histogram.startTimer()),
      theirs: (n) => timeEnds(n, () => theirs.histogram.startTimer()),
      target: 0.3,
    },
    {
      // what bounds the row above: the clock read every timer's end makes, about 40 ns here whatever the API
      name: 'floor of a timer end: a bare closure reading `process.hrtime.bigint()`, no metric (vs prom-client\'s end)',
      ours: (n) =>
        timeEnds(n, () => {
          const start = process.hrtime.bigint();
          return () => Number(process.hrtime.bigint() - start) / 1e9;
        }),
      theirs: (n) => timeEnds(n, () => theirs.histogram.startTimer()),
      target: 0.3,
    },
    {
      name: 'counter cached child `inc()`',
      ours: (n) => {
        for (let i = 0; i < n; i++) ourChild.inc();
      },
      theirs: (n) => {
        for (let i = 0; i < n; i++) theirChild.inc();
      },
      target: 0.2,
    },
    {
      name: 'counter cached child `inc()`, with `ttlSeconds` (idle label sets expire)',
      ours: (n) => {
        for (let i = 0; i < n; i++) ourExpiringChild.inc();
      },
      theirs: (n) => {
        for (let i = 0; i < n; i++) theirChild.inc();
      },
      target: 0.2,
    },
    {
      name: 'histogram `observe()` unlabeled',
      ours: (n) => {
        for (let i = 0; i < n; i++) ours.histogram.observe(0.3);
      },
      theirs: (n) => {
        for (let i = 0; i < n; i++) theirs.histogram.observe(0.3);
      },
      target: 0.4,
    },
    {
      name: 'histogram cached child `observe()`',
      ours: (n) => {
        for (let i = 0; i < n; i++) ourHistChild.observe(0.3);
      },
      theirs: (n) => {
        for (let i = 0; i < n; i++) theirHistChild.observe(0.3);
      },
      target: 0.2,
    },
    {
      name: 'summary `observe()`',
      ours: (n) => {
        for (let i = 0; i < n; i++) ours.summary.observe(i % 1000);
      },
      theirs: (n) => {
        for (let i = 0; i < n; i++) theirs.summary.observe(i % 1000);
      },
      target: 0.5,
    },
    {
      name: '`gauge.set()`',
      ours: (n) => {
        for (let i = 0; i < n; i++) ours.gauge.set(i);
      },
      theirs: (n) => {
        for (let i = 0; i < n; i++) theirs.gauge.set(i);
      },
      target: 1.5,
    },
  ];
}

/** ns spent calling n timer ends, started in batches beforehand (the starts are not timed). */
function timeEnds(n: number, start: () => () => unknown): number {
  const batch: (() => unknown)[] = new Array<() => unknown>(Math.min(n, 10_000));
  let ns = 0;
  for (let done = 0; done < n; done += batch.length) {
    const size = Math.min(batch.length, n - done);
    for (let i = 0; i < size; i++) batch[i] = start();
    const begin = process.hrtime.bigint();
    for (let i = 0; i < size; i++) batch[i]!();
    ns += Number(process.hrtime.bigint() - begin);
  }
  return ns;
}

/** ns per operation of a pair's run: the part it timed itself, or all of it. */
function pairNs(run: (n: number) => number | void, n: number): number {
  const begin = process.hrtime.bigint();
  const own = run(n);
  return (typeof own === 'number' ? own : Number(process.hrtime.bigint() - begin)) / n;
}

export function runMetricPairs(heap: mp.Heap, rounds: number, n: number): PairResult[] {
  return pairs(heap).map((pair) => {
    pair.ours(Math.min(n, 200_000));
    pair.theirs(Math.min(n, 200_000));
    const ours: number[] = [];
    const theirs: number[] = [];
    const ratios: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const first = round % 2 === 0;
      const a = first ? pairNs(pair.ours, n) : 0;
      const b = pairNs(pair.theirs, n);
      const c = first ? a : pairNs(pair.ours, n);
      ours.push(c);
      theirs.push(b);
      ratios.push(c / b);
    }
    const ratio = median(ratios);
    const mid = median(ours);
    return {
      name: pair.name,
      ours: mid,
      theirs: median(theirs),
      ratio,
      target: `≤ ${pair.target}${pair.vsAtomics ? ' (vs Atomics.add)' : ''}`,
      met: ratio <= pair.target,
      spread: (Math.max(...ours) - Math.min(...ours)) / mid,
    };
  });
}
