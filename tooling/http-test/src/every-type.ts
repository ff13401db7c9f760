// Every metric type through a web integration's /metrics (issue 19): a real server (the fixture calls
// declareEveryType() from ./every-type.mjs) answers GET /metrics in all three formats. promtool checks the
// Prometheus text, Python's strict OpenMetrics parser the OpenMetrics, protoc's classes from the published
// metrics.proto the protobuf a Prometheus scraping native histograms asks for; each family appears exactly once (Info and Enum were
// written twice, from the heap and from prom-client's registry) with the exact values written. The collect() of
// the metrics the serving process declared runs before each scrape, awaited; one that throws fails the scrape
// (500), as prom-client's register.metrics() rejects, and the next scrape succeeds.
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { decodeProtobuf, findPromtool, findPython, promtool, promtoolProblem, pythonParse, pyValue } from '@mpmetrics/vitest-config/validators';
import { startServer } from './server.js';

const OPENMETRICS = 'application/openmetrics-text; version=1.0.0';
/** What Prometheus sends with native histograms on. */
const PROTOBUF = 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3,*/*;q=0.2';
const PROTOBUF_TYPE = 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';
const MODES = ['shared', 'sum', 'min', 'max', 'all', 'livesum', 'livemin', 'livemax', 'liveall'];

function get(port: number, accept?: string): Promise<{ status: number; body: string; bytes: Buffer; type: string | undefined }> {
  return new Promise((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = { connection: 'close' };
    if (accept !== undefined) headers['accept'] = accept;
    http
      .get({ host: '127.0.0.1', port, path: '/metrics', headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const bytes = Buffer.concat(chunks);
          resolve({ status: res.statusCode!, body: bytes.toString('utf8'), bytes, type: res.headers['content-type'] });
        });
      })
      .on('error', reject);
  });
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The protobuf families as the text format's samples (`name{labels}` → value), to check the same expectations. */
function protobufSamples(families: Json[]): Map<string, string> {
  const out = new Map<string, string>();
  const put = (key: string, value: unknown): void => {
    expect(out.has(key), `sample ${key} twice`).toBe(false);
    out.set(key, String(value));
  };
  const labelText = (labels: Json[] | undefined, extra?: string): string => {
    const parts = (labels ?? []).map((l) => `${l['name']}="${l['value'] ?? ''}"`);
    if (extra !== undefined) parts.push(extra);
    return parts.length === 0 ? '' : `{${parts.join(',')}}`;
  };
  for (const f of families) {
    const name = f['name'] as string;
    for (const m of (f['metric'] ?? []) as Json[]) {
      const labels = m['label'] as Json[] | undefined;
      if (m['counter'] !== undefined) put(`${name}${labelText(labels)}`, String(m['counter']['value'] ?? 0));
      else if (m['gauge'] !== undefined) put(`${name}${labelText(labels)}`, String(m['gauge']['value'] ?? 0));
      else if (m['summary'] !== undefined) {
        put(`${name}_sum${labelText(labels)}`, String(m['summary']['sample_sum'] ?? 0));
        put(`${name}_count${labelText(labels)}`, m['summary']['sample_count'] ?? '0');
      } else if (m['histogram'] !== undefined) {
        const h = m['histogram'] as Json;
        for (const b of (h['bucket'] ?? []) as Json[]) {
          if (b['upper_bound'] === 'Infinity') continue;
          put(`${name}_bucket${labelText(labels, `le="${Number.isInteger(b['upper_bound']) ? `${b['upper_bound']}.0` : b['upper_bound']}"`)}`, b['cumulative_count'] ?? '0');
        }
        put(`${name}_bucket${labelText(labels, 'le="+Inf"')}`, h['sample_count'] ?? '0');
        put(`${name}_sum${labelText(labels)}`, String(h['sample_sum'] ?? 0));
        put(`${name}_count${labelText(labels)}`, h['sample_count'] ?? '0');
      }
    }
  }
  return out;
}

/** `name{labels}` → value text, the exemplar left out; a duplicate sample is an error. */
function samples(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const sample = line.replace(/ # \{.*$/, '');
    const at = sample.lastIndexOf(' ');
    const key = sample.slice(0, at);
    expect(out.has(key), `sample ${key} twice`).toBe(false);
    out.set(key, sample.slice(at + 1));
  }
  return out;
}

/** How many times each family is declared (`# TYPE` lines). */
function typeLines(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^# TYPE (\S+) \S+$/gm)) out.set(m[1]!, (out.get(m[1]!) ?? 0) + 1);
  return out;
}

/** What every scrape must show, in both formats: sample → value. */
function expectedSamples(pid: number, om: boolean): Record<string, string> {
  const expected: Record<string, string> = {
    [`every_counter_total{code="200"}`]: '3',
    'every_histogram_seconds_bucket{le="0.1"}': '1',
    ['every_histogram_seconds_bucket{le="1.0"}']: '2',
    'every_histogram_seconds_bucket{le="+Inf"}': '3',
    'every_histogram_seconds_sum': '2.55',
    'every_histogram_seconds_count': '3',
    // native only: what client_golang shows of one in the text formats
    'every_native_seconds_bucket{le="+Inf"}': '3',
    'every_native_seconds_sum': '2.55',
    'every_native_seconds_count': '3',
    'every_summary_bytes_sum': '10',
    'every_summary_bytes_count': '1',
    'every_build_info{version="1.2.3"}': '1',
    'every_phase{every_phase="idle"}': '0',
    'every_phase{every_phase="running"}': '1',
    'every_exemplar_total': '2',
    ['every_exemplar_seconds_bucket{le="1.0"}']: '1',
    'every_exemplar_seconds_bucket{le="+Inf"}': '1',
    'every_exemplar_seconds_count': '1',
    'every_exemplar_seconds_sum': '0.5',
    'every_theirs_total': '7',
    'every_failing': '0',
  };
  for (const mode of MODES) expected[mode === 'all' || mode === 'liveall' ? `every_gauge_${mode}{pid="${pid}"}` : `every_gauge_${mode}`] = '5';
  return expected;
}

/** `fixture` serves /metrics of one process that called declareEveryType(), and announce()s its port. */
export function describeEveryMetricType(packageName: string, fixture: string): void {
  describe(`${packageName}: every metric type through /metrics`, () => {
    it('each family once, with the exact values, valid for promtool and Python’s OpenMetrics parser; collect() runs at each scrape', async () => {
      const promtoolPath = findPromtool();
      const python = findPython();
      const server = await startServer(fixture, []);
      try {
        const pid = server.pid!;
        let scrape = 0;
        for (const format of ['text', 'openmetrics', 'protobuf', 'text', 'openmetrics', 'protobuf']) {
          scrape++;
          const om = format === 'openmetrics';
          if (format === 'protobuf') {
            const res = await get(server.port, PROTOBUF);
            expect(res.status).toBe(200);
            expect(res.type).toBe(PROTOBUF_TYPE);
            const families = decodeProtobuf(res.bytes) as Json[];
            const names = families.map((f) => f['name'] as string);
            expect(new Set(names).size, 'each family once').toBe(names.length);
            const byName = new Map(families.map((f) => [f['name'] as string, f]));
            expect([byName.get('every_build_info')?.['type'], byName.get('every_phase')?.['type'], byName.get('every_summary_bytes')?.['type']]).toEqual(['GAUGE', 'GAUGE', 'SUMMARY']);
            // the native histogram's buckets: schema 3 (factor 1.1), one observation in each of three buckets
            const native = byName.get('every_native_seconds')!['metric'][0]['histogram'] as Json;
            expect(native['schema']).toBe(3);
            let count = 0;
            const counts = (native['positive_delta'] as string[]).map((delta) => (count += Number(delta)));
            expect(counts.filter((c) => c !== 0)).toEqual([1, 1, 1]);
            expect(byName.get('every_exemplar_seconds')!['metric'][0]['histogram']['bucket'][0]['exemplar']['label']).toEqual([{ name: 'trace_id', value: 't2' }]);
            expect(byName.get('every_exemplar_total')!['metric'][0]['counter']['exemplar']['label']).toEqual([{ name: 'trace_id', value: 't1' }]);
            const values = protobufSamples(families);
            for (const [sample, value] of Object.entries(expectedSamples(pid, false))) expect(values.get(sample), sample).toBe(value);
            expect(values.get('every_collected'), 'every_collected').toBe(String(scrape));
            expect(values.get('every_collected_async'), 'every_collected_async').toBe(String(scrape));
            continue;
          }
          const res = await get(server.port, om ? OPENMETRICS : undefined);
          expect(res.status).toBe(200);
          expect(res.type).toBe(om ? `${OPENMETRICS}; charset=utf-8` : 'text/plain; version=0.0.4; charset=utf-8');
          if (om) {
            const parsed = pythonParse(python, res.body, 'openmetrics');
            expect(parsed.error, 'Python’s OpenMetrics parser').toBeUndefined();
            const types = new Map(parsed.families!.map((f) => [f.name, f.type]));
            expect([types.get('every_build'), types.get('every_phase'), types.get('every_summary_bytes')]).toEqual(['info', 'stateset', 'summary']);
            const exemplars = parsed.families!.flatMap((f) => f.samples.filter((s) => s[3] !== null).map((s) => [s[0], s[3]!.labels, s[3]!.value]));
            expect(exemplars).toEqual([
              ['every_exemplar_seconds_bucket', { trace_id: 't2' }, 0.5],
              ['every_exemplar_total', { trace_id: 't1' }, 2],
            ].sort((a, b) => (a[0]! < b[0]! ? -1 : 1)));
            const quantile = parsed.families!.find((f) => f.name === 'every_summary_bytes')!.samples.find((s) => s[1]['quantile'] !== undefined)!;
            expect(Math.abs(pyValue(quantile[2]) - 10)).toBeLessThanOrEqual(0.1);
          } else {
            expect(promtoolProblem(promtool(promtoolPath, res.body)), 'promtool check metrics').toBe('');
            expect(res.body).not.toContain(' # {'); // no exemplars in the text format
            expect(res.body).toMatch(/^# TYPE every_build_info gauge$/m);
          }
          for (const [family, times] of typeLines(res.body)) expect(times, `# TYPE ${family}`).toBe(1);
          for (const family of ['every_counter', 'every_histogram_seconds', 'every_native_seconds', 'every_summary_bytes', 'every_phase', 'every_exemplar', 'every_theirs']) {
            expect([...typeLines(res.body).keys()].filter((f) => f === family || f === `${family}_total`), family).toHaveLength(1);
          }
          const values = samples(res.body);
          for (const [sample, value] of Object.entries(expectedSamples(pid, om))) expect(values.get(sample), sample).toBe(value);
          // collect() ran once for this scrape, before the read, the async one awaited
          expect(values.get('every_collected'), 'every_collected').toBe(String(scrape));
          expect(values.get('every_collected_async'), 'every_collected_async').toBe(String(scrape));
        }
        // a collect that throws fails the scrape, as register.metrics() rejects; the next one is whole again
        process.kill(pid, 'SIGUSR2');
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect((await get(server.port)).status).toBe(500);
        const after = await get(server.port);
        expect(after.status).toBe(200);
        expect(samples(after.body).get('every_collected')).toBe(String(scrape + 2));
      } finally {
        await server.stop();
      }
    });
  });
}
