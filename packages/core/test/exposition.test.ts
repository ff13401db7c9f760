// Our writer to the letter of the Prometheus text format 0.0.4 and OpenMetrics 1.0, on hand-made snapshots (so
// each rule is seen in isolation), and the Accept-header negotiation as Prometheus servers really send it.
import { describe, expect, it } from 'vitest';
import type { FamilyMeta } from '../src/metrics/family-meta.js';
import { contentTypeOf, negotiateFormat, OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE, writeExposition, type FamilySnapshot } from '../src/index.js';

function family(name: string, meta: Partial<FamilyMeta> & Pick<FamilyMeta, 'type'>, series: [string[], number[], number?][]): FamilySnapshot {
  return {
    name,
    meta: { help: 'Help', labelNames: [], aggregator: 'sum', ...meta },
    series: series.map(([labels, values, created]) => ({ labels, values, created: created ?? 1700000000.5 })),
  };
}

describe('negotiation from the Accept header', () => {
  it.each([
    // Prometheus 3 asks for OpenMetrics first
    ['application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2', 'openmetrics'],
    // Prometheus 2
    ['application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1', 'openmetrics'],
    ['application/openmetrics-text', 'openmetrics'],
    ['Application/OpenMetrics-Text; version=1.0.0', 'openmetrics'],
    ['application/openmetrics-text; Version="1.0.0"; Q=0.9, text/plain; q=0.5', 'openmetrics'], // case and quotes of parameters
    ['application/openmetrics-text; q=0.4, text/plain; Q=0.5', 'prometheus'],
    ['text/plain;version=0.0.4', 'prometheus'],
    ['text/plain', 'prometheus'],
    ['*/*', 'prometheus'],
    ['', 'prometheus'],
    [undefined, 'prometheus'],
    [null, 'prometheus'],
    ['application/json', 'prometheus'],
    ['application/openmetrics-text;version=2.0.0', 'prometheus'], // a version we do not write
    ['application/openmetrics-text;q=0', 'prometheus'],
    ['text/plain;q=1,application/openmetrics-text;q=0.5', 'prometheus'], // the client prefers text
    ['application/openmetrics-text;q=oops', 'prometheus'],
  ] as const)('%j → %s', (accept, format) => {
    expect(negotiateFormat(accept)).toBe(format);
  });

  it('names the content type of each format', () => {
    expect(contentTypeOf('prometheus')).toBe(PROMETHEUS_CONTENT_TYPE);
    expect(PROMETHEUS_CONTENT_TYPE).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(contentTypeOf('openmetrics')).toBe(OPENMETRICS_CONTENT_TYPE);
    expect(OPENMETRICS_CONTENT_TYPE).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
  });
});

describe('the text format 0.0.4', () => {
  it('escapes backslash and newline in HELP (not quotes), and backslash, quote and newline in label values', () => {
    const text = writeExposition([family('esc_total', { type: 'counter', help: 'a "q" \\ b\nc', labelNames: ['v'] }, [[['x"y\\z\nw'], [1]]])], 'prometheus');
    expect(text).toBe('# HELP esc_total a "q" \\\\ b\\nc\n# TYPE esc_total counter\nesc_total{v="x\\"y\\\\z\\nw"} 1\n');
  });

  it('writes a counter under its full name, no _created; +Inf, -Inf and NaN as the format spells them', () => {
    const text = writeExposition(
      [family('c_total', { type: 'counter' }, [[[], [Infinity]]]), family('g', { type: 'gauge', labelNames: ['k'] }, [[['a'], [-Infinity]], [['b'], [NaN]], [['c'], [-0]], [['d'], [1e21]]])],
      'prometheus',
    );
    expect(text).toBe(
      '# HELP c_total Help\n# TYPE c_total counter\nc_total +Inf\n' +
        '# HELP g Help\n# TYPE g gauge\ng{k="a"} -Inf\ng{k="b"} NaN\ng{k="c"} 0\ng{k="d"} 1e+21\n',
    );
  });

  it('writes histogram buckets with canonical le values, +Inf, then _count and _sum', () => {
    const text = writeExposition([family('h_seconds', { type: 'histogram', buckets: [0.005, 1, 1e6], labelNames: ['r'] }, [[['/'], [1, 2, 3, 4, 5.5]]])], 'prometheus');
    expect(text.split('\n')).toEqual([
      '# HELP h_seconds Help',
      '# TYPE h_seconds histogram',
      'h_seconds_bucket{r="/",le="0.005"} 1',
      'h_seconds_bucket{r="/",le="1.0"} 2',
      'h_seconds_bucket{r="/",le="1e+06"} 3',
      'h_seconds_bucket{r="/",le="+Inf"} 4',
      'h_seconds_count{r="/"} 4',
      'h_seconds_sum{r="/"} 5.5',
      '',
    ]);
  });

  it('writes summary quantiles with canonical values, then _sum and _count; nothing at all for no families', () => {
    const text = writeExposition([family('s_bytes', { type: 'summary', percentiles: [0.5, 0.99] }, [[[], [NaN, NaN, 0, 0]]])], 'prometheus');
    expect(text).toBe('# HELP s_bytes Help\n# TYPE s_bytes summary\ns_bytes{quantile="0.5"} NaN\ns_bytes{quantile="0.99"} NaN\ns_bytes_sum 0\ns_bytes_count 0\n');
    expect(writeExposition([], 'prometheus')).toBe('');
  });
});

describe('OpenMetrics 1.0', () => {
  it('names a counter family without _total, its samples with it, and adds _created', () => {
    const text = writeExposition([family('jobs_total', { type: 'counter', labelNames: ['k'] }, [[['a'], [3], 1700000000.25]])], 'openmetrics');
    expect(text).toBe('# HELP jobs Help\n# TYPE jobs counter\njobs_total{k="a"} 3\njobs_created{k="a"} 1700000000.25\n# EOF\n');
  });

  it('escapes a double quote in HELP too, and ends every exposition, even an empty one, with # EOF', () => {
    const text = writeExposition([family('g', { type: 'gauge', help: 'say "hi" \\ \n' }, [[[], [1]]])], 'openmetrics');
    expect(text).toBe('# HELP g say \\"hi\\" \\\\ \\n\n# TYPE g gauge\ng 1\n# EOF\n');
    expect(writeExposition([], 'openmetrics')).toBe('# EOF\n');
  });

  it('gives histograms and summaries _created; leaves out what the spec forbids (negative sums and quantiles)', () => {
    const text = writeExposition(
      [
        family('h', { type: 'histogram', buckets: [1] }, [[[], [1, 2, 1.5], 5]]),
        family('neg', { type: 'histogram', buckets: [-1, 1] }, [[[], [0, 1, 1, 0.5], 5]]),
        family('s', { type: 'summary', percentiles: [0.5] }, [[[], [-2, -2, 1], 5]]),
      ],
      'openmetrics',
    );
    expect(text.split('\n')).toEqual([
      '# HELP h Help',
      '# TYPE h histogram',
      'h_bucket{le="1.0"} 1',
      'h_bucket{le="+Inf"} 2',
      'h_count 2',
      'h_sum 1.5',
      'h_created 5',
      '# HELP neg Help',
      '# TYPE neg histogram',
      'neg_bucket{le="-1.0"} 0',
      'neg_bucket{le="1.0"} 1',
      'neg_bucket{le="+Inf"} 1',
      'neg_created 5', // negative bounds: no _sum, and so no _count either
      '# HELP s Help',
      '# TYPE s summary',
      's_created 5', // a negative quantile and a negative sum are left out
      '# EOF',
      '',
    ]);
  });

  it('adds constant labels (a registry’s default labels) to every sample', () => {
    const text = writeExposition([family('g', { type: 'gauge', labelNames: ['k'] }, [[['a'], [1]]]), family('u', { type: 'gauge' }, [[[], [2]]])], 'prometheus', { app: 'x"y' });
    expect(text).toContain('g{k="a",app="x\\"y"} 1\n');
    expect(text).toContain('u{app="x\\"y"} 2\n');
  });
});
