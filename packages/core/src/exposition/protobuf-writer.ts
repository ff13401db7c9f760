// Writes families in the Prometheus protobuf exposition: length-delimited io.prometheus.client.MetricFamily
// messages (docs/ARCHITECTURE.md, "The protobuf exposition", lists the fields). The only format that carries
// native histogram buckets; a Prometheus that scrapes native histograms asks for it for the whole target, so every
// metric type is written: info and stateset as the gauges the text format makes of them.
import type { Exemplar } from '../metrics/exemplar.js';
import type { FamilySource } from '../metrics/family-reader.js';
import type { NativeHistogramSnapshot } from '../metrics/native-histogram.js';
import { ProtoWriter } from './protobuf-wire.js';

export const PROTOBUF_CONTENT_TYPE = 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';

/** MetricType values of metrics.proto. */
const COUNTER = 0;
const GAUGE = 1;
const SUMMARY = 2;
const HISTOGRAM = 4;

/** Field numbers of metrics.proto, by message. */
const FAMILY = { name: 1, help: 2, type: 3, metric: 4 } as const;
const METRIC = { label: 1, gauge: 2, counter: 3, summary: 4, histogram: 7 } as const;
const LABEL = { name: 1, value: 2 } as const;
const VALUE = 1; // Gauge.value, Counter.value
const COUNTER_FIELDS = { exemplar: 2, created: 3 } as const;
const SUMMARY_FIELDS = { count: 1, sum: 2, quantile: 3, created: 4 } as const;
const QUANTILE = { quantile: 1, value: 2 } as const;
const HISTOGRAM_FIELDS = {
  count: 1,
  sum: 2,
  bucket: 3,
  schema: 5,
  zeroThreshold: 6,
  zeroCount: 7,
  negativeSpan: 9,
  negativeDelta: 10,
  positiveSpan: 12,
  positiveDelta: 13,
  created: 15,
  exemplars: 16,
} as const;
const BUCKET = { cumulativeCount: 1, upperBound: 2, exemplar: 3 } as const;
const SPAN = { offset: 1, length: 2 } as const;
const EXEMPLAR = { label: 1, value: 2, timestamp: 3 } as const;
const TIMESTAMP = { seconds: 1, nanos: 2 } as const;

function label(w: ProtoWriter, field: number, name: string, value: string): void {
  const m = w.begin(field);
  w.stringField(LABEL.name, name);
  w.stringField(LABEL.value, value);
  w.end(m);
}

/** A google.protobuf.Timestamp of Unix `seconds` (a fraction in nanos). */
function timestamp(w: ProtoWriter, field: number, seconds: number): void {
  if (!(seconds >= 0)) return;
  const m = w.begin(field);
  let whole = Math.floor(seconds);
  let nanos = Math.round((seconds - whole) * 1e9);
  // a fraction within half a nanosecond of the next second rounds up to it: carried, not dropped (a second early)
  if (nanos === 1e9) {
    whole += 1;
    nanos = 0;
  }
  w.uintField(TIMESTAMP.seconds, whole);
  if (nanos > 0) w.uintField(TIMESTAMP.nanos, nanos);
  w.end(m);
}

function exemplar(w: ProtoWriter, field: number, e: Exemplar | undefined): void {
  if (e === undefined) return;
  const m = w.begin(field);
  for (const [name, value] of e.labels) label(w, EXEMPLAR.label, name, value);
  w.doubleField(EXEMPLAR.value, e.value);
  timestamp(w, EXEMPLAR.timestamp, e.timestamp);
  w.end(m);
}

/**
 * One sign's buckets as spans and deltas: a gap of one or two empty buckets is written as zero counts rather than
 * a new span (fewer bytes, as client_golang does).
 */
function nativeBuckets(w: ProtoWriter, spanField: number, deltaField: number, buckets: readonly (readonly [number, number])[]): void {
  if (buckets.length === 0) return;
  // the spans first (they are a field of their own), then every delta
  let previousKey = 0;
  for (let i = 0; i < buckets.length; ) {
    const first = buckets[i]![0];
    let last = first;
    let j = i + 1;
    while (j < buckets.length && buckets[j]![0] - last <= 3) last = buckets[j++]![0];
    const span = w.begin(spanField);
    w.sintField(SPAN.offset, i === 0 ? first : first - previousKey - 1);
    w.uintField(SPAN.length, last - first + 1);
    w.end(span);
    previousKey = last;
    i = j;
  }
  let previousCount = 0;
  let expected = buckets[0]![0];
  for (const [key, count] of buckets) {
    // the empty buckets a span filled in (the same rule as the spans': a gap of at most 2)
    if (key - expected <= 2) {
      for (; expected < key; expected++) {
        w.sintField(deltaField, -previousCount);
        previousCount = 0;
      }
    }
    w.sintField(deltaField, count - previousCount);
    previousCount = count;
    expected = key + 1;
  }
}

function nativeHistogram(w: ProtoWriter, native: NativeHistogramSnapshot): void {
  w.sintField(HISTOGRAM_FIELDS.schema, native.schema);
  w.doubleField(HISTOGRAM_FIELDS.zeroThreshold, native.zeroThreshold);
  w.uintField(HISTOGRAM_FIELDS.zeroCount, native.zeroCount);
  nativeBuckets(w, HISTOGRAM_FIELDS.negativeSpan, HISTOGRAM_FIELDS.negativeDelta, native.negative);
  nativeBuckets(w, HISTOGRAM_FIELDS.positiveSpan, HISTOGRAM_FIELDS.positiveDelta, native.positive);
  if (native.zeroThreshold === 0 && native.zeroCount === 0 && native.positive.length === 0 && native.negative.length === 0) {
    // a span of no buckets: without it, an empty native histogram would look classic to a scraper
    const span = w.begin(HISTOGRAM_FIELDS.positiveSpan);
    w.sintField(SPAN.offset, 0);
    w.uintField(SPAN.length, 0);
    w.end(span);
  }
}

/**
 * Appends one family as a length-delimited MetricFamily; a family without series is left out, as client_golang
 * leaves it out (the text formats still show its HELP and TYPE).
 */
function writeFamily(w: ProtoWriter, family: FamilySource): void {
  const { meta } = family;
  const names = meta.labelNames;
  const type = meta.type === 'counter' ? COUNTER : meta.type === 'histogram' ? HISTOGRAM : meta.type === 'summary' ? SUMMARY : GAUGE;
  const m = w.beginDelimited();
  w.stringField(FAMILY.name, meta.type === 'info' ? `${family.name}_info` : family.name);
  w.stringField(FAMILY.help, meta.help);
  w.uintField(FAMILY.type, type);
  let written = 0;
  family.eachSeries((s) => {
    written++;
    const labels = (): void => {
      for (let i = 0; i < names.length; i++) {
        const value = s.labels[i];
        if (value !== null && value !== undefined) label(w, METRIC.label, names[i]!, value);
      }
    };
    const v = s.values;
    if (meta.type === 'stateset') {
      // one gauge per state, labeled by the family's name, as in the text format
      const states = meta.states ?? [];
      for (let i = 0; i < states.length; i++) {
        const metric = w.begin(FAMILY.metric);
        labels();
        label(w, METRIC.label, family.name, states[i]!);
        const g = w.begin(METRIC.gauge);
        w.doubleField(VALUE, v[i] === 1 ? 1 : 0);
        w.end(g);
        w.end(metric);
      }
      return;
    }
    const metric = w.begin(FAMILY.metric);
    labels();
    switch (meta.type) {
      case 'counter': {
        const c = w.begin(METRIC.counter);
        w.doubleField(VALUE, v[0]!);
        exemplar(w, COUNTER_FIELDS.exemplar, s.exemplars?.[0]);
        timestamp(w, COUNTER_FIELDS.created, s.created);
        w.end(c);
        break;
      }
      case 'gauge':
      case 'info': {
        if (meta.type === 'info') for (const [name, value] of s.info ?? []) label(w, METRIC.label, name, value);
        const g = w.begin(METRIC.gauge);
        w.doubleField(VALUE, meta.type === 'info' ? 1 : v[0]!);
        w.end(g);
        break;
      }
      case 'summary': {
        const percentiles = meta.percentiles ?? [];
        const n = percentiles.length;
        const sm = w.begin(METRIC.summary);
        w.uintField(SUMMARY_FIELDS.count, v[n + 1]!);
        w.doubleField(SUMMARY_FIELDS.sum, v[n]!);
        for (let i = 0; i < n; i++) {
          const q = w.begin(SUMMARY_FIELDS.quantile);
          w.doubleField(QUANTILE.quantile, percentiles[i]!);
          w.doubleField(QUANTILE.value, v[i]!);
          w.end(q);
        }
        timestamp(w, SUMMARY_FIELDS.created, s.created);
        w.end(sm);
        break;
      }
      case 'histogram': {
        const bounds = meta.buckets ?? [];
        const n = bounds.length;
        const h = w.begin(METRIC.histogram);
        w.uintField(HISTOGRAM_FIELDS.count, v[n]!);
        w.doubleField(HISTOGRAM_FIELDS.sum, v[n + 1]!);
        for (let i = 0; i < n; i++) {
          const b = w.begin(HISTOGRAM_FIELDS.bucket);
          w.uintField(BUCKET.cumulativeCount, v[i]!);
          w.doubleField(BUCKET.upperBound, bounds[i]!);
          exemplar(w, BUCKET.exemplar, s.exemplars?.[i]);
          w.end(b);
        }
        // the +Inf bucket is implied by the count: written only to carry its exemplar
        const infExemplar = n > 0 ? s.exemplars?.[n] : undefined;
        if (infExemplar !== undefined) {
          const b = w.begin(HISTOGRAM_FIELDS.bucket);
          w.uintField(BUCKET.cumulativeCount, v[n]!);
          w.doubleField(BUCKET.upperBound, Infinity);
          exemplar(w, BUCKET.exemplar, infExemplar);
          w.end(b);
        }
        timestamp(w, HISTOGRAM_FIELDS.created, s.created);
        if (s.native !== undefined) {
          nativeHistogram(w, s.native);
          // the native histogram's exemplars: the latest of each classic bucket (+Inf alone for a native-only one)
          for (const e of s.exemplars ?? []) exemplar(w, HISTOGRAM_FIELDS.exemplars, e);
        }
        w.end(h);
        break;
      }
    }
    w.end(metric);
  });
  if (written === 0) w.rewind(m);
  else w.end(m);
}

/** One writer for every scrape (they never overlap: a scrape writes synchronously), its buffer reused. */
const writer = new ProtoWriter();

/** Every family in `families`, as one protobuf exposition body (a Buffer of its own). */
export function writeProtobuf(families: readonly FamilySource[]): Buffer {
  writer.reset();
  for (const family of families) writeFamily(writer, family);
  return Buffer.from(writer.bytes);
}
