// End to end with a real Prometheus (Debian's 2.42, --enable-feature=native-histograms): four processes observe one
// native histogram, a fifth that declares nothing answers /metrics, and Prometheus scrapes it as protobuf and stores
// one native series whose count, sum and bucket counts are exactly those of the values sent, and whose
// histogram_quantile lies in the bucket of the true quantile (within the resolution's error).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTOBUF_CONTENT_TYPE } from '../src/index.js';
import { startIpcChild, type IpcChild } from './support/ipc-child.js';
import { mulberry32 } from './support/random.js';
import { timeLimit } from './support/time-limits.js';

const WRITER = fileURLToPath(new URL('./fixtures/native-histogram-writer.mjs', import.meta.url));
const EXPORTER = fileURLToPath(new URL('./fixtures/native-prom-exporter.mjs', import.meta.url));

const NAME = 'native_prom_latency_seconds';
const WRITERS = 4;
const PER_WRITER = 5000;
// factor 1.1 asks for schema 3 (buckets 2^(1/8) ≈ 1.0905 wide); the values span 2^-2 to 2^5, 56 buckets, well
// inside the default budget of 160, so the schema is not reduced
const SCHEMA = 3;

/** Each writer's values: dyadic (k/1024), so that every sum is exact in any order; ranges that overlap and differ. */
const sent: number[][] = Array.from({ length: WRITERS }, (_, i) => {
  const random = mulberry32(2042 + i);
  return Array.from({ length: PER_WRITER }, () => Math.round(2 ** (random() * 4 + i - 2) * 1024) / 1024);
});
const all = sent.flat();
const sorted = [...all].sort((a, b) => a - b);
const exactSum = all.reduce((a, b) => a + b, 0);

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A Prometheus bucket in the query API's JSON: [boundary rule, lower, upper, count], numbers as strings. */
type ApiBucket = [number, string, string, string];

let heapDir: string | undefined;
let promDir = '';
let writers: IpcChild[] = [];
let exporter: IpcChild | undefined;
let prometheus: ChildProcess | undefined;
let promLog = '';
let promUrl: string;
let targetPort: number;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** What Prometheus has said so far (its last lines), for failure messages. */
const promLogTail = (): string => promLog.split('\n').slice(-30).join('\n');

/**
 * Starts Prometheus on a free port and waits for /-/ready. The port is free when chosen but may be taken before
 * Prometheus binds it, so a Prometheus that exits at once is tried again on another.
 */
async function startPrometheus(): Promise<void> {
  const config = path.join(promDir, 'prometheus.yml');
  fs.writeFileSync(
    config,
    ['global:', '  scrape_interval: 1s', '  scrape_timeout: 1s', 'scrape_configs:', '  - job_name: mpmetrics', '    static_configs:', `      - targets: ['127.0.0.1:${targetPort}']`, ''].join('\n'),
  );
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    promLog = '';
    const proc = spawn(
      'prometheus',
      [`--config.file=${config}`, `--storage.tsdb.path=${path.join(promDir, `data-${attempt}`)}`, `--web.listen-address=127.0.0.1:${port}`, '--enable-feature=native-histograms'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prometheus = proc;
    let exited = false;
    proc.on('exit', () => (exited = true));
    const spawned = new Promise<void>((resolve, reject) => {
      proc.once('spawn', resolve);
      proc.once('error', (error) => reject(new Error(`cannot run prometheus (Debian package "prometheus": apt-get install -y --no-install-recommends prometheus): ${error.message}`)));
    });
    proc.stdout!.on('data', (chunk: Buffer) => (promLog += chunk.toString()));
    proc.stderr!.on('data', (chunk: Buffer) => (promLog += chunk.toString()));
    await spawned;
    const deadline = Date.now() + timeLimit(30_000);
    while (!exited && Date.now() < deadline) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/-/ready`)).ok) {
          promUrl = `http://127.0.0.1:${port}`;
          return;
        }
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    if (!exited) throw new Error(`prometheus not ready within ${timeLimit(30_000)} ms:\n${promLogTail()}`);
    if (!/address already in use/.test(promLog)) throw new Error(`prometheus exited:\n${promLogTail()}`);
  }
  throw new Error(`prometheus found no free port in 3 attempts:\n${promLogTail()}`);
}

async function api(pathAndQuery: string): Promise<Json> {
  const response = await fetch(`${promUrl}${pathAndQuery}`);
  const body = (await response.json()) as Json;
  if (body['status'] !== 'success') throw new Error(`${pathAndQuery}: ${JSON.stringify(body)}`);
  return body['data'] as Json;
}

/** An instant query's result vector. */
const query = async (promql: string): Promise<Json[]> => (await api(`/api/v1/query?query=${encodeURIComponent(promql)}`))['result'] as Json[];

/** The single float sample of an instant query, as a number. */
async function scalarOf(promql: string): Promise<number> {
  const result = await query(promql);
  expect(result, promql).toHaveLength(1);
  expect(result[0]!['value'], `${promql}: ${JSON.stringify(result)}`).toBeDefined();
  return Number(result[0]!['value'][1]);
}

let scraped: Promise<void> | undefined;
/**
 * Resolves once Prometheus holds a sample with every observation: the target is only scraped after Prometheus's
 * first target sync (about 5 s after start), so this polls with a deadline rather than sleeping.
 */
function untilScraped(): Promise<void> {
  scraped ??= (async () => {
    const limit = timeLimit(60_000);
    const deadline = Date.now() + limit;
    let last: unknown = null;
    while (Date.now() < deadline) {
      last = await query(`histogram_count(${NAME})`);
      const result = last as Json[];
      if (result.length === 1 && Number(result[0]!['value'][1]) === all.length) return;
      await sleep(250);
    }
    const targets = await api('/api/v1/targets');
    throw new Error(
      `no sample with all ${all.length} observations within ${limit} ms; last histogram_count: ${JSON.stringify(last)}\n` +
        `targets: ${JSON.stringify(targets['activeTargets'])}\nprometheus:\n${promLogTail()}`,
    );
  })();
  return scraped;
}

beforeAll(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-native-prom-'));
  heapDir = dir;
  fs.chmodSync(dir, 0o700);
  promDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-native-prom-server-'));
  writers = await Promise.all(Array.from({ length: WRITERS }, () => startIpcChild(WRITER, dir)));
  // as a service would declare it: native buckets only (no classic ones)
  const config = { name: NAME, help: 'Latency, natively', nativeHistogramBucketFactor: 1.1, buckets: [] };
  await Promise.all(writers.map((w) => w.request({ op: 'declare', config })));
  // in slices, all writers at once, so that their updates of the shared series interleave
  for (let slice = 0; slice < 5; slice++) {
    const size = PER_WRITER / 5;
    await Promise.all(writers.map((w, i) => w.request({ op: 'observe', name: NAME, values: sent[i]!.slice(slice * size, (slice + 1) * size) })));
  }
  exporter = await startIpcChild(EXPORTER, dir);
  targetPort = await exporter.request<number>({ op: 'listen' });
  await startPrometheus();
}, 120_000);

/** Resolves when `proc` has exited, SIGKILLing it if it has not within `ms`. */
function stopped(proc: ChildProcess, ms: number): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => proc.kill('SIGKILL'), ms);
    proc.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

afterAll(async () => {
  const exits: Promise<void>[] = [];
  if (prometheus !== undefined) {
    exits.push(stopped(prometheus, 10_000));
    prometheus.kill('SIGTERM');
  }
  for (const child of [...writers, ...(exporter === undefined ? [] : [exporter])]) {
    exits.push(stopped(child.proc, 10_000));
    child.stop();
  }
  await Promise.all(exits);
  // only once every process is gone: Prometheus writes its TSDB until it exits
  for (const dir of [heapDir, promDir]) if (dir !== undefined && dir !== '') fs.rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('Prometheus 2.42 scraping a native histogram written by several processes', () => {
  it('asks for protobuf, gets it, and keeps the target up with no scrape error', async () => {
    await untilScraped();
    const scrapes = await exporter!.request<{ accept: string | null; contentType: string; bytes: number }[]>({ op: 'scrapes' });
    expect(scrapes.length).toBeGreaterThan(0);
    for (const scrape of scrapes) {
      // with native histograms on, Prometheus weighs the delimited protobuf first (q=1), above every text format
      expect(scrape.accept).toMatch(/^application\/vnd\.google\.protobuf;proto=io\.prometheus\.client\.MetricFamily;encoding=delimited(,|$)/);
      expect(scrape.contentType).toBe(PROTOBUF_CONTENT_TYPE);
      expect(scrape.bytes).toBeGreaterThan(0);
    }
    const targets = (await api('/api/v1/targets'))['activeTargets'] as Json[];
    expect(targets.map((t) => [t['scrapeUrl'], t['health'], t['lastError']])).toEqual([[`http://127.0.0.1:${targetPort}/metrics`, 'up', '']]);
    expect(await scalarOf('up')).toBe(1);
  }, 120_000);

  it('stores one native series (a "histogram" sample, not a "value"), and no classic _bucket, _count or _sum series', async () => {
    await untilScraped();
    const result = await query(NAME);
    expect(result).toHaveLength(1);
    const [series] = result as [Json];
    expect(series['metric']).toEqual({ __name__: NAME, instance: `127.0.0.1:${targetPort}`, job: 'mpmetrics' });
    expect(series['value']).toBeUndefined();
    expect(series['histogram']).toEqual([expect.any(Number), { count: String(all.length), sum: expect.any(String), buckets: expect.any(Array) }]);
    // a native histogram is stored as itself: Prometheus 2.42 makes no classic series from it
    expect(await query(`{__name__=~"${NAME}_(bucket|count|sum)"}`)).toEqual([]);
  }, 120_000);

  it('has the exact count and sum of every process\'s values, in the raw sample and from histogram_count/histogram_sum', async () => {
    await untilScraped();
    const [series] = (await query(NAME)) as [Json];
    const histogram = series['histogram'][1] as Json;
    expect(Number(histogram['count'])).toBe(all.length);
    expect(Number(histogram['sum'])).toBe(exactSum);
    expect(await scalarOf(`histogram_count(${NAME})`)).toBe(all.length);
    expect(await scalarOf(`histogram_sum(${NAME})`)).toBe(exactSum);
  }, 120_000);

  it('has buckets 2^(2^-3) wide at the requested schema, each counting exactly the values sent that fall in it', async () => {
    await untilScraped();
    const [series] = (await query(NAME)) as [Json];
    const buckets = (series['histogram'][1] as Json)['buckets'] as ApiBucket[];
    const growth = 2 ** (2 ** -SCHEMA);
    for (const [rule, lowerText, upperText, countText] of buckets) {
      const [lower, upper] = [Number(lowerText), Number(upperText)];
      expect(rule).toBe(0); // positive buckets are open on the left: (lower, upper]
      expect(upper / lower).toBeCloseTo(growth, 12);
      // Prometheus's own boundaries, against the values themselves: no code of ours decides which bucket a value is in
      expect(Number(countText), `(${lower}, ${upper}]`).toBe(all.filter((v) => v > lower && v <= upper).length);
    }
    expect(buckets.reduce((n, b) => n + Number(b[3]), 0)).toBe(all.length);
    // each bucket's upper bound is a power of 2^(2^-3) (the spec's boundaries): 2^(k/8) for a whole k
    for (const [, , upperText] of buckets) {
      const k = Math.log2(Number(upperText)) * 2 ** SCHEMA;
      expect(Math.abs(k - Math.round(k))).toBeLessThan(1e-9);
    }
  }, 120_000);

  it.each([0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999])('histogram_quantile(%s) is in the bucket of the true quantile, within its relative error', async (q) => {
    await untilScraped();
    // the true quantile: the value at rank ⌈q·n⌉, which is in the bucket Prometheus picks for rank q·n
    const truth = sorted[Math.ceil(q * all.length) - 1]!;
    const estimate = await scalarOf(`histogram_quantile(${q}, ${NAME})`);
    const [series] = (await query(NAME)) as [Json];
    const buckets = ((series['histogram'][1] as Json)['buckets'] as ApiBucket[]).map(([, l, u]) => [Number(l), Number(u)] as const);
    const home = buckets.find(([lower, upper]) => truth > lower && truth <= upper)!;
    expect(home, `no bucket holds ${truth}`).toBeDefined();
    // Prometheus interpolates linearly inside the bucket: anywhere in it, never outside
    expect(estimate).toBeGreaterThan(home[0]);
    expect(estimate).toBeLessThanOrEqual(home[1]);
    // so the relative error is below the bucket's growth factor minus 1 (a hair of slack for the float arithmetic)
    const bound = 2 ** (2 ** -SCHEMA) - 1;
    expect(Math.abs(estimate - truth) / truth).toBeLessThanOrEqual(bound * (1 + 1e-12));
  }, 120_000);
});
