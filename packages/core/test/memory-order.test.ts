// The memory-order paths (src/heap/memory-order.ts, docs/ARCHITECTURE.md "Memory ordering"): which one a process
// takes, the halves a double travels as on the Atomics path, a bad MPMETRICS_MEMORY_ORDER refused with a code, and
// real processes on both paths writing one heap at once while this process scrapes: every scrape whole, totals exact.
// This file also runs with MPMETRICS_MEMORY_ORDER=atomics (see the package's test script), as the scraper's path.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadDouble, storeDouble, storeSharedDouble } from '../src/heap/atomic-doubles.js';
import { memoryOrderOf, MEMORY_ORDER } from '../src/heap/memory-order.js';
import { Heap, Histogram, Summary } from '../src/index.js';
import { MpmetricsError } from '../src/errors.js';
import { sleep, startNode, succeed } from './support/process-group.js';

const HAMMER = fileURLToPath(new URL('./fixtures/metrics-mp-hammer.mjs', import.meta.url));
const DIST = new URL('../dist/index.js', import.meta.url).href;

describe('the path a process takes', () => {
  it('is plain on x64 and Atomics on every other CPU, and Atomics can be forced anywhere', () => {
    expect(memoryOrderOf('x64', undefined)).toBe('plain');
    expect(memoryOrderOf('x64', '')).toBe('plain');
    expect(memoryOrderOf('x64', 'auto')).toBe('plain');
    expect(memoryOrderOf('x64', 'atomics')).toBe('atomics');
    for (const arch of ['arm64', 'arm', 'ppc64', 'riscv64', 's390x', 'ia32']) expect(memoryOrderOf(arch, undefined)).toBe('atomics');
    expect(memoryOrderOf('arm64', 'atomics')).toBe('atomics');
    expect(Heap.prototype).toHaveProperty('memoryOrder');
    expect(MEMORY_ORDER).toBe(memoryOrderOf(process.arch, process.env.MPMETRICS_MEMORY_ORDER));
  });

  it('cannot be forced to plain order (it would be silently wrong on arm64): any other setting is a coded error', () => {
    for (const setting of ['plain', 'ATOMICS', 'seq-cst']) {
      const error = memoryOrderOf('arm64', setting);
      expect(error).toBeInstanceOf(MpmetricsError);
      expect(error).toMatchObject({ code: 'MPM_ERR_MEMORY_ORDER', message: `MPMETRICS_MEMORY_ORDER must be one of "auto", "atomics" (or unset), received ${JSON.stringify(setting)}` });
    }
  });

  it('with a bad setting, importing still works and opening a heap throws MPM_ERR_MEMORY_ORDER', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-order-'));
    try {
      const script = `import { Heap } from ${JSON.stringify(DIST)}; try { Heap.open({ dir: ${JSON.stringify(dir)} }); console.log('opened'); } catch (e) { console.log(e.code); }`;
      const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, MPMETRICS_MEMORY_ORDER: 'plain' }, encoding: 'utf8' });
      expect({ status: run.status, stdout: run.stdout.trim(), stderr: run.stderr }).toEqual({ status: 0, stdout: 'MPM_ERR_MEMORY_ORDER', stderr: '' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a double on the Atomics path', () => {
  it('goes in and comes out as the same bits, whichever halves change', () => {
    const f64 = new Float64Array(4);
    const u32 = new Int32Array(f64.buffer);
    const values = [0, -0, 1, 0.1, 2 ** 21, 2 ** 53 + 2, -1e308, 5e-324, Infinity, -Infinity, NaN, 1, 0];
    for (const value of values) {
      storeDouble(u32, 1, value);
      expect(Object.is(f64[1], value)).toBe(true);
      expect(Object.is(loadDouble(u32, 1), value)).toBe(true);
      storeSharedDouble(u32, 2, value);
      expect(Object.is(loadDouble(u32, 2), value)).toBe(true);
    }
    expect([f64[0], f64[3]]).toEqual([0, 0]); // its neighbours untouched
  });
});

interface HammerReport {
  observations: number;
  stopped: boolean;
  memoryOrder: string;
}

describe('writers on both paths in one heap', () => {
  it('share it: scrapes on this process\'s path are whole while they write, and the totals are exact', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-order-'));
    fs.chmodSync(dir, 0o700);
    const heap = Heap.open({ dir });
    try {
      const control = heap.shared(heap.series(heap.family('mpmc_control', '{"control":true}').ptr, 'barrier', { valueWords: 0, sharedWords: 3 }).ptr);
      const histogram = new Histogram({ name: 'mpmc_hammer_seconds', help: 'observe(1) from every writer', registers: [], heap });
      const summary = new Summary({ name: 'mpmc_hammer_bytes', help: 'observe(1) from every writer', registers: [], heap });
      const env = (order: string | undefined): NodeJS.ProcessEnv => {
        const e: NodeJS.ProcessEnv = { ...process.env, MPMETRICS_DIR: dir, MPM_HAMMER_MAX_MS: '20000' };
        if (order === undefined) delete e.MPMETRICS_MEMORY_ORDER;
        else e.MPMETRICS_MEMORY_ORDER = order;
        return e;
      };
      const writers = [
        startNode('atomics writer 1', HAMMER, [], env('atomics')),
        startNode('atomics writer 2', HAMMER, [], env('atomics')),
        startNode('auto writer 1', HAMMER, [], env(undefined)),
        startNode('auto writer 2', HAMMER, [], env(undefined)),
      ];
      const readyBy = Date.now() + 30_000;
      while (control.getInt(0) < BigInt(writers.length)) {
        const dead = writers.find((w) => w.exited);
        if (dead) throw new Error(`${dead.name} exited before the start: ${JSON.stringify(await dead.finish(1000))}`);
        if (Date.now() > readyBy) throw new Error('the writers were not ready within 30 s');
        await sleep(5);
      }
      control.addInt(1, 1n);

      const problems: string[] = [];
      let scrapes = 0;
      let moving = 0;
      let last = 0;
      const until = Date.now() + 2_000;
      while (Date.now() < until || scrapes < 20) {
        const h = (await histogram.get()).values;
        const count = h.find((v) => v.metricName === 'mpmc_hammer_seconds_count')!.value;
        const sum = h.find((v) => v.metricName === 'mpmc_hammer_seconds_sum')!.value;
        const inf = h.find((v) => v.labels['le'] === '+Inf')!.value;
        const s = (await summary.get()).values;
        const sCount = s.find((v) => v.metricName === 'mpmc_hammer_bytes_count')!.value;
        const sSum = s.find((v) => v.metricName === 'mpmc_hammer_bytes_sum')!.value;
        if (count !== inf || sum !== count || sSum !== sCount || count < last) problems.push(JSON.stringify({ count, inf, sum, sCount, sSum, last }));
        if (count > last) moving++;
        last = count;
        scrapes++;
        if (Date.now() > until + 10_000) break;
      }
      control.addInt(2, 1n);
      const reports = (await Promise.all(writers.map((w) => succeed(w, 30_000)))).map((exit) => JSON.parse(exit.stdout) as HammerReport);
      const total = reports.reduce((n, r) => n + r.observations, 0);
      const h = (await histogram.get()).values;
      const s = (await summary.get()).values;

      const auto = memoryOrderOf(process.arch, undefined);
      expect(reports.map((r) => r.memoryOrder)).toEqual(['atomics', 'atomics', auto, auto]);
      expect(problems.slice(0, 5)).toEqual([]);
      expect(moving, 'scrapes that saw the counts move').toBeGreaterThan(5);
      expect(reports.every((r) => r.stopped && r.observations > 0)).toBe(true);
      expect([
        h.find((v) => v.metricName === 'mpmc_hammer_seconds_count')!.value,
        h.find((v) => v.metricName === 'mpmc_hammer_seconds_sum')!.value,
        s.find((v) => v.metricName === 'mpmc_hammer_bytes_count')!.value,
        s.find((v) => v.metricName === 'mpmc_hammer_bytes_sum')!.value,
      ]).toEqual([total, total, total, total]);
    } finally {
      heap.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
