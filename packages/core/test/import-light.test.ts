// What importing the library does, and what it leaves for first use (see reservePrivateDirectory in location.ts).
// Importing, in a process without MPMETRICS_DIR: one private directory (0700) with its marker, one descriptor (the
// marker's lock), MPMETRICS_DIR set; no heap file, no sweep of stale heaps, no timers, no listeners on `process`.
// With MPMETRICS_DIR set: nothing at all. First use creates the heap file, and the process that creates it in a
// private directory sweeps the stale heaps beside it.
//
// Each child gets its own TMPDIR, holding a planted stale heap (marked private, nobody holds it) that any sweep
// would remove: it is still there after import, and gone only after first use.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isHeapInUse, removeStaleHeaps } from '../src/index.js';
import { childEnv, fixture, killChildren, runChild, startChild, waitUntil } from './fixtures/lifetime-processes.js';

const child = fixture('import-light-child.mjs');
const PRIVATE_NAME = /^mpmetrics-[A-Za-z0-9]{6}$/;
const STALE = 'mpmetrics-stale1';

interface Imported {
  event: 'imported';
  before: { tmp: string[]; env: string | null; listeners: Record<string, number>; pending: number };
  tmp: string[];
  env: string | null;
  dirContents: string[] | null;
  dirMode: number | null;
  marker: string | null;
  descriptors: string[];
  listeners: Record<string, number>;
  pending: number;
}

let base: string;
let count = 0;

beforeAll(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-importlight-'));
});
/** Grandchildren a test may leave running if it fails: SIGKILLed after each test. */
const orphans: number[] = [];
afterEach(async () => {
  await killChildren();
  for (const pid of orphans.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

/** A fresh TMPDIR holding a stale private heap: its creator is gone and nobody has its heap open. */
function tmpWithStaleHeap(): string {
  const tmp = path.join(base, `tmp${++count}`);
  fs.mkdirSync(tmp, { mode: 0o700 });
  const stale = path.join(tmp, STALE);
  fs.mkdirSync(stale, { mode: 0o700 });
  fs.chmodSync(stale, 0o700); // whatever the umask
  fs.writeFileSync(path.join(stale, '.mpmetrics-private'), '1\n', { mode: 0o600 });
  fs.writeFileSync(path.join(stale, 'heap'), Buffer.alloc(4096), { mode: 0o600 });
  return tmp;
}

/** Checks that a sweep would remove the planted heap, without removing it (on a copy). */
function expectSweepWouldRemove(tmp: string): void {
  const copy = path.join(base, `copy${++count}`);
  fs.cpSync(tmp, copy, { recursive: true });
  fs.chmodSync(path.join(copy, STALE), 0o700);
  expect(removeStaleHeaps(copy)).toEqual([path.join(copy, STALE)]);
}

function expectLightImport(imported: Imported, tmp: string): string {
  expect(imported.before).toMatchObject({ tmp: [STALE], env: null });
  const dir = imported.env!;
  expect(path.dirname(dir)).toBe(tmp);
  expect(path.basename(dir)).toMatch(PRIVATE_NAME);
  // one directory gained, and the stale heap untouched: no sweep ran
  expect(imported.tmp).toEqual([STALE, path.basename(dir)].sort());
  expect(imported.dirMode).toBe(0o700);
  expect(imported.dirContents).toEqual(['.mpmetrics-private']); // no heap file yet
  expect(imported.marker).toMatch(/^\d+\n$/);
  expect(imported.descriptors).toEqual([path.join(dir, '.mpmetrics-private')]); // the creator's lock
  expect(imported.listeners).toEqual(imported.before.listeners); // the exit and signal hooks are the addon's, in C
  expect(imported.pending).toBe(imported.before.pending); // nothing deferred to a timer or an immediate
  return dir;
}

describe('importing @mpmetrics/core (or requiring it)', () => {
  it.each([
    ['the ESM build', []],
    ['the CommonJS build', ['--cjs']],
  ])('%s makes only the private directory (marker, lock, MPMETRICS_DIR); first use makes the heap and sweeps the stale one', async (_build, flags) => {
    const tmp = tmpWithStaleHeap();
    expectSweepWouldRemove(tmp);
    const run = await runChild(child, ['use', ...flags], { env: childEnv({ TMPDIR: tmp }) });
    expect([run.code, run.signal, run.stderr]).toEqual([0, null, '']);
    const [imported, used] = run.json as [Imported, { tmp: string[]; dirContents: string[] }];
    const dir = expectLightImport(imported, tmp);
    expect(used).toEqual({ event: 'used', tmp: [path.basename(dir)], dirContents: ['.mpmetrics-private', 'heap'] });
    expect(fs.readdirSync(tmp)).toEqual([]); // and its own directory went with it
  });

  it('leaves the stale heap alone when the process exits without using a metric, and removes its own directory', async () => {
    const tmp = tmpWithStaleHeap();
    const run = await runChild(child, ['import-only'], { env: childEnv({ TMPDIR: tmp }) });
    expect([run.code, run.signal, run.stderr]).toEqual([0, null, '']);
    expectLightImport(run.json[0] as Imported, tmp);
    expect(fs.readdirSync(tmp)).toEqual([STALE]);
  });

  it('a child forked before the parent uses a metric creates the heap in the inherited directory and sweeps', async () => {
    const tmp = tmpWithStaleHeap();
    const run = await runChild(child, ['fork-first'], { env: childEnv({ TMPDIR: tmp }) });
    expect([run.code, run.signal, run.stderr]).toEqual([0, null, '']);
    const [imported, after] = run.json as [Imported, Record<string, unknown>];
    const dir = expectLightImport(imported, tmp);
    // the parent, still alive, keeps its directory; the child's count is in its heap
    expect(after).toEqual({ event: 'child-used', code: 0, signal: null, tmp: [path.basename(dir)], dirContents: ['.mpmetrics-private', 'heap'], total: 1 });
    expect(fs.readdirSync(tmp)).toEqual([]);
  });

  it('a parent killed before it ever used a metric leaves its directory to its child that holds the heap, then to the next sweep', async () => {
    // why the marker and its lock are made at import, not on first use: this parent never gets to a first use
    const tmp = tmpWithStaleHeap();
    const parent = startChild(child, ['spawn-hold'], { env: childEnv({ TMPDIR: tmp }) });
    const dir = expectLightImport(await parent.next<Imported>(), tmp);
    const { pid } = await parent.next<{ pid: number }>();
    orphans.push(pid);
    expect(fs.readdirSync(tmp)).toEqual([path.basename(dir)]); // the child's first use swept the planted heap
    parent.proc.kill('SIGKILL');
    expect(await parent.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(fs.readdirSync(dir)).toEqual(['.mpmetrics-private', 'heap']); // no hook ran
    expect(removeStaleHeaps(tmp)).toEqual([]); // the orphaned child still has the heap open
    process.kill(pid, 'SIGKILL');
    // (an orphan's exit may not be reaped here at once: its lock going is what counts)
    await waitUntil(() => !isHeapInUse(dir), 'the orphaned child has let go of the heap');
    // nobody holds it now: the next process's first use sweeps it
    const next = await runChild(child, ['use'], { env: childEnv({ TMPDIR: tmp }) });
    expect([next.code, next.signal, next.stderr]).toEqual([0, null, '']);
    expect(next.json[1]).toMatchObject({ event: 'used', tmp: [path.basename((next.json[0] as Imported).env!)] });
    expect(fs.readdirSync(tmp)).toEqual([]);
  });

  it('with MPMETRICS_DIR set does nothing at all; first use in that directory (not ours) sweeps nothing', async () => {
    const tmp = tmpWithStaleHeap();
    const userDir = path.join(tmp, 'user-heap');
    fs.mkdirSync(userDir, { mode: 0o700 });
    const run = await runChild(child, ['use'], { env: childEnv({ TMPDIR: tmp, MPMETRICS_DIR: userDir }) });
    expect([run.code, run.signal, run.stderr]).toEqual([0, null, '']);
    const [imported, used] = run.json as [Imported, { tmp: string[]; dirContents: string[] }];
    expect(imported).toMatchObject({ tmp: [STALE, 'user-heap'], env: userDir, dirContents: [], descriptors: [] });
    expect([imported.listeners, imported.pending]).toEqual([imported.before.listeners, imported.before.pending]);
    expect(used).toEqual({ event: 'used', tmp: [STALE, 'user-heap'], dirContents: ['heap'] });
  });
});
