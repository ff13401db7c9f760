// One update kind, repeated (argv: kind, warm-up, updates): run under valgrind by hot-path-instructions.ts, once
// with no updates after the warm-up and once with some, so that the difference is those updates alone. Plain
// JavaScript, run without tsx, so that no loader's work slows the run under valgrind.
import { Counter, Gauge, Histogram, Summary } from '@mpmetrics/core';

const [kind, warmUpText, countText] = process.argv.slice(2);
const warmUp = Number(warmUpText);
const count = Number(countText);

const counter = new Counter({ name: 'hot_counter', help: 'h', registers: [] });
const labeled = new Counter({ name: 'hot_labeled', help: 'h', labelNames: ['route', 'code'], registers: [] });
const child = labeled.labels({ route: '/users/:id', code: '200' });
const gauge = new Gauge({ name: 'hot_gauge', help: 'h', registers: [] });
const ownGauge = new Gauge({ name: 'hot_own_gauge', help: 'h', multiprocessMode: 'livesum', registers: [] });
const histogram = new Histogram({ name: 'hot_histogram', help: 'h', registers: [] });
const summary = new Summary({ name: 'hot_summary', help: 'h', registers: [] });
const labels = { route: '/users/:id', code: '200' };

/** Each kind, as the update of index i (values vary, so that no branch on the value is always taken). */
const UPDATES = {
  'counter.inc()': () => counter.inc(),
  'child.inc()': () => child.inc(),
  'inc(labels)': () => labeled.inc(labels),
  'gauge.set(v)': (i) => gauge.set(i),
  "gauge.set(v), mode 'livesum'": (i) => ownGauge.set(i),
  'histogram.observe(v)': (i) => histogram.observe((i % 100) / 37),
  'summary.observe(v)': (i) => summary.observe((i % 100) / 37 + 0.001),
};

const update = UPDATES[kind];
if (update === undefined) throw new Error(`unknown update kind ${kind}; known: ${Object.keys(UPDATES).join(', ')}`);
for (let i = 0; i < warmUp; i++) update(i);
for (let i = 0; i < count; i++) update(i);
