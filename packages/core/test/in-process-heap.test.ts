// The in-process heap, where no addon loads or MPMETRICS_HEAP=process asks for it: one warning per process, the
// same values for every thread, nothing on disk; MPMETRICS_HEAP=shared turns a missing addon into
// MPM_ERR_NATIVE_LOAD; a bad mode is a coded error. The missing addon is a real one: a copy of dist/ in a package
// with no build/ and no prebuilds/. This file also runs in the in-process configuration (vitest.in-process.config.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Counter, defaultHeap, Heap, HeapExporter, MpmetricsError } from '../src/index.js';
import { childEnv, fixture, runChild } from './fixtures/lifetime-processes.js';

const child = fixture('in-process-child.mjs');
const loadChild = fixture('native-load-child.mjs');
const optionChild = fixture('in-process-option.mjs');
const packageRoot = fileURLToPath(new URL('..', import.meta.url));
const forced = process.env.MPMETRICS_HEAP === 'process';

let base: string;
let count = 0;
beforeAll(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-in-process-'));
});
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

/** An empty directory of its own, for a child's TMPDIR: whatever it writes there shows. */
function emptyDir(): string {
  const dir = path.join(base, `tmp-${++count}`);
  fs.mkdirSync(dir, { mode: 0o700 });
  return dir;
}

/** A copy of dist/ in a package of its own with no build/ nor prebuilds/: no addon can load from it. */
function packageWithoutAddon(): string {
  const pkg = path.join(base, `pkg-${++count}`);
  fs.mkdirSync(pkg);
  fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'mpmetrics-copy', type: 'module' }));
  fs.cpSync(path.join(packageRoot, 'dist'), path.join(pkg, 'dist'), { recursive: true });
  fs.symlinkSync(path.join(packageRoot, 'node_modules'), path.join(pkg, 'node_modules'));
  return pkg;
}

const warnings = (stderr: string): number => stderr.split('[MPM_WARN_IN_PROCESS_HEAP]').length - 1;

interface Report {
  total: number;
  inProcess: boolean;
  sameHeap: boolean;
  exported: string;
  dirEnv: string | null;
}

async function runWorkload(dist: string, env: NodeJS.ProcessEnv): Promise<{ report: Report; stderr: string }> {
  const run = await runChild(child, [dist], { env, timeoutMs: 60_000 });
  expect({ code: run.code, signal: run.signal }, run.stderr).toEqual({ code: 0, signal: null });
  expect(run.json).toHaveLength(1);
  return { report: run.json[0] as Report, stderr: run.stderr };
}

function expectSharedByThreads(report: Report): void {
  // 2 from the main thread, 5 from a worker started before the main thread's first metric
  expect(report).toMatchObject({ total: 7, inProcess: true, sameHeap: true, dirEnv: null });
  expect(report.exported).toContain('mpmip_jobs_total{kind="a"} 7\n');
  expect(report.exported).toContain('mpmip_worker_gauge 3\n');
  expect(report.exported).toContain('mpmip_cjs_gauge 4\n');
  expect(report.exported).toContain('mpmip_seconds_bucket{le="1.0"} 1\n');
  expect(report.exported).toContain('mpmip_sizes_count 1\n');
}

describe('MPMETRICS_HEAP=process', () => {
  it('warns once per process, with several metrics, both builds and a worker thread, whose values it shares; writes nothing', async () => {
    const tmp = emptyDir();
    const { report, stderr } = await runWorkload(path.join(packageRoot, 'dist'), childEnv({ MPMETRICS_HEAP: 'process', TMPDIR: tmp }));
    expect(warnings(stderr), stderr).toBe(1);
    expect(stderr).toContain('values are shared by the threads of this process, not with other processes');
    expect(stderr).toContain('MPMETRICS_HEAP=process asks for it');
    expectSharedByThreads(report);
    expect(fs.readdirSync(tmp)).toEqual([]);
  });

  it('the "heap" option still asks for the shared heap: MPM_ERR_NATIVE_LOAD, since the addon was not loaded', async () => {
    const run = await runChild(optionChild, [path.join(packageRoot, 'dist', 'index.js')], {
      env: childEnv({ MPMETRICS_HEAP: 'process', TMPDIR: emptyDir() }),
    });
    expect({ code: run.code, signal: run.signal }, run.stderr).toEqual({ code: 0, signal: null });
    expect(run.json[0]).toMatchObject({ ok: false, name: 'MpmetricsError', code: 'MPM_ERR_NATIVE_LOAD' });
    expect((run.json[0] as { message: string }).message).toContain('MPMETRICS_HEAP=process asks for the in-process heap');
  });
});

describe('no loadable addon', () => {
  it('by default, falls back to the in-process heap with one warning that says why the addon did not load; writes nothing', async () => {
    const pkg = packageWithoutAddon();
    const tmp = emptyDir();
    const env = childEnv({ TMPDIR: tmp });
    delete env.MPMETRICS_NATIVE_PATH;
    delete env.MPMETRICS_HEAP;
    const { report, stderr } = await runWorkload(path.join(pkg, 'dist'), env);
    expect(warnings(stderr), stderr).toBe(1);
    expect(stderr).toContain('the native addon did not load (set MPMETRICS_HEAP=shared to make this an error)');
    expect(stderr).toContain(`${path.join(pkg, 'build', 'Release', 'mpmetrics.node')}: not found`);
    expectSharedByThreads(report);
    expect(fs.readdirSync(tmp)).toEqual([]);
  });

  it('with MPMETRICS_HEAP=shared, importing throws MPM_ERR_NATIVE_LOAD with every path tried, and warns nothing', async () => {
    const pkg = packageWithoutAddon();
    const env = childEnv({ TMPDIR: emptyDir(), MPMETRICS_HEAP: 'shared' });
    delete env.MPMETRICS_NATIVE_PATH;
    const run = await runChild(loadChild, [path.join(pkg, 'dist', 'index.js')], { env });
    expect({ code: run.code, signal: run.signal, stderr: run.stderr }).toEqual({ code: 0, signal: null, stderr: '' });
    expect(run.json[0]).toMatchObject({ ok: false, name: 'MpmetricsError', code: 'MPM_ERR_NATIVE_LOAD' });
    expect((run.json[0] as { message: string }).message).toContain(`${path.join(pkg, 'build', 'Release', 'mpmetrics.node')}: not found`);
  });
});

describe('choosing the heap', () => {
  it('this test run\'s default heap is the kind MPMETRICS_HEAP asks for (the in-process configuration really is in-process)', () => {
    expect(defaultHeap().file.inProcess).toBe(forced);
  });

  it('a value of MPMETRICS_HEAP that names no mode throws MPM_ERR_HEAP_MODE at import, naming what came', async () => {
    const run = await runChild(loadChild, [path.join(packageRoot, 'dist', 'index.js')], { env: childEnv({ MPMETRICS_HEAP: 'shard', TMPDIR: emptyDir() }) });
    expect({ code: run.code, signal: run.signal, stderr: run.stderr }).toEqual({ code: 0, signal: null, stderr: '' });
    expect(run.json[0]).toMatchObject({
      ok: false,
      code: 'MPM_ERR_HEAP_MODE',
      message: 'MPMETRICS_HEAP must be one of "auto", "shared", "process", received the string "shard"',
    });
  });

  it('a "heap" option that names no mode throws MPM_ERR_HEAP_MODE', () => {
    const open = (): Heap => Heap.open({ heap: 'memory' as never });
    expect(open).toThrow(MpmetricsError);
    expect(open).toThrow(expect.objectContaining({ code: 'MPM_ERR_HEAP_MODE', message: 'The "heap" option must be one of "auto", "shared", "process", received the string "memory"' }));
  });

  it('the "heap" option "process" gives a heap of its own, by name, in memory, that metrics and exporters use as any heap', async () => {
    const name = path.join(base, 'named-in-process-heap');
    const heap = Heap.open({ heap: 'process', dir: name });
    const again = Heap.open({ heap: 'process', dir: name });
    try {
      expect(heap.file.inProcess).toBe(true);
      expect(heap.dir).toBe(name);
      expect(fs.existsSync(name)).toBe(false);
      new Counter({ name: 'mpmip_named_total', help: 'h', heap, registers: [] }).inc(2);
      new Counter({ name: 'mpmip_named_total', help: 'h', heap: again, registers: [] }).inc(3);
      expect(await new HeapExporter(again).metrics()).toContain('mpmip_named_total 5\n');
      // "shared" is the addon's heap, or MPM_ERR_NATIVE_LOAD where it is not loaded (this file's in-process run)
      if (forced) expect(() => Heap.open({ heap: 'shared' })).toThrow(expect.objectContaining({ code: 'MPM_ERR_NATIVE_LOAD' }));
      else {
        const shared = Heap.open({ heap: 'shared' });
        expect(shared.file.inProcess).toBe(false);
        shared.close();
      }
    } finally {
      heap.close();
      again.close();
    }
  });
});
