// prom-client's own metrics (its `getMetricsAsJSON()`: default metrics, metrics made with prom-client's classes) as
// family snapshots, so that the protobuf exposition, which prom-client cannot write, carries them too: a Prometheus
// that asks for protobuf takes the whole target from it.
import { frozenMeta, type FamilyMeta } from '../metrics/family-meta.js';
import type { FamilySnapshot, SeriesSnapshot } from '../metrics/family-reader.js';

/** A metric as prom-client's `getMetricsAsJSON()` gives it. */
export interface PromClientMetricJson {
  readonly name: string;
  readonly help: string;
  /** 'counter', 'gauge', 'histogram' or 'summary' at run time (prom-client's typings call it an enum). */
  readonly type: unknown;
  readonly values: readonly {
    readonly value: number;
    readonly labels: Readonly<Record<string, string | number | undefined>>;
    readonly metricName?: string;
  }[];
}

/** A series' own labels (without `le` or `quantile`), as a key and as [name, value] pairs. */
function ownLabels(labels: Readonly<Record<string, string | number | undefined>>, bound: string | undefined): [string, [string, string][]] {
  const pairs: [string, string][] = [];
  for (const [name, value] of Object.entries(labels)) if (name !== bound && value !== undefined) pairs.push([name, String(value)]);
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return [JSON.stringify(pairs), pairs];
}

interface Gathered {
  pairs: [string, string][];
  /** counter, gauge: the value; histogram: bucket counts by bound; summary: values by quantile. */
  byBound: Map<number, number>;
  value: number;
  sum: number;
  count: number;
}

/** One prom-client metric as a family snapshot, or undefined for a type the exposition has no place for. */
function familyOf(metric: PromClientMetricJson): FamilySnapshot | undefined {
  const type = metric.type;
  if (type !== 'counter' && type !== 'gauge' && type !== 'histogram' && type !== 'summary') return undefined;
  const bound = type === 'histogram' ? 'le' : type === 'summary' ? 'quantile' : undefined;
  const series = new Map<string, Gathered>();
  const bounds = new Set<number>();
  for (const v of metric.values) {
    const [key, pairs] = ownLabels(v.labels, bound);
    let s = series.get(key);
    if (s === undefined) series.set(key, (s = { pairs, byBound: new Map(), value: 0, sum: 0, count: 0 }));
    const name = v.metricName ?? metric.name;
    if (bound === undefined) s.value = v.value;
    else if (name.endsWith('_sum')) s.sum = v.value;
    else if (name.endsWith('_count')) s.count = v.value;
    else {
      const at = v.labels[bound];
      const b = at === '+Inf' ? Infinity : Number(at);
      if (Number.isNaN(b)) continue;
      s.byBound.set(b, v.value);
      if (b !== Infinity) bounds.add(b);
    }
  }
  const labelNames = [...new Set([...series.values()].flatMap((s) => s.pairs.map(([name]) => name)))].sort();
  const sortedBounds = [...bounds].sort((a, b) => a - b);
  const snapshots: SeriesSnapshot[] = [];
  for (const s of series.values()) {
    const labels = labelNames.map((name) => s.pairs.find(([n]) => n === name)?.[1] ?? null);
    let values: number[];
    if (type === 'histogram') values = [...sortedBounds.map((b) => s.byBound.get(b) ?? 0), s.count, s.sum];
    else if (type === 'summary') values = [...sortedBounds.map((b) => s.byBound.get(b) ?? 0), s.sum, s.count];
    else values = [s.value];
    snapshots.push({ labels, values, created: -1 });
  }
  const meta: FamilyMeta = {
    type,
    help: metric.help,
    labelNames,
    aggregator: 'sum',
    ...(type === 'histogram' ? { buckets: sortedBounds } : type === 'summary' ? { percentiles: sortedBounds } : {}),
  };
  return { name: metric.name, meta: frozenMeta(meta), series: snapshots };
}

/** prom-client's metrics as family snapshots, those of a type no exposition has (none today) left out. */
export function promClientFamilies(metrics: readonly PromClientMetricJson[]): FamilySnapshot[] {
  const out: FamilySnapshot[] = [];
  for (const metric of metrics) {
    const family = familyOf(metric);
    if (family !== undefined) out.push(family);
  }
  return out;
}
