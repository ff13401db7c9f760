// A process stopped (SIGSTOP, a debugger) while it holds one of the heap's locks must not freeze any other
// process's event loop: every lock is tried, never waited for in the kernel, and an update gives up with
// MPM_ERR_HEAP_BUSY naming the holder, at once if the holder is stopped, after UPDATE_LOCK_WAIT_MS if it runs on
// (see docs/ARCHITECTURE.md, "Waits"). Here a real peer takes each lock and is SIGSTOPped; a survivor then grows
// the file, records new label sets with and without a TTL, updates, scrapes, sweeps and opens the heap again, and
// reports the longest time one call took (scrapes aside: they take no lock, and their first runs time the JIT
// warming up).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UPDATE_LOCK_WAIT_MS } from '../src/heap/lock-wait.js';
import { fixture } from './fixtures/lifetime-processes.js';
import { withoutFallocate } from './support/no-fallocate.js';
import { startNode, succeed } from './support/process-group.js';

const PEER = fixture('stopped-peer.mjs');
/** Generous against a noisy machine: the old code stalled on the first lock until the peer went on. */
const STALL_LIMIT_MS = 250;

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

interface Survivor {
  steps: Record<string, { codes: Record<string, number>; slowestMs: number }> & Record<string, unknown>;
  longestMs: number;
  segments: number;
  plainTotal: number;
  histogramCount: number;
}

interface Peer {
  /** Where the filesystem lacks fallocate (see support/no-fallocate.ts). */
  filesystem?: (env: NodeJS.ProcessEnv) => NodeJS.ProcessEnv;
  /** False: the holder runs on, keeping the lock (a stuck process rather than a stopped one). */
  stopped?: boolean;
}

async function surviveWhileStopped(lock: string, { filesystem = (env) => env, stopped = true }: Peer = {}): Promise<{ survivor: Survivor; holder: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpm-stopped-'));
  fs.chmodSync(dir, 0o700);
  dirs.push(dir);
  const env = filesystem({ ...process.env, MPMETRICS_DIR: dir });
  const holder = startNode(`holder of ${lock}`, PEER, ['hold', dir, lock], env);
  await holder.waitFor('holding', 20_000);
  if (stopped) process.kill(holder.proc.pid!, 'SIGSTOP');
  try {
    const survivor = startNode('survivor', PEER, ['survive', dir], env);
    const exit = await succeed(survivor, 60_000);
    const done = exit.stdout.split('\n').find((line) => line.includes('"done"'))!;
    const report = JSON.parse(done) as Survivor;
    const slowest = Object.entries(report.steps).flatMap(([name, step]) => (typeof step === 'object' ? [`${name} ${step.slowestMs} ms`] : []));
    console.log(`${stopped ? 'stopped' : 'stuck'} peer (${lock}${filesystem === withoutFallocate ? ', no fallocate' : ''}): longest call ${report.longestMs} ms (${slowest.join(', ')})`);
    return { survivor: report, holder: holder.proc.pid! };
  } finally {
    process.kill(holder.proc.pid!, 'SIGCONT');
    holder.kill();
  }
}

describe('a peer stopped while holding a lock', () => {
  for (const lock of ['grow', 'sweep', 'pending']) {
    const what = lock === 'pending' ? 'stopped half-way through growing the file' : `holding the ${lock} lock`;
    it(`${what}, it costs the others nothing: the file grows, every update lands`, async () => {
      const { survivor } = await surviveWhileStopped(lock);
      expect(survivor.longestMs, JSON.stringify(survivor.steps)).toBeLessThan(STALL_LIMIT_MS);
      for (const name of ['new label sets', 'new label sets (TTL)', 'updates', 'scrape', 'sweep', 'open again']) {
        expect(survivor.steps[name]!.codes, name).toEqual({ ok: survivor.steps[name]!.codes.ok });
      }
      expect(survivor.steps.scrape!.slowestMs).toBeLessThan(5000);
      expect(survivor.segments).toBeGreaterThan(5);
      expect(survivor.plainTotal).toBe(1000);
      expect(survivor.histogramCount).toBe(3000);
    });
  }

  it('holding the directory lock of families with a TTL, a new label set there fails fast with MPM_ERR_HEAP_BUSY naming it; all else goes on', async () => {
    const { survivor, holder } = await surviveWhileStopped('directory');
    expect(survivor.longestMs, JSON.stringify(survivor.steps)).toBeLessThan(STALL_LIMIT_MS);
    expect(survivor.steps['new label sets (TTL)']!.codes).toEqual({ MPM_ERR_HEAP_BUSY: 20 });
    expect(survivor.steps['new label sets (TTL):message']).toContain(`process ${holder}`);
    for (const name of ['new label sets', 'updates', 'scrape', 'sweep', 'open again']) {
      expect(survivor.steps[name]!.codes, name).toEqual({ ok: survivor.steps[name]!.codes.ok });
    }
    expect(survivor.plainTotal).toBe(1000);
    expect(survivor.histogramCount).toBe(3000);
  });

  it('holding the growth lock where the filesystem lacks fallocate, growth fails fast with MPM_ERR_HEAP_BUSY naming it; all else goes on', async () => {
    const { survivor, holder } = await surviveWhileStopped('grow', { filesystem: withoutFallocate });
    expect(survivor.longestMs, JSON.stringify(survivor.steps)).toBeLessThan(STALL_LIMIT_MS);
    // the first segment holds some series; each one past it needs the file grown, so it is refused, quickly
    const made = survivor.steps['new label sets']!.codes;
    expect(made.MPM_ERR_HEAP_BUSY).toBeGreaterThan(0);
    expect(Object.keys(made).filter((code) => code !== 'ok' && code !== 'MPM_ERR_HEAP_BUSY')).toEqual([]);
    expect(survivor.steps['new label sets:message']).toContain(`process ${holder}`);
    expect(survivor.steps['new label sets:message']).toContain('stopped');
    expect(survivor.segments).toBe(1);
    for (const name of ['scrape', 'sweep', 'open again']) {
      expect(survivor.steps[name]!.codes, name).toEqual({ ok: survivor.steps[name]!.codes.ok });
    }
  });

  it('a live peer that keeps the directory lock (stuck, not stopped) costs a new TTL label set at most the update wait, then MPM_ERR_HEAP_BUSY', async () => {
    const { survivor, holder } = await surviveWhileStopped('directory', { stopped: false });
    expect(survivor.steps['new label sets (TTL)']!.codes).toEqual({ MPM_ERR_HEAP_BUSY: 20 });
    expect(survivor.steps['new label sets (TTL)']!.slowestMs).toBeGreaterThanOrEqual(UPDATE_LOCK_WAIT_MS);
    expect(survivor.steps['new label sets (TTL)']!.slowestMs).toBeLessThan(UPDATE_LOCK_WAIT_MS + STALL_LIMIT_MS);
    expect(survivor.steps['new label sets (TTL):message']).toContain(`held by process ${holder}`);
    for (const name of ['new label sets', 'updates', 'scrape', 'sweep', 'open again']) {
      expect(survivor.steps[name]!.codes, name).toEqual({ ok: survivor.steps[name]!.codes.ok });
    }
  });
});
