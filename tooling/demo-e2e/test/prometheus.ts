// A real Prometheus server (Debian's `prometheus` package) on loopback, with a temporary configuration and data
// directory, scraping the given targets every second; and its HTTP query API. Started with
// `--enable-feature=native-histograms`, as the demos' README says: it then asks for the protobuf exposition and
// stores native histograms (the demos' demo_request_duration_native_seconds) as such.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, startGroup, type Started } from './processes.js';

/** A native histogram sample as the query API gives it (Prometheus 2.40 and later). */
interface HistogramValue {
  readonly count: string;
  readonly sum: string;
  /** [boundary rule, lower, upper, count]: the populated buckets. */
  readonly buckets?: [number, string, string, string][];
}

/** One series of an instant query's result: a float sample (`value`), or a native histogram (`histogram`). */
interface Sample {
  readonly metric: Record<string, string>;
  readonly value?: [number, string];
  readonly histogram?: [number, HistogramValue];
}

export interface Prometheus {
  readonly url: string;
  /** An instant query at now: the result vector (throws on a query error, with Prometheus' message). */
  query(expr: string): Promise<Sample[]>;
  /** A range query with a 1 s step: each series' [unix seconds, value] points (or native histograms). */
  queryRange(
    expr: string,
    start: number,
    end: number,
  ): Promise<{ metric: Record<string, string>; values?: [number, string][]; histograms?: [number, HistogramValue][] }[]>;
  stop(): Promise<void>;
}

/** The binary, or a clear error: this test checks the demos against the real thing and is never skipped. */
function prometheusBinary(): string {
  const binary = process.env.MPMETRICS_PROMETHEUS_BIN ?? 'prometheus';
  const run = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  if (run.error !== undefined || run.status !== 0) {
    throw new Error(
      `the Prometheus server binary "${binary}" could not be run (${run.error?.message ?? `exit ${run.status}: ${run.stderr}`}); ` +
        'install it with `apt-get update && apt-get install -y prometheus` (.ci/run does) or set MPMETRICS_PROMETHEUS_BIN',
    );
  }
  return binary;
}

export async function startPrometheus(jobs: Record<string, string>): Promise<Prometheus> {
  const binary = prometheusBinary();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-prometheus-'));
  const scrapeConfigs = Object.entries(jobs)
    .map(([job, target]) => `  - job_name: ${job}\n    static_configs:\n      - targets: ['${target}']`)
    .join('\n');
  const config = `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\nscrape_configs:\n${scrapeConfigs}\n`;
  fs.writeFileSync(path.join(dir, 'prometheus.yml'), config);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server: Started = startGroup(
    binary,
    [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
      // protobuf scrapes, native histograms stored (2.42 keeps only the native buckets of a histogram with both)
      '--enable-feature=native-histograms',
    ],
    process.env,
  );
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ready = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline || !server.groupAlive()) {
      server.killGroup();
      throw new Error(`Prometheus did not become ready within 30 s; output:\n${server.lines.join('\n')}`);
    }
    await sleep(200);
  }

  const api = async <T>(endpoint: string, params: Record<string, string>): Promise<T> => {
    const response = await fetch(`${url}/api/v1/${endpoint}`, { method: 'POST', body: new URLSearchParams(params) });
    const json = (await response.json()) as { status: string; data: { result: T }; error?: string };
    if (json.status !== 'success') throw new Error(`Prometheus ${endpoint} "${params.query}": ${json.error}`);
    return json.data.result;
  };
  return {
    url,
    query: (expr) => api('query', { query: expr }),
    queryRange: (expr, start, end) => api('query_range', { query: expr, start: String(start), end: String(end), step: '1' }),
    async stop() {
      server.killGroup();
      await server.exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
