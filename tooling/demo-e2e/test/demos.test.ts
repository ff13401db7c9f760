// Each demo app, started as a user would (2 workers on a free port), scraped every second by a real Prometheus
// server. Through Prometheus' query API: the request count equals exactly the requests sent, and a worker killed
// with SIGKILL mid-run (and restarted by the demo) takes none of its counts with it: the total never goes down.
// Then SIGTERM stops every process of the demo and its heap directory is removed. The Grafana dashboard's queries
// are run against the same data. Prometheus scrapes protobuf (--enable-feature=native-histograms): the demos'
// native histogram, demo_request_duration_native_seconds, is stored as one, native from its first (empty) scrape,
// and counts the same requests as the classic http_request_duration_seconds.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, sendMix } from './http.js';
import { freePort, killAll, startGroup } from './processes.js';
import { startPrometheus, type Prometheus } from './prometheus.js';

const repo = (relative: string): string => fileURLToPath(new URL(`../../../${relative}`, import.meta.url));

interface Demo {
  readonly job: string;
  readonly script: string;
  /** How many ports it listens on: the launcher of unrelated processes gives instance i PORT+i. */
  readonly ports: number;
}

const DEMOS: Demo[] = [
  { job: 'express', script: repo('apps/demo-express/dist/main.js'), ports: 1 },
  { job: 'koa', script: repo('apps/demo-koa/dist/main.js'), ports: 1 },
  { job: 'fastify', script: repo('apps/demo-fastify/dist/launcher.js'), ports: 2 },
];
/** Requests before the kill, and again after the restart. */
const PHASE = 200;
const DASHBOARD = repo('docs/grafana/mpmetrics-demo.json');
/** The demos' native-only histogram (apps/demo-kit/src/native-latency.ts), beside the integrations' classic one. */
const NATIVE = 'demo_request_duration_native_seconds';

const now = (): number => Date.now() / 1000;

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(200);
  }
}

let prometheus: Prometheus;
const basePorts = new Map<string, number>();

beforeAll(async () => {
  for (const demo of DEMOS) basePorts.set(demo.job, await freePort(demo.ports));
  // one target per demo: any of its processes answers with the totals of all of them
  prometheus = await startPrometheus(Object.fromEntries(DEMOS.map((d) => [d.job, `127.0.0.1:${basePorts.get(d.job)}`])));
});

afterAll(async () => {
  await prometheus?.stop();
  await killAll();
});

describe.each(DEMOS)('demo $job with 2 workers, scraped by Prometheus', (demo) => {
  const { job } = demo;
  const count = async (): Promise<number | undefined> => {
    const [sample] = await prometheus.query(`sum(http_request_duration_seconds_count{job="${job}"})`);
    return sample?.value === undefined ? undefined : Number(sample.value[1]);
  };
  /** The count of the native histogram (undefined if Prometheus has no native sample of it). */
  const nativeCount = async (): Promise<number | undefined> => {
    const [sample] = await prometheus.query(`histogram_count(${NATIVE}{job="${job}"})`);
    return sample?.value === undefined ? undefined : Number(sample.value[1]);
  };
  /** Waits for a successful scrape that started after `t` (unix seconds), and returns the count it saw. */
  const countScrapedAfter = async (t: number): Promise<number> => {
    await until(`a scrape of ${job} after ${t}`, 20_000, async () => {
      // timestamp() of a plain selector is the time of the scrape (of anything computed, the evaluation time)
      const [sample] = await prometheus.query(`min(timestamp(http_request_duration_seconds_count{job="${job}"}))`);
      return sample?.value !== undefined && Number(sample.value[1]) > t ? true : undefined;
    });
    return (await count()) ?? 0;
  };

  it('counts every request exactly, loses nothing to a killed worker, and stops cleanly', async () => {
    const started = now();
    const base = basePorts.get(job)!;
    const ports = Array.from({ length: demo.ports }, (_, i) => base + i);
    const app = startGroup(process.execPath, [demo.script], { ...process.env, PORT: String(base), WORKERS: '2', HOST: '127.0.0.1' });
    const heapDir = (await app.waitForLine(/metrics heap: (\S+)/, 30_000)).match[1]!;
    await app.waitForLine(/Ctrl-C stops everything/, 5_000);
    expect(fs.existsSync(heapDir)).toBe(true);
    // before any request, the native histogram is scraped empty, and as a native one: Prometheus 2.42 takes a
    // histogram for classic unless its first series has native fields (here, the zero threshold)
    expect(await until(`an empty native ${NATIVE} scraped from ${job}`, 20_000, nativeCount)).toBe(0);

    let sent = 0;
    await sendMix(ports, PHASE);
    sent += PHASE;
    // one worker to kill (for the launcher, the one on the last port: Prometheus scrapes the first)
    const victimPort = ports[ports.length - 1]!;
    const victim = (JSON.parse((await request(victimPort, 'GET', '/')).body) as { pid: number }).pid;
    sent += 1;
    // Prometheus has seen every request so far (a request is recorded as its response is sent, so a worker killed
    // the instant its client has the response may not have recorded it yet: kill only once they are counted)
    expect(await countScrapedAfter(now())).toBe(sent);

    const mark = app.lines.length;
    process.kill(victim, 'SIGKILL');
    await app.waitForLine(new RegExp(`worker ${victim} died \\(SIGKILL\\)`), 10_000, mark);
    const replacement = Number((await app.waitForLine(/worker (\d+) ready/, 20_000, mark)).match[1]);
    expect(replacement).not.toBe(victim);
    // the first scrape after the restart still has every request the dead worker served
    expect(await countScrapedAfter(now())).toBe(sent);
    expect(await nativeCount(), 'native histogram count after the kill').toBe(sent);

    const servedBy = await sendMix(ports, PHASE);
    sent += PHASE;
    expect(servedBy.has(replacement)).toBe(true); // the new worker serves
    expect(servedBy.has(victim)).toBe(false);
    const afterLast = now();
    expect(await countScrapedAfter(afterLast)).toBe(sent);
    expect(await countScrapedAfter(now())).toBe(sent); // and no more than that on the next scrape either
    // the native histogram counted the same requests (the integration's classic one sums them over routes)
    expect(await nativeCount(), 'native histogram count').toBe(sent);

    // the counter never went down: no reset in any series, and the sum sampled every second never fell
    const [resets] = await prometheus.query(`sum(resets(http_request_duration_seconds_count{job="${job}"}[5m]))`);
    expect(Number(resets?.value?.[1])).toBe(0);
    const [series] = await prometheus.queryRange(`sum(http_request_duration_seconds_count{job="${job}"})`, Math.floor(started), Math.ceil(now()));
    const values = series!.values!.map(([, v]) => Number(v));
    expect(values.length).toBeGreaterThan(3);
    for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThanOrEqual(values[i - 1]!);
    expect(values.at(-1)).toBe(sent);

    // the native histogram: one series, every point of it a native sample (none a float), its count never down
    const raw = await prometheus.query(`${NATIVE}{job="${job}"}`);
    expect(raw).toHaveLength(1);
    expect(raw[0]!.value, 'a float sample where a native histogram was expected').toBeUndefined();
    expect(Number(raw[0]!.histogram![1].count)).toBe(sent);
    expect(raw[0]!.histogram![1].buckets?.length, 'populated native buckets').toBeGreaterThan(1);
    const [nativeSeries] = await prometheus.queryRange(`${NATIVE}{job="${job}"}`, Math.floor(started), Math.ceil(now()));
    expect(nativeSeries!.values, 'float points in the native series').toBeUndefined();
    const counts = nativeSeries!.histograms!.map(([, h]) => Number(h.count));
    expect(counts.length).toBeGreaterThan(3);
    expect(counts[0]).toBe(0);
    for (let i = 1; i < counts.length; i++) expect(counts[i]).toBeGreaterThanOrEqual(counts[i - 1]!);
    expect(counts.at(-1)).toBe(sent);
    // never taken for a classic histogram by any scrape: no _bucket, _count or _sum series of it
    expect(await prometheus.query(`{__name__=~"${NATIVE}_(bucket|count|sum)", job="${job}"}`)).toEqual([]);
    // a fifth of the requests (GET /slow) wait 10-50 ms: the p90 is among them, give or take a bucket (9% wide)
    const [p90] = await prometheus.query(`histogram_quantile(0.9, sum(rate(${NATIVE}{job="${job}"}[1m])))`);
    const p90Seconds = Number(p90?.value?.[1]);
    expect(Number.isFinite(p90Seconds), `p90 of ${NATIVE}: ${p90Seconds}`).toBe(true);
    expect(p90Seconds).toBeGreaterThan(0.009);
    expect(p90Seconds).toBeLessThan(1);

    // the dashboard's queries run on this data; the request panels show something
    const dashboard = JSON.parse(fs.readFileSync(DASHBOARD, 'utf8')) as { panels: { title: string; targets?: { expr: string }[] }[] };
    for (const panel of dashboard.panels) {
      for (const target of panel.targets ?? []) {
        const expr = target.expr.replaceAll('$job', job).replaceAll('$__rate_interval', '1m');
        const result = await prometheus.query(expr);
        // the runtime panels have a series per worker pid (collectDefaultMetrics() in each), the others one at least
        const least = /process_|nodejs_/.test(expr) ? 2 : 1;
        expect(result.length, `dashboard panel "${panel.title}": ${expr}`).toBeGreaterThanOrEqual(least);
        for (const sample of result) {
          // the heatmap's query is a native histogram (a rate of one), the others floats
          if (sample.histogram !== undefined) expect(Number(sample.histogram[1].count), `${panel.title}: ${expr}`).toBeGreaterThan(0);
          else expect(Number.isFinite(Number(sample.value?.[1])), `${panel.title}: ${expr}`).toBe(true);
        }
      }
    }

    // SIGTERM (what Ctrl-C does through `pnpm demo`) stops every worker, and the heap directory goes
    app.process.kill('SIGTERM');
    expect(await app.exited).toBe(0);
    await until(`every process of the ${job} demo to exit`, 10_000, async () => (app.groupAlive() ? undefined : true));
    expect(fs.existsSync(heapDir)).toBe(false);
    console.log(`${job}: ${sent} requests counted exactly, worker ${victim} killed and replaced by ${replacement}, ${(now() - started).toFixed(1)} s`);
  });
});
