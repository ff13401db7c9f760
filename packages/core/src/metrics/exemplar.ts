// Exemplars as users give them and as scrapes show them: label sets checked against OpenMetrics' rules (label
// names, at most 128 UTF-8 characters of names and values together) and encoded for an exemplar slot of the heap
// (see heap/exemplar-slots.ts and EXEMPLAR in heap/layout.ts: name, 0xFF, value, 0xFF, …).
import { MpmetricsRangeError, MpmetricsTypeError, describeValue } from '../errors.js';
import { EXEMPLAR } from '../heap/layout.js';
import type { LabelValues } from './metric.js';

/** OpenMetrics: "The combined length of the label names and values of an Exemplar's LabelSet MUST NOT exceed 128 UTF-8 characters." */
export const EXEMPLAR_MAX_CHARACTERS = 128;

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const SEPARATOR = 0xff;

/** prom-client's `inc({ labels, value, exemplarLabels })`. */
export interface IncreaseDataWithExemplar<T extends string> {
  value?: number;
  labels?: LabelValues<T>;
  exemplarLabels?: Readonly<Record<string, string | number>>;
}

/** prom-client's `observe({ labels, value, exemplarLabels })`. */
export interface ObserveDataWithExemplar<T extends string> {
  value: number;
  labels?: LabelValues<T>;
  exemplarLabels?: Readonly<Record<string, string | number>>;
}

/** An exemplar as a scrape reads it. */
export interface Exemplar {
  /** [name, value] in the order given. */
  readonly labels: readonly (readonly [string, string])[];
  readonly value: number;
  /** Unix seconds (millisecond precision). */
  readonly timestamp: number;
}

const DATA_KEYS = new Set(['labels', 'value', 'exemplarLabels']);

/** Checks prom-client's `{ labels, value, exemplarLabels }` object has no other keys (a labels object by mistake). */
export function checkExemplarData(data: object, method: string): void {
  for (const key of Object.keys(data)) {
    if (!DATA_KEYS.has(key)) {
      throw new MpmetricsRangeError(
        `With "enableExemplars", ${method}() takes { labels, value, exemplarLabels } (or labels and a value as two arguments), received the key ${JSON.stringify(key)}`,
        { code: 'MPM_ERR_LABELS' },
      );
    }
  }
}

function codePoints(text: string): number {
  let n = text.length;
  for (let i = 0; i < text.length - 1; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
// 128 characters take at most 4 bytes each, with the separators (see layout.ts): EXEMPLAR.LABEL_BYTES
const scratch = new Uint8Array(EXEMPLAR.LABEL_BYTES + 8);

/**
 * The exemplar label set checked and encoded (valid until the next call), or undefined when it is empty (no
 * exemplar: the last one stays). Throws before anything is recorded.
 */
export function encodeExemplarLabels(labels: unknown): Uint8Array | undefined {
  if (labels === undefined) return undefined;
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) {
    throw new MpmetricsTypeError(`"exemplarLabels" must be an object of label names to strings, received ${describeValue(labels)}`);
  }
  let characters = 0;
  let at = 0;
  let count = 0;
  for (const [name, raw] of Object.entries(labels as Record<string, unknown>)) {
    if (!LABEL_NAME.test(name)) {
      throw new MpmetricsRangeError(`Invalid exemplar label name ${JSON.stringify(name)}: must match [a-zA-Z_][a-zA-Z0-9_]*`, { code: 'MPM_ERR_LABELS' });
    }
    if (typeof raw !== 'string' && typeof raw !== 'number') {
      throw new MpmetricsTypeError(`Exemplar label "${name}" must be a string or a number, received ${describeValue(raw)}`);
    }
    const value = String(raw);
    characters += name.length + codePoints(value);
    if (characters > EXEMPLAR_MAX_CHARACTERS) {
      throw new MpmetricsRangeError(
        `Exemplar labels must total at most ${EXEMPLAR_MAX_CHARACTERS} UTF-8 characters of names and values (OpenMetrics), ` +
          `received more from ${JSON.stringify(labels).slice(0, 80)}…`,
        { code: 'MPM_ERR_EXEMPLAR_TOO_LONG' },
      );
    }
    at += encoder.encodeInto(name, scratch.subarray(at)).written;
    scratch[at++] = SEPARATOR;
    at += encoder.encodeInto(value, scratch.subarray(at)).written;
    scratch[at++] = SEPARATOR;
    count++;
  }
  return count === 0 ? undefined : scratch.subarray(0, at);
}

/** The label pairs of encoded exemplar labels, or undefined if they are not well formed (damage). */
export function decodeExemplarLabels(bytes: Uint8Array): [string, string][] | undefined {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== SEPARATOR) continue;
    parts.push(decoder.decode(bytes.subarray(start, i)));
    start = i + 1;
  }
  if (start !== bytes.length || parts.length % 2 !== 0) return undefined;
  const pairs: [string, string][] = [];
  for (let i = 0; i < parts.length; i += 2) {
    if (!LABEL_NAME.test(parts[i]!)) return undefined;
    pairs.push([parts[i]!, parts[i + 1]!]);
  }
  return pairs;
}
