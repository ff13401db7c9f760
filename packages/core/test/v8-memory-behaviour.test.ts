// The heap relies on behaviour of V8 that no language standard promises for memory shared between processes
// through an external (mmap'd) ArrayBuffer. This test checks it on the Node that runs it, so an upgrade of Node
// or V8 that breaks it fails here, loudly, instead of silently losing counts.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binding } from '../src/native/binding.js';

const child = fileURLToPath(new URL('./fixtures/v8-behaviour-child.mjs', import.meta.url));
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-v8-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function makeFile(name: string): { file: string; i32: Int32Array; close: () => void } {
  const file = path.join(dir, name);
  const fd = binding.open(file, true);
  binding.allocate(fd, 65536);
  const i32 = new Int32Array(binding.map(fd, 0, 65536));
  return { file, i32, close: () => binding.close(fd) };
}

function run(role: string, file: string, count: number): { done: Promise<string> } {
  const proc = spawn(process.execPath, [child, role, file, String(count)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  proc.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const done = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${role} child timed out`));
    }, 90_000);
    proc.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${role} child exited with ${code ?? signal}`));
    });
  });
  return { done };
}

async function startTogether(i32: Int32Array, children: number): Promise<void> {
  while (Atomics.load(i32, 2) < children) await new Promise((r) => setTimeout(r, 5));
  Atomics.store(i32, 0, 1);
}

describe(`V8 ${process.versions.v8} on Node ${process.version}: memory shared through the addon's mapping`, () => {
  it('is an external ArrayBuffer on which Atomics work (not a SharedArrayBuffer)', () => {
    const { i32, close } = makeFile('kind');
    expect(i32.buffer).toBeInstanceOf(ArrayBuffer);
    expect(Atomics.add(i32, 3, 5)).toBe(0);
    expect(Atomics.compareExchange(i32, 3, 5, 7)).toBe(5);
    expect(Atomics.load(i32, 3)).toBe(7);
    close();
  });

  it('makes Atomics.add (Int32, BigInt64) and a float64 compare-and-swap loop atomic across processes', async () => {
    const { file, i32, close } = makeFile('atomics');
    const perChild = 2_000_000;
    const runs = [run('atomics', file, perChild), run('atomics', file, perChild)];
    await startTogether(i32, 2);
    await Promise.all(runs.map((r) => r.done));
    expect(Atomics.load(i32, 16)).toBe(2 * perChild);
    const i64 = new BigInt64Array(i32.buffer);
    expect(Atomics.load(i64, 16)).toBe(BigInt(2 * perChild));
    expect(new Float64Array(i32.buffer)[24]).toBe(2 * perChild * 0.5);
    close();
  });

  it('keeps plain typed-array stores in program order, so a seqlock reader never sees half an update', async () => {
    const { file, i32, close } = makeFile('seqlock');
    const writer = run('seqlock-writer', file, 100_000_000);
    const reader = run('seqlock-reader', file, 0);
    await startTogether(i32, 2);
    const [, report] = await Promise.all([writer.done, reader.done]);
    const seen = JSON.parse(report) as { whole: number; torn: number; odd: number; backwards: number };
    // The reader must have caught the writer mid-update (the odd store was not optimised away) and seen many
    // whole updates, and never a torn or a decreasing one.
    expect(seen.torn).toBe(0);
    expect(seen.backwards).toBe(0);
    expect(seen.odd).toBeGreaterThan(0);
    expect(seen.whole).toBeGreaterThan(0);
    expect(new Float64Array(i32.buffer)[40]).toBe(100_000_000);
    close();
  });

  it('stores an aligned float64 with a plain store in one piece, so concurrent set()s are never torn', async () => {
    const { file, i32, close } = makeFile('f64-store');
    const setters = [run('f64-setter-a', file, 50_000_000), run('f64-setter-b', file, 50_000_000)];
    const watcher = run('f64-watcher', file, 0);
    await startTogether(i32, 3);
    const [, , report] = await Promise.all([...setters.map((s) => s.done), watcher.done]);
    const seen = JSON.parse(report!) as { reads: number; torn: number; distinct: number };
    // Both setters' values were seen (the watcher raced them), and no read mixed halves of two stores.
    expect(seen.torn).toBe(0);
    expect(seen.distinct).toBeGreaterThanOrEqual(3);
    expect(seen.reads).toBeGreaterThan(1000);
    close();
  });
});
