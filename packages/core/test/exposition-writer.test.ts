// Our exposition writer to the letter of the Prometheus text format 0.0.4 and OpenMetrics 1.0: every line of the
// expected output is written out here, for hand-made family snapshots (writeExposition) and for families another
// real process wrote, exported by processes that declared nothing (HeapExporter, respond()). Also the Accept
// negotiation (negotiateFormat) against the headers Prometheus servers send, and everything around them.
//
// What the specs say, and where it shows below:
//   - HELP: text 0.0.4 escapes backslash and line feed only; OpenMetrics escapes backslash, line feed and double
//     quote (its escaped-string has no bare DQUOTE).
//   - label values: backslash, double quote and line feed, in both.
//   - counters: OpenMetrics names the family without _total and every sample with it, and adds <name>_created;
//     the text format names family and sample alike, as declared (prom-client's behaviour).
//   - _created (Unix seconds of creation or reset) for counters, histograms and summaries, OpenMetrics only.
//   - values: +Inf, -Inf, NaN; le and quantile values in their canonical spelling ("1.0", "1e-05", "+Inf").
//   - OpenMetrics ends with "# EOF\n", also when there is nothing else; the text format is then empty.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Heap,
  HeapExporter,
  negotiateFormat,
  OPENMETRICS_CONTENT_TYPE,
  PROMETHEUS_CONTENT_TYPE,
  SUMMARY_RELATIVE_ACCURACY,
  writeExposition,
  type FamilySnapshot,
} from '../src/index.js';
import { privateHeap } from './helpers/parity.js';

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

type Meta = FamilySnapshot['meta'];

function family(name: string, meta: Partial<Meta> & Pick<Meta, 'type'>, series: [string[], number[], number?][]): FamilySnapshot {
  return {
    name,
    meta: { help: 'Help', labelNames: [], aggregator: 'sum', ...meta },
    series: series.map(([labels, values, created]) => ({ labels, values, created: created ?? 1700000000.5 })),
  };
}

/** Lines joined with line feeds, and one at the end, as both formats end. */
const lines = (...l: string[]): string => `${l.join('\n')}\n`;

describe('writeExposition, Prometheus text 0.0.4', () => {
  it('a counter: family and sample named as declared, with or without _total; no _created', () => {
    const text = writeExposition(
      [
        family('jobs_total', { type: 'counter', help: 'Jobs done' }, [[[], [3]]]),
        family('sent_bytes', { type: 'counter', help: 'Bytes sent', labelNames: ['peer'] }, [[['a'], [0.5]], [['b'], [1e21]]]),
      ],
      'prometheus',
    );
    expect(text).toBe(
      lines(
        '# HELP jobs_total Jobs done',
        '# TYPE jobs_total counter',
        'jobs_total 3',
        '# HELP sent_bytes Bytes sent',
        '# TYPE sent_bytes counter',
        'sent_bytes{peer="a"} 0.5',
        'sent_bytes{peer="b"} 1e+21',
      ),
    );
  });

  it('HELP escapes backslash and line feed, and leaves double quotes as they are', () => {
    const help = 'Say "hi" \\ or \\n\nnext line\ttab \u2028 ☃';
    const text = writeExposition([family('g', { type: 'gauge', help }, [[[], [1]]])], 'prometheus');
    expect(text.split('\n')[0]).toBe('# HELP g Say "hi" \\\\ or \\\\n\\nnext line\ttab \u2028 ☃');
  });

  it('label values escape backslash, double quote and line feed; everything else goes through', () => {
    const values = ['a "quote"', 'back\\slash', 'line\nfeed', 'cr\rtab\t', '', 'ünï☃😀', '{,=}', '\\n'];
    const text = writeExposition([family('g', { type: 'gauge', labelNames: ['v'] }, values.map((v, i) => [[v], [i]]))], 'prometheus');
    expect(text.split('\n').slice(2, -1)).toEqual([
      'g{v="a \\"quote\\""} 0',
      'g{v="back\\\\slash"} 1',
      'g{v="line\\nfeed"} 2',
      'g{v="cr\rtab\t"} 3',
      'g{v=""} 4',
      'g{v="ünï☃😀"} 5',
      'g{v="{,=}"} 6',
      'g{v="\\\\n"} 7',
    ]);
  });

  it('values: shortest round-trip decimals, +Inf, -Inf, NaN', () => {
    const values = [0, -0, 1, -1.5, 0.1 + 0.2, 1e21, 1e-7, 5e-324, Number.MAX_VALUE, Infinity, -Infinity, NaN];
    const text = writeExposition([family('g', { type: 'gauge', labelNames: ['i'] }, values.map((v, i) => [[String(i)], [v]]))], 'prometheus');
    expect(text.split('\n').slice(2, -1).map((l) => l.split(' ')[1])).toEqual([
      '0',
      '0',
      '1',
      '-1.5',
      '0.30000000000000004',
      '1e+21',
      '1e-7',
      '5e-324',
      '1.7976931348623157e+308',
      '+Inf',
      '-Inf',
      'NaN',
    ]);
  });

  it('a histogram: cumulative buckets with canonical le values, +Inf, then _count and _sum', () => {
    const text = writeExposition(
      [family('h', { type: 'histogram', labelNames: ['r'], buckets: [0.00001, 0.005, 1, 2.5, 1e6] }, [[['/'], [1, 2, 3, 4, 5, 6, 1006.5]]])],
      'prometheus',
    );
    expect(text).toBe(
      lines(
        '# HELP h Help',
        '# TYPE h histogram',
        'h_bucket{r="/",le="1e-05"} 1',
        'h_bucket{r="/",le="0.005"} 2',
        'h_bucket{r="/",le="1.0"} 3',
        'h_bucket{r="/",le="2.5"} 4',
        'h_bucket{r="/",le="1e+06"} 5',
        'h_bucket{r="/",le="+Inf"} 6',
        'h_count{r="/"} 6',
        'h_sum{r="/"} 1006.5',
      ),
    );
  });

  it('a summary: canonical quantile values, NaN for a quantile of nothing, then _sum and _count', () => {
    const text = writeExposition(
      [family('s', { type: 'summary', percentiles: [0, 0.5, 0.999, 1] }, [[[], [1, 2.5, 9.99, 10, 22.5, 5]], [[], [NaN, NaN, NaN, NaN, 0, 0]]])],
      'prometheus',
    );
    expect(text).toBe(
      lines(
        '# HELP s Help',
        '# TYPE s summary',
        's{quantile="0.0"} 1',
        's{quantile="0.5"} 2.5',
        's{quantile="0.999"} 9.99',
        's{quantile="1.0"} 10',
        's_sum 22.5',
        's_count 5',
        's{quantile="0.0"} NaN',
        's{quantile="0.5"} NaN',
        's{quantile="0.999"} NaN',
        's{quantile="1.0"} NaN',
        's_sum 0',
        's_count 0',
      ),
    );
  });

  it('constant labels go after the series’ own, before le and quantile, escaped', () => {
    const text = writeExposition(
      [
        family('c_total', { type: 'counter', labelNames: ['a'] }, [[['x'], [1]]]),
        family('h', { type: 'histogram', buckets: [1] }, [[[], [0, 1, 2]]]),
      ],
      'prometheus',
      { env: 'prod "eu"', zone: 'a\\b' },
    );
    expect(text).toContain('\nc_total{a="x",env="prod \\"eu\\"",zone="a\\\\b"} 1\n');
    expect(text).toContain('\nh_bucket{env="prod \\"eu\\"",zone="a\\\\b",le="1.0"} 0\n');
    expect(text).toContain('\nh_count{env="prod \\"eu\\"",zone="a\\\\b"} 1\n');
  });

  it('a family without series is its HELP and TYPE; no families is an empty text', () => {
    expect(writeExposition([family('c_total', { type: 'counter', labelNames: ['a'] }, [])], 'prometheus')).toBe(lines('# HELP c_total Help', '# TYPE c_total counter'));
    expect(writeExposition([], 'prometheus')).toBe('');
  });
});

describe('writeExposition, OpenMetrics 1.0', () => {
  it('a counter: the family without _total, samples with it, and _created per series', () => {
    const text = writeExposition(
      [
        family('jobs_total', { type: 'counter', help: 'Jobs done' }, [[[], [3], 1700000000.25]]),
        family('sent_bytes', { type: 'counter', labelNames: ['peer'] }, [[['a'], [0.5], 1700000001]]),
      ],
      'openmetrics',
    );
    expect(text).toBe(
      lines(
        '# HELP jobs Jobs done',
        '# TYPE jobs counter',
        'jobs_total 3',
        'jobs_created 1700000000.25',
        '# HELP sent_bytes Help',
        '# TYPE sent_bytes counter',
        'sent_bytes_total{peer="a"} 0.5',
        'sent_bytes_created{peer="a"} 1700000001',
        '# EOF',
      ),
    );
  });

  it('HELP escapes backslash, line feed and double quote', () => {
    const help = 'Say "hi" \\ or \\n\nnext line';
    const text = writeExposition([family('g', { type: 'gauge', help }, [[[], [1]]])], 'openmetrics');
    expect(text.split('\n')[0]).toBe('# HELP g Say \\"hi\\" \\\\ or \\\\n\\nnext line');
  });

  it('a gauge has no _created, and a gauge named like a counter keeps its name', () => {
    const text = writeExposition([family('queue_total', { type: 'gauge', labelNames: ['q'] }, [[['a'], [-2]]])], 'openmetrics');
    expect(text).toBe(lines('# HELP queue_total Help', '# TYPE queue_total gauge', 'queue_total{q="a"} -2', '# EOF'));
  });

  it('a histogram and a summary: their samples, then _created', () => {
    const text = writeExposition(
      [
        family('h', { type: 'histogram', labelNames: ['r'], buckets: [0.1, 1] }, [[['/'], [1, 1, 2, 5.05], 1700000002]]),
        family('s', { type: 'summary', percentiles: [0.5] }, [[[], [2, 4, 2], 1700000003.125]]),
      ],
      'openmetrics',
    );
    expect(text).toBe(
      lines(
        '# HELP h Help',
        '# TYPE h histogram',
        'h_bucket{r="/",le="0.1"} 1',
        'h_bucket{r="/",le="1.0"} 1',
        'h_bucket{r="/",le="+Inf"} 2',
        'h_count{r="/"} 2',
        'h_sum{r="/"} 5.05',
        'h_created{r="/"} 1700000002',
        '# HELP s Help',
        '# TYPE s summary',
        's{quantile="0.5"} 2',
        's_sum 4',
        's_count 2',
        's_created 1700000003.125',
        '# EOF',
      ),
    );
  });

  it('values: +Inf, -Inf and NaN spelled as the spec spells them', () => {
    const text = writeExposition([family('g', { type: 'gauge', labelNames: ['i'] }, [[['a'], [Infinity]], [['b'], [-Infinity]], [['c'], [NaN]]])], 'openmetrics');
    expect(text).toBe(lines('# HELP g Help', '# TYPE g gauge', 'g{i="a"} +Inf', 'g{i="b"} -Inf', 'g{i="c"} NaN', '# EOF'));
  });

  it('# EOF ends it once, and alone when there is nothing', () => {
    expect(writeExposition([], 'openmetrics')).toBe('# EOF\n');
    expect(writeExposition([family('c', { type: 'counter', labelNames: ['a'] }, [])], 'openmetrics')).toBe(lines('# HELP c Help', '# TYPE c counter', '# EOF'));
  });
});

describe('negotiateFormat: the Accept header', () => {
  const cases: [string | undefined | null, 'prometheus' | 'openmetrics', string][] = [
    [undefined, 'prometheus', 'no header'],
    [null, 'prometheus', 'no header (null)'],
    ['', 'prometheus', 'an empty header'],
    ['application/openmetrics-text; version=1.0.0; charset=utf-8', 'openmetrics', 'our own OpenMetrics content type'],
    ['application/openmetrics-text;version=1.0.0', 'openmetrics', 'OpenMetrics 1.0.0, no spaces'],
    ['application/openmetrics-text', 'openmetrics', 'OpenMetrics without a version'],
    ['Application/OpenMetrics-Text; Version=1.0.0', 'openmetrics', 'any letter case'],
    ['application/openmetrics-text; version="1.0.0"', 'openmetrics', 'a quoted version'],
    ['application/openmetrics-text; Version=2.0.0', 'prometheus', 'a future version, its parameter name capitalised'],
    ['application/openmetrics-text; Q=0', 'prometheus', 'OpenMetrics refused with Q=0'],
    ['application/openmetrics-text; q=', 'prometheus', 'an empty q counts as 0'],
    ['  application/openmetrics-text ;  version = 1.0.0 ; q = 0.8 , text/plain ; q = 0.2', 'openmetrics', 'spaces everywhere'],
    ['application/openmetrics-text; version=0.0.1', 'prometheus', 'only an OpenMetrics version we do not write'],
    ['application/openmetrics-text; version=2.0.0', 'prometheus', 'a future OpenMetrics version'],
    ['text/plain', 'prometheus', 'text/plain'],
    ['text/plain; version=0.0.4; charset=utf-8', 'prometheus', 'our own text content type'],
    ['*/*', 'prometheus', '*/*'],
    ['text/*', 'prometheus', 'text/*'],
    ['application/json', 'prometheus', 'an unknown type: text rather than 406'],
    ['application/json, application/xml;q=0.9', 'prometheus', 'only unknown types'],
    [
      'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
      'openmetrics',
      'Prometheus 2.x',
    ],
    [
      'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2',
      'openmetrics',
      'Prometheus 3.x',
    ],
    [
      'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3,*/*;q=0.2',
      'prometheus',
      'protobuf first (which we do not write), then text',
    ],
    ['text/plain;q=0.9, application/openmetrics-text;q=0.5', 'prometheus', 'text weighted above OpenMetrics'],
    ['text/plain;q=0.5, application/openmetrics-text;q=0.9', 'openmetrics', 'OpenMetrics weighted above text'],
    ['text/plain;q=0.5, application/openmetrics-text;q=0.5', 'openmetrics', 'equal weights: OpenMetrics'],
    ['application/openmetrics-text;q=0', 'prometheus', 'OpenMetrics refused with q=0'],
    ['application/openmetrics-text;q=0, */*', 'prometheus', 'OpenMetrics refused, anything else accepted'],
    ['application/openmetrics-text;q=abc', 'prometheus', 'a q that is not a number counts as 0'],
    ['*/*;q=0.1, application/openmetrics-text;q=0.2', 'openmetrics', 'a wildcard below OpenMetrics'],
    ['*/*, application/openmetrics-text;q=0.2', 'prometheus', 'a wildcard above OpenMetrics'],
  ];
  for (const [accept, format, what] of cases) {
    it(`${what}: ${format}`, () => {
      expect(negotiateFormat(accept)).toBe(format);
    });
  }
});

describe('HeapExporter', () => {
  const own = privateHeap('mpm-exposition-');
  afterAll(() => own.close());

  it('an empty heap: an empty text, and "# EOF" alone in OpenMetrics', async () => {
    const exporter = new HeapExporter(own.heap);
    expect(await exporter.respond(undefined)).toEqual({ contentType: PROMETHEUS_CONTENT_TYPE, body: '' });
    expect(await exporter.respond('application/openmetrics-text; version=1.0.0')).toEqual({ contentType: OPENMETRICS_CONTENT_TYPE, body: '# EOF\n' });
  });

  it('the two content types, exactly', () => {
    expect(PROMETHEUS_CONTENT_TYPE).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(OPENMETRICS_CONTENT_TYPE).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
  });

  describe('families written by another real process, exported by processes that declared nothing', () => {
    const shared = privateHeap('mpm-exposition-shared-');
    afterAll(() => shared.close());

    const run = (script: string, ...args: string[]): Record<string, unknown> => {
      const child = spawnSync(process.execPath, [fixture(script), ...args], { encoding: 'utf8', env: { ...process.env, MPMETRICS_DIR: shared.dir }, timeout: 60_000 });
      expect(child.status, child.stderr).toBe(0);
      return JSON.parse(child.stdout) as Record<string, unknown>;
    };
    let written: { pid: number; dir: string; from: number; to: number };
    beforeAll(() => {
      written = run('exposition-writer.mjs') as typeof written;
    });

    const latencySum = String([0.000005, 0.003, 0.7, 2.5, 5].reduce((a, b) => a + b, 0));
    const text = lines(
      '# HELP mpme_latency_seconds Latency',
      '# TYPE mpme_latency_seconds histogram',
      'mpme_latency_seconds_bucket{le="1e-05"} 1',
      'mpme_latency_seconds_bucket{le="0.005"} 2',
      'mpme_latency_seconds_bucket{le="1.0"} 3',
      'mpme_latency_seconds_bucket{le="2.5"} 4',
      'mpme_latency_seconds_bucket{le="1e+06"} 5',
      'mpme_latency_seconds_bucket{le="+Inf"} 5',
      'mpme_latency_seconds_count 5',
      `mpme_latency_seconds_sum ${latencySum}`,
      String.raw`# HELP mpme_requests_total Requests "served"\\n, by path\nsecond line`,
      '# TYPE mpme_requests_total counter',
      String.raw`mpme_requests_total{path="/a \"quoted\"",code="200"} 3`,
      String.raw`mpme_requests_total{path="back\\slash\nnewline",code="500"} 0.5`,
      '# HELP mpme_sent_bytes Bytes sent',
      '# TYPE mpme_sent_bytes counter',
      'mpme_sent_bytes 1024',
      '# HELP mpme_size_bytes Sizes',
      '# TYPE mpme_size_bytes summary',
      'mpme_size_bytes{kind="upload",quantile="0.5"} <q>',
      'mpme_size_bytes{kind="upload",quantile="0.99"} <q>',
      'mpme_size_bytes_sum{kind="upload"} 5050',
      'mpme_size_bytes_count{kind="upload"} 100',
      'mpme_size_bytes{kind="download",quantile="0.5"} 0', // a quantile of nothing: 0, as prom-client
      'mpme_size_bytes{kind="download",quantile="0.99"} 0', // a quantile of nothing: 0, as prom-client
      'mpme_size_bytes_sum{kind="download"} 0',
      'mpme_size_bytes_count{kind="download"} 0',
      '# HELP mpme_temperature_celsius Temperature',
      '# TYPE mpme_temperature_celsius gauge',
      'mpme_temperature_celsius{room="lab"} -12.5',
      'mpme_temperature_celsius{room="café ☕"} 1e+21',
    );
    const openMetrics = lines(
      '# HELP mpme_latency_seconds Latency',
      '# TYPE mpme_latency_seconds histogram',
      'mpme_latency_seconds_bucket{le="1e-05"} 1',
      'mpme_latency_seconds_bucket{le="0.005"} 2',
      'mpme_latency_seconds_bucket{le="1.0"} 3',
      'mpme_latency_seconds_bucket{le="2.5"} 4',
      'mpme_latency_seconds_bucket{le="1e+06"} 5',
      'mpme_latency_seconds_bucket{le="+Inf"} 5',
      'mpme_latency_seconds_count 5',
      `mpme_latency_seconds_sum ${latencySum}`,
      'mpme_latency_seconds_created <created>',
      String.raw`# HELP mpme_requests Requests \"served\"\\n, by path\nsecond line`,
      '# TYPE mpme_requests counter',
      String.raw`mpme_requests_total{path="/a \"quoted\"",code="200"} 3`,
      String.raw`mpme_requests_created{path="/a \"quoted\"",code="200"} <created>`,
      String.raw`mpme_requests_total{path="back\\slash\nnewline",code="500"} 0.5`,
      String.raw`mpme_requests_created{path="back\\slash\nnewline",code="500"} <created>`,
      '# HELP mpme_sent_bytes Bytes sent',
      '# TYPE mpme_sent_bytes counter',
      'mpme_sent_bytes_total 1024',
      'mpme_sent_bytes_created <created>',
      '# HELP mpme_size_bytes Sizes',
      '# TYPE mpme_size_bytes summary',
      'mpme_size_bytes{kind="upload",quantile="0.5"} <q>',
      'mpme_size_bytes{kind="upload",quantile="0.99"} <q>',
      'mpme_size_bytes_sum{kind="upload"} 5050',
      'mpme_size_bytes_count{kind="upload"} 100',
      'mpme_size_bytes_created{kind="upload"} <created>',
      'mpme_size_bytes{kind="download",quantile="0.5"} 0', // a quantile of nothing: 0, as prom-client
      'mpme_size_bytes{kind="download",quantile="0.99"} 0', // a quantile of nothing: 0, as prom-client
      'mpme_size_bytes_sum{kind="download"} 0',
      'mpme_size_bytes_count{kind="download"} 0',
      'mpme_size_bytes_created{kind="download"} <created>',
      '# HELP mpme_temperature_celsius Temperature',
      '# TYPE mpme_temperature_celsius gauge',
      'mpme_temperature_celsius{room="lab"} -12.5',
      'mpme_temperature_celsius{room="café ☕"} 1e+21',
      '# EOF',
    );

    /** Checks _created values (in the writer's time window) and quantiles (1% of the exact ones), blanks them. */
    function checked(body: string): string {
      return body
        .replace(/^(\S+_created(?:\{[^}]*\})?) (\S+)$/gm, (_, sample: string, value: string) => {
          const seconds = Number(value);
          expect(seconds >= Math.floor(written.from) - 1 && seconds <= written.to + 1, `${sample} ${value} is not when the writer ran`).toBe(true);
          return `${sample} <created>`;
        })
        .replace(/^(mpme_size_bytes\{kind="upload",quantile="([^"]+)"\}) (\S+)$/gm, (_, sample: string, q: string, value: string) => {
          // observations 1 … 100: the quantile is within 1% of the observation at rank q·99 (or the next one)
          const rank = Number(q) * 99;
          const [lo, hi] = [Math.floor(rank) + 1, Math.ceil(rank) + 1];
          const v = Number(value);
          expect(v >= lo * (1 - SUMMARY_RELATIVE_ACCURACY) && v <= hi * (1 + SUMMARY_RELATIVE_ACCURACY), `${sample} ${value}`).toBe(true);
          return `${sample} <q>`;
        });
    }

    it('the writer used the heap it was given, and is gone', () => {
      expect(written.dir).toBe(shared.dir);
      expect(() => process.kill(written.pid, 0)).toThrow();
    });

    it('a HeapExporter in this process (it declared nothing in that heap) writes both formats to the letter', async () => {
      const exporter = new HeapExporter(shared.heap);
      expect((await exporter.snapshot()).map((f) => f.name)).toEqual([
        'mpme_latency_seconds',
        'mpme_requests_total',
        'mpme_sent_bytes',
        'mpme_size_bytes',
        'mpme_temperature_celsius',
      ]);
      expect(checked(await exporter.metrics('prometheus'))).toBe(text);
      expect(checked(await exporter.metrics('openmetrics'))).toBe(openMetrics);
      // metricsBytes(): the same exposition as the UTF-8 a response sends, a new Buffer each time
      const bytes = await exporter.metricsBytes();
      expect(checked(bytes.toString('utf8'))).toBe(text);
      expect(bytes.equals(Buffer.from(await exporter.metrics()))).toBe(true);
      expect(checked((await exporter.metricsBytes('openmetrics')).toString('utf8'))).toBe(openMetrics);
      expect(checked(bytes.toString('utf8'))).toBe(text); // the next scrape wrote into its own buffer
    });

    it('respond() in another process that declared nothing: the format and content type the Accept header asks for', async () => {
      const accepts = [
        null,
        'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
        'text/plain;version=0.0.4;q=1,application/openmetrics-text;q=0.5',
        '*/*',
        'application/json',
        'application/openmetrics-text',
      ];
      const exported = run('exposition-exporter.mjs', JSON.stringify(accepts)) as { dir: string; answers: { contentType: string; body: string }[] };
      expect(exported.dir).toBe(shared.dir);
      const expected = [false, true, false, false, false, true].map((om) => ({
        contentType: om ? OPENMETRICS_CONTENT_TYPE : PROMETHEUS_CONTENT_TYPE,
        body: om ? openMetrics : text,
      }));
      expect(exported.answers.map((a) => ({ contentType: a.contentType, body: checked(a.body) }))).toEqual(expected);
      // and the very same bytes as this process's exporter (nothing was written since)
      const here = new HeapExporter(shared.heap);
      expect(exported.answers[0]!.body).toBe(await here.metrics('prometheus'));
      expect(exported.answers[1]!.body).toBe(await here.metrics('openmetrics'));
    });

    it('a heap opened afresh on the same directory exports the same', async () => {
      const again = Heap.open({ dir: shared.dir });
      try {
        expect(await new HeapExporter(again).metrics('openmetrics')).toBe(await new HeapExporter(shared.heap).metrics('openmetrics'));
      } finally {
        again.close();
      }
    });
  });
});
