// Damaged heap files, by the thousand: bytes of a real heap (every metric type, labeled series, two segments)
// with its header and directory mutated at random, truncated or extended, each opened and exported in both
// formats by a child process. Every file must give either valid data or a clear MpmetricsError with a code: no
// signal (SIGBUS, SIGSEGV, abort), no hang, no bare TypeError/RangeError from deep inside.
//
// Seeded, so a failure names the case that reproduces it. MPMETRICS_FUZZ_CASES scales the count (default 3000),
// which the Node runs of `pnpm test` share (support/shard.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { H, HEADER_BYTES, LEAF, WORD } from '../src/heap/layout.js';
import { Counter, Gauge, Heap, HeapExporter, Histogram, Summary } from '../src/index.js';
import { FUZZ_METRICS, record } from './fixtures/fuzz-metrics.mjs';
import { fixture } from './fixtures/lifetime-processes.js';
import { startNode } from './support/process-group.js';
import { mulberry32 } from './support/random.js';
import { shardCases, shardTitle } from './support/shard.js';

const CASES = Number(process.env.MPMETRICS_FUZZ_CASES ?? 3000);
/**
 * Cases that found bugs, run whatever the count (the seed's mutations are replayed up to them). 434: a series
 * record's shared word count damaged, reset() threw a bare RangeError; 4217: a lane record damaged, adopting the
 * lane walked past a segment's end with a bare RangeError.
 */
const REGRESSIONS = [434, 4217];
/** This Node's share of the cases (support/shard.ts), and the regressions. */
const RUN = shardCases(CASES, REGRESSIONS);
const PER_CHILD = 250;
const SEGMENT = 65536;
const SEED = 0x6d706d;
const FUZZ_OPEN = fixture('fuzz-open.mjs');
const CLASSES = { Counter, Gauge, Histogram, Summary } as const;
const VALUES = { Counter: (i: number) => i + 0.5, Gauge: (i: number) => i, Histogram: (i: number) => i / 10, Summary: (i: number) => i * 100 };

let base: string;
let source: Buffer;
/** Bytes of the heap in use (the bump allocator's top): where mutations matter. */
let used: number;


const INTERESTING = [0, 1, 2, 0x7f, 0x80, 0xff, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff, 4096, 65536, 0x4d500000, 0x4d500103];

/** One damaged copy of `source`, and what was done to it (for the failure message). */
function mutate(random: () => number): { bytes: Buffer; what: string } {
  const pick = (n: number): number => Math.floor(random() * n);
  const bytes = Buffer.alloc(source.length);
  source.copy(bytes);
  const kind = pick(6);
  switch (kind) {
    case 0: {
      // a few bytes of the header
      const n = 1 + pick(6);
      const at: number[] = [];
      for (let k = 0; k < n; k++) {
        const i = pick(64); // the fields live in the first 64 bytes
        at.push(i);
        bytes[i] = pick(256);
      }
      return { bytes, what: `header bytes ${at.join(',')}` };
    }
    case 1: {
      // a header field set to an interesting value
      const field = pick(14);
      const value = INTERESTING[pick(INTERESTING.length)]!;
      bytes.writeUInt32LE(value >>> 0, field * 4);
      return { bytes, what: `header field ${field} = ${value}` };
    }
    case 2:
    case 3: {
      // bytes of the lane table, directory, records and cells
      const n = 1 + pick(kind === 2 ? 4 : 32);
      const at: number[] = [];
      for (let k = 0; k < n; k++) {
        const i = HEADER_BYTES + pick(used - HEADER_BYTES);
        at.push(i);
        bytes[i] = kind === 2 ? bytes[i]! ^ (1 << pick(8)) : pick(256);
      }
      return { bytes, what: `${kind === 2 ? 'bit flips' : 'random bytes'} at ${at.join(',')}` };
    }
    case 4: {
      // a word of the used area set to an interesting value (pointers, lengths, tags)
      const i = (HEADER_BYTES + pick(used - HEADER_BYTES)) & ~3;
      const value = INTERESTING[pick(INTERESTING.length)]!;
      bytes.writeUInt32LE(value >>> 0, i);
      return { bytes, what: `word at ${i} = ${value}` };
    }
    default: {
      // cut short, or grown with junk
      if (random() < 0.5) {
        const length = pick(source.length);
        return { bytes: bytes.subarray(0, length), what: `truncated to ${length}` };
      }
      const extra = 1 + pick(SEGMENT + 100);
      const junk = Buffer.alloc(extra, pick(256));
      return { bytes: Buffer.concat([bytes, junk]), what: `extended by ${extra}` };
    }
  }
}

beforeAll(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-fuzz-'));
  const validDir = path.join(base, 'valid');
  fs.mkdirSync(validDir, { mode: 0o700 });
  const heap = Heap.open({ dir: validDir, segmentSize: SEGMENT, maxLanes: 16, maxSize: 8 * SEGMENT });
  const metrics = FUZZ_METRICS.map(({ kind, config }) => ({ kind, metric: new CLASSES[kind]({ ...config, heap, registers: [] } as never) }));
  for (let i = 0; i < 40; i++) {
    for (const { kind, metric } of metrics) record(metric, kind, i, VALUES[kind](i));
  }
  // A first sweep takes the touched marks back (a series expires after a whole TTL unwritten after one): the
  // children's sweeps then retire the TTL family's series they do not write.
  heap.maintain();
  heap.file.grow(2);
  used = Math.min(Atomics.load(heap.file.header, H.ALLOC_TOP) * 8, 2 * SEGMENT);
  heap.close();
  source = fs.readFileSync(path.join(validDir, 'heap'));
});

afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

interface Report {
  start?: number;
  step?: string;
  i?: number;
  ok?: boolean;
  opened?: false;
  swept?: number;
  steps?: Record<string, string>;
  uncoded?: Record<string, { name: string; message: string; stack?: string }>;
  error?: { coded: boolean; name: string; code?: string; message: string; stack?: string };
  closeError?: string;
}

describe(`${shardTitle(CASES, RUN)} damaged heap files (seed ${SEED})`, () => {
  it('each opens and exports valid data or fails with a coded MpmetricsError: no crash, no hang', async () => {
    const random = mulberry32(SEED);
    const what: string[] = [];
    const run = new Set(RUN);
    for (let i = 0; i <= RUN.at(-1)!; i++) {
      const damaged = mutate(random);
      what.push(damaged.what);
      if (!run.has(i)) continue;
      const dir = path.join(base, `case-${i}`);
      fs.mkdirSync(dir, { mode: 0o700 });
      fs.writeFileSync(path.join(dir, 'heap'), damaged.bytes, { mode: 0o600 });
    }

    const problems: string[] = [];
    const outcomes = new Map<string, number>();
    const tally = (key: string): void => void outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    const steps = new Map<string, number>();
    const tallyStep = (key: string): void => void steps.set(key, (steps.get(key) ?? 0) + 1);
    const written = new Set<number>();
    const notOpened = new Set<number>();
    let swept = 0;
    const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: base };
    delete env.MPMETRICS_DIR;
    for (let first = 0; first < RUN.length; first += PER_CHILD) {
      const batch = RUN.slice(first, first + PER_CHILD);
      const child = startNode(`fuzz ${batch[0]}…${batch.at(-1)}`, FUZZ_OPEN, [base, ...batch.map(String)], env);
      let exit;
      try {
        exit = await child.finish(60_000);
      } catch (error) {
        const started = child.events as unknown as Report[];
        const current = [...started].reverse().find((r) => r.start !== undefined)?.start;
        const step = [...started].reverse().find((r) => r.start !== undefined)?.step ?? 'open and export';
        problems.push(`case ${current} (${what[current ?? 0]}) hung in ${step}: ${(error as Error).message.slice(0, 300)}`);
        continue;
      }
      const reports = exit.stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Report);
      const done = new Set<number>();
      for (const r of reports) {
        if (r.i === undefined) continue;
        if (r.closeError !== undefined) problems.push(`case ${r.i} (${what[r.i]}): close threw ${r.closeError}`);
        else if (r.steps) {
          written.add(r.i);
          swept += r.swept ?? 0;
          for (const [step, outcome] of Object.entries(r.steps)) tallyStep(`${step}: ${outcome}`);
          for (const [step, error] of Object.entries(r.uncoded ?? {})) {
            problems.push(`case ${r.i} (${what[r.i]}): ${step} threw uncoded ${error.name}: ${error.message}\n${error.stack}`);
          }
        } else if (r.ok) {
          done.add(r.i);
          tally('opened and exported');
        } else if (r.error) {
          done.add(r.i);
          if (r.opened === false) notOpened.add(r.i);
          if (r.error.coded) tally(r.error.code!);
          else problems.push(`case ${r.i} (${what[r.i]}): uncoded ${r.error.name}: ${r.error.message}\n${r.error.stack}`);
        }
      }
      if (exit.signal !== null || exit.code !== 0) {
        const last = [...reports].reverse().find((r) => r.start !== undefined);
        const current = last?.start;
        problems.push(`case ${current} (${what[current ?? 0]}) in ${last?.step ?? 'open and export'}: the child died (${exit.signal ?? `exit ${exit.code}`}); stderr: ${exit.stderr.slice(0, 500)}`);
      } else if (done.size !== batch.length) {
        problems.push(`cases ${batch[0]}…${batch.at(-1)}: only ${done.size} of ${batch.length} reported`);
      }
    }
    console.log(`damaged heaps: ${JSON.stringify(Object.fromEntries(outcomes))}`);
    console.log(`writes to them: ${JSON.stringify(Object.fromEntries([...steps].sort()))}; series swept: ${swept}`);
    expect(problems.slice(0, 60), `${problems.length} problems`).toEqual([]);
    // the mutations must reach both outcomes, or the test proves little
    expect(outcomes.get('opened and exported') ?? 0).toBeGreaterThan(RUN.length / 10);
    expect(RUN.length - (outcomes.get('opened and exported') ?? 0)).toBeGreaterThan(RUN.length / 10);
    // every heap that opened was written to, and the writes too reach both outcomes
    expect(written.size + notOpened.size).toBe(RUN.length);
    expect(steps.get('update: ok') ?? 0).toBeGreaterThan(RUN.length / 10);
    expect(steps.get('sweep: ok') ?? 0).toBeGreaterThan(RUN.length / 10);
    expect(swept).toBeGreaterThan(RUN.length); // the sweeps had work: idle series of the TTL family were retired
    expect([...steps].filter(([key]) => !key.endsWith(': ok')).length).toBeGreaterThan(0);
  }, 600_000);
});

describe('a series record damaged in place', () => {
  it('is left out of the scrape with one MPM_WARN_DAMAGED_SERIES warning; its neighbours still export', async () => {
    const dir = path.join(base, 'damaged-series');
    fs.mkdirSync(dir, { mode: 0o700 });
    const heap = Heap.open({ dir, segmentSize: SEGMENT, maxLanes: 16 });
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const counter = new Counter({ name: 'fuzz_damaged_total', help: 'h', labelNames: ['route'], heap, registers: [] });
      for (const route of ['/a', '/b', '/c']) counter.inc({ route });
      const family = heap.findFamily('fuzz_damaged_total')!;
      const victim = heap.seriesOf(family.ptr).find((series) => series.key === JSON.stringify(['/b']))!;
      // overwrite the first byte of its key (`[`) so it no longer decodes
      const segment = heap.file.segmentOf(victim.ptr);
      const at = heap.file.offsetOf(victim.ptr); // in words, within the segment
      const keyOffset = segment.u32[at * 2 + LEAF.KEY_OFFSET]!;
      segment.u8[at * WORD + keyOffset] = 0x7b; // '{'

      const exporter = new HeapExporter(heap);
      const text = await exporter.metrics('prometheus');
      await exporter.metrics('prometheus');
      expect(text).toContain('fuzz_damaged_total{route="/a"} 1');
      expect(text).toContain('fuzz_damaged_total{route="/c"} 1');
      expect(text).not.toContain('/b');
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
      const damaged = warnings.filter((w) => (w as NodeJS.ErrnoException).code === 'MPM_WARN_DAMAGED_SERIES');
      expect(damaged).toHaveLength(1);
      expect(damaged[0]!.message).toContain('fuzz_damaged_total');
    } finally {
      process.off('warning', onWarning);
      heap.close();
    }
  });
});
