// Writes family snapshots in the Prometheus text format 0.0.4 or OpenMetrics 1.0, to the letter of each.
import type { Exemplar } from '../metrics/exemplar.js';
import type { SeriesLabels } from '../metrics/label-tree.js';
import { snapshotSource, type FamilySnapshot, type FamilySource, type LabelTextSlot, type SeriesVisitor } from '../metrics/family-reader.js';
import type { FamilyMeta } from '../metrics/family-meta.js';
import { escapeHelpOpenMetrics, escapeHelpText, escapeLabelValue } from './escaping.js';
import { canonicalNumber, formatValue } from './numbers.js';
import { MpmetricsRangeError, MpmetricsTypeError, describeValue } from '../errors.js';
import { encoded, ExpositionBytes, type ExpositionLease } from './exposition-bytes.js';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

export type ExpositionFormat = 'prometheus' | 'openmetrics';

/** Label prefixes by label-values array, as UTF-8: the reader keeps one array per series, so this lasts across scrapes. */
const prefixes = new WeakMap<SeriesLabels, Uint8Array>();

/**
 * `{a="x",b="y"` without the closing brace (so `le` or `quantile` can follow), or nothing for no labels. A label
 * the series leaves out (null) is not written, as prom-client writes a label set without it. The text is encoded
 * once per series record: kept in `keep` when the reader gives one, else by label-values array.
 */
function openLabels(names: readonly string[], values: SeriesLabels, extra: Readonly<Record<string, string>> | undefined, keep: LabelTextSlot | undefined): Uint8Array {
  if (extra !== undefined) return encoded(formatLabels(names, values, extra));
  if (keep !== undefined) return (keep.text ??= encoded(formatLabels(names, values, undefined)));
  let cached = prefixes.get(values);
  if (cached === undefined) prefixes.set(values, (cached = encoded(formatLabels(names, values, undefined))));
  return cached;
}

function formatLabels(names: readonly string[], values: SeriesLabels, extra: Readonly<Record<string, string>> | undefined): string {
  let out = '';
  for (let i = 0; i < names.length; i++) {
    const value = values[i];
    if (value !== null && value !== undefined) out += `${out === '' ? '{' : ','}${names[i]}="${escapeLabelValue(value)}"`;
  }
  if (extra !== undefined) for (const [name, value] of Object.entries(extra)) out += `${out === '' ? '{' : ','}${name}="${escapeLabelValue(value)}"`;
  return out;
}

/** `name{labels} value`: a sample without `le` or `quantile`, its label set opened by openLabels. */
function sample(out: ExpositionBytes, name: Uint8Array, open: Uint8Array, value: number): void {
  out.bytes(name);
  if (open.length > 0) {
    out.bytes(open);
    out.closeLabels();
  } else out.space();
  out.value(value);
}

/** A whole sample line without `le` or `quantile`. */
function sampleLine(out: ExpositionBytes, name: Uint8Array, open: Uint8Array, value: number): void {
  sample(out, name, open, value);
  out.newline();
}

/** `name{labels,bound} value` without its line feed: a bucket, quantile or state sample (`bound` from boundLabels). */
function boundSample(out: ExpositionBytes, name: Uint8Array, open: Uint8Array, bound: Uint8Array, value: number): void {
  out.bytes(name);
  out.bytes(open);
  out.bytes(bound);
  out.value(value);
}

/**
 * Lines of `name{labels,bound} value`, one per bound (bucket or quantile lines of one series), the first with its
 * `name{labels` written as pieces and the others copying it from there; `skip(i)` leaves line i out.
 */
function boundLines(out: ExpositionBytes, name: Uint8Array, open: Uint8Array, bounds: readonly Uint8Array[], values: readonly number[], exemplars: readonly (Exemplar | undefined)[] | undefined, skip?: (value: number) => boolean): void {
  let start = -1;
  let end = -1;
  for (let i = 0; i < bounds.length; i++) {
    const value = values[i]!;
    if (skip?.(value) === true) continue;
    if (start < 0) {
      start = out.position;
      out.bytes(name);
      out.bytes(open);
      end = out.position;
    } else out.again(start, end);
    out.bytes(bounds[i]!);
    out.value(value);
    if (exemplars !== undefined) exemplarSuffix(out, exemplars[i]);
    out.newline();
  }
}

/** OpenMetrics leaves out a quantile below zero (it holds them to be counter-like). */
const negative = (value: number): boolean => value < 0;

/** ` # {labels} value timestamp`: an exemplar after an OpenMetrics sample, if there is one. */
function exemplarSuffix(out: ExpositionBytes, exemplar: Exemplar | undefined): void {
  if (exemplar === undefined) return;
  let labels = '';
  for (const [name, value] of exemplar.labels) labels += `${labels === '' ? '' : ','}${name}="${escapeLabelValue(value)}"`;
  out.text(` # {${labels}} ${formatValue(exemplar.value)} ${formatValue(exemplar.timestamp)}`);
}

/** `{le="0.5"} ` after no labels, `,le="0.5"} ` after some: one of each per bound, made once per family. */
interface BoundLabels {
  readonly alone: readonly Uint8Array[];
  readonly after: readonly Uint8Array[];
}

function boundLabels(name: string, values: readonly string[]): BoundLabels {
  return { alone: values.map((v) => encoded(`{${name}="${v}"} `)), after: values.map((v) => encoded(`,${name}="${v}"} `)) };
}

/**
 * What a family's text needs that does not change from one series or scrape to the next: its HELP and TYPE lines,
 * sample names and bound labels, encoded once. Kept in the family record's slot when the source has one (some 30
 * encodings a histogram family, each a call into C++).
 */
interface FamilyPieces {
  readonly head: Uint8Array;
  /** The family's name as samples spell it (a counter's without _total in OpenMetrics). */
  readonly name: Uint8Array;
  readonly created: Uint8Array;
  /** `_total`, `_bucket`, `_count`, `_sum` or `_info` after the name: what the family's type writes. */
  readonly total: Uint8Array;
  readonly bucket: Uint8Array;
  readonly count: Uint8Array;
  readonly sum: Uint8Array;
  readonly info: Uint8Array;
  /** `le`, `quantile` or state labels. */
  readonly bounds: BoundLabels;
  /** A histogram with a negative bound (OpenMetrics then writes no sum). */
  readonly negativeBounds: boolean;
}

const NONE = new Uint8Array(0);
const NO_BOUNDS: BoundLabels = { alone: [], after: [] };

function familyPieces(family: FamilySource, om: boolean): FamilyPieces {
  const { meta } = family;
  // OpenMetrics names a counter family without its _total suffix, which every sample then carries.
  const base = om && meta.type === 'counter' ? family.name.replace(/_total$/, '') : family.name;
  const help = om ? escapeHelpOpenMetrics(meta.help) : escapeHelpText(meta.help);
  // The text format has no info or stateset: like Python's client, an info family becomes the gauge <name>_info,
  // and a stateset the gauge <name>, with the same samples.
  let described = base;
  let type: string = meta.type;
  if (!om && meta.type === 'info') [described, type] = [`${base}_info`, 'gauge'];
  else if (!om && meta.type === 'stateset') type = 'gauge';
  const bounds =
    meta.type === 'histogram'
      ? boundLabels('le', [...(meta.buckets ?? []).map(canonicalNumber), '+Inf'])
      : meta.type === 'summary'
        ? boundLabels('quantile', (meta.percentiles ?? []).map(canonicalNumber))
        : meta.type === 'stateset'
          ? boundLabels(base, (meta.states ?? []).map(escapeLabelValue)) // the state label is named after the family
          : NO_BOUNDS;
  const named = (suffix: string): Uint8Array => encoded(`${base}${suffix}`);
  return {
    head: encoded(`# HELP ${described} ${help}\n# TYPE ${described} ${type}\n`),
    name: encoded(base),
    created: named('_created'),
    total: meta.type === 'counter' && om ? named('_total') : NONE,
    bucket: meta.type === 'histogram' ? named('_bucket') : NONE,
    count: meta.type === 'histogram' || meta.type === 'summary' ? named('_count') : NONE,
    sum: meta.type === 'histogram' || meta.type === 'summary' ? named('_sum') : NONE,
    info: meta.type === 'info' ? named('_info') : NONE,
    bounds,
    // OpenMetrics 1.0 holds histogram and summary sums, and quantiles, to be counter-like (never negative), and
    // a histogram with negative bounds to have no sum at all; its parsers want _count and _sum together. So those
    // samples are left out there (sum and count as a pair), and only there.
    negativeBounds: (meta.buckets?.[0] ?? 0) < 0,
  };
}

/** Appends one family to `out`, a series at a time (each series' label text is encoded once per record: openLabels). */
function writeFamily(out: ExpositionBytes, family: FamilySource, format: ExpositionFormat, constLabels: Readonly<Record<string, string>> | undefined): void {
  const om = format === 'openmetrics';
  const keep = family.keep;
  let pieces: FamilyPieces;
  if (keep === undefined) pieces = familyPieces(family, om);
  else if (om) pieces = (keep.openmetrics ??= familyPieces(family, om)) as FamilyPieces;
  else pieces = (keep.prometheus ??= familyPieces(family, om)) as FamilyPieces;
  out.bytes(pieces.head);
  family.eachSeries(seriesWriter(out, pieces, family.meta, om, constLabels));
}

/** Writes the samples of one series of a family. */
function seriesWriter(out: ExpositionBytes, pieces: FamilyPieces, meta: FamilyMeta, om: boolean, constLabels: Readonly<Record<string, string>> | undefined): SeriesVisitor {
  const names = meta.labelNames;
  const { name, created, bounds } = pieces;
  switch (meta.type) {
    case 'counter': {
      const total = om ? pieces.total : name;
      return (s, keep) => {
        const open = openLabels(names, s.labels, constLabels, keep);
        sample(out, total, open, s.values[0]!);
        if (om) {
          exemplarSuffix(out, s.exemplars?.[0]);
          out.newline();
          sample(out, created, open, s.created);
        }
        out.newline();
      };
    }
    case 'gauge':
      return (s, keep) => sampleLine(out, name, openLabels(names, s.labels, constLabels, keep), s.values[0]!);
    case 'histogram': {
      const { bucket, count, sum, negativeBounds } = pieces;
      const n = bounds.alone.length - 1;
      return (s, keep) => {
        const open = openLabels(names, s.labels, constLabels, keep);
        const v = s.values;
        boundLines(out, bucket, open, open.length === 0 ? bounds.alone : bounds.after, v, om ? s.exemplars : undefined);
        if (!om || (!negativeBounds && !(v[n + 1]! < 0))) {
          sampleLine(out, count, open, v[n]!);
          sampleLine(out, sum, open, v[n + 1]!);
        }
        if (om) sampleLine(out, created, open, s.created);
      };
    }
    case 'summary': {
      const { count, sum } = pieces;
      const n = bounds.alone.length;
      return (s, keep) => {
        const open = openLabels(names, s.labels, constLabels, keep);
        const v = s.values;
        boundLines(out, name, open, open.length === 0 ? bounds.alone : bounds.after, v, undefined, om ? negative : undefined);
        if (!om || !(v[n]! < 0)) {
          sampleLine(out, sum, open, v[n]!);
          sampleLine(out, count, open, v[n + 1]!);
        }
        if (om) sampleLine(out, created, open, s.created);
      };
    }
    case 'info': {
      const { info } = pieces;
      return (s) => {
        let labels = formatLabels(names, s.labels, constLabels);
        for (const [label, value] of s.info ?? []) labels += `${labels === '' ? '{' : ','}${label}="${escapeLabelValue(value)}"`;
        sampleLine(out, info, encoded(labels), 1);
      };
    }
    case 'stateset':
      return (s, keep) => {
        const open = openLabels(names, s.labels, constLabels, keep);
        const states = open.length === 0 ? bounds.alone : bounds.after;
        for (let i = 0; i < states.length; i++) {
          boundSample(out, name, open, states[i]!, s.values[i] === 1 ? 1 : 0);
          out.newline();
        }
      };
  }
}

/** Every family in `families` to one exposition, ended as `format` wants or by `rest`. */
export function writeSources(families: readonly FamilySource[], format: ExpositionFormat, constLabels?: Readonly<Record<string, string>>, rest?: string): ExpositionBytes {
  const out = ExpositionBytes.take();
  for (const family of families) writeFamily(out, family, format, constLabels);
  if (rest !== undefined) out.text(rest);
  else if (format === 'openmetrics') out.text('# EOF\n');
  return out;
}

const FORMATS: readonly string[] = ['prometheus', 'openmetrics'] satisfies ExpositionFormat[];

/** The format argument of the newer entry points, checked: the older ones take any string as the text format. */
export function checkFormat(format: unknown): ExpositionFormat {
  if (typeof format !== 'string') throw new MpmetricsTypeError(`"format" must be "prometheus" or "openmetrics", received ${describeValue(format)}`);
  if (!FORMATS.includes(format)) throw new MpmetricsRangeError(`"format" must be "prometheus" or "openmetrics", received ${describeValue(format)}`);
  return format as ExpositionFormat;
}

/** The `rest` argument of the byte writers: another registry's exposition, appended. */
export function checkRest(rest: unknown): void {
  if (rest !== undefined && typeof rest !== 'string') throw new MpmetricsTypeError(`"rest" must be a string, received ${describeValue(rest)}`);
}

/** The whole exposition of `families`; `constLabels` are added to every sample (like prom-client's default labels). */
export function writeExposition(families: readonly FamilySnapshot[], format: ExpositionFormat, constLabels?: Readonly<Record<string, string>>): string {
  return writeSources(Array.from(families, snapshotSource), format, constLabels).toString();
}

/**
 * The same exposition as UTF-8 bytes, ready to send: no string is made, which for a large scrape costs more than
 * writing it (a string of 128 KB to 1 MB gets fresh pages from V8 every time; see the journal, 2026-12-07). The
 * Buffer is the caller's to keep. `rest` is as for leaseExpositionBytes(): another registry's exposition, appended.
 */
export function writeExpositionBytes(families: readonly FamilySnapshot[], format: ExpositionFormat, constLabels?: Readonly<Record<string, string>>, rest?: string): Buffer {
  checkRest(rest);
  return writeSources(Array.from(families, snapshotSource), format, constLabels, rest).copy();
}

/**
 * The same bytes as writeExpositionBytes(), lent in a reused buffer instead of copied into fresh memory, whose page
 * faults cost more than the writing (journal, 2026-12-07). Read `bytes` until `release()`; a response releases
 * once Node has handed the bytes to the OS ('finish'). `rest` is another registry's exposition in the same format,
 * written after these families; in OpenMetrics it must end with the `# EOF` line, which is then not written here.
 */
export function leaseExpositionBytes(families: readonly FamilySnapshot[], format: ExpositionFormat, constLabels?: Readonly<Record<string, string>>, rest?: string): ExpositionLease {
  if (!Array.isArray(families)) throw new MpmetricsTypeError(`"families" must be an array of family snapshots, received ${describeValue(families)}`);
  checkFormat(format);
  if (constLabels !== undefined && (typeof constLabels !== 'object' || constLabels === null || Array.isArray(constLabels))) {
    throw new MpmetricsTypeError(`"constLabels" must be an object of label name → value, received ${describeValue(constLabels)}`);
  }
  checkRest(rest);
  return writeSources(Array.from(families, snapshotSource), format, constLabels, rest).lease();
}

export function contentTypeOf(format: ExpositionFormat): string {
  return format === 'openmetrics' ? OPENMETRICS_CONTENT_TYPE : PROMETHEUS_CONTENT_TYPE;
}
