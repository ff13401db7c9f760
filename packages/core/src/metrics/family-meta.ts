// What a family's creator stores beside its name in the heap, so that every other process can check its own
// declaration against it and export the family without having declared it.
import { MpmetricsError } from '../errors.js';
import type { Aggregator } from './validation.js';

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary';

export interface FamilyMeta {
  readonly type: MetricType;
  readonly help: string;
  readonly labelNames: readonly string[];
  readonly aggregator: Aggregator;
  /** Histogram upper bounds, without +Inf. */
  readonly buckets?: readonly number[];
  /** Summary settings. */
  readonly percentiles?: readonly number[];
  readonly maxAgeSeconds?: number;
  readonly ageBuckets?: number;
}

const IDENTITY: readonly (keyof FamilyMeta)[] = ['type', 'labelNames', 'buckets', 'percentiles', 'maxAgeSeconds', 'ageBuckets'];

export function encodeMeta(meta: FamilyMeta): string {
  return JSON.stringify(meta);
}

export function decodeMeta(name: string, text: string): FamilyMeta {
  try {
    const meta = JSON.parse(text) as FamilyMeta;
    if (typeof meta.type === 'string' && typeof meta.help === 'string' && Array.isArray(meta.labelNames)) return meta;
  } catch {
    // fall through to the error below
  }
  throw new MpmetricsError('MPM_ERR_HEAP_CORRUPT', `The heap's record of metric ${JSON.stringify(name)} has unreadable metadata`);
}

/** Throws when `mine` declares the family differently from how the heap has it (help text may differ). */
export function checkSameDeclaration(name: string, mine: FamilyMeta, theirs: FamilyMeta): void {
  for (const key of IDENTITY) {
    const a = JSON.stringify(mine[key] ?? null);
    const b = JSON.stringify(theirs[key] ?? null);
    if (a !== b) {
      throw new MpmetricsError(
        'MPM_ERR_METRIC_CONFLICT',
        `Metric ${JSON.stringify(name)} is already declared in the shared heap with ${key} ${b}; this declaration has ${key} ${a}. ` +
          'Every process must declare a metric the same way (type, labelNames, buckets, percentiles, window)',
      );
    }
  }
}
