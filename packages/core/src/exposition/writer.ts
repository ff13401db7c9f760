// Writes family snapshots in the Prometheus text format 0.0.4 or OpenMetrics 1.0, to the letter of each.
import type { Exemplar } from '../metrics/exemplar.js';
import type { SeriesLabels } from '../metrics/label-tree.js';
import type { FamilySnapshot } from '../metrics/family-reader.js';
import { escapeHelpOpenMetrics, escapeHelpText, escapeLabelValue } from './escaping.js';
import { canonicalNumber, formatValue } from './numbers.js';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

export type ExpositionFormat = 'prometheus' | 'openmetrics';

/** Label prefixes by label-values array: the reader keeps one array per series, so this lasts across scrapes. */
const prefixes = new WeakMap<SeriesLabels, string>();

/**
 * `{a="x",b="y"` without the closing brace (so `le` or `quantile` can follow), or '' for no labels. A label the
 * series leaves out (null) is not written, as prom-client writes a label set without it.
 */
function openLabels(names: readonly string[], values: SeriesLabels, extra: Readonly<Record<string, string>> | undefined): string {
  if (extra === undefined) {
    let cached = prefixes.get(values);
    if (cached === undefined) prefixes.set(values, (cached = formatLabels(names, values, undefined)));
    return cached;
  }
  return formatLabels(names, values, extra);
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

function close(open: string): string {
  return open === '' ? '' : `${open}}`;
}

/** ` # {labels} value timestamp`: an exemplar after an OpenMetrics sample, or '' for none. */
function exemplarSuffix(exemplar: Exemplar | undefined): string {
  if (exemplar === undefined) return '';
  let labels = '';
  for (const [name, value] of exemplar.labels) labels += `${labels === '' ? '' : ','}${name}="${escapeLabelValue(value)}"`;
  return ` # {${labels}} ${formatValue(exemplar.value)} ${formatValue(exemplar.timestamp)}`;
}

/** `{le="0.5"} ` after no labels, `,le="0.5"} ` after some: one of each per bound, made once per family. */
interface BoundLabels {
  readonly alone: readonly string[];
  readonly after: readonly string[];
}

function boundLabels(name: string, values: readonly string[]): BoundLabels {
  return { alone: values.map((v) => `{${name}="${v}"} `), after: values.map((v) => `,${name}="${v}"} `) };
}

/** The output buffer, reused by the next scrape: it keeps the size the last one needed. */
let scratch = Buffer.allocUnsafe(1 << 16);

/**
 * The exposition as it is written: each series' text is copied as UTF-8 into one reused off-heap buffer, and
 * decoded once, into a flat string, at the end. Appending everything to one string instead makes a rope of some
 * 10 pieces a line: cheap to build, but it stays alive in the young generation (past a few MB every scavenge
 * copies it) and must be flattened again to be sent, which cost more than building it.
 */
class Text {
  #buffer = scratch;
  #length = 0;

  add(piece: string): void {
    if (this.#length + piece.length * 3 > this.#buffer.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.#buffer.length * 2, this.#length + piece.length * 3));
      this.#buffer.copy(bigger, 0, 0, this.#length);
      this.#buffer = scratch = bigger;
    }
    this.#length += this.#buffer.write(piece, this.#length, 'utf8');
  }

  toString(): string {
    return this.#buffer.toString('utf8', 0, this.#length);
  }
}

/**
 * Appends one family to `out`, a series at a time: every piece that repeats across series (sample names,
 * `le`/`quantile` labels) is made once per family, and each series' label text once per series record (see
 * openLabels).
 */
function writeFamily(out: Text, family: FamilySnapshot, format: ExpositionFormat, constLabels: Readonly<Record<string, string>> | undefined): void {
  const { meta } = family;
  const om = format === 'openmetrics';
  // OpenMetrics names a counter family without its _total suffix, which every sample then carries.
  const base = om && meta.type === 'counter' ? family.name.replace(/_total$/, '') : family.name;
  const help = om ? escapeHelpOpenMetrics(meta.help) : escapeHelpText(meta.help);
  // The text format has no info or stateset: like Python's client, an info family becomes the gauge <name>_info,
  // and a stateset the gauge <name>, with the same samples.
  let described = base;
  let type: string = meta.type;
  if (!om && meta.type === 'info') [described, type] = [`${base}_info`, 'gauge'];
  else if (!om && meta.type === 'stateset') type = 'gauge';
  out.add(`# HELP ${described} ${help}\n# TYPE ${described} ${type}\n`);
  const createdName = `${base}_created`;
  switch (meta.type) {
    case 'counter': {
      const name = om ? `${base}_total` : base;
      for (const s of family.series) {
        const labels = close(openLabels(meta.labelNames, s.labels, constLabels));
        out.add(
          om
            ? `${name}${labels} ${formatValue(s.values[0]!)}${exemplarSuffix(s.exemplars?.[0])}\n${createdName}${labels} ${formatValue(s.created)}\n`
            : `${name}${labels} ${formatValue(s.values[0]!)}\n`,
        );
      }
      return;
    }
    case 'gauge':
      for (const s of family.series) out.add(`${base}${close(openLabels(meta.labelNames, s.labels, constLabels))} ${formatValue(s.values[0]!)}\n`);
      return;
    case 'histogram': {
      const les = (meta.buckets ?? []).map(canonicalNumber);
      les.push('+Inf');
      const le = boundLabels('le', les);
      const n = les.length - 1;
      const bucket = `${base}_bucket`;
      const count = `${base}_count`;
      const sum = `${base}_sum`;
      // OpenMetrics 1.0 holds histogram and summary sums, and quantiles, to be counter-like (never negative), and
      // a histogram with negative bounds to have no sum at all; its parsers want _count and _sum together. So those
      // samples are left out there (sum and count as a pair), and only there.
      const negativeBounds = (meta.buckets?.[0] ?? 0) < 0;
      for (const s of family.series) {
        const open = openLabels(meta.labelNames, s.labels, constLabels);
        const v = s.values;
        const bounds = open === '' ? le.alone : le.after;
        let text = '';
        const exemplars = om ? s.exemplars : undefined;
        for (let i = 0; i <= n; i++) text += `${bucket}${open}${bounds[i]!}${formatValue(v[i]!)}${exemplars === undefined ? '' : exemplarSuffix(exemplars[i])}\n`;
        const labels = close(open);
        if (!om || (!negativeBounds && !(v[n + 1]! < 0))) text += `${count}${labels} ${formatValue(v[n]!)}\n${sum}${labels} ${formatValue(v[n + 1]!)}\n`;
        if (om) text += `${createdName}${labels} ${formatValue(s.created)}\n`;
        out.add(text);
      }
      return;
    }
    case 'summary': {
      const quantile = boundLabels('quantile', (meta.percentiles ?? []).map(canonicalNumber));
      const n = quantile.alone.length;
      const count = `${base}_count`;
      const sum = `${base}_sum`;
      for (const s of family.series) {
        const open = openLabels(meta.labelNames, s.labels, constLabels);
        const v = s.values;
        const bounds = open === '' ? quantile.alone : quantile.after;
        let text = '';
        for (let i = 0; i < n; i++) if (!om || !(v[i]! < 0)) text += `${base}${open}${bounds[i]!}${formatValue(v[i]!)}\n`;
        const labels = close(open);
        if (!om || !(v[n]! < 0)) text += `${sum}${labels} ${formatValue(v[n]!)}\n${count}${labels} ${formatValue(v[n + 1]!)}\n`;
        if (om) text += `${createdName}${labels} ${formatValue(s.created)}\n`;
        out.add(text);
      }
      return;
    }
    case 'info':
      for (const s of family.series) {
        let labels = openLabels(meta.labelNames, s.labels, constLabels);
        for (const [name, value] of s.info ?? []) labels += `${labels === '' ? '{' : ','}${name}="${escapeLabelValue(value)}"`;
        out.add(`${base}_info${close(labels)} 1\n`);
      }
      return;
    case 'stateset': {
      // the state label is named after the family
      const state = boundLabels(base, (meta.states ?? []).map(escapeLabelValue));
      for (const s of family.series) {
        const open = openLabels(meta.labelNames, s.labels, constLabels);
        const bounds = open === '' ? state.alone : state.after;
        let text = '';
        for (let i = 0; i < bounds.length; i++) text += `${base}${open}${bounds[i]!}${s.values[i] === 1 ? 1 : 0}\n`;
        out.add(text);
      }
      return;
    }
  }
}

/** The whole exposition of `families`; `constLabels` are added to every sample (like prom-client's default labels). */
export function writeExposition(families: readonly FamilySnapshot[], format: ExpositionFormat, constLabels?: Readonly<Record<string, string>>): string {
  const out = new Text();
  for (const family of families) writeFamily(out, family, format, constLabels);
  if (format === 'openmetrics') out.add('# EOF\n');
  return out.toString();
}

export function contentTypeOf(format: ExpositionFormat): string {
  return format === 'openmetrics' ? OPENMETRICS_CONTENT_TYPE : PROMETHEUS_CONTENT_TYPE;
}
