// Writes family snapshots in the Prometheus text format 0.0.4 or OpenMetrics 1.0, to the letter of each.
import type { Exemplar } from '../metrics/exemplar.js';
import type { FamilySnapshot, SeriesSnapshot } from '../registry/family-reader.js';
import { escapeHelpOpenMetrics, escapeHelpText, escapeLabelValue } from './escaping.js';
import { canonicalNumber, formatValue } from './numbers.js';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

export type ExpositionFormat = 'prometheus' | 'openmetrics';

/** Label prefixes by label-values array: the reader keeps one array per series, so this lasts across scrapes. */
const prefixes = new WeakMap<readonly string[], string>();

/** `{a="x",b="y"` without the closing brace (so `le` or `quantile` can follow), or '' for no labels. */
function openLabels(names: readonly string[], values: readonly string[], extra: Readonly<Record<string, string>> | undefined): string {
  if (extra === undefined) {
    let cached = prefixes.get(values);
    if (cached === undefined) prefixes.set(values, (cached = formatLabels(names, values, undefined)));
    return cached;
  }
  return formatLabels(names, values, extra);
}

function formatLabels(names: readonly string[], values: readonly string[], extra: Readonly<Record<string, string>> | undefined): string {
  let out = '';
  for (let i = 0; i < names.length; i++) out += `${out === '' ? '{' : ','}${names[i]}="${escapeLabelValue(values[i]!)}"`;
  if (extra !== undefined) for (const [name, value] of Object.entries(extra)) out += `${out === '' ? '{' : ','}${name}="${escapeLabelValue(value)}"`;
  return out;
}

function withLabel(open: string, name: string, value: string): string {
  return `${open === '' ? '{' : `${open},`}${name}="${value}"}`;
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

function writeFamily(family: FamilySnapshot, format: ExpositionFormat, constLabels: Readonly<Record<string, string>> | undefined): string {
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
  const lines = [`# HELP ${described} ${help}`, `# TYPE ${described} ${type}`];
  const created = (open: string, s: SeriesSnapshot): void => {
    if (om) lines.push(`${base}_created${close(open)} ${formatValue(s.created)}`);
  };
  const les = (meta.buckets ?? []).map(canonicalNumber);
  les.push('+Inf');
  // OpenMetrics 1.0 holds histogram and summary sums, and quantiles, to be counter-like (never negative), and a
  // histogram with negative bounds to have no sum at all; its parsers want _count and _sum together. So those
  // samples are left out there (sum and count as a pair), and only there.
  const negativeBounds = (meta.buckets?.[0] ?? 0) < 0;
  const quantiles = (meta.percentiles ?? []).map(canonicalNumber);
  const states = (meta.states ?? []).map(escapeLabelValue);
  for (const s of family.series) {
    const open = openLabels(meta.labelNames, s.labels, constLabels);
    const v = s.values;
    switch (meta.type) {
      case 'counter':
        lines.push(`${om ? `${base}_total` : base}${close(open)} ${formatValue(v[0]!)}${om ? exemplarSuffix(s.exemplars?.[0]) : ''}`);
        created(open, s);
        break;
      case 'gauge':
        lines.push(`${base}${close(open)} ${formatValue(v[0]!)}`);
        break;
      case 'histogram': {
        const n = les.length - 1;
        for (let i = 0; i <= n; i++) {
          lines.push(`${base}_bucket${withLabel(open, 'le', les[i]!)} ${formatValue(v[i]!)}${om ? exemplarSuffix(s.exemplars?.[i]) : ''}`);
        }
        if (!om || (!negativeBounds && !(v[n + 1]! < 0))) {
          lines.push(`${base}_count${close(open)} ${formatValue(v[n]!)}`);
          lines.push(`${base}_sum${close(open)} ${formatValue(v[n + 1]!)}`);
        }
        created(open, s);
        break;
      }
      case 'summary': {
        const n = quantiles.length;
        for (let i = 0; i < n; i++) {
          if (!om || !(v[i]! < 0)) lines.push(`${base}${withLabel(open, 'quantile', quantiles[i]!)} ${formatValue(v[i]!)}`);
        }
        if (!om || !(v[n]! < 0)) {
          lines.push(`${base}_sum${close(open)} ${formatValue(v[n]!)}`);
          lines.push(`${base}_count${close(open)} ${formatValue(v[n + 1]!)}`);
        }
        created(open, s);
        break;
      }
      case 'info': {
        let labels = open;
        for (const [name, value] of s.info ?? []) labels += `${labels === '' ? '{' : ','}${name}="${escapeLabelValue(value)}"`;
        lines.push(`${base}_info${close(labels)} 1`);
        break;
      }
      case 'stateset':
        // the state label is named after the family
        for (let i = 0; i < states.length; i++) lines.push(`${base}${withLabel(open, base, states[i]!)} ${v[i] === 1 ? 1 : 0}`);
        break;
    }
  }
  return lines.join('\n');
}

/** The whole exposition of `families`; `constLabels` are added to every sample (like prom-client's default labels). */
export function writeExposition(families: readonly FamilySnapshot[], format: ExpositionFormat, constLabels?: Readonly<Record<string, string>>): string {
  const body = families.map((f) => writeFamily(f, format, constLabels)).join('\n');
  if (format === 'openmetrics') return `${body}${body === '' ? '' : '\n'}# EOF\n`;
  return body === '' ? '' : `${body}\n`;
}

export function contentTypeOf(format: ExpositionFormat): string {
  return format === 'openmetrics' ? OPENMETRICS_CONTENT_TYPE : PROMETHEUS_CONTENT_TYPE;
}
