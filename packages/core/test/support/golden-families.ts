// A fixed, seeded set of family snapshots that reaches every branch of the exposition writer: every metric type,
// labels left out, escapes, non-ASCII and lone surrogates, constant labels, exemplars, negative bounds and values,
// and numbers of every spelling. The exposition golden test pins the writer's bytes for them.
import type { FamilySnapshot } from '../../src/index.js';
import { mulberry32 } from './random.js';

type Meta = FamilySnapshot['meta'];
type Series = FamilySnapshot['series'][number];

const NUMBERS = [
  0, -0, 1, 2, 7, 20, 123, 4096, 65535, 1e6, 999999999, 2 ** 31, 2 ** 32 + 1, 2 ** 53 - 1, 2 ** 53, 2 ** 60, 1e21, 1.5e300, -1, -42, -(2 ** 53),
  0.1, 0.5, 1 / 3, 2.5, 1e-7, 5e-324, 123456.789, -0.25, 1.7976931348623157e308, Infinity, -Infinity, NaN,
];
const LABEL_VALUES = ['a', '', 'GET', '/route/17', 'x"y', 'back\\slash', 'line\nfeed', 'é', '☃ snow', '😀', 'lone \ud800 high', 'lone \udc00 low', '\\"\n'];
const HELPS = ['Help', 'Say "hi" \\ or \\n\nnext', 'Ünïcödé ☃'];

export function goldenFamilies(seed: number): FamilySnapshot[] {
  const random = mulberry32(seed);
  const pick = <T>(from: readonly T[]): T => from[Math.floor(random() * from.length)]!;
  const number = (): number => (random() < 0.5 ? pick(NUMBERS) : Math.floor(random() * 1000) * (random() < 0.3 ? 0.001 : 1));
  const labelNames = ['method', 'route', 'code'].slice(0, Math.floor(random() * 4));
  const labels = (): (string | null)[] => labelNames.map(() => (random() < 0.15 ? null : pick(LABEL_VALUES)));
  const created = (): number => pick([1700000000.5, 1700000000, 1733.125]);
  const exemplar = (): Series['exemplars'] extends readonly (infer E)[] | undefined ? E : never =>
    random() < 0.3 ? undefined : { labels: random() < 0.5 ? [['trace_id', pick(LABEL_VALUES)]] : [['a', '1'], ['b', pick(LABEL_VALUES)]], value: number(), timestamp: pick([1700000000.123, 0, 1.5]) };
  const families: FamilySnapshot[] = [];
  const family = (name: string, meta: Partial<Meta> & Pick<Meta, 'type'>, count: number, series: () => Omit<Series, 'labels' | 'created'>): void => {
    families.push({
      name,
      meta: { help: pick(HELPS), labelNames, aggregator: 'sum', ...meta },
      series: Array.from({ length: count }, () => ({ labels: labels(), created: created(), ...series() })),
    });
  };
  const count = (): number => pick([0, 1, 3]);
  family('jobs_total', { type: 'counter' }, count(), () => ({ values: [number()] }));
  family('sent_bytes', { type: 'counter', exemplars: true }, count(), () => ({ values: [number()], exemplars: [exemplar()] }));
  family('temperature', { type: 'gauge' }, count(), () => ({ values: [number()] }));
  const buckets = pick([[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], [1e-5, 1, 1e6, 2.5e6], [-1, 0, 1]]);
  family('latency_seconds', { type: 'histogram', buckets }, count(), () => ({ values: Array.from({ length: buckets.length + 2 }, number) }));
  family('size_bytes', { type: 'histogram', buckets: [1, 10], exemplars: true }, count(), () => ({
    values: [number(), number(), number(), number()],
    exemplars: [exemplar(), exemplar(), exemplar()],
  }));
  const percentiles = pick([[0.01, 0.5, 0.9, 0.99, 0.999], [0.5]]);
  family('rpc_seconds', { type: 'summary', percentiles }, count(), () => ({ values: Array.from({ length: percentiles.length + 2 }, number) }));
  family('build', { type: 'info' }, count(), () => ({ values: [1], info: random() < 0.3 ? [] : [['version', pick(LABEL_VALUES)], ['commit', 'abc']] }));
  const states = ['idle', 'busy', 'odd "state"'];
  family('phase', { type: 'stateset', states }, count(), () => ({ values: states.map((_, i) => (i === 1 ? 1 : 0)) }));
  return families;
}

export const GOLDEN_SEEDS: readonly number[] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
export const GOLDEN_CONST_LABELS: readonly (Readonly<Record<string, string>> | undefined)[] = [undefined, { env: 'prod' }, { region: 'eu "west"\n', z: 'ü' }];
