// The Prometheus protobuf exposition (delimited io.prometheus.client.MetricFamily), decoded by a decoder that
// shares no code with ours (protoc's Python classes from the published metrics.proto, and Python's protobuf
// runtime): every metric type, exemplars, native histogram spans and deltas, prom-client's own metrics, and the
// Accept headers that choose it.
import { Counter as PromCounter, Registry } from 'prom-client';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Counter,
  Enum,
  Gauge,
  HeapExporter,
  Histogram,
  Info,
  negotiateFormat,
  negotiateScrapeFormat,
  PROTOBUF_CONTENT_TYPE,
  Summary,
  type Heap,
  type NativeHistogramSnapshot,
} from '../src/index.js';
import { snapshotSource } from '../src/metrics/family-reader.js';
import { writeProtobuf } from '../src/exposition/protobuf-writer.js';
import { usePrivateHeap } from './support/private-heap.js';
import { decodeProtobuf } from './support/validators.js';

const privateHeap = usePrivateHeap('mpm-protobuf');
let heap: Heap;
beforeAll(() => {
  heap = privateHeap.heap;
});

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The buckets of one sign from spans and deltas, as a reader of the spec rebuilds them (empty ones left out). */
function rebuilt(spans: Json[] | undefined, deltas: string[] | undefined): [number, number][] {
  const out: [number, number][] = [];
  let key = 0;
  let count = 0;
  let d = 0;
  (spans ?? []).forEach((span, i) => {
    key = i === 0 ? (span['offset'] ?? 0) : key + (span['offset'] ?? 0) + 1;
    for (let j = 0; j < (span['length'] ?? 0); j++, d++) {
      if (j > 0) key++;
      count += Number(deltas![d]);
      if (count !== 0) out.push([key, count]);
    }
  });
  expect(d).toBe(deltas?.length ?? 0);
  return out;
}

function byName(families: Json[]): Map<string, Json> {
  return new Map(families.map((f) => [f['name'] as string, f]));
}

const labelsOf = (m: Json): Record<string, string> => Object.fromEntries(((m['label'] ?? []) as Json[]).map((l) => [l['name'], l['value'] ?? '']));

describe('every metric type, decoded by protoc\'s classes', () => {
  it('writes what each family holds, with the fields metrics.proto gives it', async () => {
    const requests = new Counter({ name: 'pb_requests_total', help: 'Requests\nwith "quotes"', labelNames: ['code'], heap, registers: [], enableExemplars: true });
    requests.inc({ code: '200' }, 3);
    requests.inc({ labels: { code: '500' }, value: 1, exemplarLabels: { trace_id: 'abc' } });
    const temperature = new Gauge({ name: 'pb_temperature', help: 'T', heap, registers: [] });
    temperature.set(-2.5);
    const latency = new Histogram({ name: 'pb_latency_seconds', help: 'L', buckets: [0.1, 1], heap, registers: [], enableExemplars: true });
    latency.observe({ value: 0.05, exemplarLabels: { trace_id: 'x' } });
    latency.observe(0.5);
    latency.observe({ value: 7, exemplarLabels: { trace_id: 'inf' } });
    const sizes = new Summary({ name: 'pb_sizes', help: 'S', percentiles: [0.5, 0.9], heap, registers: [] });
    for (const v of [1, 2, 3, 4]) sizes.observe(v);
    const build = new Info({ name: 'pb_build', help: 'B', heap, registers: [] });
    build.info({ version: '1.2.3' });
    const state = new Enum({ name: 'pb_state', help: 'E', states: ['idle', 'busy'], heap, registers: [] });
    state.state('busy');
    new Gauge({ name: 'pb_never_set', help: 'no series', labelNames: ['x'], heap, registers: [] });

    const exporter = new HeapExporter(heap);
    const snapshot = byName((await exporter.snapshot()).map((f) => ({ name: f.name, series: f.series })));
    const families = byName(decodeProtobuf(await exporter.protobufBytes()));

    expect(families.get('pb_requests_total')).toMatchObject({ help: 'Requests\nwith "quotes"', type: 'COUNTER' });
    const counters = (families.get('pb_requests_total')!['metric'] as Json[]).map((m) => [labelsOf(m), m['counter']['value'], m['counter']['exemplar']]);
    expect(counters).toEqual([
      [{ code: '200' }, 3, undefined],
      [{ code: '500' }, 1, expect.objectContaining({ label: [{ name: 'trace_id', value: 'abc' }], value: 1 })],
    ]);
    expect(families.get('pb_requests_total')!['metric'][0]['counter']['created_timestamp']).toMatch(/^\d{4}-\d\d-\d\dT/);

    expect(families.get('pb_temperature')).toEqual({ name: 'pb_temperature', help: 'T', type: 'GAUGE', metric: [{ gauge: { value: -2.5 } }] });

    const h = families.get('pb_latency_seconds')!['metric'][0]['histogram'] as Json;
    expect(h['sample_count']).toBe('3');
    expect(h['sample_sum']).toBe(7.55);
    expect(h['bucket'].map((b: Json) => [b['cumulative_count'], b['upper_bound'], b['exemplar']?.['label']])).toEqual([
      ['1', 0.1, [{ name: 'trace_id', value: 'x' }]],
      ['2', 1, undefined],
      ['3', 'Infinity', [{ name: 'trace_id', value: 'inf' }]], // +Inf only to carry its exemplar
    ]);
    expect(h['schema']).toBeUndefined(); // a classic histogram has no native fields

    const sm = families.get('pb_sizes')!['metric'][0]['summary'] as Json;
    const summaryValues = snapshot.get('pb_sizes')!['series'][0].values as number[];
    expect(sm).toMatchObject({
      sample_count: '4',
      sample_sum: 10,
      quantile: [
        { quantile: 0.5, value: summaryValues[0] },
        { quantile: 0.9, value: summaryValues[1] },
      ],
    });

    expect(families.get('pb_build_info')).toEqual({ name: 'pb_build_info', help: 'B', type: 'GAUGE', metric: [{ label: [{ name: 'version', value: '1.2.3' }], gauge: { value: 1 } }] });
    expect((families.get('pb_state')!['metric'] as Json[]).map((m) => [labelsOf(m), m['gauge']['value']])).toEqual([
      [{ pb_state: 'idle' }, 0],
      [{ pb_state: 'busy' }, 1],
    ]);
    // a family without series: client_golang leaves it out too
    expect(families.has('pb_never_set')).toBe(false);
  });

  it.each([
    ['native only', { nativeHistogramBucketFactor: 1.1 }],
    ['classic and native', { nativeHistogramBucketFactor: 1.1, buckets: [0.01, 0.1, 1, 10] }],
    ['a zero threshold of 0', { nativeHistogramBucketFactor: 2, nativeHistogramZeroThreshold: 0 }],
  ])('writes native buckets (%s) as spans and deltas that rebuild the snapshot\'s buckets', async (label, options) => {
    const name = `pb_native_${label.replace(/\W+/g, '_')}`;
    const histogram = new Histogram({ name, help: 'N', labelNames: ['route'], heap, registers: [], ...options });
    const values = [0, 0.001, 0.0011, 0.5, 0.51, 3, 3, 3, 1000, -0.2, -0.25, -7, 1e-50];
    for (let i = 0; i < 200; i++) values.push(0.001 * 1.07 ** i * (i % 3 === 0 ? 1 : 1.5));
    for (const v of values) histogram.observe({ route: '/a' }, v);
    histogram.observe({ route: '/b' }, 1);
    const exporter = new HeapExporter(heap);
    const series = (await exporter.snapshot()).find((f) => f.name === name)!.series;
    const decoded = byName(decodeProtobuf(await exporter.protobufBytes())).get(name)!;
    expect(decoded['type']).toBe('HISTOGRAM');
    const metrics = decoded['metric'] as Json[];
    expect(metrics).toHaveLength(2);
    metrics.forEach((m, i) => {
      const native = series[i]!.native as NativeHistogramSnapshot;
      const h = m['histogram'] as Json;
      expect(h['schema'] ?? 0).toBe(native.schema);
      expect(h['zero_threshold'] ?? 0).toBe(native.zeroThreshold);
      expect(Number(h['zero_count'] ?? 0)).toBe(native.zeroCount);
      expect(rebuilt(h['positive_span'], h['positive_delta'])).toEqual(native.positive);
      expect(rebuilt(h['negative_span'], h['negative_delta'])).toEqual(native.negative);
      expect(Number(h['sample_count'])).toBe(native.zeroCount + [...native.positive, ...native.negative].reduce((a, [, n]) => a + n, 0));
      expect(h['bucket']?.length ?? 0).toBe('buckets' in options ? options.buckets.length : 0);
    });
  });

  it('gives an empty native histogram with a zero threshold of 0 a span of no buckets, so that it still looks native', async () => {
    const name = 'pb_native_empty';
    const histogram = new Histogram({ name, help: 'N', labelNames: ['x'], heap, registers: [], nativeHistogramBucketFactor: 1.1, nativeHistogramZeroThreshold: 0 });
    histogram.zero({ x: 'a' });
    const decoded = byName(decodeProtobuf(await new HeapExporter(heap).protobufBytes())).get(name)!;
    const h = decoded['metric'][0]['histogram'] as Json;
    expect(h['positive_span']).toEqual([{ offset: 0, length: 0 }]);
    expect(h['positive_delta']).toBeUndefined();
    expect(h['sample_count']).toBe('0');
  });

  it('writes the exemplars of a native histogram with enableExemplars in its exemplars field: the latest of each classic bucket', async () => {
    const name = 'pb_native_exemplars';
    const histogram = new Histogram({ name, help: 'N', heap, registers: [], nativeHistogramBucketFactor: 1.1, enableExemplars: true });
    histogram.observe({ value: 0.2, exemplarLabels: { trace_id: 'a' } });
    histogram.observe({ value: 0.3, exemplarLabels: { trace_id: 'b' } });
    const h = byName(decodeProtobuf(await new HeapExporter(heap).protobufBytes())).get(name)!['metric'][0]['histogram'] as Json;
    expect(h['schema']).toBe(3);
    expect(h['exemplars']).toEqual([expect.objectContaining({ label: [{ name: 'trace_id', value: 'b' }], value: 0.3 })]);
    expect(h['bucket']).toBeUndefined(); // no classic bucket, not even +Inf: it would make the histogram look classic
  });

  it('writes prom-client\'s own metrics after the heap\'s, from getMetricsAsJSON()', async () => {
    const registry = new Registry();
    const theirs = new PromCounter({ name: 'pb_prom_client_total', help: 'P', labelNames: ['a'], registers: [registry] });
    theirs.inc({ a: 'x' }, 2);
    theirs.inc(1);
    const bytes = await new HeapExporter(heap).protobufBytes(await registry.getMetricsAsJSON());
    const families = decodeProtobuf(bytes);
    expect(families.at(-1)).toEqual({
      name: 'pb_prom_client_total',
      help: 'P',
      type: 'COUNTER',
      metric: [{ label: [{ name: 'a', value: 'x' }], counter: { value: 2 } }, { counter: { value: 1 } }],
    });
  });
});

describe('timestamps', () => {
  it('carry a fraction that rounds to a whole second into the seconds, and write the nanoseconds of any other', () => {
    const family = (name: string, created: number) =>
      snapshotSource({ name, meta: { type: 'counter', help: 'h', labelNames: [], aggregator: 'sum' }, series: [{ labels: [], values: [1], created }] });
    const families = byName(decodeProtobuf(writeProtobuf([family('pb_carried_total', 41.9999999999), family('pb_fraction_total', 41.25), family('pb_whole_total', 41)])));
    const created = (name: string): string => families.get(name)!['metric'][0]['counter']['created_timestamp'];
    expect(created('pb_carried_total')).toBe('1970-01-01T00:00:42Z');
    expect(created('pb_fraction_total')).toBe('1970-01-01T00:00:41.250Z');
    expect(created('pb_whole_total')).toBe('1970-01-01T00:00:41Z');
  });
});

describe('a damaged heap', () => {
  it('writes a count that damage made huge, negative or NaN as a valid varint, so that the rest stays readable', async () => {
    const name = 'pb_damaged_counts';
    const histogram = new Histogram({ name, help: 'D', labelNames: ['x'], buckets: [1], heap, registers: [] });
    for (const [x, bad] of [['huge', 1e300], ['negative', -5], ['nan', Number.NaN]] as const) {
      histogram.observe({ x }, 0.5);
      const family = heap.findFamily(name)!;
      const series = heap.seriesOf(family.ptr).find((s) => s.key.includes(x))!;
      const cell = heap.cell(series.ptr, 3);
      cell.f64[cell.base] = bad; // the first bucket's count
    }
    new Gauge({ name: 'pb_after_damage', help: 'A', heap, registers: [] }).set(7);
    const families = byName(decodeProtobuf(await new HeapExporter(heap).protobufBytes()));
    expect(families.get(name)!['metric']).toHaveLength(3);
    expect(families.get('pb_after_damage')).toEqual({ name: 'pb_after_damage', help: 'A', type: 'GAUGE', metric: [{ gauge: { value: 7 } }] });
  });
});

describe('content negotiation', () => {
  const PROMETHEUS_NATIVE =
    'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3,*/*;q=0.2';
  const PROMETHEUS_OPENMETRICS = 'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

  it('answers protobuf when the client prefers it, and a text format otherwise', () => {
    expect(negotiateScrapeFormat(PROMETHEUS_NATIVE)).toBe('protobuf');
    expect(negotiateScrapeFormat(PROMETHEUS_OPENMETRICS)).toBe('openmetrics');
    expect(negotiateScrapeFormat('text/plain')).toBe('prometheus');
    expect(negotiateScrapeFormat(undefined)).toBe('prometheus');
    // another proto, or another encoding, is not ours to answer
    expect(negotiateScrapeFormat('application/vnd.google.protobuf;proto=other.Message;encoding=delimited')).toBe('prometheus');
    expect(negotiateScrapeFormat('application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text')).toBe('prometheus');
    // weighed against the text formats
    expect(negotiateScrapeFormat('application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.2,text/plain;q=0.5')).toBe('prometheus');
    // where only text can be served (respond(), negotiateFormat), the text format the client takes
    expect(negotiateFormat(PROMETHEUS_NATIVE)).toBe('prometheus');
  });

  it('HeapExporter.respondBytes() serves protobuf with its content type', async () => {
    new Gauge({ name: 'pb_respond', help: 'R', heap, registers: [] }).set(1);
    const exporter = new HeapExporter(heap);
    const answer = await exporter.respondBytes(PROMETHEUS_NATIVE);
    expect(answer.contentType).toBe(PROTOBUF_CONTENT_TYPE);
    expect(byName(decodeProtobuf(answer.body)).get('pb_respond')).toEqual({ name: 'pb_respond', help: 'R', type: 'GAUGE', metric: [{ gauge: { value: 1 } }] });
    const text = await exporter.respondBytes('text/plain');
    expect(text.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(text.body.toString()).toContain('pb_respond 1\n');
  });
});
