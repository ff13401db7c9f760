// @mpmetrics/core: multiprocess-safe Prometheus metrics on one shared memory heap.
export { Counter, CounterChild } from './metrics/counter.js';
export type { CounterConfiguration } from './metrics/counter.js';
export { Gauge, GaugeChild } from './metrics/gauge.js';
export type { GaugeConfiguration } from './metrics/gauge.js';
export { MULTIPROCESS_MODES } from './metrics/multiprocess-mode.js';
export type { MultiprocessMode } from './metrics/multiprocess-mode.js';
export { Histogram, HistogramChild, DEFAULT_BUCKETS } from './metrics/histogram.js';
export type { HistogramConfiguration } from './metrics/histogram.js';
export { Summary, SummaryChild, DEFAULT_PERCENTILES } from './metrics/summary.js';
export type { SummaryConfiguration } from './metrics/summary.js';
export { Info, InfoChild } from './metrics/info.js';
export type { InfoConfiguration, InfoLabels } from './metrics/info.js';
export { Enum, EnumChild } from './metrics/enum.js';
export type { EnumConfiguration } from './metrics/enum.js';
export { RELATIVE_ACCURACY as SUMMARY_RELATIVE_ACCURACY, SKETCH_DECADES as SUMMARY_RANGE_DECADES } from './metrics/summary-sketch.js';
export { EXEMPLAR_MAX_CHARACTERS } from './metrics/exemplar.js';
export type { Exemplar, IncreaseDataWithExemplar, ObserveDataWithExemplar } from './metrics/exemplar.js';
export { linearBuckets, exponentialBuckets } from './metrics/buckets.js';
export { DEFAULT_MAX_SERIES } from './metrics/metric.js';
export { isMpmetricsMetric } from './metrics/brand.js';
export type { CollectFunction, LabelValues, MetricConfiguration, MetricObjectWithValues, MetricValue } from './metrics/metric.js';
export type { Aggregator } from './metrics/validation.js';
export type { MetricType } from './metrics/family-meta.js';

export { collectDefaultMetrics } from './runtime/collect-default-metrics.js';
export type { DefaultMetricsCollector } from './runtime/collect-default-metrics.js';
export type { DefaultMetricsCollectorConfiguration } from './runtime/default-metrics-options.js';

export { HeapExporter } from './registry/heap-exporter.js';
export type { ExportedMetrics } from './registry/heap-exporter.js';
export type { FamilySnapshot, SeriesSnapshot } from './metrics/family-reader.js';
export { negotiateFormat } from './exposition/negotiate.js';
export { writeExposition, writeExpositionBytes, leaseExpositionBytes, contentTypeOf, OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE } from './exposition/writer.js';
export type { ExpositionFormat } from './exposition/writer.js';
export type { ExpositionLease } from './exposition/exposition-bytes.js';

export { Heap } from './heap/heap.js';
export type { FamilyRecord, HeapOptions } from './heap/heap.js';
export type { SeriesLayout, SeriesRecord } from './heap/series-store.js';
export { defaultHeap, setDefaultHeap } from './heap/default-heap.js';
export type { WriterCell } from './heap/cells.js';
export type { SharedWords } from './heap/shared-words.js';
export type { ExemplarSlots, StoredExemplar } from './heap/exemplar-slots.js';
export { DIR_ENV, isHeapInUse, removeStaleHeaps } from './heap/location.js';
export { HEAP_ENV } from './native/heap-mode.js';
export type { HeapMode } from './native/heap-mode.js';
export { ErrorCodes, MpmetricsError, MpmetricsRangeError, MpmetricsTypeError } from './errors.js';
export type { ErrorCode } from './errors.js';
