// Checks of everything a user hands a metric, done when the metric is built (options) or once per new label set
// (label values), never per update beyond a number check. prom-client's rules are the floor; errors say what was
// expected and what came, and carry stable codes.
import { MpmetricsRangeError, MpmetricsTypeError, describeValue } from '../errors.js';
import { DEFAULT_ZERO_THRESHOLD, schemaForFactor } from './native-buckets.js';
import type { NativeSettings } from './native-histogram.js';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** The configuration object itself: anything else is a TypeError that names the metric type. */
export function checkConfiguration<C>(config: C, type: string): NonNullable<C> {
  if (typeof config !== 'object' || config === null) {
    throw new MpmetricsTypeError(`A ${type} needs a configuration object, received ${describeValue(config)}`);
  }
  return config as NonNullable<C>;
}

/** An optional boolean option. */
export function checkOptionalBoolean(value: unknown, name: string): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') throw new MpmetricsTypeError(`"${name}" must be a boolean, received ${describeValue(value)}`);
  return value;
}

export function checkMetricName(name: unknown): string {
  if (typeof name !== 'string') throw new MpmetricsTypeError(`"name" must be a string, received ${describeValue(name)}`);
  if (!METRIC_NAME.test(name)) {
    throw new MpmetricsRangeError(`Invalid metric name ${JSON.stringify(name)}: must match [a-zA-Z_:][a-zA-Z0-9_:]*`);
  }
  return name;
}

export function checkHelp(help: unknown): string {
  if (typeof help !== 'string' || help === '') {
    throw new MpmetricsTypeError(`"help" must be a non-empty string, received ${describeValue(help)}`);
  }
  return help;
}

/** Label names: valid, unique, not reserved (`__` prefix, and `reserved` such as `le` or `quantile`). */
export function checkLabelNames(labelNames: unknown, reserved: readonly string[] = []): readonly string[] {
  if (labelNames === undefined) return [];
  if (!Array.isArray(labelNames)) throw new MpmetricsTypeError(`"labelNames" must be an array of strings, received ${describeValue(labelNames)}`);
  const seen = new Set<string>();
  for (const name of labelNames as unknown[]) {
    if (typeof name !== 'string') throw new MpmetricsTypeError(`"labelNames" must hold strings, received ${describeValue(name)}`);
    if (!LABEL_NAME.test(name)) {
      throw new MpmetricsRangeError(`Invalid label name ${JSON.stringify(name)}: must match [a-zA-Z_][a-zA-Z0-9_]*`);
    }
    if (name.startsWith('__')) throw new MpmetricsRangeError(`Invalid label name ${JSON.stringify(name)}: names starting with "__" are reserved`);
    if (reserved.includes(name)) throw new MpmetricsRangeError(`Invalid label name ${JSON.stringify(name)}: "${name}" is reserved for this metric type`);
    if (seen.has(name)) throw new MpmetricsRangeError(`Duplicate label name ${JSON.stringify(name)} in "labelNames"`);
    seen.add(name);
  }
  return Object.freeze([...(labelNames as string[])]);
}

/** ES2024's String.prototype.isWellFormed (Node 20+), which our ES2023 lib does not declare. */
const isWellFormed = (String.prototype as unknown as { isWellFormed: (this: string) => boolean }).isWellFormed;

/**
 * A label value as it will be exported: strings as they are, numbers in their JavaScript spelling. A string with
 * a lone surrogate has no UTF-8 spelling (it would be exported as U+FFFD, not as given), so it is refused.
 */
export function labelValueText(name: string, value: unknown): string {
  if (typeof value === 'string') {
    if (isWellFormed.call(value)) return value;
    throw new MpmetricsTypeError(`Label "${name}" must be well-formed Unicode text, received a string with a lone surrogate: ${JSON.stringify(value)}`, {
      code: 'MPM_ERR_LABELS',
    });
  }
  if (typeof value === 'number') return String(value);
  throw new MpmetricsTypeError(`Label "${name}" must be a string or a number, received ${describeValue(value)}`, { code: 'MPM_ERR_LABELS' });
}

export function invalidNumber(what: string, value: unknown): MpmetricsTypeError {
  return new MpmetricsTypeError(`${what} must be a finite number, received ${describeValue(value)}`);
}

/** Classic bucket bounds; none (`allowNone`) only beside native buckets. */
export function checkBuckets(buckets: unknown, allowNone = false): readonly number[] {
  if (!Array.isArray(buckets)) throw new MpmetricsTypeError(`"buckets" must be an array of numbers, received ${describeValue(buckets)}`);
  const list = buckets as unknown[];
  const out: number[] = [];
  for (let i = 0; i < list.length; i++) {
    const b = list[i];
    if (typeof b !== 'number' || Number.isNaN(b)) throw new MpmetricsTypeError(`"buckets" must hold numbers, received ${describeValue(b)} at index ${i}`);
    if (b === Infinity && i === list.length - 1) continue; // +Inf is always added: accept it spelled out
    if (!Number.isFinite(b)) throw new MpmetricsRangeError(`"buckets" must hold finite numbers, received ${b} at index ${i}`);
    if (i > 0 && b <= (list[i - 1] as number)) {
      throw new MpmetricsRangeError(`"buckets" must be strictly increasing, received ${String(list[i - 1])} then ${b} at index ${i}`);
    }
    out.push(b);
  }
  if (out.length === 0 && !allowNone) {
    throw new MpmetricsRangeError('"buckets" must hold at least one finite upper bound (none is for native buckets only: give "nativeHistogramBucketFactor")');
  }
  return Object.freeze(out);
}

/** The native bucket budget when none is given: prom-client's pull request's (client_golang has none). */
const DEFAULT_MAX_NATIVE_BUCKETS = 160;
/** The most native buckets one may ask for: each writer's cell keeps this many bins per sign, 8 bytes each. */
export const MOST_NATIVE_BUCKETS = 4096;

interface NativeHistogramOptions {
  nativeHistogramBucketFactor?: unknown;
  nativeHistogramZeroThreshold?: unknown;
  nativeHistogramMaxBucketNumber?: unknown;
}

function checkNumberOption(value: unknown, name: string): number {
  if (typeof value !== 'number' || Number.isNaN(value)) throw new MpmetricsTypeError(`"${name}" must be a number, received ${describeValue(value)}`);
  return value;
}

/**
 * The native bucket settings of a histogram's options, or undefined when `nativeHistogramBucketFactor` is absent
 * (the other two options need it).
 */
export function checkNativeHistogram(options: NativeHistogramOptions): NativeSettings | undefined {
  const { nativeHistogramBucketFactor: factor, nativeHistogramZeroThreshold: zero, nativeHistogramMaxBucketNumber: most } = options;
  if (factor === undefined) {
    for (const [name, value] of [['nativeHistogramZeroThreshold', zero], ['nativeHistogramMaxBucketNumber', most]] as const) {
      if (value !== undefined) {
        throw new MpmetricsTypeError(`"${name}" tunes native buckets, which "nativeHistogramBucketFactor" turns on: it is missing, received ${name} ${describeValue(value)}`);
      }
    }
    return undefined;
  }
  const f = checkNumberOption(factor, 'nativeHistogramBucketFactor');
  if (!(f > 1) || f === Infinity) throw new MpmetricsRangeError(`"nativeHistogramBucketFactor" must be a finite number greater than 1 (such as 1.1), received ${f}`);
  const threshold = zero === undefined ? DEFAULT_ZERO_THRESHOLD : checkNumberOption(zero, 'nativeHistogramZeroThreshold');
  if (!(threshold >= 0) || threshold === Infinity) {
    throw new MpmetricsRangeError(`"nativeHistogramZeroThreshold" must be a finite number ≥ 0, received ${threshold}`);
  }
  const maxBuckets = most === undefined ? DEFAULT_MAX_NATIVE_BUCKETS : checkNumberOption(most, 'nativeHistogramMaxBucketNumber');
  if (!Number.isInteger(maxBuckets) || maxBuckets < 1 || maxBuckets > MOST_NATIVE_BUCKETS) {
    throw new MpmetricsRangeError(`"nativeHistogramMaxBucketNumber" must be a whole number from 1 to ${MOST_NATIVE_BUCKETS}, received ${maxBuckets}`);
  }
  return Object.freeze({ schema: schemaForFactor(f), zeroThreshold: threshold, maxBuckets });
}

export function checkPercentiles(percentiles: unknown): readonly number[] {
  if (!Array.isArray(percentiles)) {
    throw new MpmetricsTypeError(`"percentiles" must be an array of numbers, received ${describeValue(percentiles)}`);
  }
  const out: number[] = [];
  for (const p of percentiles as unknown[]) {
    if (typeof p !== 'number') throw new MpmetricsTypeError(`"percentiles" must hold numbers, received ${describeValue(p)}`);
    if (!(p >= 0 && p <= 1)) throw new MpmetricsRangeError(`"percentiles" must hold numbers from 0 to 1, received ${describeValue(p)}`);
    if (out.length > 0 && p <= out[out.length - 1]!) throw new MpmetricsRangeError(`"percentiles" must be strictly increasing, received ${out[out.length - 1]} then ${p}`);
    out.push(p);
  }
  return Object.freeze(out);
}

/** Enum states: a non-empty array of unique, non-empty strings. */
export function checkStates(states: unknown): readonly string[] {
  if (!Array.isArray(states)) throw new MpmetricsTypeError(`"states" must be an array of strings, received ${describeValue(states)}`);
  if (states.length === 0) throw new MpmetricsRangeError('"states" must hold at least one state');
  const seen = new Set<string>();
  for (const state of states as unknown[]) {
    if (typeof state !== 'string') throw new MpmetricsTypeError(`"states" must hold strings, received ${describeValue(state)}`);
    if (state === '') throw new MpmetricsRangeError('"states" must hold non-empty strings, received the empty string');
    if (seen.has(state)) throw new MpmetricsRangeError(`Duplicate state ${JSON.stringify(state)} in "states"`);
    seen.add(state);
  }
  return Object.freeze([...(states as string[])]);
}

/**
 * The labels of an Info, as [name, value] pairs in the order given: names valid label names, not reserved and not
 * among the metric's own `labelNames`; values strings.
 */
export function checkInfoLabels(info: unknown, labelNames: readonly string[]): [string, string][] {
  if (typeof info !== 'object' || info === null || Array.isArray(info)) {
    throw new MpmetricsTypeError(`Info labels must be an object of label names to strings, received ${describeValue(info)}`);
  }
  const pairs: [string, string][] = [];
  for (const [name, value] of Object.entries(info as Record<string, unknown>)) {
    if (!LABEL_NAME.test(name)) throw new MpmetricsRangeError(`Invalid info label name ${JSON.stringify(name)}: must match [a-zA-Z_][a-zA-Z0-9_]*`, { code: 'MPM_ERR_LABELS' });
    if (name.startsWith('__')) throw new MpmetricsRangeError(`Invalid info label name ${JSON.stringify(name)}: names starting with "__" are reserved`, { code: 'MPM_ERR_LABELS' });
    if (labelNames.includes(name)) {
      throw new MpmetricsRangeError(`Info label ${JSON.stringify(name)} clashes with the metric's label of that name (labelNames: ${labelNames.join(', ')})`, {
        code: 'MPM_ERR_LABELS',
      });
    }
    if (typeof value !== 'string') throw new MpmetricsTypeError(`Info label ${JSON.stringify(name)} must be a string, received ${describeValue(value)}`);
    pairs.push([name, value]);
  }
  return pairs;
}

/** A metric name that is also a valid label name (an Enum's state label is named after its metric). */
export function checkLabelLikeName(name: string, what: string): string {
  if (!LABEL_NAME.test(name)) {
    throw new MpmetricsRangeError(`Invalid ${what} name ${JSON.stringify(name)}: it names the state label too, so it must match [a-zA-Z_][a-zA-Z0-9_]*`);
  }
  return name;
}

export function checkPositiveInteger(value: unknown, name: string, max = 2 ** 31): number {
  if (typeof value !== 'number') throw new MpmetricsTypeError(`"${name}" must be an integer, received ${describeValue(value)}`);
  if (!Number.isInteger(value) || value < 1 || value > max) throw new MpmetricsRangeError(`"${name}" must be an integer from 1 to ${max}, received ${value}`);
  return value;
}

const AGGREGATORS = ['sum', 'first', 'min', 'max', 'average', 'omit'] as const;
export type Aggregator = (typeof AGGREGATORS)[number];

export function checkAggregator(value: unknown): Aggregator {
  if (value === undefined) return 'sum';
  if (typeof value !== 'string') throw new MpmetricsTypeError(`"aggregator" must be one of ${AGGREGATORS.join(', ')}, received ${describeValue(value)}`);
  if (!(AGGREGATORS as readonly string[]).includes(value)) {
    throw new MpmetricsRangeError(`"aggregator" must be one of ${AGGREGATORS.join(', ')}, received ${describeValue(value)}`);
  }
  return value as Aggregator;
}
