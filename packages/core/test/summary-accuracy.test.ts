// Summary quantiles across processes, against the exact quantiles of the same data. Four forked processes observe
// disjoint parts of a known dataset into one Summary in one shared heap; a fifth process that declares nothing
// exports the heap (HeapExporter), and the first writer answers with the Summary's own get() (what prom-client's
// register.metrics() prints). Every reported quantile must be within the bound README.md and docs/ARCHITECTURE.md
// document:
//
//   x = the observation of 0-based rank ⌊q·(n−1)⌋ (computed in doubles) among the n observations of the window,
//       all processes together, sorted ascending;
//   M = the largest magnitude among the observations of the window with the sign of x;
//   D = 7 decades for positive x, 4 for negative x;
//   then  |reported − x| ≤ α·|x|  with α = 1%,  whenever |x| ≥ 1e-12 and |x| ≥ M·10^−D;
//   a smaller |x| lies under the sketch's range: reported is 0 for |x| < 1e-12, and otherwise has the sign of x
//   and a magnitude from |x|·(1−α) to max(|x|·(1+α), M·10^−D): never much smaller, at most the range's floor.
//
// The parts are skewed (each process gets a different quarter of the value range, plus a random share), so the
// per-process quantiles are far from the union's: merging is what makes the answer right. Datasets: uniform,
// lognormal latencies with a slow tail, 6 decades (log-uniform), negatives with zeros and positives, small
// integers with many ties, and 9 decades (beyond D: the fallback bound is checked). Each runs without a window and
// with a sliding window (maxAgeSeconds 60, ageBuckets 3), where every process first fills every window with stale
// extreme values that must drop out, then observes its part spread over three windows; a later scrape must drop
// the oldest of the three. The writers run on a clock the test sets, so which window is current is not a matter
// of timing. The float slack (1e-12 relative) covers rounding at a bin's edge, where the error is exactly α.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIpcChild, type IpcChild } from './support/ipc-child.js';
import { mulberry32 } from './support/random.js';

const WRITER = fileURLToPath(new URL('./fixtures/summary-accuracy-writer.mjs', import.meta.url));

/** The documented bound (README.md, "Summary quantiles"). */
const ALPHA = 0.01;
const DECADES_POSITIVE = 7;
const DECADES_NEGATIVE = 4;
const ZERO_BELOW = 1e-12;
const FLOAT_SLACK = 1e-12;

const PERCENTILES = [0, 0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1];
const PROCESSES = 4;
const N = 100_000;

// ---- data: a seeded generator, so a failure can be replayed

const generator = mulberry32;

function normal(random: () => number): number {
  const u = 1 - random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

interface Dataset {
  name: string;
  /** True when every asked quantile must fall in the relative-error regime (checked, so the data cannot drift). */
  inRange: boolean;
  values: number[];
}

function dataset(name: string, seed: number, inRange: boolean, draw: (random: () => number) => number): Dataset {
  const random = generator(seed);
  return { name, inRange, values: Array.from({ length: N }, () => draw(random)) };
}

const DATASETS: Dataset[] = [
  dataset('uniform 0..1000', 1, true, (r) => r() * 1000),
  dataset('lognormal latencies (50 ms median, 2% slow tail around 2 s)', 2, true, (r) =>
    r() < 0.02 ? Math.exp(Math.log(2) + 0.5 * normal(r)) : Math.exp(Math.log(0.05) + 0.8 * normal(r)),
  ),
  dataset('6 decades, 1e-3..1e3 log-uniform', 3, true, (r) => 10 ** (-3 + 6 * r())),
  dataset('negatives (35%, 3 decades), zeros (5%), positives (60%, 5 decades)', 4, true, (r) => {
    const u = r();
    if (u < 0.35) return -(10 ** (-1 + 3 * r()));
    if (u < 0.4) return 0;
    return 10 ** (-2 + 5 * r());
  }),
  dataset('small integers with many ties (zeros included)', 5, true, (r) => Math.floor(Math.exp(3 + 1.5 * normal(r)))),
  dataset('9 decades, 1e-4..1e5 log-uniform (beyond the 7 decades)', 6, false, (r) => 10 ** (-4 + 9 * r())),
];

/** Splits `values` into PROCESSES disjoint parts: half by value quarter, half at random; each part shuffled. */
function split(values: readonly number[], seed: number): number[][] {
  const random = generator(seed);
  const sorted = [...values].sort((a, b) => a - b);
  const parts: number[][] = Array.from({ length: PROCESSES }, () => []);
  sorted.forEach((v, rank) => {
    const owner = random() < 0.5 ? Math.floor((rank * PROCESSES) / sorted.length) : Math.floor(random() * PROCESSES);
    parts[owner]!.push(v);
  });
  for (const part of parts) {
    for (let i = part.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [part[i], part[j]] = [part[j]!, part[i]!];
    }
  }
  return parts;
}

// ---- the bound

interface Verdict {
  /** the exact quantile x */
  exact: number;
  /** whether x is in the relative-error regime */
  inRange: boolean;
  ok: boolean;
}

function judge(sorted: Float64Array, q: number, reported: number): Verdict {
  const n = sorted.length;
  const x = sorted[Math.floor(q * (n - 1))]!;
  let maxPositive = 0;
  let maxNegative = 0;
  for (const v of sorted) {
    if (v > maxPositive) maxPositive = v;
    if (-v > maxNegative) maxNegative = -v;
  }
  const magnitude = Math.abs(x);
  if (magnitude < ZERO_BELOW) return { exact: x, inRange: true, ok: reported === 0 };
  const floor = x > 0 ? maxPositive * 10 ** -DECADES_POSITIVE : maxNegative * 10 ** -DECADES_NEGATIVE;
  const slack = magnitude * (ALPHA + FLOAT_SLACK);
  if (magnitude >= floor) return { exact: x, inRange: true, ok: Math.abs(reported - x) <= slack };
  // under the range: same sign, no smaller in magnitude than x (less α), no larger than the range's floor
  const reportedMagnitude = Math.sign(reported) === Math.sign(x) ? Math.abs(reported) : -1;
  const ceiling = Math.max(magnitude * (1 + ALPHA), floor) * (1 + FLOAT_SLACK);
  return { exact: x, inRange: false, ok: reportedMagnitude >= magnitude - slack && reportedMagnitude <= ceiling };
}

/** Failures (as text) of `reported` quantiles against the exact ones of `values`; throws on a range mismatch. */
function check(what: string, values: readonly number[], reported: readonly number[], mustBeInRange: boolean): string[] {
  const sorted = Float64Array.from(values).sort();
  const failures: string[] = [];
  PERCENTILES.forEach((q, i) => {
    const verdict = judge(sorted, q, reported[i]!);
    if (mustBeInRange && !verdict.inRange) failures.push(`${what}: q=${q}: exact ${verdict.exact} is not in the relative regime; the dataset is wrong`);
    if (!verdict.ok) {
      const error = verdict.exact === 0 ? reported[i] : (reported[i]! - verdict.exact) / Math.abs(verdict.exact);
      failures.push(`${what}: q=${q}: reported ${reported[i]}, exact ${verdict.exact} (${verdict.inRange ? 'relative error' : 'under the range, error'} ${error})`);
    }
  });
  return failures;
}

// ---- the processes

const workers: IpcChild[] = [];
let dir = '';

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-summary-accuracy-'));
  fs.chmodSync(dir, 0o700);
  for (let i = 0; i <= PROCESSES; i++) workers.push(await startIpcChild(WRITER, dir));
});

afterAll(() => {
  for (const w of workers) w.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const writers = (): IpcChild[] => workers.slice(0, PROCESSES);
const exporter = (): IpcChild => workers[PROCESSES]!;

interface GetValue {
  labels: Record<string, string | number>;
  metricName: string;
  value: number;
}

/** [quantiles…, sum, count] as the first writer's Summary.get() and the exporter's snapshot report them. */
async function scrape(name: string, now: number): Promise<{ get: number[]; exported: number[] }> {
  const got = await writers()[0]!.request<GetValue[]>({ op: 'get', name, now });
  const quantiles = PERCENTILES.map((q) => got.find((v) => v.metricName === name && Number(v.labels['quantile']) === q)!.value);
  const sum = got.find((v) => v.metricName === `${name}_sum`)!.value;
  const count = got.find((v) => v.metricName === `${name}_count`)!.value;
  const families = await exporter().request<{ name: string; values: number[][] }[]>({ op: 'export', now });
  const family = families.find((f) => f.name === name);
  expect(family?.values.length, `${name} exported`).toBe(1);
  return { get: [...quantiles, sum, count], exported: family!.values[0]! };
}

/** Sums are added in an order nobody controls: compared to 1e-9 relative. */
function expectSumAndCount(what: string, reported: number[], values: readonly number[]): void {
  const sum = values.reduce((a, b) => a + b, 0);
  expect(reported[PERCENTILES.length + 1], `${what}: count`).toBe(values.length);
  expect(Math.abs(reported[PERCENTILES.length]! - sum), `${what}: sum ${reported[PERCENTILES.length]} vs ${sum}`).toBeLessThanOrEqual(
    1e-9 * Math.max(1, Math.abs(sum)) + 1e-9 * values.reduce((a, b) => a + Math.abs(b), 0),
  );
}

// A window of 20 s: windows are numbered by Date.now() / 20000, and this is the start of window E.
const WINDOW_MS = 20_000;
const E = 85_000_000;
const AT = (window: number, offsetMs = 1_000): number => (E + window) * WINDOW_MS + offsetMs;

describe('Summary quantiles over 4 processes are within the documented bound of the exact quantiles', () => {
  DATASETS.forEach((data, d) => {
    it(`${data.name}, no window`, async () => {
      const name = `mpma_all_time_${d}`;
      const parts = split(data.values, 100 + d);
      const spec = { name, percentiles: PERCENTILES };
      for (const w of workers) await w.request({ op: 'declare', specs: [spec], now: AT(0) });
      await Promise.all(writers().map((w, i) => w.request({ op: 'observe', name, values: parts[i], now: AT(0) })));
      const { get, exported } = await scrape(name, AT(0, 2_000));
      const failures = [...check(`${data.name} get()`, data.values, get, data.inRange), ...check(`${data.name} exporter`, data.values, exported, data.inRange)];
      expect(failures, failures.join('\n')).toEqual([]);
      expectSumAndCount(`${data.name} get()`, get, data.values);
      expectSumAndCount(`${data.name} exporter`, exported, data.values);
      if (!data.inRange) {
        // the fallback regime really is exercised: some asked quantiles lie more than D decades down
        const sorted = Float64Array.from(data.values).sort();
        expect(PERCENTILES.filter((q) => !judge(sorted, q, 0).inRange).length).toBeGreaterThan(0);
      }
      // the processes' parts really are skewed: the quantiles of one part alone would be wrong
      const alone = check('one part alone', parts[0]!, get, false);
      expect(alone.length, 'the first process’s own data gives different quantiles').toBeGreaterThan(0);
    });

    it(`${data.name}, sliding window (maxAgeSeconds 60, ageBuckets 3): stale windows drop out`, async () => {
      const name = `mpma_window_${d}`;
      const parts = split(data.values, 200 + d);
      const spec = { name, percentiles: PERCENTILES, maxAgeSeconds: 60, ageBuckets: 3 };
      for (const w of workers) await w.request({ op: 'declare', specs: [spec], now: AT(0) });
      // Stale: every process fills all three windows (E, E+1, E+2) with extreme values of both signs.
      const stale = [1e9, -1e9, 5e8, -5e8, 1e-9, 123];
      for (let window = 0; window < 3; window++) {
        await Promise.all(writers().map((w) => w.request({ op: 'observe', name, values: stale, now: AT(window) })));
      }
      // Live: each process's part in three chunks, in windows E+3, E+4, E+5 (reusing the stale windows' slots).
      // Half of each chunk is the values of one third of the value range (lowest third first), half random, so
      // the window that ages out first changes the quantiles.
      const random = generator(300 + d);
      const sorted = [...data.values].sort((a, b) => a - b);
      const firstThird = sorted[Math.floor(N / 3)]!;
      const secondThird = sorted[Math.floor((2 * N) / 3)]!;
      const chunks: number[][][] = parts.map((part) => {
        const out: number[][] = [[], [], []];
        for (const v of part) out[random() < 0.5 ? (v < firstThird ? 0 : v < secondThird ? 1 : 2) : Math.floor(random() * 3)]!.push(v);
        return out;
      });
      for (let c = 0; c < 3; c++) {
        await Promise.all(writers().map((w, i) => w.request({ op: 'observe', name, values: chunks[i]![c], now: AT(3 + c, 500 + 4_000 * i) })));
      }
      const allTime = [...stale, ...stale, ...stale].flatMap((v) => Array<number>(PROCESSES).fill(v)).concat(data.values);

      // At the end of window E+5, the window holds E+3..E+5: exactly the dataset.
      const late = await scrape(name, AT(5, WINDOW_MS - 1));
      const failures = [...check(`${data.name} get()`, data.values, late.get, data.inRange), ...check(`${data.name} exporter`, data.values, late.exported, data.inRange)];
      expect(failures, failures.join('\n')).toEqual([]);
      // _sum and _count are all-time, as in prom-client
      expectSumAndCount(`${data.name} get()`, late.get, allTime);
      expectSumAndCount(`${data.name} exporter`, late.exported, allTime);

      // In window E+6, the first chunks (E+3) have aged out.
      const newer = chunks.flatMap((c) => [...c[1]!, ...c[2]!]);
      const later = await scrape(name, AT(6));
      const laterFailures = [...check(`${data.name} get() at E+6`, newer, later.get, false), ...check(`${data.name} exporter at E+6`, newer, later.exported, false)];
      expect(laterFailures, laterFailures.join('\n')).toEqual([]);
      // (and that is a different answer: the exact quantiles of the whole dataset do not pass for these)
      const newerSorted = Float64Array.from(newer).sort();
      const newerExact = PERCENTILES.map((q) => newerSorted[Math.floor(q * (newer.length - 1))]!);
      expect(check('the whole dataset', data.values, newerExact, false).length).toBeGreaterThan(0);

      // Three windows later still, nothing is left: quantiles are 0 (as prom-client's), sum and count stay.
      const empty = await scrape(name, AT(9));
      for (const reported of [empty.get, empty.exported]) {
        expect(reported.slice(0, PERCENTILES.length).every((v) => v === 0)).toBe(true);
        expect(reported[PERCENTILES.length + 1]).toBe(allTime.length);
      }
    });
  });
});
