// Scrapes never see half an update. 4 processes (fixtures/metrics-mp-hammer.mjs) call observe(1) on one histogram
// series and one summary series in tight loops for a few seconds, while this process scrapes both over and over,
// through the metrics' get() and through a HeapExporter (Prometheus text and OpenMetrics in turn). Since every
// observation is 1, a whole scrape must show: histogram _count = +Inf bucket = sum, every bucket below 1 at 0 and
// every bucket from 1 up equal to the count (so cumulative buckets are non-decreasing); summary _sum = _count and
// every quantile within 1% of 1 (0 before the first observation, as prom-client). From one scrape to the next (whichever way it
// was read) no bucket, count or sum goes down. At the end the totals equal the observations the writers report.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_BUCKETS, DEFAULT_PERCENTILES, Heap, HeapExporter, Histogram, Summary } from '../src/index.js';

const HAMMER = fileURLToPath(new URL('./fixtures/metrics-mp-hammer.mjs', import.meta.url));
const WRITERS = 4;
const SCRAPE_MS = 3_000;
/** The writers stop by themselves after this, whatever happens here. */
const WRITER_MAX_MS = 20_000;
const MIN_SCRAPES = 60;
/** Scrapes that saw the counts move since the one before: proof they ran while the writers were writing. */
const MIN_MOVING_SCRAPES = 36;
/** README: summary quantiles within 1%; plus the last bits of a double (1 sits on a bin edge: off by exactly α). */
const QUANTILE_BOUND = 0.01 + 1e-12;

const HISTOGRAM = 'mpmc_hammer_seconds';
const SUMMARY = 'mpmc_hammer_bytes';
const READY = 0;
const GO = 1;
const STOP = 2;

interface HistogramReading {
  /** [le, cumulative count], in exposition order. */
  buckets: [number, number][];
  count: number;
  sum: number;
}

interface SummaryReading {
  quantiles: [number, number][];
  count: number;
  sum: number;
}

// ---- readings from the three sources

async function readHistogram(histogram: Histogram): Promise<HistogramReading> {
  const got = await histogram.get();
  const reading: HistogramReading = { buckets: [], count: NaN, sum: NaN };
  for (const v of got.values) {
    if (v.metricName === `${HISTOGRAM}_bucket`) reading.buckets.push([v.labels['le'] === '+Inf' ? Infinity : Number(v.labels['le']), v.value]);
    else if (v.metricName === `${HISTOGRAM}_count`) reading.count = v.value;
    else if (v.metricName === `${HISTOGRAM}_sum`) reading.sum = v.value;
    else throw new Error(`unexpected histogram sample ${JSON.stringify(v)}`);
  }
  return reading;
}

async function readSummary(summary: Summary): Promise<SummaryReading> {
  const got = await summary.get();
  const reading: SummaryReading = { quantiles: [], count: NaN, sum: NaN };
  for (const v of got.values) {
    if (v.metricName === `${SUMMARY}_count`) reading.count = v.value;
    else if (v.metricName === `${SUMMARY}_sum`) reading.sum = v.value;
    else if (v.metricName === undefined && v.labels['quantile'] !== undefined) reading.quantiles.push([Number(v.labels['quantile']), v.value]);
    else throw new Error(`unexpected summary sample ${JSON.stringify(v)}`);
  }
  return reading;
}

function parseValue(text: string): number {
  if (text === 'NaN') return NaN;
  if (text === '+Inf') return Infinity;
  const n = Number(text);
  if (Number.isNaN(n)) throw new Error(`not a number: ${text}`);
  return n;
}

/** Both families out of one HeapExporter exposition (either format). */
function readExposition(text: string): { histogram: HistogramReading; summary: SummaryReading } {
  const histogram: HistogramReading = { buckets: [], count: NaN, sum: NaN };
  const summary: SummaryReading = { quantiles: [], count: NaN, sum: NaN };
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-z_]+)(?:\{(le|quantile)="([^"]+)"\})? (\S+)$/.exec(line);
    if (m === null) throw new Error(`unexpected line ${JSON.stringify(line)}`);
    const [, name, label, labelValue, valueText] = m;
    const value = parseValue(valueText!);
    if (name === `${HISTOGRAM}_bucket` && label === 'le') histogram.buckets.push([parseValue(labelValue!), value]);
    else if (name === `${HISTOGRAM}_count`) histogram.count = value;
    else if (name === `${HISTOGRAM}_sum`) histogram.sum = value;
    else if (name === SUMMARY && label === 'quantile') summary.quantiles.push([parseValue(labelValue!), value]);
    else if (name === `${SUMMARY}_count`) summary.count = value;
    else if (name === `${SUMMARY}_sum`) summary.sum = value;
    else if (name !== `${HISTOGRAM}_created` && name !== `${SUMMARY}_created`) throw new Error(`unexpected sample ${JSON.stringify(line)}`);
  }
  return { histogram, summary };
}

// ---- what a whole scrape must look like

/** Problems with one histogram reading (every observation is 1). */
function histogramProblems(h: HistogramReading): string[] {
  const problems: string[] = [];
  const les = h.buckets.map(([le]) => le);
  if (JSON.stringify(les) !== JSON.stringify([...DEFAULT_BUCKETS, Infinity])) problems.push(`bucket bounds ${JSON.stringify(les)}`);
  const inf = h.buckets[h.buckets.length - 1]?.[1];
  if (h.count !== inf) problems.push(`_count ${h.count} ≠ +Inf bucket ${inf}`);
  if (h.sum !== h.count) problems.push(`_sum ${h.sum} ≠ _count ${h.count}`);
  for (let i = 1; i < h.buckets.length; i++) {
    if (h.buckets[i]![1] < h.buckets[i - 1]![1]) problems.push(`bucket le=${h.buckets[i]![0]} ${h.buckets[i]![1]} < le=${h.buckets[i - 1]![0]} ${h.buckets[i - 1]![1]}`);
  }
  for (const [le, n] of h.buckets) {
    const want = le < 1 ? 0 : h.count;
    if (n !== want) problems.push(`bucket le=${le} is ${n}, expected ${want}`);
  }
  return problems;
}

function summaryProblems(s: SummaryReading): string[] {
  const problems: string[] = [];
  if (JSON.stringify(s.quantiles.map(([q]) => q)) !== JSON.stringify(DEFAULT_PERCENTILES)) problems.push(`quantiles ${JSON.stringify(s.quantiles)}`);
  if (s.sum !== s.count) problems.push(`_sum ${s.sum} ≠ _count ${s.count}`);
  for (const [q, v] of s.quantiles) {
    if (s.count === 0 ? v !== 0 : !(Math.abs(v - 1) <= QUANTILE_BOUND)) problems.push(`quantile ${q} = ${v} with _count ${s.count}`);
  }
  return problems;
}

/** Values of a reading that went down since the previous reading. */
function backwards(before: HistogramReading | SummaryReading | undefined, after: HistogramReading | SummaryReading): string[] {
  if (before === undefined) return [];
  const out: string[] = [];
  if (after.count < before.count) out.push(`_count ${before.count} → ${after.count}`);
  if (after.sum < before.sum) out.push(`_sum ${before.sum} → ${after.sum}`);
  if ('buckets' in before && 'buckets' in after) {
    before.buckets.forEach(([le, n], i) => {
      const now = after.buckets[i]?.[1] ?? NaN;
      if (!(now >= n)) out.push(`bucket le=${le} ${n} → ${now}`);
    });
  }
  return out;
}

// ---- writers

interface Writer {
  proc: ChildProcess;
  stdout: string;
  stderr: string;
  exited: boolean;
  closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running: Writer[] = [];

afterEach(() => {
  for (const w of running.splice(0)) {
    if (w.exited || w.proc.pid === undefined) continue;
    try {
      process.kill(-w.proc.pid, 'SIGKILL');
    } catch {
      w.proc.kill('SIGKILL');
    }
  }
});

function startWriter(dir: string): Writer {
  const proc = spawn(process.execPath, [HAMMER], {
    env: { ...process.env, MPMETRICS_DIR: dir, MPM_HAMMER_MAX_MS: String(WRITER_MAX_MS) },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const writer: Writer = {
    proc,
    stdout: '',
    stderr: '',
    exited: false,
    closed: new Promise((resolve, reject) => {
      proc.on('error', reject);
      proc.on('close', (code, signal) => resolve({ code, signal }));
    }),
  };
  proc.stdout!.on('data', (chunk: Buffer) => (writer.stdout += chunk.toString()));
  proc.stderr!.on('data', (chunk: Buffer) => (writer.stderr += chunk.toString()));
  proc.on('exit', () => (writer.exited = true));
  running.push(writer);
  return writer;
}

async function finish(writer: Writer, ms: number): Promise<{ pid: number; observations: number; ms: number; stopped: boolean }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`a writer did not exit within ${ms} ms\nstderr: ${writer.stderr}`)), ms);
  });
  try {
    const exit = await Promise.race([writer.closed, timeout]);
    if (exit.code !== 0) throw new Error(`a writer exited with ${exit.code ?? exit.signal}\nstdout: ${writer.stdout}\nstderr: ${writer.stderr}`);
    return JSON.parse(writer.stdout) as { pid: number; observations: number; ms: number; stopped: boolean };
  } finally {
    clearTimeout(timer);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('scrapes while 4 processes observe(1) as fast as they can', () => {
  it('never show a torn histogram or summary, nor a value going down, and end on the exact totals', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-consistency-'));
    fs.chmodSync(dir, 0o700);
    const heap = Heap.open({ dir });
    try {
      const control = heap.shared(heap.series(heap.family('mpmc_control', '{"control":true}').ptr, 'barrier', { valueWords: 0, sharedWords: 3 }).ptr);
      const histogram = new Histogram({ name: HISTOGRAM, help: 'observe(1) from every writer', registers: [], heap });
      const summary = new Summary({ name: SUMMARY, help: 'observe(1) from every writer', registers: [], heap });
      const exporter = new HeapExporter(heap);

      const writers = Array.from({ length: WRITERS }, () => startWriter(dir));
      const readyBy = Date.now() + 30_000;
      while (control.getInt(READY) < BigInt(WRITERS)) {
        const dead = writers.find((w) => w.exited);
        if (dead) throw new Error(`a writer exited before the start\nstdout: ${dead.stdout}\nstderr: ${dead.stderr}`);
        if (Date.now() > readyBy) throw new Error(`only ${control.getInt(READY)} of ${WRITERS} writers were ready within 30 s`);
        await sleep(5);
      }
      control.addInt(GO, 1n);

      const stats = { scrapes: 0, getScrapes: 0, exporterScrapes: 0, moving: 0, problems: 0, maxScrapeMs: 0 };
      const examples: string[] = [];
      const report = (where: string, problems: string[]): void => {
        if (problems.length === 0) return;
        stats.problems += problems.length;
        if (examples.length < 10) examples.push(`${where} (scrape ${stats.scrapes}): ${problems.join('; ')}`);
      };
      let lastHistogram: HistogramReading | undefined;
      let lastSummary: SummaryReading | undefined;
      const check = (where: string, h: HistogramReading, s: SummaryReading): void => {
        report(`${where} histogram`, [...histogramProblems(h), ...backwards(lastHistogram, h)]);
        report(`${where} summary`, [...summaryProblems(s), ...backwards(lastSummary, s)]);
        if (lastHistogram !== undefined && h.count > lastHistogram.count) stats.moving++;
        lastHistogram = h;
        lastSummary = s;
        stats.scrapes++;
      };

      // At least SCRAPE_MS of scraping, and on until MIN_SCRAPES scrapes were made: on a loaded machine a scrape of
      // a summary under 4 hammering writers can take long, and the number of scrapes, not the time, is the point.
      const until = Date.now() + SCRAPE_MS;
      const giveUp = Date.now() + WRITER_MAX_MS / 2; // well before the writers stop by themselves
      let round = 0;
      while (Date.now() < until || (stats.scrapes <= MIN_SCRAPES && Date.now() < giveUp)) {
        const t0 = performance.now();
        if (round % 2 === 0) {
          const h = await readHistogram(histogram);
          const s = await readSummary(summary);
          check('get()', h, s);
          stats.getScrapes++;
        } else {
          const format = round % 4 === 1 ? 'prometheus' : 'openmetrics';
          const text = await exporter.metrics(format);
          if (format === 'openmetrics' && !text.endsWith('# EOF\n')) report('HeapExporter openmetrics', ['no # EOF']);
          const { histogram: h, summary: s } = readExposition(text);
          check(`HeapExporter ${format}`, h, s);
          stats.exporterScrapes++;
        }
        stats.maxScrapeMs = Math.max(stats.maxScrapeMs, performance.now() - t0);
        round++;
        if (round % 64 === 0) await sleep(0); // let I/O events in (a writer dying shows up at the end)
      }
      control.addInt(STOP, 1n);
      const reports = await Promise.all(writers.map((w) => finish(w, 30_000)));

      const total = reports.reduce((n, r) => n + r.observations, 0);
      const finalHistogram = await readHistogram(histogram);
      const finalSummary = await readSummary(summary);
      const exported = readExposition(await exporter.metrics());
      console.log(
        `[metrics-consistency] ${stats.scrapes} scrapes (${stats.getScrapes} via get(), ${stats.exporterScrapes} via HeapExporter) ` +
          `in ${SCRAPE_MS} ms, ${stats.moving} saw the counts move, slowest ${stats.maxScrapeMs.toFixed(1)} ms; ` +
          `${total.toLocaleString('en')} observations per metric by ${WRITERS} writers (${reports.map((r) => r.observations).join(', ')})`,
      );

      expect({ problems: stats.problems, examples }).toEqual({ problems: 0, examples: [] });
      expect(stats.scrapes).toBeGreaterThan(MIN_SCRAPES);
      expect(stats.moving, 'scrapes that ran while the counts were moving').toBeGreaterThan(MIN_MOVING_SCRAPES);
      expect(reports.every((r) => r.stopped && r.observations > 0)).toBe(true);
      // the final totals are exact
      for (const [where, h, s] of [
        ['get()', finalHistogram, finalSummary],
        ['HeapExporter', exported.histogram, exported.summary],
      ] as const) {
        expect(histogramProblems(h), where).toEqual([]);
        expect(summaryProblems(s), where).toEqual([]);
        expect([h.count, h.sum, s.count, s.sum], where).toEqual([total, total, total, total]);
      }
    } finally {
      heap.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
