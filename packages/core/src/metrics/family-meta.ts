// What a family's creator stores beside its name in the heap, so that every other process can check its own
// declaration against it and export the family without having declared it.
import { MpmetricsRangeError } from '../errors.js';
import { isMultiprocessMode, type MultiprocessMode } from './multiprocess-mode.js';
import { MAX_SCHEMA, MIN_SCHEMA } from './native-buckets.js';
import type { NativeSettings } from './native-histogram.js';
import { MOST_NATIVE_BUCKETS, type Aggregator } from './validation.js';

/** The metric types; `info` and `stateset` (Enum) are OpenMetrics types, written as gauges in the text format. */
export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'info' | 'stateset';

export interface FamilyMeta {
  readonly type: MetricType;
  readonly help: string;
  readonly labelNames: readonly string[];
  readonly aggregator: Aggregator;
  /** Histogram upper bounds, without +Inf (none: native buckets only). */
  readonly buckets?: readonly number[];
  /** Histograms with native buckets: their settings. */
  readonly native?: NativeSettings;
  /** Summary settings. */
  readonly percentiles?: readonly number[];
  readonly maxAgeSeconds?: number;
  readonly ageBuckets?: number;
  /** Enum (stateset) states, in declaration order: the first is the initial state. */
  readonly states?: readonly string[];
  /** Counters and histograms declared with `enableExemplars: true` (absent otherwise). */
  readonly exemplars?: true;
  /** Gauges: how the values of many processes combine ('shared' when absent). */
  readonly multiprocessMode?: MultiprocessMode;
  /** Label sets not updated for this long expire (see heap/expiry.ts); absent: they never do. */
  readonly ttlSeconds?: number;
}

const IDENTITY: readonly (keyof FamilyMeta)[] = [
  'type',
  'labelNames',
  'buckets',
  'native',
  'percentiles',
  'maxAgeSeconds',
  'ageBuckets',
  'states',
  'exemplars',
  'multiprocessMode',
  'ttlSeconds',
];

/** A gauge's mode ('shared' when its declaration predates the option), undefined for other types. */
export function multiprocessModeOf(meta: FamilyMeta): MultiprocessMode | undefined {
  return meta.type === 'gauge' ? (meta.multiprocessMode ?? 'shared') : undefined;
}

function identityValue(meta: FamilyMeta, key: keyof FamilyMeta): unknown {
  return key === 'multiprocessMode' ? multiprocessModeOf(meta) : meta[key];
}

export function encodeMeta(meta: FamilyMeta): string {
  return JSON.stringify(meta);
}

const TYPES: readonly string[] = ['counter', 'gauge', 'histogram', 'summary', 'info', 'stateset'];

/** `meta` and its arrays, frozen: a parsed declaration that is kept across scrapes and handed out in snapshots. */
export function frozenMeta(meta: FamilyMeta): FamilyMeta {
  for (const value of Object.values(meta)) if (Array.isArray(value)) Object.freeze(value);
  return Object.freeze(meta);
}

/** Native settings as a declaration makes them (checkNativeHistogram): anything else is damage, not to be read. */
function isNativeSettings(native: unknown): boolean {
  if (typeof native !== 'object' || native === null) return false;
  const { schema, zeroThreshold, maxBuckets } = native as Record<string, unknown>;
  return (
    Number.isInteger(schema) && (schema as number) >= MIN_SCHEMA && (schema as number) <= MAX_SCHEMA &&
    typeof zeroThreshold === 'number' && zeroThreshold >= 0 && zeroThreshold < Infinity &&
    Number.isInteger(maxBuckets) && (maxBuckets as number) >= 1 && (maxBuckets as number) <= MOST_NATIVE_BUCKETS
  );
}

/** The metric declaration stored with a family, or undefined when the family is not a metric's (raw heap use). */
export function parseMeta(text: string): FamilyMeta | undefined {
  try {
    const meta = JSON.parse(text) as Partial<FamilyMeta> | null;
    if (meta !== null && typeof meta === 'object' && TYPES.includes(meta.type as string) && typeof meta.help === 'string' && Array.isArray(meta.labelNames)) {
      // a mode this version does not know cannot be read right: better not exported than misread
      if (meta.multiprocessMode !== undefined && !isMultiprocessMode(meta.multiprocessMode)) return undefined;
      if (meta.native !== undefined && !isNativeSettings(meta.native)) return undefined;
      return meta as FamilyMeta;
    }
  } catch {
    // not JSON: not a metric's family
  }
  return undefined;
}

/** The metric declaration stored with a family that must be a metric's. */
export function decodeMeta(name: string, text: string): FamilyMeta {
  const meta = parseMeta(text);
  if (meta !== undefined) return meta;
  throw new MpmetricsRangeError(`The shared heap has a family named ${JSON.stringify(name)} that is not a metric declared by @mpmetrics/core`, {
    code: 'MPM_ERR_METRIC_CONFLICT',
  });
}

/** Throws when `mine` declares the family differently from how the heap has it (help text may differ). */
export function checkSameDeclaration(name: string, mine: FamilyMeta, theirs: FamilyMeta): void {
  for (const key of IDENTITY) {
    const a = JSON.stringify(identityValue(mine, key) ?? null);
    const b = JSON.stringify(identityValue(theirs, key) ?? null);
    if (a !== b) {
      // A RangeError (the declaration's value is not the one the heap accepts), and an MpmetricsError by its brand.
      throw new MpmetricsRangeError(
        `Metric ${JSON.stringify(name)} is already declared in the shared heap with ${key} ${b}; this declaration has ${key} ${a}. ` +
          'Every process must declare a metric the same way (type, labelNames, buckets, native buckets, percentiles, window, states, enableExemplars, multiprocessMode, ttlSeconds)',
        { code: 'MPM_ERR_METRIC_CONFLICT' },
      );
    }
  }
}
